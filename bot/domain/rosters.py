"""Volunteer rosters (story 10): the rules. No telegram imports.

A task (``roster_tasks``) repeats weekly, every two weeks, monthly (e.g. the first Saturday) or
on chosen dates; its occurrences (slots) are written a few weeks ahead. Volunteers of a group
take slots; stepping back opens a take-over that the first free volunteer claims in one
transaction. Reminders, take-over time-outs, the weekly gaps overview and attendance questions
are derived from SQLite on every scheduler tick and deduplicated through the outbox's
``dedupe_key``, so a restart neither loses nor doubles them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite
from babel import Locale
from babel.dates import format_date as babel_format_date
from dateutil.rrule import MONTHLY, WEEKLY, rrule
from dateutil.rrule import weekday as rr_weekday

from bot.core import i18n
from bot.core.i18n import N_, _, lower_first, ngettext
from bot.core.outbox import Outbox
from bot.core.ui import Button, cb, clip, esc, text_message
from bot.domain.deps import Core
from bot.domain.translation import AutoTextService, org_text
from storage.repos.groups import GroupsRepo
from storage.repos.rosters import RostersRepo, Shift, SlotInfo, Task
from storage.repos.users import User, distinct_names, user_names
from storage.timestamps import from_db

RULES = ("weekly", "biweekly", "monthly", "dates")
MAX_TITLE = 60
MAX_PLACE = 80
MAX_NOTE = 200
MAX_REASON = 200

# Step-back reasons tapped on a button: stored as the code, shown in each reader's language.
REASONS = {"ill": N_("I am ill"), "other": N_("Something came up")}


def reason_text(code: str | None, typed: str | None) -> str:
    """The reason, escaped, in the current reader's language when it was a button."""
    if code in REASONS:
        return _(REASONS[code])
    return esc(typed or "")


# ----- words and times, rendered in the current locale -----


def _locale() -> Locale:
    lang = i18n.current_language()
    return Locale.parse({"nl": "nl_BE", "fr": "fr_BE"}.get(lang, lang))


def weekday_name(wd: int) -> str:
    """Full weekday name, 0 = Monday."""
    return babel_format_date(date(2024, 1, 1) + timedelta(days=wd), "EEEE", locale=_locale())


def weekday_short(wd: int) -> str:
    return babel_format_date(date(2024, 1, 1) + timedelta(days=wd), "EEE", locale=_locale())


def hm(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def slot_when(slot: SlotInfo) -> str:
    """e.g. 'za 7 mrt., 9:00–12:00'."""
    start, end = i18n.format_time(slot.start), i18n.format_time(slot.end)
    return f"{i18n.format_short_date(slot.start)}{i18n.comma()}{start}–{end}"


def slot_day_time(slot: SlotInfo) -> str:
    """e.g. 'Saturday 9:00' (the words of the take-over question)."""
    local = i18n._local(slot.start)
    return "{} {}".format(
        babel_format_date(local, "EEEE", locale=_locale()), i18n.format_time(slot.start)
    )


def rule_text(task: Task) -> str:
    wd = weekday_name(task.weekday) if task.weekday is not None else ""
    if task.rule == "weekly":
        return _("every {weekday}").format(weekday=wd)
    if task.rule == "biweekly":
        return _("every other {weekday}").format(weekday=wd)
    if task.rule == "monthly":
        ordinal = {
            1: lower_first(_("Every first {weekday} of the month")),
            2: lower_first(_("Every second {weekday} of the month")),
            3: lower_first(_("Every third {weekday} of the month")),
            4: lower_first(_("Every fourth {weekday} of the month")),
            -1: lower_first(_("Every last {weekday} of the month")),
        }
        return ordinal.get(task.nth or 1, ordinal[1]).format(weekday=wd)
    days = ", ".join(i18n.format_short_date(d) for d in task.date_list)
    return _("on {dates}").format(dates=days)


def task_summary(task: Task, group_name: str | None = None) -> str:
    lines = [
        f"<b>{esc(org_text(task.title))}</b>" + (f" – {esc(group_name)}" if group_name else "")
    ]
    lines.append(f"🗓 {rule_text(task)}{i18n.comma()}{hm(task.start_min)}–{hm(task.end_min)}")
    if task.place:
        lines.append("📍 " + esc(org_text(task.place)))
    lines.append(
        "👥 "
        + ngettext("{n} volunteer per time", "{n} volunteers per time", task.needed).format(
            n=task.needed
        )
    )
    if task.note:
        lines.append("📝 " + esc(org_text(task.note)))
    return "\n".join(lines)


def slot_block(slot: SlotInfo) -> str:
    lines = [f"<b>{esc(org_text(slot.title))}</b>", "🗓 " + slot_when(slot)]
    if slot.place:
        lines.append("📍 " + esc(org_text(slot.place)))
    if slot.note:
        lines.append("📝 " + esc(org_text(slot.note)))
    return "\n".join(lines)


def count_text(slot: SlotInfo) -> str:
    if slot.missing:
        return f"⚠️ {slot.signed}/{slot.needed} – " + ngettext(
            "{n} missing", "{n} missing", slot.missing
        ).format(n=slot.missing)
    return f"✅ {slot.signed}/{slot.needed}"


def who_line(names: list[str]) -> str:
    """The names on a slot, under its line of the organiser's overview (escaped here); the
    direction marks for Arabic are added where the message is sent (i18n.directed)."""
    return "   👤 " + i18n.comma().join(esc(n) for n in names)


def call_report(result: CallResult) -> str:
    """What the organiser is told after tapping a gap's call: truthfully who was asked now,
    who had been asked before, or that there is nobody (else) to ask."""
    lines: list[str] = []
    if result.asked:
        lines.append(
            ngettext(
                "📣 I asked {n} free volunteer: {names}.",
                "📣 I asked {n} free volunteers: {names}.",
                len(result.asked),
            ).format(n=len(result.asked), names=esc(", ".join(result.asked)))
        )
    if result.already:
        lines.append(
            ngettext(
                "Asked before (no answer yet): {names}.",
                "Asked before (no answer yet): {names}.",
                len(result.already),
            ).format(names=esc(", ".join(result.already)))
        )
    if not result.asked:
        lines.append(
            _("There is nobody else free to ask.")
            if result.already
            else _("There is nobody free to ask: the volunteers are busy then or on this shift.")
        )
    return "\n".join(lines)


def fmt_hours(hours: float) -> str:
    return (f"{hours:.1f}").rstrip("0").rstrip(".")


def hours_text(hours: float) -> str:
    """'1 hour', '3 hours', '2.5 hours': the number with its plural form. A fraction takes the
    form of 100 ("other" in every shipped language, as CLDR files fractions)."""
    rounded = round(hours, 1)
    n = int(rounded) if float(rounded).is_integer() else 100
    return ngettext("{n} hour", "{n} hours", n).format(n=fmt_hours(hours))


# ----- parsing short typed answers -----

_TIME = re.compile(r"^\s*(\d{1,2})(?:\s*[:.hu]\s*(\d{2}))?\s*(?:h|u|uur)?\s*$", re.IGNORECASE)
_DATE = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2,4}))?")


def parse_time(text: str) -> int | None:
    m = _TIME.match(text)
    if not m:
        return None
    h, mi = int(m.group(1)), int(m.group(2) or 0)
    if h > 23 or mi > 59:
        return None
    return h * 60 + mi


def parse_dates(text: str, today: date) -> list[date] | None:
    found: list[date] = []
    for m in _DATE.finditer(text):
        d, mo = int(m.group(1)), int(m.group(2))
        y = m.group(3)
        try:
            if y:
                year = int(y) + (2000 if len(y) == 2 else 0)
                value = date(year, mo, d)
            else:
                value = date(today.year, mo, d)
                if value < today:
                    value = date(today.year + 1, mo, d)
        except ValueError:
            return None
        if value >= today and value not in found:
            found.append(value)
    return sorted(found) or None


# ----- recurrence -----


def occurrences(task: Task, frm: date, to: date) -> list[date]:
    """Days of the task in [frm, to] (local dates), never before its start date."""
    anchor = date.fromisoformat(task.start_date)
    lo = max(frm, anchor)
    if lo > to:
        return []
    if task.rule == "dates":
        return [d for d in task.date_list if lo <= d <= to]
    wd = task.weekday if task.weekday is not None else 0
    start = datetime.combine(anchor, time())
    until = datetime.combine(to, time(23, 59))
    if task.rule in ("weekly", "biweekly"):
        rule = rrule(
            WEEKLY,
            interval=2 if task.rule == "biweekly" else 1,
            byweekday=wd,
            dtstart=start,
            until=until,
        )
    else:
        rule = rrule(MONTHLY, byweekday=rr_weekday(wd)(task.nth or 1), dtstart=start, until=until)
    return [d.date() for d in rule if d.date() >= lo]


def first_occurrence(fields: dict[str, Any], today: date) -> date:
    """The anchor: the first matching day from today (every-two-weeks counts from it)."""
    probe = Task(
        0,
        0,
        "",
        fields["rule"],
        fields.get("weekday"),
        fields.get("nth"),
        fields.get("dates"),
        today.isoformat(),
        0,
        0,
        "",
        1,
        None,
        None,
        "",
        None,
    )
    days = occurrences(probe, today, today + timedelta(days=400))
    return days[0] if days else today


@dataclass(frozen=True)
class Outcome:
    code: str  # ok | full | already | past | busy | not_volunteer | taken | mine | late | gone
    slot: SlotInfo | None = None
    extra: Any = None


@dataclass(frozen=True)
class CallResult:
    """An organiser's call for one slot: who was asked now, who had been asked before."""

    asked: list[str]
    already: list[str]


class RosterService:
    def __init__(self, core: Core, *, groups: GroupsRepo) -> None:
        self.settings, self.clock = core.settings, core.clock
        self.db, self.outbox = core.db, core.outbox
        self.groups = groups
        self.repo = RostersRepo(core.db)
        self.auto_text: AutoTextService | None = None  # organisers' texts translated (issue 15)

    # ----- helpers -----

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    def now(self) -> datetime:
        return self.clock.now()

    def lang_of(self, user: User) -> str:
        return i18n.resolve_language(
            user.language, user.tg_language, self.settings.default_language
        )

    def local(self, day: date, minutes: int) -> datetime:
        return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.tz)

    async def _tell(
        self,
        conn: aiosqlite.Connection,
        user: User,
        render: Any,
        *,
        dedupe_key: str | None = None,
        ref: str | None = None,
        batch: str | None = None,
    ) -> bool:
        """Queue a message to someone else, rendered in their language."""
        if user.tg_id is None or user.forgotten_at:
            return False
        with i18n.use_locale(self.lang_of(user)):
            text, rows = render()
        await Outbox.enqueue_tx(
            conn,
            user.tg_id,
            "sendMessage",
            text_message(user.tg_id, clip(text, 4096), rows),
            batch=batch,
            ref=ref,
            dedupe_key=dedupe_key,
            now=self.now(),
        )
        return True

    async def slot_names(self, slots: list[SlotInfo]) -> dict[int, list[str]]:
        """Per slot, the names of who is on it, told apart over the whole list (two Ahmeds of
        one group are "Ahmed B." and "Ahmed Y." on every line). For the organisers only."""
        signed = await self.repo.signed_in([sl.slot_id for sl in slots])
        # Told apart from the groups' other volunteers too: after Ahmed B. stepped back, the
        # Ahmed still on the shift is "Ahmed Y.", as in the notices the organiser got.
        people = {u.id: u for _sid, u in signed}
        for group_id in {sl.group_id for sl in slots}:
            for u in await self.repo.volunteers(None, group_id):
                people.setdefault(u.id, u)
        names = user_names(people.values(), _("(removed)"))
        out: dict[int, list[str]] = defaultdict(list)
        for sid, user in signed:
            out[sid].append(names[user.id])
        return out

    async def told_apart(
        self, conn: aiosqlite.Connection | None, group_id: int, people: list[User | None]
    ) -> dict[int, str]:
        """The names of ``people`` told apart from every volunteer of the group, for the
        organisers: two Ahmeds are "Ahmed B." and "Ahmed Y.", not both "Ahmed"."""
        known = {u.id: u for u in await self.repo.volunteers(conn, group_id)}
        known.update({u.id: u for u in people if u is not None})
        return user_names(known.values(), _("(removed)"))

    async def group_name(self, group_id: int) -> str:
        g = await self.groups.get(group_id)
        return g.name if g else "?"

    # ----- reads for the screens -----

    async def task(self, task_id: int) -> Task | None:
        return await self.repo.task(task_id)

    async def slot(self, slot_id: int) -> SlotInfo | None:
        return await self.repo.slot(slot_id)

    async def shift(self, shift_id: int) -> Shift | None:
        return await self.repo.shift(shift_id)

    async def tasks_of(self, group_ids: list[int]) -> list[Task]:
        """The tasks that have not stopped, of these groups."""
        return await self.repo.active_tasks(group_ids)

    async def coming_slots(self, task_id: int) -> list[SlotInfo]:
        return await self.repo.future_slots(task_id, self.now())

    async def ended_slots(self, task_id: int) -> list[SlotInfo]:
        return await self.repo.past_slots(task_id, self.now())

    async def is_volunteer(self, group_id: int, user_id: int) -> bool:
        return await self.repo.is_volunteer(group_id, user_id)

    async def volunteer_groups(self, user_id: int) -> set[int]:
        return await self.repo.volunteer_groups(user_id)

    async def set_volunteer(self, group_id: int, user_id: int, on: bool) -> None:
        await self.repo.set_volunteer(group_id, user_id, on, self.now())

    async def has_shift(self, slot_id: int, user_id: int) -> bool:
        """This person signed up for this slot (and did not step back)."""
        mine = await self.repo.shift_of(None, slot_id, user_id)
        return mine is not None and mine.state == "signed"

    async def my_shifts(self, user_id: int) -> list[tuple[Shift, SlotInfo]]:
        """This person's coming shifts (not yet ended), soonest first."""
        return await self.repo.my_shifts(user_id, self.now())

    async def contribution(self, user_id: int) -> tuple[int, float, int, float]:
        """Confirmed help: (shifts, hours) in total, then (shifts, hours) this calendar year."""
        year_start = (
            self.now()
            .astimezone(self.tz)
            .replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        )
        n_all, h_all = await self.repo.contribution(user_id)
        n_year, h_year = await self.repo.contribution(user_id, year_start)
        return n_all, h_all, n_year, h_year

    # ----- tasks -----

    async def ensure_slots_tx(self, conn: aiosqlite.Connection, task: Task, now: datetime) -> None:
        if task.stopped_at:
            return
        today = now.astimezone(self.tz).date()
        horizon = today + timedelta(weeks=self.settings.roster_weeks_ahead + 1)
        for day in occurrences(task, today, horizon):
            start = self.local(day, task.start_min)
            if start > now:
                await self.repo.add_slot_tx(
                    conn, task.id, day, start, self.local(day, task.end_min)
                )

    async def ensure_slots(self, tasks: list[Task]) -> None:
        if not tasks:
            return
        async with self.db.transaction(mark=False) as conn:
            for task in tasks:
                await self.ensure_slots_tx(conn, task, self.now())

    async def create_task(self, group_id: int, draft: dict[str, Any], by: int) -> Task:
        fields = dict(draft, group_id=group_id, created_by=by)
        fields.update(self.schedule_fields(draft))
        async with self.db.transaction() as conn:
            task_id = await self.repo.create_task_tx(conn, fields, self.now())
            task = await self.repo.task(task_id, conn)
            assert task is not None
            await self.ensure_slots_tx(conn, task, self.now())
        if self.auto_text is not None:  # name, place and note in the volunteers' languages
            await self.auto_text.prepare_for_group(
                [task.title, task.place, task.note], group_id, by
            )
        return task

    async def change_task(self, task: Task, field: str, value: Any) -> int:
        """Change one field; everyone signed up for a coming slot is told. Returns how many."""
        if self.auto_text is not None and field in ("title", "place", "note"):
            await self.auto_text.prepare_for_group([value], task.group_id, task.created_by or 0)
        now = self.now()
        group_name = await self.group_name(task.group_id)
        async with self.db.transaction() as conn:
            await self.repo.update_task_tx(conn, task.id, field, value)
            new = await self.repo.task(task.id, conn)
            assert new is not None
            slots = await self.repo.future_slots(task.id, now, conn)
            if field in ("start_min", "end_min"):
                for slot in slots:
                    day = date.fromisoformat(slot.day)
                    await self.repo.move_slot_tx(
                        conn,
                        slot.slot_id,
                        self.local(day, new.start_min),
                        self.local(day, new.end_min),
                    )
            people: dict[int, User] = {}
            for slot in slots:
                for _shift, user in await self.repo.signed_users(slot.slot_id, conn):
                    people[user.id] = user

            def render() -> tuple[str, list[list[Button]]]:
                return (
                    _("ℹ️ <b>Changed</b>: a task you signed up for is now:")
                    + "\n\n"
                    + task_summary(new, group_name)
                    + "\n\n"
                    + _("Send /shifts to see your shifts."),
                    [],
                )

            for user in people.values():
                await self._tell(conn, user, render, batch=f"roster:change:{task.id}")
        self.outbox.wake()
        return len(people)

    def schedule_fields(self, draft: dict[str, Any]) -> dict[str, Any]:
        today = self.now().astimezone(self.tz).date()
        fields = {k: draft.get(k) for k in ("rule", "weekday", "nth")}
        if fields["rule"] == "dates":
            fields["dates"] = json.dumps(sorted(draft.get("dates") or []))
            fields["start_date"] = today.isoformat()
        else:
            fields["dates"] = None
            fields["start_date"] = first_occurrence(fields, today).isoformat()
        return fields

    async def change_schedule(self, task: Task, draft: dict[str, Any]) -> int:
        """New days: dropped days are cancelled (those signed up are told), new days get slots."""
        now = self.now()
        group_name = await self.group_name(task.group_id)
        fields = self.schedule_fields(draft)
        async with self.db.transaction() as conn:
            await self.repo.set_schedule_tx(conn, task.id, fields)
            new = await self.repo.task(task.id, conn)
            assert new is not None
            today = now.astimezone(self.tz).date()
            keep = set(occurrences(new, today, today + timedelta(days=800)))
            people: dict[int, tuple[User, list[SlotInfo]]] = {}
            for slot in await self.repo.future_slots(task.id, now, conn):
                signed = await self.repo.signed_users(slot.slot_id, conn)
                for _shift, user in signed:
                    people.setdefault(user.id, (user, []))
                if date.fromisoformat(slot.day) not in keep:
                    for _shift, user in signed:
                        people[user.id][1].append(slot)
                    await self.repo.drop_slot_tx(conn, slot.slot_id, now)
            await self.ensure_slots_tx(conn, new, now)
            for user, dropped in people.values():

                def render(dropped: list[SlotInfo] = dropped) -> tuple[str, list[list[Button]]]:
                    text = (
                        _("ℹ️ <b>Changed</b>: a task you signed up for is now:")
                        + "\n\n"
                        + task_summary(new, group_name)
                    )
                    if dropped:
                        text += (
                            "\n\n"
                            + _("These shifts are cancelled:")
                            + "\n"
                            + "\n".join("• " + slot_when(sl) for sl in dropped)
                        )
                    return text + "\n\n" + _("Send /shifts to see your shifts."), []

                await self._tell(conn, user, render, batch=f"roster:change:{task.id}")
        self.outbox.wake()
        return len(people)

    async def stop_task(self, task: Task) -> int:
        now = self.now()
        group_name = await self.group_name(task.group_id)
        async with self.db.transaction() as conn:
            slots = await self.repo.future_slots(task.id, now, conn)
            people: dict[int, tuple[User, list[SlotInfo]]] = {}
            for slot in slots:
                for _shift, user in await self.repo.signed_users(slot.slot_id, conn):
                    people.setdefault(user.id, (user, []))[1].append(slot)
            await self.repo.stop_task_tx(conn, task.id, now)
            await self.repo.cancel_future_slots_tx(conn, task.id, now)
            for user, mine in people.values():

                def render(mine: list[SlotInfo] = mine) -> tuple[str, list[list[Button]]]:
                    lines = [
                        _(
                            "🛑 <b>{title}</b> ({group}) has stopped. These shifts are cancelled:"
                        ).format(title=esc(org_text(task.title)), group=esc(group_name))
                    ]
                    lines += ["• " + slot_when(sl) for sl in mine]
                    lines.append(_("Thank you for your help!"))
                    return "\n".join(lines), []

                await self._tell(conn, user, render, batch=f"roster:stop:{task.id}")
        self.outbox.wake()
        return len(people)

    # ----- volunteers and slots -----

    async def open_slots(self, group_id: int) -> list[SlotInfo]:
        await self.ensure_slots(await self.repo.active_tasks([group_id]))
        now = self.now()
        return await self.repo.group_slots(
            [group_id], now, now + timedelta(weeks=self.settings.roster_weeks_ahead)
        )

    async def take_slot(self, slot_id: int, user_id: int) -> Outcome:
        now = self.now()
        async with self.db.transaction() as conn:
            slot = await self.repo.slot(slot_id, conn)
            if slot is None or slot.cancelled_at or slot.start <= now:
                return Outcome("past", slot)
            if not await self.repo.is_volunteer(slot.group_id, user_id, conn):
                return Outcome("not_volunteer", slot)
            mine = await self.repo.shift_of(conn, slot_id, user_id)
            if mine is not None and mine.state == "signed":
                return Outcome("already", slot)
            if slot.signed >= slot.needed:
                return Outcome("full", slot)
            if await self.repo.busy_between(conn, user_id, slot.start, slot.end, slot_id):
                return Outcome("busy", slot)
            await self.repo.sign_tx(conn, slot_id, user_id, now)
            slot = await self.repo.slot(slot_id, conn)
        return Outcome("ok", slot)

    def can_step_back(self, slot: SlotInfo) -> bool:
        return self.now() < slot.start - timedelta(hours=self.settings.roster_step_back_hours)

    async def step_back(
        self, shift_id: int, user: User, reason: str | None, reason_code: str | None = None
    ) -> Outcome:
        """The volunteer steps back; free volunteers of the group are asked to take over
        (not those who stepped back from this slot themselves)."""
        now = self.now()
        group_name = ""
        async with self.db.transaction() as conn:
            shift = await self.repo.shift(shift_id, conn)
            if shift is None or shift.user_id != user.id or shift.state != "signed":
                return Outcome("gone")
            slot = await self.repo.slot(shift.slot_id, conn)
            assert slot is not None
            if slot.cancelled_at or slot.start <= now:
                return Outcome("past", slot)
            if not self.can_step_back(slot):
                return Outcome("late", slot)
            await self.repo.step_back_tx(conn, shift_id, reason, now, reason_code)
            group_name = await self.repo.group_name_tx(conn, slot.group_id)
            expires = min(now + timedelta(hours=self.settings.roster_takeover_hours), slot.start)
            takeover_id = await self.repo.create_takeover_tx(
                conn, slot.slot_id, user.id, now, expires
            )
            asked = 0
            stepped_back = await self.repo.stepped_back_from(conn, slot.slot_id)
            for other in await self.repo.free_volunteers(conn, slot.group_id, slot.start, slot.end):
                if other.id == user.id or other.id in stepped_back:
                    continue
                lang = self.lang_of(other)

                def ask() -> tuple[str, list[list[Button]]]:
                    text = (
                        _("🙋 Who can take over {day_time}?").format(day_time=slot_day_time(slot))
                        + "\n\n"
                        + slot_block(slot)
                        + "\n"
                        + _("Group: {group}").format(group=esc(group_name))
                    )
                    return text, [[Button(_("✋ I'll take it"), cb("tk", "take", takeover_id))]]

                if await self._tell(
                    conn,
                    other,
                    ask,
                    ref=f"rtk:{takeover_id}:{other.id}",
                    dedupe_key=f"roster:tk:{takeover_id}:{other.id}",
                ):
                    await self.repo.add_ask_tx(conn, takeover_id, other.id, other.tg_id or 0, lang)
                    asked += 1
            names = await self.told_apart(conn, slot.group_id, [user])
            for manager in await self.repo.managers(slot.group_id, conn):
                if manager.id == user.id:
                    continue

                def told() -> tuple[str, list[list[Button]]]:
                    text = (
                        _("↩️ {name} stepped back from {when}.").format(
                            name=esc(names[user.id]), when=slot_when(slot)
                        )
                        + "\n"
                        + slot_block(slot)
                        + "\n"
                        + _("Reason: {reason}").format(reason=reason_text(reason_code, reason))
                    )
                    text += "\n" + (
                        ngettext(
                            "I asked {n} free volunteer to take over.",
                            "I asked {n} free volunteers to take over.",
                            asked,
                        ).format(n=asked)
                        if asked
                        else _("No other volunteer is free to ask: please find someone else.")
                    )
                    return text, []

                await self._tell(
                    conn,
                    manager,
                    told,
                    dedupe_key=f"roster:back:{shift_id}:{now.isoformat()}:{manager.id}",
                )
        self.outbox.wake()
        return Outcome("ok", slot, asked)

    async def take_over(self, takeover_id: int, user: User) -> Outcome:
        """The first tap takes it: the claim and the shift are one transaction."""
        now = self.now()
        async with self.db.transaction() as conn:
            tk = await self.repo.takeover(takeover_id, conn)
            if tk is None:
                return Outcome("gone")
            slot = await self.repo.slot(tk.slot_id, conn)
            assert slot is not None
            if not await self.repo.is_volunteer(slot.group_id, user.id, conn):
                return Outcome("not_volunteer", slot)
            if tk.taken_by is not None:
                return Outcome("mine" if tk.taken_by == user.id else "taken", slot)
            if slot.cancelled_at or slot.start <= now:
                return Outcome("past", slot)
            mine = await self.repo.shift_of(conn, slot.slot_id, user.id)
            if mine is not None and mine.state == "signed":
                return Outcome("already", slot)
            if slot.signed >= slot.needed:
                return Outcome("full", slot)
            if await self.repo.busy_between(conn, user.id, slot.start, slot.end, slot.slot_id):
                return Outcome("busy", slot)
            if not await self.repo.claim_tx(conn, takeover_id, user.id, now):
                return Outcome("taken", slot)
            await self.repo.sign_tx(conn, slot.slot_id, user.id, now)
            for ask in await self.repo.asks(takeover_id, conn):
                if ask["user_id"] != user.id and ask["message_id"]:
                    await self._edit_taken(
                        conn, ask["chat_id"], ask["message_id"], ask["language"], slot
                    )
            gone_user = (
                await self.repo.users_tx(conn, [tk.from_user_id]) if tk.from_user_id else [None]
            )[0]
            names = await self.told_apart(conn, slot.group_id, [user, gone_user])
            for manager in await self.repo.managers(slot.group_id, conn):

                def told() -> tuple[str, list[list[Button]]]:
                    assert slot is not None
                    return (
                        _("✅ {name} takes over from {other}: {when}.").format(
                            name=esc(names[user.id]),
                            other=esc(names[gone_user.id] if gone_user else "?"),
                            when=slot_when(slot),
                        )
                        + "\n"
                        + slot_block(slot),
                        [],
                    )

                await self._tell(
                    conn, manager, told, dedupe_key=f"roster:tkdone:{takeover_id}:{manager.id}"
                )
            if gone_user is not None and gone_user.id != user.id:

                def thanks() -> tuple[str, list[list[Button]]]:
                    assert slot is not None
                    return (
                        _(
                            "✅ {name} takes over your shift: {when}. Thank you for telling us."
                        ).format(name=esc(user.first_name or ""), when=slot_when(slot))
                        + "\n"
                        + slot_block(slot),
                        [],
                    )

                await self._tell(
                    conn, gone_user, thanks, dedupe_key=f"roster:tkdone:{takeover_id}:from"
                )
            slot = await self.repo.slot(slot.slot_id, conn)
        self.outbox.wake()
        return Outcome("ok", slot)

    async def _edit_taken(
        self, conn: aiosqlite.Connection, chat_id: int, message_id: int, lang: str, slot: SlotInfo
    ) -> None:
        with i18n.use_locale(lang):
            text = (
                _("Someone already took over {day_time}. Thank you!").format(
                    day_time=slot_day_time(slot)
                )
                + "\n\n"
                + slot_block(slot)
            )
        await Outbox.enqueue_tx(
            conn,
            chat_id,
            "editMessageText",
            {"chat_id": chat_id, "message_id": message_id, "text": text, "parse_mode": "HTML"},
            dedupe_key=f"roster:tkedit:{slot.slot_id}:{chat_id}:{message_id}",
            now=self.now(),
        )

    async def on_ask_sent(self, ref: str, chat_id: int, message_id: int | None) -> None:
        """Outbox hook: remember the question's message id; if it is taken already, edit it."""
        parts = ref.split(":")
        if len(parts) != 3 or message_id is None:
            return
        takeover_id, user_id = int(parts[1]), int(parts[2])
        await self.repo.set_ask_message(takeover_id, user_id, message_id)
        tk = await self.repo.takeover(takeover_id)
        if tk is not None and tk.taken_by is not None and tk.taken_by != user_id:
            slot = await self.repo.slot(tk.slot_id)
            asks = {a["user_id"]: a for a in await self.repo.asks(takeover_id)}
            if slot is not None and user_id in asks:
                async with self.db.transaction(mark=False) as conn:
                    await self._edit_taken(
                        conn, chat_id, message_id, asks[user_id]["language"], slot
                    )
                self.outbox.wake()

    async def call_for_volunteers(self, slot: SlotInfo) -> CallResult:
        """A targeted call for one slot: to the group's free volunteers not already in it, not
        asked for it before, and not the ones who stepped back from it."""
        now = self.now()
        group_name = await self.group_name(slot.group_id)
        asked: list[User] = []
        already: list[User] = []
        async with self.db.transaction() as conn:
            skip = await self.repo.stepped_back_from(conn, slot.slot_id)
            before = await self.repo.called_for(conn, slot.slot_id)
            for user in await self.repo.free_volunteers(conn, slot.group_id, slot.start, slot.end):
                if user.id in skip:
                    continue
                if user.id in before:
                    already.append(user)
                    continue

                def call() -> tuple[str, list[list[Button]]]:
                    text = (
                        _("📣 <b>{group}</b> needs a volunteer:").format(group=esc(group_name))
                        + "\n\n"
                        + slot_block(slot)
                        + "\n"
                        + count_text(slot)
                    )
                    return text, [[Button(_("✋ I'll come"), cb("sh", "take", slot.slot_id))]]

                if await self._tell(
                    conn,
                    user,
                    call,
                    batch=f"roster:call:{slot.slot_id}",
                    dedupe_key=f"roster:call:{slot.slot_id}:{user.id}",
                ):
                    await self.repo.add_call_tx(conn, slot.slot_id, user.id, now)
                    asked.append(user)
        self.outbox.wake()
        names = user_names(asked + already, _("(removed)"))
        return CallResult([names[u.id] for u in asked], [names[u.id] for u in already])

    async def tell_late(self, shift_id: int, user: User) -> Outcome:
        """Too late to step back in the bot: the organisers are told that this volunteer cannot
        come (the shift stays theirs to solve). ``extra``: the names of who was told."""
        now = self.now()
        async with self.db.transaction() as conn:
            shift = await self.repo.shift(shift_id, conn)
            if shift is None or shift.user_id != user.id or shift.state != "signed":
                return Outcome("gone")
            slot = await self.repo.slot(shift.slot_id, conn)
            if slot is None or slot.cancelled_at or slot.start <= now:
                return Outcome("past", slot)
            told: list[str] = []
            for manager in await self.repo.managers(slot.group_id, conn):
                if manager.id == user.id:
                    continue

                def render(slot: SlotInfo = slot) -> tuple[str, list[list[Button]]]:
                    return (
                        _("⚠️ {name} cannot come: {when}. Please find someone else.").format(
                            name=esc(user.first_name or ""), when=slot_when(slot)
                        )
                        + "\n"
                        + slot_block(slot),
                        [[Button(_("📣 Call for a volunteer"), cb("ro", "call", slot.slot_id))]],
                    )

                if await self._tell(
                    conn, manager, render, dedupe_key=f"roster:late:{shift_id}:{manager.id}"
                ):
                    told.append(manager.first_name or "?")
        self.outbox.wake()
        return Outcome("ok", slot, told)

    async def organiser_names(self, group_id: int) -> list[str]:
        return [m.first_name or "?" for m in await self.repo.managers(group_id)]

    # ----- attendance and hours -----

    async def toggle_attended(self, shift_id: int) -> None:
        async with self.db.transaction() as conn:
            await self.repo.toggle_attended_tx(conn, shift_id)

    async def confirm_attendance(self, slot_id: int) -> None:
        async with self.db.transaction() as conn:
            await self.repo.confirm_attendance_tx(conn, slot_id, self.now())

    async def attendance_view(self, slot: SlotInfo) -> tuple[str, list[list[Button]]]:
        people = await self.repo.signed_users(slot.slot_id)
        lines = [_("<b>Who came?</b>"), slot_block(slot), ""]
        if slot.attendance_at:
            lines.append(_("Confirmed. You can still change it."))
        else:
            lines.append(_("Tap a name to change it, then tap Confirm."))
        rows: list[list[Button]] = []
        names = await self.told_apart(None, slot.group_id, [u for _s, u in people])
        for shift, user in people:
            came = shift.attended is None or shift.attended == 1
            mark = "✅" if came else "❌"
            rows.append(
                [
                    Button(
                        f"{mark} {clip(names[user.id], 40)}",
                        cb("ro", "tog", shift.id),
                    )
                ]
            )
        rows.append([Button(_("💾 Confirm"), cb("ro", "attok", slot.slot_id))])
        return "\n".join(lines), rows

    async def hours_csv(self, project_id: int, year: int) -> tuple[bytes, dict[str, Any]]:
        frm = datetime(year, 1, 1, tzinfo=self.tz)
        to = min(datetime(year + 1, 1, 1, tzinfo=self.tz), self.now())
        rows = await self.repo.hours(project_id, frm, to)
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(
            [
                _("date"),
                _("group"),
                _("task"),
                _("volunteer"),
                _("start"),
                _("end"),
                _("attendance"),
                _("hours"),
            ]
        )
        per_task: dict[str, float] = defaultdict(float)
        per_person: dict[int, float] = defaultdict(float)  # by person: two Ahmeds are two
        # A volunteer who was removed (/forget) keeps their hours, without a name or number.
        # Told apart from the project's other volunteers too (two Ahmeds in one group are
        # "Ahmed B." and "Ahmed Y." here as in every list the organiser saw).
        people: dict[int, tuple[int, str | None, str | None]] = {
            r.user_id: (r.user_id, r.first_name, r.last_name) for r in rows
        }
        for g in await self.groups.of_project(project_id):
            for u in await self.repo.volunteers(None, g.id):
                people.setdefault(u.id, (u.id, u.first_name, u.last_name))
        names = distinct_names(people.values(), _("(removed)"))
        total = 0.0
        for r in rows:
            start, end = from_db(r.starts_at, self.tz), from_db(r.ends_at, self.tz)
            assert start is not None and end is not None
            name = names[r.user_id]
            if not r.confirmed:
                status, hours = _("not confirmed"), 0.0
            elif r.attended == 1:
                status, hours = _("present"), (end - start).total_seconds() / 3600
            else:
                status, hours = _("absent"), 0.0
            writer.writerow(
                [
                    r.day,
                    r.group_name,
                    r.title,
                    name,
                    start.strftime("%H:%M"),
                    end.strftime("%H:%M"),
                    status,
                    fmt_hours(hours),
                ]
            )
            if hours:
                per_task[f"{r.title} ({r.group_name})"] += hours
                per_person[r.user_id] += hours
                total += hours
        # Totals per volunteer and per task, after the detail, as separate labelled lines.
        writer.writerow([])
        writer.writerow([_("total per volunteer"), "", "", _("volunteer"), "", "", "", _("hours")])
        for uid, hours in sorted(per_person.items(), key=lambda kv: names[kv[0]].casefold()):
            writer.writerow(["", "", "", names[uid], "", "", "", fmt_hours(hours)])
        writer.writerow([_("total per task"), "", _("task"), "", "", "", "", _("hours")])
        for title, hours in sorted(per_task.items()):
            writer.writerow(["", "", title, "", "", "", "", fmt_hours(hours)])
        writer.writerow([_("total"), "", "", "", "", "", "", fmt_hours(total)])
        summary = {
            "total": total,
            "per_task": dict(per_task),
            "per_person": {names[uid]: hours for uid, hours in per_person.items()},
            "volunteers": len(per_person),
            "shifts": len(rows),
        }
        return buf.getvalue().encode("utf-8-sig"), summary

    # ----- scheduled work (each idempotent; what is due is read from SQLite) -----

    async def run_due(self, now: datetime) -> None:
        await self.run_slots(now)
        await self.run_reminders(now)
        await self.run_takeover_timeouts(now)
        await self.run_overview(now)
        await self.run_attendance(now)

    async def run_slots(self, now: datetime) -> None:
        day = now.astimezone(self.tz).date().isoformat()
        if await self.repo.job_last_run("roster:slots") == day:
            return
        tasks = await self.repo.active_tasks()
        async with self.db.transaction(mark=False) as conn:
            for task in tasks:
                await self.ensure_slots_tx(conn, task, now)
            await self.repo.set_job_mark_tx(conn, "roster:slots", day)

    async def run_reminders(self, now: datetime) -> None:
        due = await self.repo.reminders_due(
            now, now + timedelta(hours=self.settings.roster_remind_hours)
        )
        if not due:
            return
        async with self.db.transaction(mark=False) as conn:
            for slot_id, user_id in due:
                slot = await self.repo.slot(slot_id, conn)
                users = await self.repo.users_tx(conn, [user_id])
                if slot is None or not users:
                    continue

                def render(slot: SlotInfo = slot) -> tuple[str, list[list[Button]]]:
                    return (
                        _("⏰ Reminder: you help {when}.").format(when=slot_when(slot))
                        + "\n\n"
                        + slot_block(slot)
                        + "\n\n"
                        + _("Can't come? Send /shifts."),
                        [],
                    )

                await self._tell(
                    conn,
                    users[0],
                    render,
                    dedupe_key=f"roster:remind:{slot_id}:{user_id}:{slot.starts_at}",
                )
        self.outbox.wake()

    async def run_takeover_timeouts(self, now: datetime) -> None:
        for tk in await self.repo.expired_takeovers(now):
            async with self.db.transaction(mark=False) as conn:
                if not await self.repo.mark_expired_tx(conn, tk.id, now):
                    continue
                slot = await self.repo.slot(tk.slot_id, conn)
                if slot is None or slot.cancelled_at:
                    continue
                gone = await self.repo.users_tx(conn, [tk.from_user_id] if tk.from_user_id else [])
                names = await self.told_apart(conn, slot.group_id, list(gone))
                for manager in await self.repo.managers(slot.group_id, conn):

                    def render(
                        slot: SlotInfo = slot, gone: list[User] = gone, names: dict = names
                    ) -> tuple[str, list[list[Button]]]:
                        text = (
                            _("⚠️ Nobody took over from {name}: {when}.").format(
                                name=esc(names[gone[0].id] if gone else "?"), when=slot_when(slot)
                            )
                            + "\n"
                            + slot_block(slot)
                            + "\n"
                            + count_text(slot)
                        )
                        return text, [
                            [Button(_("📣 Call for a volunteer"), cb("ro", "call", slot.slot_id))]
                        ]

                    await self._tell(
                        conn, manager, render, dedupe_key=f"roster:tkexp:{tk.id}:{manager.id}"
                    )
        self.outbox.wake()

    def overview_due(self, now: datetime) -> datetime:
        local = now.astimezone(self.tz)
        back = (local.weekday() - self.settings.roster_overview_weekday) % 7
        due = datetime.combine(
            local.date() - timedelta(days=back),
            time(self.settings.roster_overview_hour),
            tzinfo=self.tz,
        )
        if due > local:
            due -= timedelta(days=7)
        return due

    async def overview(self, group_id: int) -> tuple[str, list[list[Button]]]:
        """The coming slots of a group with the gaps marked, and a call button per gap."""
        slots = await self.open_slots(group_id)
        group_name = await self.group_name(group_id)
        lines = [
            ngettext(
                "<b>Roster of {group}</b> – the coming week",
                "<b>Roster of {group}</b> – the coming {n} weeks",
                self.settings.roster_weeks_ahead,
            ).format(group=esc(group_name), n=self.settings.roster_weeks_ahead)
        ]
        gaps = [sl for sl in slots if sl.missing]
        if not slots:
            lines.append(_("No shifts planned."))
        names = await self.slot_names(slots[:60])
        for sl in slots[:60]:
            lines.append(f"• {slot_when(sl)} {esc(org_text(sl.title))} – {count_text(sl)}")
            if names.get(sl.slot_id):
                lines.append(who_line(names[sl.slot_id]))
        lines.append("")
        lines.append(
            ngettext("{n} shift with a gap.", "{n} shifts with a gap.", len(gaps)).format(
                n=len(gaps)
            )
        )
        rows = [
            [
                Button(
                    _("📣 Call: {task}, {when}").format(
                        task=sl.title[:24],
                        when=i18n.format_short_date(sl.start) + " " + i18n.format_time(sl.start),
                    )[:60],
                    cb("ro", "call", sl.slot_id),
                )
            ]
            for sl in gaps[:10]
        ]
        return "\n".join(lines), rows

    async def run_overview(self, now: datetime) -> None:
        due = self.overview_due(now)
        if now - due > timedelta(days=1):
            return  # too late for this week's overview (the bot was down); next week's comes
        last = from_db(await self.repo.job_last_run("roster:overview"))
        if last is not None and last >= due:
            return
        groups = sorted({t.group_id for t in await self.repo.active_tasks()})
        for group_id in groups:
            managers = await self.repo.managers(group_id)
            if not managers:
                continue
            plans = []
            for manager in managers:
                with i18n.use_locale(self.lang_of(manager)):
                    plans.append((manager, await self.overview(group_id)))
            async with self.db.transaction(mark=False) as conn:
                for manager, (text, rows) in plans:
                    await self._tell(
                        conn,
                        manager,
                        lambda t=text, r=rows: (t, r),
                        dedupe_key=f"roster:overview:{group_id}:{manager.id}:{due.date().isoformat()}",
                    )
        async with self.db.transaction(mark=False) as conn:
            await self.repo.set_job_run_tx(conn, "roster:overview", due)
        self.outbox.wake()

    async def run_attendance(self, now: datetime) -> None:
        for slot in await self.repo.slots_to_confirm(now, now - timedelta(days=7)):
            managers = await self.repo.managers(slot.group_id)
            plans = []
            for manager in managers:
                with i18n.use_locale(self.lang_of(manager)):
                    plans.append((manager, await self.attendance_view(slot)))
            async with self.db.transaction(mark=False) as conn:
                for manager, (text, rows) in plans:
                    await self._tell(
                        conn,
                        manager,
                        lambda t=text, r=rows: (t, r),
                        dedupe_key=f"roster:att:{slot.slot_id}:{manager.id}",
                    )
                await self.repo.mark_asked_tx(conn, slot.slot_id, now)
        self.outbox.wake()
