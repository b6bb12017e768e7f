"""What every flow that asks for a date says about what was typed (meetings, changing a meeting,
action calls, date polls; rosters use the list form). One parser (bot.core.dateparse), one set
of words, so "dinsdag 19u" means the same in every flow.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.core import i18n
from bot.core.dateparse import Parsed
from bot.core.i18n import _
from bot.domain.meetings import weekday_name


def question(result: Parsed) -> str:
    """The question for an 'ambiguous' reading, naming the rule where there is one."""
    if "next_weekday" in result.notes and result.candidates:
        return _(
            "“Next {weekday}” can mean this week or the week after. Which one do you mean?"
        ).format(weekday=weekday_name(result.candidates[0].weekday()))
    return _("Which one do you mean?")


def assumed(result: Parsed) -> str | None:
    """A line that says what was assumed ("half 8" is the evening), or None."""
    if "evening" in result.notes and result.when is not None:
        return _("I took it as the evening: {time}.").format(time=i18n.format_time(result.when))
    return None


def part_of_day(result: Parsed) -> str | None:
    """'evening', 'afternoon' or 'morning' when a day was said with it but no hour."""
    parts = [n.split(":", 1)[1] for n in result.notes if n.startswith("part:")]
    return parts[0] if parts else None


def hours_for(part: str | None, usual: list[int]) -> list[int]:
    """The hour buttons for a day said as "dinsdagavond", "mardi matin": that part's hours."""
    return {
        "evening": [17, 18, 19, 20, 21],
        "afternoon": [12, 13, 14, 15, 16, 17],
        "morning": [7, 8, 9, 10, 11, 12],
    }.get(part or "", usual)


def not_understood() -> str:
    return _(
        "I did not understand that date. Tap a day, or type it like you would say it,"
        " for example: <i>{example}</i>."
    ).format(example=_("Tuesday 19:00"))


def days_near(anchor: date, today: date) -> list[date]:
    """The likely days for moving a meeting: its own week around it and a week later; never a
    past day."""
    around = [anchor + timedelta(days=i) for i in (-3, -2, -1, 0, 1, 2, 3, 7)]
    return [d for d in around if d > today or (d == today and d == anchor)]
