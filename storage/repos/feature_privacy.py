"""Personal data kept by meetings, action calls and volunteer rosters: export, /forget, retention.

Functions taking ``conn`` run inside the caller's transaction (the one /forget transaction, or a
retention batch); the export functions read through ``Database``.

Anonymisation rule: an answer that only matters as a number (an RSVP, attendance, a poll vote,
an action-call answer) is folded into ``anonymous_tallies`` and its row deleted, so nothing links
it to anyone. Volunteer shifts stay (their hours are needed for the yearly hours list) but after
/forget they point at the person's empty users row (no name, no Telegram id), which the hours
list shows as "(removed)".
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import Database
from storage.repos import dict_rows
from storage.timestamps import to_db

REMOVED = "(removed)"


# ----- shared -----


async def _all(conn: aiosqlite.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


async def fold_tx(
    conn: aiosqlite.Connection, kind: str, select_sql: str, params: tuple[Any, ...]
) -> None:
    """Add (object_id, label, n) rows from ``select_sql`` to the anonymous tallies."""
    await conn.execute(
        "INSERT INTO anonymous_tallies (kind, object_id, label, n)"
        f" SELECT ?, object_id, label, n FROM ({select_sql}) WHERE true"
        " ON CONFLICT (kind, object_id, label) DO UPDATE SET n = n + excluded.n",
        (kind, *params),
    )


async def fold_and_delete_tx(
    conn: aiosqlite.Connection,
    kind: str,
    table: str,
    counted: str,
    where: str,
    params: tuple[Any, ...],
) -> None:
    """The anonymisation rule for rows that only matter as a number: the rows of ``table``
    matching ``where`` are added to the anonymous tallies (``counted``: the SQL for
    "object_id, label" they are counted by) and deleted."""
    await fold_tx(
        conn,
        kind,
        f"SELECT {counted}, COUNT(*) AS n FROM {table} WHERE {where} GROUP BY object_id, label",
        params,
    )
    await conn.execute(f"DELETE FROM {table} WHERE {where}", params)


async def mark_anonymised_tx(
    conn: aiosqlite.Connection, table: str, ids: list[int], now: datetime
) -> None:
    marks = ",".join("?" * len(ids))
    await conn.execute(
        f"UPDATE {table} SET anonymised_at = ? WHERE id IN ({marks}) AND anonymised_at IS NULL",
        (to_db(now), *ids),
    )


async def tallies(db_or_conn: Any, kind: str, object_ids: list[int]) -> dict[tuple[int, str], int]:
    if not object_ids:
        return {}
    marks = ",".join("?" * len(object_ids))
    rows = await dict_rows(
        db_or_conn,
        "SELECT object_id, label, n FROM anonymous_tallies WHERE kind = ? AND object_id IN"
        f" ({marks})",
        (kind, *object_ids),
    )
    return {(r["object_id"], r["label"]): r["n"] for r in rows}


async def user_names_tx(conn: aiosqlite.Connection, user_id: int) -> list[str | None]:
    """First name, last name and username of a person (empty when there is no such person)."""
    async with conn.execute(
        "SELECT first_name, last_name, username FROM users WHERE id = ?", (user_id,)
    ) as cur:
        row = await cur.fetchone()
    return list(row) if row else []


async def group_name_tx(conn: aiosqlite.Connection, group_id: int) -> str:
    async with conn.execute("SELECT name FROM groups WHERE id = ?", (group_id,)) as cur:
        row = await cur.fetchone()
    return row[0] if row else ""


def name_pattern(names: list[str | None]) -> re.Pattern[str] | None:
    """Whole-word, case-insensitive match of a person's first/last/user name (2+ letters)."""
    words = sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(
        r"(?<!\w)@?(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE
    )


async def scrub_names_tx(
    conn: aiosqlite.Connection, table: str, column: str, pattern: re.Pattern[str] | None
) -> int:
    """Free texts typed by others (meeting notes, task notes) that name the person."""
    if pattern is None:
        return 0
    changed = 0
    for rowid, text in await _all(
        conn, f"SELECT rowid, {column} FROM {table} WHERE {column} IS NOT NULL"
    ):
        new = pattern.sub(REMOVED, text)
        if new != text:
            await conn.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (new, rowid))
            changed += 1
    return changed


# ----- meetings -----


async def export_meetings(db: Database, user_id: int) -> dict[str, Any]:
    return {
        "answers": await dict_rows(
            db,
            "SELECT m.title, g.name AS group_name, m.starts_at, m.status, r.answer, r.answered_at,"
            " r.waiting_since AS on_waiting_list_since, r.offer_until AS place_offered_until"
            " FROM meeting_rsvps r JOIN meetings m ON m.id = r.meeting_id JOIN groups g ON g.id ="
            " m.group_id"
            " WHERE r.user_id = ? ORDER BY m.starts_at",
            (user_id,),
        ),
        "series_answers": await dict_rows(
            db,
            "SELECT s.title, g.name AS group_name, s.rule, a.answer, a.answered_at"
            " FROM meeting_series_answers a JOIN meeting_series s ON s.id = a.series_id"
            " JOIN groups g ON g.id = s.group_id WHERE a.user_id = ? ORDER BY a.answered_at",
            (user_id,),
        ),
        "attended": await dict_rows(
            db,
            "SELECT m.title, g.name AS group_name, m.starts_at FROM meeting_attendance a"
            " JOIN meetings m ON m.id = a.meeting_id JOIN groups g ON g.id = m.group_id"
            " WHERE a.user_id = ? ORDER BY m.starts_at",
            (user_id,),
        ),
        "date_poll_votes": await dict_rows(
            db,
            "SELECT p.title, g.name AS group_name, o.starts_at AS date_you_can FROM"
            " date_poll_votes v"
            " JOIN date_poll_options o ON o.id = v.option_id JOIN date_polls p ON p.id = o.poll_id"
            " JOIN groups g ON g.id = p.group_id WHERE v.user_id = ? ORDER BY o.starts_at",
            (user_id,),
        ),
        "meetings_you_planned": await dict_rows(
            db,
            "SELECT title, place, starts_at, notes FROM meetings WHERE created_by = ? ORDER BY"
            " starts_at",
            (user_id,),
        ),
        "series_you_planned": await dict_rows(
            db,
            "SELECT title, place, rule, local_time FROM meeting_series WHERE created_by = ? ORDER"
            " BY id",
            (user_id,),
        ),
        "date_polls_you_made": await dict_rows(
            db,
            "SELECT title, place, status FROM date_polls WHERE created_by = ? ORDER BY id",
            (user_id,),
        ),
    }


async def future_rsvps_tx(
    conn: aiosqlite.Connection, user_id: int, now: datetime
) -> list[tuple[int, str]]:
    """(meeting id, answer) of the person's answers to meetings still to come."""
    rows = await _all(
        conn,
        "SELECT r.meeting_id, r.answer FROM meeting_rsvps r JOIN meetings m ON m.id = r.meeting_id"
        " WHERE r.user_id = ? AND m.status = 'published' AND m.starts_at > ?",
        (user_id, to_db(now)),
    )
    return [(r[0], r[1]) for r in rows]


_RSVP = "meeting_id AS object_id, answer AS label"
_ATTENDED = "meeting_id AS object_id, '' AS label"


async def forget_meetings_tx(conn: aiosqlite.Connection, user_id: int, now: datetime) -> None:
    """Future answers are deleted (the caller frees their places first); past answers,
    attendance and votes of closed polls become anonymous tallies; open-poll votes go."""
    stamp = to_db(now)
    await conn.execute("DELETE FROM meeting_series_answers WHERE user_id = ?", (user_id,))
    await conn.execute(
        "DELETE FROM meeting_rsvps WHERE user_id = ? AND meeting_id IN"
        " (SELECT id FROM meetings WHERE status = 'published' AND starts_at > ?)",
        (user_id, stamp),
    )
    await fold_and_delete_tx(
        conn, "meeting_rsvp", "meeting_rsvps", _RSVP, "user_id = ?", (user_id,)
    )
    await fold_and_delete_tx(
        conn, "meeting_attended", "meeting_attendance", _ATTENDED, "user_id = ?", (user_id,)
    )
    await fold_tx(
        conn,
        "poll_vote",
        "SELECT v.option_id AS object_id, '' AS label, COUNT(*) AS n FROM date_poll_votes v"
        " JOIN date_poll_options o ON o.id = v.option_id JOIN date_polls p ON p.id = o.poll_id"
        " WHERE v.user_id = ? AND p.status = 'closed' GROUP BY v.option_id",
        (user_id,),
    )
    await conn.execute("DELETE FROM date_poll_votes WHERE user_id = ?", (user_id,))
    for table in ("meeting_series", "meetings", "date_polls"):
        await conn.execute(f"UPDATE {table} SET created_by = NULL WHERE created_by = ?", (user_id,))


async def meetings_due_for_retention(db: Database, cutoff: datetime, limit: int = 200) -> list[int]:
    rows = await db.fetchall(
        "SELECT id FROM meetings WHERE anonymised_at IS NULL AND starts_at < ? ORDER BY starts_at"
        " LIMIT ?",
        (to_db(cutoff), limit),
    )
    return [r[0] for r in rows]


async def anonymise_meetings_tx(conn: aiosqlite.Connection, ids: list[int], now: datetime) -> None:
    where = f"meeting_id IN ({','.join('?' * len(ids))})"
    await fold_and_delete_tx(conn, "meeting_rsvp", "meeting_rsvps", _RSVP, where, tuple(ids))
    await fold_and_delete_tx(
        conn, "meeting_attended", "meeting_attendance", _ATTENDED, where, tuple(ids)
    )
    await mark_anonymised_tx(conn, "meetings", ids, now)


async def anonymise_old_poll_votes_tx(conn: aiosqlite.Connection, cutoff: datetime) -> None:
    """Votes for dates older than the cut-off (open or closed polls): tallies. Idempotent: the
    rows are gone after the first run."""
    sel = (
        "SELECT v.option_id AS object_id, '' AS label, COUNT(*) AS n FROM date_poll_votes v"
        " JOIN date_poll_options o ON o.id = v.option_id WHERE o.starts_at < ? GROUP BY v.option_id"
    )
    await fold_tx(conn, "poll_vote", sel, (to_db(cutoff),))
    await conn.execute(
        "DELETE FROM date_poll_votes WHERE option_id IN (SELECT id FROM date_poll_options WHERE"
        " starts_at < ?)",
        (to_db(cutoff),),
    )


# ----- action calls -----


async def export_actions(db: Database, user_id: int) -> dict[str, Any]:
    return {
        "calls_you_got": await dict_rows(
            db,
            "SELECT a.what, a.place, a.starts_at, a.state, g.name AS via_group, r.answer,"
            " ro.name AS role, r.answered_at FROM action_recipients r JOIN actions a ON a.id ="
            " r.action_id"
            " LEFT JOIN groups g ON g.id = r.group_id LEFT JOIN action_roles ro ON ro.id ="
            " r.role_id"
            " WHERE r.user_id = ? ORDER BY a.starts_at",
            (user_id,),
        ),
        "muted_groups": await dict_rows(
            db,
            "SELECT g.name AS group_name, x.muted_at FROM action_mutes x JOIN groups g ON g.id ="
            " x.group_id"
            " WHERE x.user_id = ? ORDER BY x.muted_at",
            (user_id,),
        ),
        "all_calls_muted": await dict_rows(
            db, "SELECT muted_at FROM action_mutes_all WHERE user_id = ?", (user_id,)
        ),
        "calls_you_sent": await dict_rows(
            db,
            "SELECT what, place, starts_at, why, bring, state, total AS sent_to FROM actions"
            " WHERE created_by = ? ORDER BY starts_at",
            (user_id,),
        ),
    }


async def future_answered_actions_tx(
    conn: aiosqlite.Connection, user_id: int, now: datetime
) -> list[int]:
    rows = await _all(
        conn,
        "SELECT r.action_id FROM action_recipients r JOIN actions a ON a.id = r.action_id"
        " WHERE r.user_id = ? AND a.state = 'sent' AND a.starts_at > ? AND r.answer IS NOT NULL",
        (user_id, to_db(now)),
    )
    return [r[0] for r in rows]


_ANSWER = (
    "action_id AS object_id, COALESCE(answer, 'none') || ':' || COALESCE(role_id, '') AS label"
)


async def forget_actions_tx(conn: aiosqlite.Connection, user_id: int, now: datetime) -> None:
    """Calls still to come: their answer is withdrawn (the role place is free again). Past or
    cancelled calls: the answer becomes an anonymous tally. Mutes go."""
    await conn.execute(
        "DELETE FROM action_recipients WHERE user_id = ? AND action_id IN"
        " (SELECT id FROM actions WHERE state = 'sent' AND starts_at > ?)",
        (user_id, to_db(now)),
    )
    await fold_and_delete_tx(
        conn, "action_answer", "action_recipients", _ANSWER, "user_id = ?", (user_id,)
    )
    await conn.execute("DELETE FROM action_mutes WHERE user_id = ?", (user_id,))
    await conn.execute("DELETE FROM action_mutes_all WHERE user_id = ?", (user_id,))
    await conn.execute("UPDATE actions SET created_by = NULL WHERE created_by = ?", (user_id,))


async def actions_due_for_retention(db: Database, cutoff: datetime, limit: int = 200) -> list[int]:
    rows = await db.fetchall(
        "SELECT id FROM actions WHERE anonymised_at IS NULL AND starts_at < ? ORDER BY starts_at"
        " LIMIT ?",
        (to_db(cutoff), limit),
    )
    return [r[0] for r in rows]


async def anonymise_actions_tx(conn: aiosqlite.Connection, ids: list[int], now: datetime) -> None:
    where = f"action_id IN ({','.join('?' * len(ids))})"
    await fold_and_delete_tx(conn, "action_answer", "action_recipients", _ANSWER, where, tuple(ids))
    await mark_anonymised_tx(conn, "actions", ids, now)


# ----- volunteer rosters -----


async def export_rosters(db: Database, user_id: int) -> dict[str, Any]:
    shifts = await dict_rows(
        db,
        "SELECT t.title AS task, g.name AS group_name, s.day, s.starts_at, s.ends_at, x.state,"
        " x.signed_at, x.stepped_back_at, x.reason AS step_back_reason,"
        " x.reason_code AS step_back_reason_code, x.attended,"
        " s.attendance_at IS NOT NULL AS attendance_confirmed,"
        " ROUND((julianday(s.ends_at) - julianday(s.starts_at)) * 24, 2) AS length_hours"
        " FROM roster_shifts x JOIN roster_slots s ON s.id = x.slot_id JOIN roster_tasks t ON t.id"
        " = s.task_id"
        " JOIN groups g ON g.id = t.group_id WHERE x.user_id = ? ORDER BY s.starts_at",
        (user_id,),
    )
    confirmed = sum(
        r["length_hours"]
        for r in shifts
        if r["state"] == "signed" and r["attendance_confirmed"] and r["attended"] == 1
    )
    return {
        "volunteer_in": await dict_rows(
            db,
            "SELECT g.name AS group_name, v.joined_at FROM roster_volunteers v JOIN groups g ON"
            " g.id = v.group_id"
            " WHERE v.user_id = ? ORDER BY v.joined_at",
            (user_id,),
        ),
        "shifts": shifts,
        "confirmed_hours": round(confirmed, 2),
        "take_overs": await dict_rows(
            db,
            "SELECT t.title AS task, s.day, k.created_at, k.taken_at,"
            " CASE WHEN k.from_user_id = ? THEN 'you stepped back' ELSE 'you took it over' END AS"
            " what"
            " FROM roster_takeovers k JOIN roster_slots s ON s.id = k.slot_id JOIN roster_tasks t"
            " ON t.id = s.task_id"
            " WHERE k.from_user_id = ? OR k.taken_by = ? ORDER BY k.created_at",
            (user_id, user_id, user_id),
        ),
        "asked_to_take_over": await dict_rows(
            db,
            "SELECT t.title AS task, s.day, a.language FROM roster_takeover_asks a"
            " JOIN roster_takeovers k ON k.id = a.takeover_id JOIN roster_slots s ON s.id ="
            " k.slot_id"
            " JOIN roster_tasks t ON t.id = s.task_id WHERE a.user_id = ? ORDER BY s.day",
            (user_id,),
        ),
        "tasks_you_made": await dict_rows(
            db,
            "SELECT title, place, note, rule FROM roster_tasks WHERE created_by = ? ORDER BY id",
            (user_id,),
        ),
    }


async def future_signed_slots_tx(
    conn: aiosqlite.Connection, user_id: int, now: datetime
) -> list[int]:
    rows = await _all(
        conn,
        "SELECT x.slot_id FROM roster_shifts x JOIN roster_slots s ON s.id = x.slot_id"
        " WHERE x.user_id = ? AND x.state = 'signed' AND s.cancelled_at IS NULL AND s.starts_at > ?"
        " ORDER BY s.starts_at",
        (user_id, to_db(now)),
    )
    return [r[0] for r in rows]


async def forget_rosters_tx(conn: aiosqlite.Connection, user_id: int, now: datetime) -> None:
    """Future shifts are deleted (the caller asks for a take-over first); past shifts keep their
    hours, without the typed step-back reason; take-over links and questions go."""
    stamp = to_db(now)
    await conn.execute("DELETE FROM roster_volunteers WHERE user_id = ?", (user_id,))
    await conn.execute(
        "DELETE FROM roster_shifts WHERE user_id = ? AND slot_id IN (SELECT id FROM roster_slots"
        " WHERE starts_at > ?)",
        (user_id, stamp),
    )
    # A past step-back counts for nothing in the hours: the row itself goes.
    await conn.execute(
        "DELETE FROM roster_shifts WHERE user_id = ? AND state = 'stepped_back'", (user_id,)
    )
    await conn.execute(
        "UPDATE roster_shifts SET reason = NULL, reason_code = NULL WHERE user_id = ?", (user_id,)
    )
    await conn.execute("DELETE FROM roster_takeover_asks WHERE user_id = ?", (user_id,))
    await conn.execute("DELETE FROM roster_calls WHERE user_id = ?", (user_id,))
    await conn.execute(
        "UPDATE roster_takeovers SET from_user_id = NULL WHERE from_user_id = ?", (user_id,)
    )
    # A take-over they took is done: it must not look open to the time-out job.
    await conn.execute(
        "UPDATE roster_takeovers SET taken_by = NULL, expired_at = COALESCE(expired_at, taken_at,"
        " ?)"
        " WHERE taken_by = ?",
        (stamp, user_id),
    )
    await conn.execute("UPDATE roster_tasks SET created_by = NULL WHERE created_by = ?", (user_id,))


async def anonymise_old_roster_traces_tx(
    conn: aiosqlite.Connection, cutoff: datetime, now: datetime
) -> None:
    """Step-back reasons and who stepped back / took over, for slots older than the cut-off; the
    take-over questions (they hold a chat id) once their slot has started. Idempotent."""
    old = "(SELECT id FROM roster_slots WHERE starts_at < ?)"
    await conn.execute(
        f"UPDATE roster_shifts SET reason = NULL, reason_code = NULL"
        f" WHERE (reason IS NOT NULL OR reason_code IS NOT NULL) AND slot_id IN {old}",
        (to_db(cutoff),),
    )
    await conn.execute(
        "DELETE FROM roster_calls WHERE slot_id IN (SELECT id FROM roster_slots"
        " WHERE starts_at < ?)",
        (to_db(now),),
    )
    await conn.execute(
        f"UPDATE roster_takeovers SET from_user_id = NULL, taken_by = NULL,"
        f" expired_at = COALESCE(expired_at, taken_at, ?)"
        f" WHERE (from_user_id IS NOT NULL OR taken_by IS NOT NULL) AND slot_id IN {old}",
        (to_db(now), to_db(cutoff)),
    )
    await conn.execute(
        "DELETE FROM roster_takeover_asks WHERE takeover_id IN (SELECT k.id FROM roster_takeovers k"
        " JOIN roster_slots s ON s.id = k.slot_id WHERE s.starts_at < ?)",
        (to_db(now),),
    )
