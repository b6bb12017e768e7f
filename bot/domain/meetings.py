"""Meetings of self-help groups: the rules (no Telegram types here).

- A meeting is published to every member of its group through the outbox, in each member's
  language, in the same transaction that creates it; a linked group chat gets it too.
- A series ("every first Tuesday") keeps its local time of day; each occurrence is its own row
  with its own RSVPs, created ahead of time by the scheduler tick (``HORIZON``). Publishing a
  series sends one card (its first date); each later date is sent when it becomes the next one.
  A member answers one date, or the whole series ("every time"): that answer is stored once and
  written as a Yes into every occurrence, now and as they are created, so reminders, names
  lists and exports read RSVPs as for any meeting.
- Capacity: a Yes beyond it goes on the waitlist; a freed place is offered to the first waiting
  person until ``OFFER_HOURS`` (or the start), then to the next.
- Reminders (the day before at the same local time, and N hours before; per group) and the
  "who came?" prompt are derived from SQLite on every tick and deduplicated by the outbox's
  dedupe_key, so a restart neither loses nor repeats one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

import icalendar
from babel.dates import get_day_names
from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday

from bot.core import i18n
from bot.core.i18n import _, format_date, format_short_date, format_time
from bot.core.outbox import Outbox
from bot.core.ui import Button, cb, esc, text_message
from bot.domain.deps import Core
from bot.domain.translation import AutoTextService, translation_mark
from storage.repos.groups import Group, GroupsRepo
from storage.repos.meetings import GroupSettings, Meeting, MeetingsRepo, Poll, PollOption, Rsvp
from storage.repos.projects import ProjectsRepo
from storage.repos.users import User, UsersRepo
from storage.timestamps import from_db, to_db

log = logging.getLogger(__name__)

USUAL_HOURS = (10, 14, 19)
OFFER_HOURS = 12
HORIZON = {"weekly": 21, "biweekly": 28, "monthly": 56}  # days of occurrences created ahead
ANSWERS = {"y": "yes", "m": "maybe", "n": "no"}
COMING = ("yes", "maybe", "waiting", "offered")  # who hears about changes
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}


@dataclass(frozen=True)
class Draft:
    group_id: int
    title: str
    starts_at: datetime
    place: str
    agenda: str | None = None
    capacity: int | None = None
    rule: str = "once"  # once | weekly | biweekly | monthly:N


@dataclass(frozen=True)
class AnswerResult:
    answer: str  # what was stored: yes | maybe | no | waiting
    meeting: Meeting


def recipient_language(user: User, default: str) -> str:
    return i18n.resolve_language(user.language, user.tg_language, default)


def chat_of(user: User) -> int:
    """The private chat of a user from the recipient lists (only users with a Telegram id)."""
    return cast(int, user.tg_id)


def reachable(user: User) -> bool:
    return (
        user.tg_id is not None
        and not user.stopped_at
        and not user.forgotten_at
        and not user.unreachable_at
    )


def nth_weekday(day: date) -> tuple[int, bool]:
    """(which occurrence of its weekday in the month 1..5, is it the last one)."""
    return (day.day - 1) // 7 + 1, (day + timedelta(days=7)).month != day.month


def weekday_name(day_index: int) -> str:
    loc = i18n._locale()
    return str(get_day_names("wide", locale=loc)[day_index])


def rule_label(rule: str, day: date) -> str:
    if rule == "weekly":
        return _("Every week on {weekday}").format(weekday=weekday_name(day.weekday()))
    if rule == "biweekly":
        return _("Every two weeks on {weekday}").format(weekday=weekday_name(day.weekday()))
    if rule.startswith("monthly:"):
        n = int(rule.split(":")[1])
        words = {
            1: _("Every first {weekday} of the month"),
            2: _("Every second {weekday} of the month"),
            3: _("Every third {weekday} of the month"),
            4: _("Every fourth {weekday} of the month"),
            -1: _("Every last {weekday} of the month"),
        }
        return words[n].format(weekday=weekday_name(day.weekday()))
    return _("Only once")


def rule_choices(day: date) -> list[str]:
    n, last = nth_weekday(day)
    rules = ["once", "weekly", "biweekly"]
    if n <= 4:
        rules.append(f"monthly:{n}")
    if last:
        rules.append("monthly:-1")
    return rules


def occurrences(
    rule: str, first_day: date, local_time: time, tz: Any, start: datetime, end: datetime
) -> list[datetime]:
    """Local wall-clock occurrences in [start, end]: 19:00 stays 19:00 across DST."""
    first = datetime.combine(first_day, local_time)
    if rule == "weekly":
        rr = rrule(WEEKLY, interval=1, dtstart=first)
    elif rule == "biweekly":
        rr = rrule(WEEKLY, interval=2, dtstart=first)
    elif rule.startswith("monthly:"):
        n = int(rule.split(":")[1])
        rr = rrule(MONTHLY, dtstart=first, byweekday=weekday(first_day.weekday())(n))
    else:
        return [first.replace(tzinfo=tz)] if start <= first.replace(tzinfo=tz) <= end else []
    lo = start.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
    hi = end.astimezone(tz).replace(tzinfo=None)
    out = []
    for naive in rr.between(max(lo, first - timedelta(seconds=1)), hi, inc=True):
        aware = naive.replace(tzinfo=tz)
        if start <= aware <= end:
            out.append(aware)
    return out


class MeetingsService:
    def __init__(
        self, core: Core, *, users: UsersRepo, projects: ProjectsRepo, groups: GroupsRepo
    ) -> None:
        self.settings, self.clock = core.settings, core.clock
        self.db, self.outbox = core.db, core.outbox
        self.users = users
        self.projects = projects
        self.groups = groups
        self.repo = MeetingsRepo(core.db)
        self.tz = core.settings.tz
        # Organisers' texts in each member's language (issue 15); None = as written.
        self.auto_text: AutoTextService | None = None

    def shown(self, text: str | None) -> str:
        """A title, place or agenda in the current locale's language when translated."""
        return self.auto_text.shown(text) if self.auto_text else (text or "")

    # ----- who -----

    async def group(self, group_id: int) -> Group | None:
        return await self.groups.get(group_id)

    async def manager_ids(self, group: Group) -> list[int]:
        organisers = await self.groups.member_ids(group.id, "organiser")
        return organisers or await self.projects.worker_ids(group.project_id)

    async def _members(self, group_id: int) -> list[User]:
        return [
            u for u in await self.users.many(await self.groups.member_ids(group_id)) if reachable(u)
        ]

    def lang(self, user: User) -> str:
        return recipient_language(user, self.settings.default_language)

    # ----- rendering (in the current locale) -----

    def local(self, value: str | datetime) -> datetime:
        dt = from_db(value, self.tz) if isinstance(value, str) else value.astimezone(self.tz)
        assert dt is not None
        return dt

    def when_text(self, starts: str | datetime) -> str:
        local = self.local(starts)
        return _("{date} at {time}").format(date=format_date(local), time=format_time(local))

    def details(self, m: Meeting | Draft, group_name: str, series_rule: str | None = None) -> str:
        lines = [
            f"📅 <b>{esc(self.shown(m.title))}</b>",
            "👥 " + esc(group_name),
            "🗓 " + self.when_text(m.starts_at),
            "📍 " + esc(self.shown(m.place)),
        ]
        if series_rule and series_rule != "once":
            # The series' own day: a date moved to a Wednesday is still of "every first Tuesday".
            own = getattr(m, "occurrence_day", None)
            day = date.fromisoformat(own) if own else self.local(m.starts_at).date()
            lines.append("🔁 " + rule_label(series_rule, day))
        if m.agenda:
            lines.append("📝 " + esc(self.shown(m.agenda)))
        if m.capacity:
            lines.append(
                "🪑 " + i18n.ngettext("{n} place", "{n} places", m.capacity).format(n=m.capacity)
            )
        if self.auto_text is not None and self.auto_text.translated(m.title, m.place, m.agenda):
            lines.append(translation_mark())
        return "\n".join(lines)

    def answer_label(self, answer: str | None) -> str:
        return {
            "yes": _("✅ Yes"),
            "maybe": _("🤔 Maybe"),
            "no": _("❌ No"),
            "waiting": _("⏳ On the waiting list"),
            "offered": _("🎟 A place is free for you"),
        }.get(answer or "", _("no answer yet"))

    def member_text(
        self,
        m: Meeting | Draft,
        group_name: str,
        series_rule: str | None,
        answer: str | None = None,
        every: bool = False,
    ) -> str:
        text = self.details(m, group_name, series_rule) + "\n\n"
        if every and answer in (None, "yes"):
            text += _("Your answer: {answer}").format(answer=_("🔁 Yes, every time"))
        elif answer:
            text += _("Your answer: {answer}").format(answer=self.answer_label(answer))
        else:
            text += _("Are you coming?")
        return text

    def rsvp_rows(
        self, meeting_id: int | None, series: bool = False, every: bool = False
    ) -> list[list[Button]]:
        """The answer buttons; for a series also "every time" (or, once given, a way back to
        answering per date)."""
        if every:
            series_row = [Button(_("↩️ Answer per date again"), cb("mt", "sx", meeting_id))]
        else:
            series_row = [Button(_("🔁 Yes, every time"), cb("mt", "sy", meeting_id))]
        if meeting_id is None:  # the organiser's preview: same look, inert buttons
            ident = ("pv",)
            rows = [
                [
                    Button(_("✅ Yes"), cb("mt", *ident)),
                    Button(_("🤔 Maybe"), cb("mt", *ident)),
                    Button(_("❌ No"), cb("mt", *ident)),
                ],
                [Button(_("📅 Add to calendar"), cb("mt", *ident))],
            ]
            if series:
                rows.insert(1, [Button(_("🔁 Yes, every time"), cb("mt", *ident))])
            return rows
        rows = [
            [
                Button(_("✅ Yes"), cb("mt", "y", meeting_id)),
                Button(_("🤔 Maybe"), cb("mt", "m", meeting_id)),
                Button(_("❌ No"), cb("mt", "n", meeting_id)),
            ],
            [Button(_("📅 Add to calendar"), cb("mt", "ics", meeting_id))],
        ]
        if series:
            rows.insert(1, series_row)
        return rows

    async def answers_every_time(self, m: Meeting, user_id: int) -> bool:
        """Did this person answer "every time" for the series of this meeting?"""
        if m.series_id is None:
            return False
        return await self.repo.series_answer(m.series_id, user_id) == "yes"

    async def rule_of(self, m: Meeting) -> str | None:
        if m.series_id is None:
            return None
        series = await self.repo.series(m.series_id)
        return series.rule if series else None

    # ----- reads for the screens -----

    async def meeting(self, meeting_id: int) -> Meeting | None:
        return await self.repo.get(meeting_id)

    async def rsvps(self, meeting_id: int) -> list[Rsvp]:
        return await self.repo.rsvps(meeting_id)

    async def answer_counts(self, meeting_id: int) -> dict[str, int]:
        """How many people gave each answer ("yes", "maybe", "no", "waiting", ...)."""
        counts: dict[str, int] = {}
        for r in await self.repo.rsvps(meeting_id):
            counts[r.answer] = counts.get(r.answer, 0) + 1
        return counts

    async def upcoming(
        self, user_id: int, group_ids: Iterable[int]
    ) -> tuple[list[Meeting], dict[int, str]]:
        """The coming meetings of these groups, and this person's answer to each."""
        meetings = await self.repo.upcoming(group_ids, self.clock.now())
        mine = await self.repo.answers_of(user_id, [m.id for m in meetings])
        return meetings, mine

    async def history(self, group_ids: Iterable[int]) -> tuple[list[Meeting], dict[int, int]]:
        """The past meetings of these groups, and how many people came to each."""
        past = await self.repo.past(group_ids, self.clock.now())
        return past, await self.repo.attendance_counts([m.id for m in past])

    async def unanswered(self, group_id: int, meeting_id: int) -> list[int]:
        """Members of the group (still in it) who have not answered this meeting."""
        answered = {r.user_id for r in await self.repo.rsvps(meeting_id)}
        return [u for u in await self.groups.member_ids(group_id) if u not in answered]

    async def attendance_sheet(self, meeting_id: int) -> tuple[set[int], dict[int, str]]:
        """Who came (user ids), and everyone's answer."""
        present = await self.repo.attendance(meeting_id)
        answers = {r.user_id: r.answer for r in await self.repo.rsvps(meeting_id)}
        return present, answers

    async def attendance_started(self, meeting_id: int) -> bool:
        m = await self.repo.get(meeting_id)
        assert m is not None  # the caller has just loaded it
        return m.attendance_at is not None

    async def reminder_settings(self, group_id: int) -> GroupSettings:
        return await self.repo.settings(group_id)

    async def poll(self, poll_id: int) -> Poll | None:
        return await self.repo.poll(poll_id)

    async def poll_options(self, poll_id: int) -> list[PollOption]:
        return await self.repo.poll_options(poll_id)

    async def poll_votes(self, poll_id: int) -> dict[int, list[int]]:
        """Per option id, the ids of the people who chose it."""
        return await self.repo.votes(poll_id)

    async def open_polls(self, group_ids: Iterable[int]) -> list[Poll]:
        return await self.repo.open_polls(group_ids)

    # ----- publishing -----

    async def publish(self, draft: Draft, by: int, close_poll: int | None = None) -> list[int]:
        """Creates the meeting (or the series and its first occurrences) and queues it to every
        member, all in one transaction. Returns the new meeting ids."""
        now = self.clock.now()
        group = await self.group(draft.group_id)
        assert group is not None
        members = await self._members(group.id)
        ids: list[int] = []
        async with self.db.transaction() as conn:
            if draft.rule == "once":
                mid = await self.repo.insert_meeting_tx(
                    conn,
                    group.id,
                    draft.title,
                    draft.place,
                    draft.agenda,
                    draft.capacity,
                    draft.starts_at,
                    by,
                    now,
                )
                assert mid is not None
                await self._announce_tx(conn, mid, group, members, None)
                ids.append(mid)
            else:
                local = draft.starts_at.astimezone(self.tz)
                sid = await self.repo.insert_series_tx(
                    conn,
                    group.id,
                    draft.rule,
                    local.strftime("%H:%M"),
                    local.date().isoformat(),
                    draft.title,
                    draft.place,
                    draft.agenda,
                    draft.capacity,
                    by,
                    now,
                )
                series = await self._series_tx(conn, sid)
                ids.extend(await self._extend_tx(conn, series, group, members, now))
                # One card: the first date. The later ones follow as each becomes the next.
                await self._announce_next_tx(conn, series, group, members, now)
            if close_poll is not None:
                await self.repo.close_poll_tx(conn, close_poll, ids[0] if ids else None)
        self.outbox.wake()
        return ids

    async def _series_tx(self, conn: Any, sid: int) -> Any:
        return await self.repo.series_tx(conn, sid)

    async def _extend_tx(
        self, conn: Any, series: Any, group: Group, members: list[User], now: datetime
    ) -> list[int]:
        kind = series.rule.split(":")[0]
        end = now + timedelta(days=HORIZON.get(kind, 28))
        hh, mm = (int(x) for x in series.local_time.split(":"))
        have = await self.repo.occurrence_days_tx(conn, series.id)
        created = []
        first = date.fromisoformat(series.first_day)
        # The first occurrence always exists, even when it lies beyond the horizon.
        end = max(end, datetime.combine(first, time(hh, mm), tzinfo=self.tz))
        for when in occurrences(series.rule, first, time(hh, mm), self.tz, now, end):
            day = when.date().isoformat()
            if day in have:
                continue
            mid = await self.repo.insert_meeting_tx(
                conn,
                group.id,
                series.title,
                series.place,
                series.agenda,
                series.capacity,
                when,
                series.created_by,
                now,
                series_id=series.id,
                occurrence_day=day,
            )
            if mid is not None:
                answers = await self.repo.series_answers_tx(conn, series.id)
                for user in members:
                    if answers.get(user.id) == "yes":
                        await self._series_yes_tx(conn, mid, user.id, now)
                created.append(mid)
        return created

    async def _series_yes_tx(self, conn: Any, mid: int, user_id: int, now: datetime) -> None:
        """A Yes from the person's "every time" written into one occurrence (the waiting list
        when it is full); an answer already given for this date stands."""
        if await self.repo.rsvp_tx(conn, mid, user_id) is not None:
            return
        m = await self.repo.get_tx(conn, mid)
        assert m is not None
        full = bool(m.capacity) and await self.repo.taken_tx(conn, mid) >= (m.capacity or 0)
        await self.repo.set_rsvp_tx(
            conn, mid, user_id, "waiting" if full else "yes", now, to_db(now) if full else None
        )

    async def _announce_next_tx(
        self, conn: Any, series: Any, group: Group, members: list[User], now: datetime
    ) -> bool:
        """Sends the series' next date, once, to the members who did not answer "every time"
        (they have their Yes already and get the reminders)."""
        nxt = await self.repo.next_of_series_tx(conn, series.id, now)
        if nxt is None or nxt.announced_at is not None:
            return False
        answers = await self.repo.series_answers_tx(conn, series.id)
        others = [u for u in members if answers.get(u.id) != "yes"]
        await self._announce_tx(conn, nxt.id, group, others, series.rule)
        return True

    async def answer_series(self, meeting_id: int, user_id: int, every: bool) -> int | None:
        """ "Every time" (``every``) or back to answering per date, for the series of this
        meeting: returns how many coming dates it set, None when the meeting is gone, past or
        not part of a series. Stopping keeps the answer on this date and clears the later ones
        (their places go to the waiting list)."""
        now = self.clock.now()
        count = 0
        async with self.db.transaction() as conn:
            m = await self.repo.get_tx(conn, meeting_id)
            if (
                m is None
                or m.series_id is None
                or m.status != "published"
                or self.local(m.starts_at) <= now
            ):
                return None
            await self.repo.set_series_answer_tx(
                conn, m.series_id, user_id, "yes" if every else None, now
            )
            for t in await self.repo.future_of_series_tx(conn, m.series_id, now):
                before = await self.repo.rsvp_tx(conn, t.id, user_id)
                if every:
                    if before is None or before.answer in ("no", "maybe"):
                        if before is not None:
                            await conn.execute(
                                "DELETE FROM meeting_rsvps WHERE meeting_id = ? AND user_id = ?",
                                (t.id, user_id),
                            )
                        await self._series_yes_tx(conn, t.id, user_id, now)
                    count += 1
                elif t.id != m.id and before is not None:
                    await conn.execute(
                        "DELETE FROM meeting_rsvps WHERE meeting_id = ? AND user_id = ?",
                        (t.id, user_id),
                    )
                    if before.answer in ("yes", "offered"):
                        await self._offer_free_place_tx(conn, t, now)
        self.outbox.wake()
        return count

    async def _announce_tx(
        self, conn: Any, mid: int, group: Group, members: list[User], rule: str | None
    ) -> None:
        m = await self.repo.get_tx(conn, mid)
        assert m is not None
        await self.repo.mark_announced_tx(conn, mid, self.clock.now())
        series = m.series_id is not None
        for user in members:
            with i18n.use_locale(self.lang(user)):
                payload = text_message(
                    chat_of(user),
                    self.member_text(m, group.name, rule),
                    self.rsvp_rows(mid, series=series),
                )
            await Outbox.enqueue_tx(
                conn,
                chat_of(user),
                "sendMessage",
                payload,
                batch=f"meeting:{mid}",
                dedupe_key=f"mt:new:{mid}:{user.id}",
            )
        if group.chat_id:
            with i18n.use_locale(self.settings.default_language):
                payload = text_message(
                    group.chat_id, self.details(m, group.name, rule), self.rsvp_rows(mid, series)
                )
            await Outbox.enqueue_tx(
                conn, group.chat_id, "sendMessage", payload, dedupe_key=f"mt:newchat:{mid}"
            )

    async def extend_series(self, now: datetime) -> int:
        count = 0
        for series in await self.repo.active_series():
            group = await self.group(series.group_id)
            if group is None:
                continue
            members = await self._members(group.id)
            async with self.db.transaction(mark=False) as conn:
                created = len(await self._extend_tx(conn, series, group, members, now))
                announced = await self._announce_next_tx(conn, series, group, members, now)
                count += created
            if created or announced:
                self.outbox.wake()
        return count

    # ----- answers, capacity and the waitlist -----

    async def answer(self, meeting_id: int, user_id: int, code: str) -> AnswerResult | None:
        """code: y | m | n | ok (take the offered place). None when the meeting is gone or past."""
        now = self.clock.now()
        wanted = "yes" if code == "ok" else ANSWERS[code]
        async with self.db.transaction() as conn:
            m = await self.repo.get_tx(conn, meeting_id)
            if m is None or m.status != "published" or self.local(m.starts_at) <= now:
                return None
            before = await self.repo.rsvp_tx(conn, meeting_id, user_id)
            previous = before.answer if before else None
            stored = wanted
            if wanted == "yes" and previous in ("yes", "offered"):
                stored = "yes"
            elif (
                wanted == "yes"
                and m.capacity
                and await self.repo.taken_tx(conn, meeting_id) >= m.capacity
            ):
                stored = "waiting"
            if stored == "waiting" and previous == "waiting":
                return AnswerResult("waiting", m)
            waiting_since = to_db(now) if stored == "waiting" else None
            await self.repo.set_rsvp_tx(conn, meeting_id, user_id, stored, now, waiting_since)
            if previous in ("yes", "offered") and stored not in ("yes",):
                await self._offer_free_place_tx(conn, m, now)
        self.outbox.wake()
        return AnswerResult(stored, m)

    async def _offer_free_place_tx(self, conn: Any, m: Meeting, now: datetime) -> None:
        if not m.capacity:
            return
        while await self.repo.taken_tx(conn, m.id) < m.capacity:
            nxt = await self.repo.first_waiting_tx(conn, m.id)
            if nxt is None:
                return
            until = min(now + timedelta(hours=OFFER_HOURS), self.local(m.starts_at))
            await self.repo.set_rsvp_tx(
                conn, m.id, nxt.user_id, "offered", now, nxt.waiting_since, until
            )
            user = await self.repo.user_tx(conn, nxt.user_id)
            if user is None or not reachable(user):
                continue
            with i18n.use_locale(self.lang(user)):
                text = _(
                    "🎟 A place is free for you at <b>{title}</b> ({when}). Do you take it? Please"
                    " answer before {deadline}."
                ).format(
                    title=esc(self.shown(m.title)),
                    when=self.when_text(m.starts_at),
                    deadline=i18n.format_datetime(until),
                )
                rows = [
                    [
                        Button(_("✅ Yes, I come"), cb("mt", "ok", m.id)),
                        Button(_("❌ No"), cb("mt", "n", m.id)),
                    ]
                ]
                payload = text_message(chat_of(user), text, rows)
            await Outbox.enqueue_tx(
                conn,
                chat_of(user),
                "sendMessage",
                payload,
                dedupe_key=f"mt:offer:{m.id}:{user.id}:{to_db(now)}",
            )

    async def expire_offers(self, now: datetime) -> None:
        for r in await self.repo.expired_offers(now):
            async with self.db.transaction(mark=False) as conn:
                current = await self.repo.rsvp_tx(conn, r.meeting_id, r.user_id)
                if current is None or current.answer != "offered":
                    continue
                await self.repo.set_rsvp_tx(conn, r.meeting_id, r.user_id, "no", now)
                m = await self.repo.get_tx(conn, r.meeting_id)
                if m is not None and m.status == "published" and self.local(m.starts_at) > now:
                    await self._offer_free_place_tx(conn, m, now)
            self.outbox.wake()

    # ----- changes and cancellations -----

    async def change(
        self,
        meeting_id: int,
        *,
        starts_at: datetime | None = None,
        place: str | None = None,
        whole_series: bool = False,
    ) -> int:
        """Changes one meeting or every future one of its series; tells everyone coming what
        changed (old → new). Returns how many meetings changed."""
        now = self.clock.now()
        found = await self._published(meeting_id)
        if found is None:
            return 0
        m, group = found
        if place and self.auto_text is not None:  # the new place in the members' languages
            await self.auto_text.prepare_for_group([place], group.id, m.created_by or 0)
        changed = 0
        async with self.db.transaction() as conn:
            targets = [m]
            if whole_series and m.series_id is not None:
                targets = await self.repo.future_of_series_tx(conn, m.series_id, now)
                fields: dict[str, Any] = {}
                if starts_at is not None:
                    fields["local_time"] = starts_at.astimezone(self.tz).strftime("%H:%M")
                if place is not None:
                    fields["place"] = place
                await self.repo.update_series_tx(conn, m.series_id, **fields)
            for t in targets:
                new_start = None
                if starts_at is not None:
                    if whole_series and t.occurrence_day:
                        local = starts_at.astimezone(self.tz)
                        new_start = datetime.combine(
                            date.fromisoformat(t.occurrence_day), local.time(), tzinfo=self.tz
                        )
                    else:
                        new_start = starts_at
                upd: dict[str, Any] = {}
                if new_start is not None and to_db(new_start) != t.starts_at:
                    upd["starts_at"] = to_db(new_start)
                if place is not None and place != t.place:
                    upd["place"] = place
                if not upd:
                    continue
                await self.repo.update_meeting_tx(conn, t.id, **upd)
                await self._tell_change_tx(
                    conn,
                    t,
                    group,
                    new_start if "starts_at" in upd else None,
                    place if "place" in upd else None,
                )
                changed += 1
        self.outbox.wake()
        return changed

    async def _coming_users_tx(self, conn: Any, meeting_id: int) -> list[User]:
        return [
            u for u in await self.repo.users_answered_tx(conn, meeting_id, COMING) if reachable(u)
        ]

    async def _tell_change_tx(
        self, conn: Any, m: Meeting, group: Group, new_start: datetime | None, new_place: str | None
    ) -> None:
        fresh = await self.repo.get_tx(conn, m.id)
        assert fresh is not None
        every = await self.repo.series_answers_tx(conn, m.series_id) if m.series_id else {}
        for user in await self._coming_users_tx(conn, m.id):
            with i18n.use_locale(self.lang(user)):
                lines = [_("✏️ <b>{title}</b> has changed:").format(title=esc(self.shown(m.title)))]
                if new_start is not None:
                    lines.append(
                        "🕖 "
                        + _("{old} → <b>{new}</b>").format(
                            old=self.when_text(m.starts_at), new=self.when_text(new_start)
                        )
                    )
                if new_place is not None:
                    lines.append(
                        "📍 "
                        + _("{old} → <b>{new}</b>").format(
                            old=esc(self.shown(m.place)), new=esc(self.shown(new_place))
                        )
                    )
                rsvp = await self.repo.rsvp_tx(conn, m.id, user.id)
                text = (
                    "\n".join(lines)
                    + "\n\n"
                    + self.member_text(
                        fresh,
                        group.name,
                        None,
                        rsvp.answer if rsvp else None,
                        every=user.id in every,
                    )
                )
                payload = text_message(
                    chat_of(user),
                    text,
                    self.rsvp_rows(m.id, m.series_id is not None, user.id in every),
                )
                payload = text_message(chat_of(user), text, self.rsvp_rows(m.id))
            key = f"mt:chg:{m.id}:{user.id}:{fresh.sequence}"
            if not (  # a new place is edited into their language once it is translated
                new_place
                and self.auto_text is not None
                and await self.auto_text.swap_tx(
                    conn,
                    chat_id=chat_of(user),
                    payload=payload,
                    text=new_place,
                    target=self.lang(user),
                    subject_id=m.created_by,
                    dedupe_key=key,
                    now=self.clock.now(),
                )
            ):
                await Outbox.enqueue_tx(conn, chat_of(user), "sendMessage", payload, dedupe_key=key)
        if group.chat_id:
            with i18n.use_locale(self.settings.default_language):
                text = (
                    _("✏️ <b>{title}</b> has changed:").format(title=esc(self.shown(m.title)))
                    + "\n\n"
                    + self.details(fresh, group.name)
                )
                payload = text_message(group.chat_id, text)
            await Outbox.enqueue_tx(
                conn,
                group.chat_id,
                "sendMessage",
                payload,
                dedupe_key=f"mt:chgchat:{m.id}:{fresh.sequence}",
            )

    async def _published(self, meeting_id: int) -> tuple[Meeting, Group] | None:
        """A meeting that members were sent (so a change or cancellation reaches them), with its
        group; None for a draft, a cancelled or an unknown one."""
        m = await self.repo.get(meeting_id)
        if m is None or m.status != "published":
            return None
        group = await self.group(m.group_id)
        assert group is not None
        return m, group

    async def cancel(self, meeting_id: int, whole_series: bool = False) -> int:
        now = self.clock.now()
        found = await self._published(meeting_id)
        if found is None:
            return 0
        m, group = found
        count = 0
        async with self.db.transaction() as conn:
            targets = [m]
            if whole_series and m.series_id is not None:
                targets = await self.repo.future_of_series_tx(conn, m.series_id, now)
                await self.repo.update_series_tx(conn, m.series_id, ended_at=to_db(now))
            for t in targets:
                await self.repo.update_meeting_tx(
                    conn, t.id, status="cancelled", cancelled_at=to_db(now)
                )
                for user in await self._coming_users_tx(conn, t.id):
                    with i18n.use_locale(self.lang(user)):
                        text = _(
                            "❌ <b>{title}</b> on {when} is cancelled. It will not take place."
                        ).format(title=esc(self.shown(t.title)), when=self.when_text(t.starts_at))
                        payload = text_message(chat_of(user), text)
                    await Outbox.enqueue_tx(
                        conn,
                        chat_of(user),
                        "sendMessage",
                        payload,
                        dedupe_key=f"mt:cancel:{t.id}:{user.id}",
                    )
                if group.chat_id:
                    with i18n.use_locale(self.settings.default_language):
                        text = _(
                            "❌ <b>{title}</b> on {when} is cancelled. It will not take place."
                        ).format(title=esc(self.shown(t.title)), when=self.when_text(t.starts_at))
                    await Outbox.enqueue_tx(
                        conn,
                        group.chat_id,
                        "sendMessage",
                        text_message(group.chat_id, text),
                        dedupe_key=f"mt:cancelchat:{t.id}",
                    )
                count += 1
        self.outbox.wake()
        return count

    # ----- reminders and the attendance prompt (scheduler) -----

    def reminder_times(
        self, m: Meeting, remind_day: int, remind_hours: int
    ) -> list[tuple[str, datetime, datetime]]:
        """(kind, due, until) — 'day' is the day before at the same local time (23 or 25 hours
        across a DST change), 'hours' is N real hours before."""
        start = self.local(m.starts_at)
        out = []
        hours_due = start - timedelta(hours=remind_hours) if remind_hours else None
        if remind_day:
            wall = start.replace(tzinfo=None) - timedelta(days=1)
            out.append(("day", wall.replace(tzinfo=self.tz), hours_due or start))
        if hours_due is not None:
            out.append(("hours", hours_due, start))
        return out

    def reminder_head(self, m: Meeting, now: datetime) -> str:
        """The reminder's first line, so the two reminders do not look the same: "tomorrow at
        19:00" the day before, "today, in 2 hours" on the day (hours as they are at sending)."""
        start = self.local(m.starts_at)
        if start.date() == now.astimezone(self.tz).date():
            n = max(1, round((start - now).total_seconds() / 3600))
            return i18n.ngettext(
                "⏰ Reminder: today, in {n} hour ({time})",
                "⏰ Reminder: today, in {n} hours ({time})",
                n,
            ).format(n=n, time=format_time(start))
        return _("⏰ Reminder: tomorrow at {time}").format(time=format_time(start))

    async def send_reminders(self, now: datetime) -> int:
        settings = await self.repo.all_settings()
        sent = 0
        for m in await self.repo.starting_between(now, now + timedelta(hours=26)):
            gs = settings.get(m.group_id)
            day, hours = (gs.remind_day, gs.remind_hours) if gs else (1, 2)
            due_kinds = [
                (k, due)
                for k, due, until in self.reminder_times(m, day, hours)
                if due <= now < until
            ]
            if not due_kinds:
                continue
            rsvps = [r for r in await self.repo.rsvps(m.id) if r.answer in ("yes", "maybe")]
            users = {u.id: u for u in await self.users.many([r.user_id for r in rsvps])}
            group = await self.group(m.group_id)
            async with self.db.transaction(mark=False) as conn:
                every = await self.repo.series_answers_tx(conn, m.series_id) if m.series_id else {}
                for kind, due in due_kinds:
                    for r in rsvps:
                        if self.local(r.answered_at) > due:
                            continue  # answered after the reminder was due: they know already
                        user = users.get(r.user_id)
                        if user is None or not reachable(user):
                            continue
                        with i18n.use_locale(self.lang(user)):
                            text = (
                                self.reminder_head(m, now)
                                + "\n\n"
                                + self.member_text(
                                    m,
                                    group.name if group else "",
                                    None,
                                    r.answer,
                                    every=user.id in every,
                                )
                            )
                            payload = text_message(
                                chat_of(user),
                                text,
                                self.rsvp_rows(m.id, m.series_id is not None, user.id in every),
                            )
                        if await Outbox.enqueue_tx(
                            conn,
                            chat_of(user),
                            "sendMessage",
                            payload,
                            dedupe_key=f"mt:rem:{m.id}:{user.id}:{kind}:{m.starts_at}",
                        ):
                            sent += 1
        if sent:
            self.outbox.wake()
        return sent

    async def prompt_attendance(self, now: datetime) -> None:
        for m in await self.repo.starting_between(now - timedelta(days=2), now):
            if (
                m.attendance_at is not None
                or self.local(m.starts_at) + timedelta(minutes=m.duration_min) > now
            ):
                continue
            group = await self.group(m.group_id)
            if group is None:
                continue
            managers = [
                u for u in await self.users.many(await self.manager_ids(group)) if reachable(u)
            ]
            async with self.db.transaction(mark=False) as conn:
                for user in managers:
                    with i18n.use_locale(self.lang(user)):
                        text = _("How did <b>{title}</b> go? Tap to note who came.").format(
                            title=esc(self.shown(m.title))
                        )
                        payload = text_message(
                            chat_of(user), text, [[Button(_("✔ Who came"), cb("mt", "a", m.id))]]
                        )
                    await Outbox.enqueue_tx(
                        conn,
                        chat_of(user),
                        "sendMessage",
                        payload,
                        dedupe_key=f"mt:att:{m.id}:{user.id}",
                    )
            self.outbox.wake()

    async def tick(self, now: datetime) -> None:
        await self.extend_series(now)
        await self.expire_offers(now)
        await self.send_reminders(now)
        await self.prompt_attendance(now)

    # ----- attendance -----

    async def start_attendance(self, meeting_id: int) -> None:
        async with self.db.transaction() as conn:
            await self.repo.start_attendance_tx(conn, meeting_id, self.clock.now())

    async def toggle_attendance(self, meeting_id: int, user_id: int) -> bool:
        async with self.db.transaction() as conn:
            return await self.repo.toggle_attendance_tx(conn, meeting_id, user_id)

    async def set_notes(self, meeting_id: int, notes: str) -> None:
        async with self.db.transaction() as conn:
            await self.repo.update_meeting_tx(conn, meeting_id, notes=notes)

    async def set_reminders(self, group_id: int, remind_day: int, remind_hours: int) -> None:
        async with self.db.transaction() as conn:
            await self.repo.set_settings_tx(conn, group_id, remind_day, remind_hours)

    # ----- calendar file -----

    def ics(self, m: Meeting, group_name: str) -> bytes:
        cal = icalendar.Calendar()
        cal.add("prodid", "-//Buurtbot//meetings//EN")
        cal.add("version", "2.0")
        cal.add("method", "PUBLISH")
        ev = icalendar.Event()
        start = self.local(m.starts_at)
        ev.add("uid", f"meeting-{m.id}@buurtbot")
        ev.add("dtstamp", self.clock.now().astimezone(self.tz).replace(microsecond=0))
        ev.add("dtstart", start)
        ev.add("dtend", start + timedelta(minutes=m.duration_min))
        ev.add("summary", m.title)
        ev.add("location", m.place)
        ev.add("sequence", m.sequence)
        desc = group_name + ("\n" + m.agenda if m.agenda else "")
        ev.add("description", desc)
        if m.status == "cancelled":
            ev.add("status", "CANCELLED")
        cal.add_component(ev)
        cal.add_missing_timezones()
        return cal.to_ical()

    # ----- date polls -----

    async def publish_poll(self, draft: Draft, options: list[datetime], by: int) -> int:
        now = self.clock.now()
        group = await self.group(draft.group_id)
        assert group is not None
        members = await self._members(group.id)
        async with self.db.transaction() as conn:
            pid = await self.repo.insert_poll_tx(
                conn,
                group.id,
                draft.title,
                draft.place,
                draft.agenda,
                draft.capacity,
                sorted(options),
                by,
                now,
            )
            opts = await self.repo.poll_options_tx(conn, pid)
            for user in members:
                with i18n.use_locale(self.lang(user)):
                    payload = text_message(
                        chat_of(user),
                        self.poll_text(draft.title, group.name, draft.place, draft.agenda),
                        self.poll_rows(pid, opts, set()),
                    )
                await Outbox.enqueue_tx(
                    conn,
                    chat_of(user),
                    "sendMessage",
                    payload,
                    dedupe_key=f"mp:new:{pid}:{user.id}",
                )
        self.outbox.wake()
        return pid

    def poll_text(self, title: str, group_name: str, place: str, agenda: str | None = None) -> str:
        # The agenda too: what the evening is about is why people vote at all.
        about = f"📝 {esc(agenda)}\n" if agenda else ""
        return f"🗳 <b>{esc(title)}</b>\n👥 {esc(group_name)}\n📍 {esc(place)}\n{about}\n" + _(
            "When can you come? Tap every date that suits you."
        )

    def poll_rows(self, poll_id: int, options: list[Any], mine: set[int]) -> list[list[Button]]:
        rows = []
        for o in options:
            local = self.local(o.starts_at)
            mark = "☑️" if o.id in mine else "⬜"
            rows.append(
                [
                    Button(
                        f"{mark} {format_short_date(local)} {format_time(local)}",
                        cb("mp", "v", poll_id, o.id),
                    )
                ]
            )
        return rows

    async def vote(self, poll_id: int, option_id: int, user_id: int) -> set[int] | None:
        poll = await self.repo.poll(poll_id)
        if poll is None or poll.status != "open":
            return None
        options = {o.id for o in await self.repo.poll_options(poll_id)}
        if option_id not in options:
            return None
        async with self.db.transaction() as conn:
            await self.repo.toggle_vote_tx(conn, option_id, user_id)
        votes = await self.repo.votes(poll_id)
        return {opt for opt, users in votes.items() if user_id in users}

    async def pick(self, poll: Poll, option_id: int, by: int) -> int | None:
        opts = {o.id: o for o in await self.repo.poll_options(poll.id)}
        if option_id not in opts or poll.status != "open":
            return None
        draft = Draft(
            poll.group_id,
            poll.title,
            self.local(opts[option_id].starts_at),
            poll.place,
            poll.agenda,
            poll.capacity,
        )
        ids = await self.publish(draft, by, close_poll=poll.id)
        return ids[0]
