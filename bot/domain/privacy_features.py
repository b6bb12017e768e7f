"""/mydata, /forget and retention for meetings, action calls and volunteer rosters.

The privacy module owns these three parts (one place to read what is kept and how it goes);
the SQL lives in storage/repos/feature_privacy.py. Each forget function runs inside the ONE
/forget transaction, before the core tables are cleared, and frees what the person held by the
feature's own rules:

- meetings: a Yes (or a held offer) to a meeting still to come is withdrawn and the place is
  offered to the first person on the waiting list (MeetingsService._offer_free_place_tx);
- action calls: a "coming" answer to a call still to come is withdrawn; the organiser's live
  view is refreshed with the new counts;
- rosters: a shift still to come is freed and, like a step-back, the group's free volunteers are
  asked to take over; the organiser hears "a volunteer can no longer come" without a name.

Nothing told to others names the person.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.core.i18n import _, ngettext
from bot.core.settings import Settings
from bot.core.ui import Button, cb, esc
from bot.domain.actions import ActionsService
from bot.domain.meetings import MeetingsService
from bot.domain.privacy import PersonalData
from bot.domain.rosters import RosterService
from storage.db import Database
from storage.repos import feature_privacy as fp

log = logging.getLogger(__name__)


def feature_parts(
    meetings: MeetingsService, actions: ActionsService, rosters: RosterService
) -> list[PersonalData]:
    """The /mydata and /forget parts of meetings, action calls and rosters."""
    return [meetings_part(meetings), actions_part(actions), rosters_part(rosters)]


# ----- meetings -----


def meetings_part(meetings: MeetingsService) -> PersonalData:
    async def forget(conn: aiosqlite.Connection, user_id: int, now: datetime) -> None:
        held = [
            mid
            for mid, answer in await fp.future_rsvps_tx(conn, user_id, now)
            if answer in ("yes", "offered")
        ]
        names = await fp.user_names_tx(conn, user_id)
        await fp.forget_meetings_tx(conn, user_id, now)
        # Their place goes to the waiting list, as when someone says No.
        for mid in held:
            m = await meetings.repo.get_tx(conn, mid)
            if m is not None:
                await meetings._offer_free_place_tx(conn, m, now)
        await fp.scrub_names_tx(conn, "meetings", "notes", fp.name_pattern(names))

    return PersonalData("meetings", fp.export_meetings, forget)


# ----- action calls -----


def actions_part(actions: ActionsService) -> PersonalData:
    async def forget(conn: aiosqlite.Connection, user_id: int, now: datetime) -> None:
        answered = await fp.future_answered_actions_tx(conn, user_id, now)
        await fp.forget_actions_tx(conn, user_id, now)
        # The live view shows the new counts (reads join this task's transaction).
        for aid in answered:
            try:
                await actions.refresh_status(aid)
            except Exception:  # a stale view must never block removing someone's data
                log.exception("privacy: could not refresh the live view of action %s", aid)

    return PersonalData("actions", fp.export_actions, forget)


# ----- volunteer rosters -----


def rosters_part(rosters: RosterService) -> PersonalData:
    async def forget(conn: aiosqlite.Connection, user_id: int, now: datetime) -> None:
        slots = await fp.future_signed_slots_tx(conn, user_id, now)
        names = await fp.user_names_tx(conn, user_id)
        await fp.forget_rosters_tx(conn, user_id, now)
        await fp.scrub_names_tx(conn, "roster_tasks", "note", fp.name_pattern(names))
        for slot_id in slots:
            await _ask_takeover_tx(rosters, conn, slot_id, user_id, now)

    return PersonalData("rosters", fp.export_rosters, forget)


async def _ask_takeover_tx(
    rosters: RosterService, conn: aiosqlite.Connection, slot_id: int, gone_id: int, now: datetime
) -> None:
    """The roster's step-back rule for a freed shift, without the name or a reason."""
    from bot.domain.rosters import count_text, slot_block, slot_day_time, slot_when

    repo = rosters.repo
    slot = await repo.slot(slot_id, conn)
    if slot is None or slot.cancelled_at or slot.start <= now or slot.signed >= slot.needed:
        return
    group_name = await fp.group_name_tx(conn, slot.group_id)
    expires = min(now + timedelta(hours=rosters.settings.roster_takeover_hours), slot.start)
    # No one to name: from_user_id is NULL (the column allows it; the repository's hint says int).
    takeover_id = await repo.create_takeover_tx(
        conn,
        slot.slot_id,
        None,  # type: ignore[arg-type]
        now,
        expires,
    )
    asked = 0
    for other in await repo.free_volunteers(conn, slot.group_id, slot.start, slot.end):
        if other.id == gone_id:
            continue
        lang = rosters.lang_of(other)

        def ask(slot: Any = slot) -> tuple[str, list[list[Button]]]:
            text = (
                _("🙋 Who can take over {day_time}?").format(day_time=slot_day_time(slot))
                + "\n\n"
                + slot_block(slot)
                + "\n"
                + _("Group: {group}").format(group=esc(group_name))
            )
            return text, [[Button(_("✋ I'll take it"), cb("tk", "take", takeover_id))]]

        if await rosters._tell(
            conn,
            other,
            ask,
            ref=f"rtk:{takeover_id}:{other.id}",
            dedupe_key=f"roster:tk:{takeover_id}:{other.id}",
        ):
            await repo.add_ask_tx(conn, takeover_id, other.id, other.tg_id or 0, lang)
            asked += 1
    for manager in await repo.managers(slot.group_id, conn):
        if manager.id == gone_id:
            continue

        def told(slot: Any = slot, asked: int = asked) -> tuple[str, list[list[Button]]]:
            text = _("↩️ A volunteer can no longer come to {when}.").format(when=slot_when(slot))
            text += (
                "\n"
                + slot_block(slot)
                + "\n"
                + count_text(slot)
                + "\n"
                + ngettext(
                    "I asked {n} free volunteer to take over.",
                    "I asked {n} free volunteers to take over.",
                    asked,
                ).format(n=asked)
            )
            return text, []

        await rosters._tell(
            conn, manager, told, dedupe_key=f"roster:gone:{takeover_id}:{manager.id}"
        )


# ----- retention -----


async def run_retention(db: Database, settings: Settings, now: datetime) -> int:
    """Answers to meetings and action calls older than RETENTION_DAYS become anonymous tallies;
    old step-back reasons and take-over links go. Idempotent: only rows not yet done are read."""
    cutoff = now - timedelta(days=settings.retention_days)
    done = 0
    while ids := await fp.meetings_due_for_retention(db, cutoff):
        async with db.transaction(mark=False) as conn:
            await fp.anonymise_meetings_tx(conn, ids, now)
        done += len(ids)
    while ids := await fp.actions_due_for_retention(db, cutoff):
        async with db.transaction(mark=False) as conn:
            await fp.anonymise_actions_tx(conn, ids, now)
        done += len(ids)
    async with db.transaction(mark=False) as conn:
        await fp.anonymise_old_poll_votes_tx(conn, cutoff)
        await fp.anonymise_old_roster_traces_tx(conn, cutoff, now)
    if done:
        log.info(
            "privacy: answers of %d meetings and action calls before %s made anonymous",
            done,
            cutoff.date(),
        )
    return done
