"""Meetings, their series, RSVPs (with waitlist), attendance, reminder settings and date polls.

Methods ending in ``_tx`` run inside the caller's transaction (with the outbox rows it queues);
the others read on their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import aiosqlite

from storage.db import Database
from storage.repos import row_to
from storage.repos.users import User
from storage.timestamps import to_db


@dataclass(frozen=True)
class Series:
    id: int
    group_id: int
    rule: str
    local_time: str
    first_day: str
    title: str
    place: str
    agenda: str | None
    capacity: int | None
    created_by: int | None
    created_at: str
    ended_at: str | None


@dataclass(frozen=True)
class Meeting:
    id: int
    group_id: int
    series_id: int | None
    occurrence_day: str | None
    title: str
    place: str
    agenda: str | None
    capacity: int | None
    starts_at: str
    duration_min: int
    status: str
    sequence: int
    notes: str | None
    attendance_at: str | None
    created_by: int | None
    created_at: str
    cancelled_at: str | None
    announced_at: str | None = None  # when members were sent it (a series: when it was next)


@dataclass(frozen=True)
class Rsvp:
    meeting_id: int
    user_id: int
    answer: str
    answered_at: str
    waiting_since: str | None
    offer_until: str | None


@dataclass(frozen=True)
class GroupSettings:
    group_id: int
    remind_day: int = 1
    remind_hours: int = 2


@dataclass(frozen=True)
class Poll:
    id: int
    group_id: int
    title: str
    place: str
    agenda: str | None
    capacity: int | None
    status: str
    meeting_id: int | None
    created_by: int | None
    created_at: str


@dataclass(frozen=True)
class PollOption:
    id: int
    poll_id: int
    starts_at: str


async def _one(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()
) -> aiosqlite.Row | None:
    async with conn.execute(sql, tuple(params)) as cur:
        return await cur.fetchone()


async def _all(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()
) -> list[aiosqlite.Row]:
    async with conn.execute(sql, tuple(params)) as cur:
        return list(await cur.fetchall())


_MEETING_FIELDS = {
    "title",
    "place",
    "agenda",
    "capacity",
    "starts_at",
    "status",
    "notes",
    "cancelled_at",
}


class MeetingsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ----- series -----

    @staticmethod
    async def insert_series_tx(
        conn: aiosqlite.Connection,
        group_id: int,
        rule: str,
        local_time: str,
        first_day: str,
        title: str,
        place: str,
        agenda: str | None,
        capacity: int | None,
        created_by: int,
        now: datetime,
    ) -> int:
        cur = await conn.execute(
            "INSERT INTO meeting_series (group_id, rule, local_time, first_day, title, place,"
            " agenda,"
            " capacity, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                group_id,
                rule,
                local_time,
                first_day,
                title,
                place,
                agenda,
                capacity,
                created_by,
                to_db(now),
            ),
        )
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def series(self, series_id: int) -> Series | None:
        row = await self.db.fetchone("SELECT * FROM meeting_series WHERE id = ?", (series_id,))
        return row_to(Series, row) if row else None

    @staticmethod
    async def series_tx(conn: aiosqlite.Connection, series_id: int) -> Series | None:
        row = await _one(conn, "SELECT * FROM meeting_series WHERE id = ?", (series_id,))
        return row_to(Series, row) if row else None

    async def active_series(self) -> list[Series]:
        rows = await self.db.fetchall(
            "SELECT * FROM meeting_series WHERE ended_at IS NULL ORDER BY id"
        )
        return [row_to(Series, r) for r in rows]

    @staticmethod
    async def update_series_tx(conn: aiosqlite.Connection, series_id: int, **fields: Any) -> None:
        allowed = {"local_time", "place", "ended_at"}
        assert set(fields) <= allowed
        sets = ", ".join(f"{k} = ?" for k in fields)
        await conn.execute(
            f"UPDATE meeting_series SET {sets} WHERE id = ?", (*fields.values(), series_id)
        )

    @staticmethod
    async def occurrence_days_tx(conn: aiosqlite.Connection, series_id: int) -> set[str]:
        rows = await _all(
            conn, "SELECT occurrence_day FROM meetings WHERE series_id = ?", (series_id,)
        )
        return {r[0] for r in rows}

    # ----- answers for a whole series -----

    @staticmethod
    async def series_answers_tx(conn: aiosqlite.Connection, series_id: int) -> dict[int, str]:
        rows = await _all(
            conn,
            "SELECT user_id, answer FROM meeting_series_answers WHERE series_id = ?",
            (series_id,),
        )
        return {r[0]: r[1] for r in rows}

    async def series_answer(self, series_id: int, user_id: int) -> str | None:
        row = await self.db.fetchone(
            "SELECT answer FROM meeting_series_answers WHERE series_id = ? AND user_id = ?",
            (series_id, user_id),
        )
        return str(row[0]) if row else None

    @staticmethod
    async def set_series_answer_tx(
        conn: aiosqlite.Connection,
        series_id: int,
        user_id: int,
        answer: str | None,
        now: datetime,
    ) -> None:
        if answer is None:
            await conn.execute(
                "DELETE FROM meeting_series_answers WHERE series_id = ? AND user_id = ?",
                (series_id, user_id),
            )
            return
        await conn.execute(
            "INSERT INTO meeting_series_answers (series_id, user_id, answer, answered_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (series_id, user_id) DO UPDATE"
            " SET answer = excluded.answer, answered_at = excluded.answered_at",
            (series_id, user_id, answer, to_db(now)),
        )

    @staticmethod
    async def next_of_series_tx(
        conn: aiosqlite.Connection, series_id: int, now: datetime
    ) -> Meeting | None:
        """The series' next published occurrence still to come."""
        row = await _one(
            conn,
            "SELECT * FROM meetings WHERE series_id = ? AND status = 'published' AND starts_at > ?"
            " ORDER BY starts_at LIMIT 1",
            (series_id, to_db(now)),
        )
        return row_to(Meeting, row) if row else None

    @staticmethod
    async def mark_announced_tx(conn: aiosqlite.Connection, meeting_id: int, now: datetime) -> None:
        await conn.execute(
            "UPDATE meetings SET announced_at = ? WHERE id = ?", (to_db(now), meeting_id)
        )

    # ----- meetings -----

    @staticmethod
    async def insert_meeting_tx(
        conn: aiosqlite.Connection,
        group_id: int,
        title: str,
        place: str,
        agenda: str | None,
        capacity: int | None,
        starts_at: datetime,
        created_by: int | None,
        now: datetime,
        series_id: int | None = None,
        occurrence_day: str | None = None,
    ) -> int | None:
        """None when this series occurrence already exists (created by an earlier tick)."""
        cur = await conn.execute(
            "INSERT INTO meetings (group_id, series_id, occurrence_day, title, place, agenda,"
            " capacity,"
            " starts_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (series_id, occurrence_day) DO NOTHING",
            (
                group_id,
                series_id,
                occurrence_day,
                title,
                place,
                agenda,
                capacity,
                to_db(starts_at),
                created_by,
                to_db(now),
            ),
        )
        return int(cast(int, cur.lastrowid)) if cur.rowcount else None

    async def get(self, meeting_id: int) -> Meeting | None:
        row = await self.db.fetchone("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
        return row_to(Meeting, row) if row else None

    @staticmethod
    async def get_tx(conn: aiosqlite.Connection, meeting_id: int) -> Meeting | None:
        row = await _one(conn, "SELECT * FROM meetings WHERE id = ?", (meeting_id,))
        return row_to(Meeting, row) if row else None

    @staticmethod
    async def update_meeting_tx(conn: aiosqlite.Connection, meeting_id: int, **fields: Any) -> None:
        assert set(fields) <= _MEETING_FIELDS
        sets = ", ".join(f"{k} = ?" for k in fields)
        await conn.execute(
            f"UPDATE meetings SET {sets}, sequence = sequence + 1 WHERE id = ?",
            (*fields.values(), meeting_id),
        )

    @staticmethod
    async def future_of_series_tx(
        conn: aiosqlite.Connection, series_id: int, now: datetime
    ) -> list[Meeting]:
        rows = await _all(
            conn,
            "SELECT * FROM meetings WHERE series_id = ? AND status = 'published' AND starts_at > ?"
            " ORDER BY starts_at",
            (series_id, to_db(now)),
        )
        return [row_to(Meeting, r) for r in rows]

    async def upcoming(
        self, group_ids: Iterable[int], now: datetime, limit: int = 20
    ) -> list[Meeting]:
        ids = list(group_ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self.db.fetchall(
            f"SELECT * FROM meetings WHERE group_id IN ({marks}) AND status = 'published'"
            " AND starts_at > ? ORDER BY starts_at, id LIMIT ?",
            (*ids, to_db(now), limit),
        )
        return [row_to(Meeting, r) for r in rows]

    async def past(self, group_ids: Iterable[int], now: datetime, limit: int = 15) -> list[Meeting]:
        ids = list(group_ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self.db.fetchall(
            f"SELECT * FROM meetings WHERE group_id IN ({marks}) AND status = 'published'"
            " AND starts_at <= ? ORDER BY starts_at DESC LIMIT ?",
            (*ids, to_db(now), limit),
        )
        return [row_to(Meeting, r) for r in rows]

    async def starting_between(self, start: datetime, end: datetime) -> list[Meeting]:
        rows = await self.db.fetchall(
            "SELECT * FROM meetings WHERE status = 'published' AND starts_at > ? AND starts_at <= ?"
            " ORDER BY starts_at",
            (to_db(start), to_db(end)),
        )
        return [row_to(Meeting, r) for r in rows]

    # ----- RSVPs -----

    async def rsvps(self, meeting_id: int) -> list[Rsvp]:
        rows = await self.db.fetchall(
            "SELECT * FROM meeting_rsvps WHERE meeting_id = ? ORDER BY answered_at, user_id",
            (meeting_id,),
        )
        return [row_to(Rsvp, r) for r in rows]

    @staticmethod
    async def rsvps_tx(conn: aiosqlite.Connection, meeting_id: int) -> list[Rsvp]:
        rows = await _all(
            conn,
            "SELECT * FROM meeting_rsvps WHERE meeting_id = ? ORDER BY answered_at, user_id",
            (meeting_id,),
        )
        return [row_to(Rsvp, r) for r in rows]

    @staticmethod
    async def users_answered_tx(
        conn: aiosqlite.Connection, meeting_id: int, answers: Iterable[str]
    ) -> list[User]:
        wanted = list(answers)
        marks = ",".join("?" * len(wanted))
        rows = await _all(
            conn,
            f"SELECT u.* FROM meeting_rsvps r JOIN users u ON u.id = r.user_id"
            f" WHERE r.meeting_id = ? AND r.answer IN ({marks}) ORDER BY r.answered_at, u.id",
            (meeting_id, *wanted),
        )
        return [row_to(User, r) for r in rows]

    @staticmethod
    async def user_tx(conn: aiosqlite.Connection, user_id: int) -> User | None:
        row = await _one(conn, "SELECT * FROM users WHERE id = ?", (user_id,))
        return row_to(User, row) if row else None

    async def answers_of(self, user_id: int, meeting_ids: Iterable[int]) -> dict[int, str]:
        ids = list(meeting_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self.db.fetchall(
            "SELECT meeting_id, answer FROM meeting_rsvps WHERE user_id = ?"
            f" AND meeting_id IN ({marks})",
            (user_id, *ids),
        )
        return {r[0]: r[1] for r in rows}

    @staticmethod
    async def rsvp_tx(conn: aiosqlite.Connection, meeting_id: int, user_id: int) -> Rsvp | None:
        row = await _one(
            conn,
            "SELECT * FROM meeting_rsvps WHERE meeting_id = ? AND user_id = ?",
            (meeting_id, user_id),
        )
        return row_to(Rsvp, row) if row else None

    @staticmethod
    async def set_rsvp_tx(
        conn: aiosqlite.Connection,
        meeting_id: int,
        user_id: int,
        answer: str,
        now: datetime,
        waiting_since: str | None = None,
        offer_until: datetime | None = None,
    ) -> None:
        await conn.execute(
            "INSERT INTO meeting_rsvps (meeting_id, user_id, answer, answered_at, waiting_since,"
            " offer_until)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (meeting_id, user_id) DO UPDATE"
            " SET answer = excluded.answer,"
            " answered_at = excluded.answered_at, waiting_since = excluded.waiting_since,"
            " offer_until = excluded.offer_until",
            (
                meeting_id,
                user_id,
                answer,
                to_db(now),
                waiting_since,
                to_db(offer_until) if offer_until else None,
            ),
        )

    @staticmethod
    async def taken_tx(conn: aiosqlite.Connection, meeting_id: int) -> int:
        row = await _one(
            conn,
            "SELECT COUNT(*) FROM meeting_rsvps WHERE meeting_id = ?"
            " AND answer IN ('yes', 'offered')",
            (meeting_id,),
        )
        return int(row[0]) if row else 0

    @staticmethod
    async def first_waiting_tx(conn: aiosqlite.Connection, meeting_id: int) -> Rsvp | None:
        row = await _one(
            conn,
            "SELECT * FROM meeting_rsvps WHERE meeting_id = ? AND answer = 'waiting'"
            " ORDER BY waiting_since, user_id LIMIT 1",
            (meeting_id,),
        )
        return row_to(Rsvp, row) if row else None

    async def expired_offers(self, now: datetime) -> list[Rsvp]:
        rows = await self.db.fetchall(
            "SELECT * FROM meeting_rsvps WHERE answer = 'offered' AND offer_until <= ?",
            (to_db(now),),
        )
        return [row_to(Rsvp, r) for r in rows]

    # ----- attendance -----

    async def attendance(self, meeting_id: int) -> set[int]:
        rows = await self.db.fetchall(
            "SELECT user_id FROM meeting_attendance WHERE meeting_id = ?", (meeting_id,)
        )
        return {r[0] for r in rows}

    @staticmethod
    async def start_attendance_tx(
        conn: aiosqlite.Connection, meeting_id: int, now: datetime
    ) -> None:
        """Pre-fill with the yeses, once."""
        cur = await conn.execute(
            "UPDATE meetings SET attendance_at = ? WHERE id = ? AND attendance_at IS NULL",
            (to_db(now), meeting_id),
        )
        if cur.rowcount:
            await conn.execute(
                "INSERT OR IGNORE INTO meeting_attendance (meeting_id, user_id)"
                " SELECT meeting_id, user_id FROM meeting_rsvps WHERE meeting_id = ?"
                " AND answer = 'yes'",
                (meeting_id,),
            )

    @staticmethod
    async def toggle_attendance_tx(
        conn: aiosqlite.Connection, meeting_id: int, user_id: int
    ) -> bool:
        cur = await conn.execute(
            "DELETE FROM meeting_attendance WHERE meeting_id = ? AND user_id = ?",
            (meeting_id, user_id),
        )
        if cur.rowcount:
            return False
        await conn.execute(
            "INSERT INTO meeting_attendance (meeting_id, user_id) VALUES (?, ?)",
            (meeting_id, user_id),
        )
        return True

    async def attendance_counts(self, meeting_ids: Iterable[int]) -> dict[int, int]:
        ids = list(meeting_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self.db.fetchall(
            f"SELECT meeting_id, COUNT(*) FROM meeting_attendance WHERE meeting_id IN ({marks})"
            " GROUP BY meeting_id",
            ids,
        )
        counts = {r[0]: r[1] for r in rows}
        # People removed (/forget, retention) still count, anonymously.
        for r in await self.db.fetchall(
            f"SELECT object_id, SUM(n) FROM anonymous_tallies WHERE kind = 'meeting_attended'"
            f" AND object_id IN ({marks}) GROUP BY object_id",
            ids,
        ):
            counts[r[0]] = counts.get(r[0], 0) + r[1]
        return counts

    # ----- per-group settings -----

    async def settings(self, group_id: int) -> GroupSettings:
        row = await self.db.fetchone(
            "SELECT * FROM meeting_group_settings WHERE group_id = ?", (group_id,)
        )
        return row_to(GroupSettings, row) if row else GroupSettings(group_id)

    async def all_settings(self) -> dict[int, GroupSettings]:
        rows = await self.db.fetchall("SELECT * FROM meeting_group_settings")
        return {r["group_id"]: row_to(GroupSettings, r) for r in rows}

    @staticmethod
    async def set_settings_tx(
        conn: aiosqlite.Connection, group_id: int, remind_day: int, remind_hours: int
    ) -> None:
        await conn.execute(
            "INSERT INTO meeting_group_settings (group_id, remind_day, remind_hours)"
            " VALUES (?, ?, ?)"
            " ON CONFLICT (group_id) DO UPDATE SET remind_day = excluded.remind_day,"
            " remind_hours = excluded.remind_hours",
            (group_id, remind_day, remind_hours),
        )

    # ----- date polls -----

    @staticmethod
    async def insert_poll_tx(
        conn: aiosqlite.Connection,
        group_id: int,
        title: str,
        place: str,
        agenda: str | None,
        capacity: int | None,
        options: list[datetime],
        created_by: int,
        now: datetime,
    ) -> int:
        cur = await conn.execute(
            "INSERT INTO date_polls (group_id, title, place, agenda, capacity, created_by,"
            " created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (group_id, title, place, agenda, capacity, created_by, to_db(now)),
        )
        assert cur.lastrowid is not None
        poll_id = int(cur.lastrowid)
        await conn.executemany(
            "INSERT INTO date_poll_options (poll_id, starts_at) VALUES (?, ?)",
            [(poll_id, to_db(o)) for o in options],
        )
        return poll_id

    async def poll(self, poll_id: int) -> Poll | None:
        row = await self.db.fetchone("SELECT * FROM date_polls WHERE id = ?", (poll_id,))
        return row_to(Poll, row) if row else None

    async def poll_options(self, poll_id: int) -> list[PollOption]:
        rows = await self.db.fetchall(
            "SELECT * FROM date_poll_options WHERE poll_id = ? ORDER BY starts_at, id", (poll_id,)
        )
        return [row_to(PollOption, r) for r in rows]

    @staticmethod
    async def poll_options_tx(conn: aiosqlite.Connection, poll_id: int) -> list[PollOption]:
        rows = await _all(
            conn,
            "SELECT * FROM date_poll_options WHERE poll_id = ? ORDER BY starts_at, id",
            (poll_id,),
        )
        return [row_to(PollOption, r) for r in rows]

    async def open_polls(self, group_ids: Iterable[int]) -> list[Poll]:
        ids = list(group_ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self.db.fetchall(
            f"SELECT * FROM date_polls WHERE status = 'open' AND group_id IN ({marks}) ORDER BY id",
            ids,
        )
        return [row_to(Poll, r) for r in rows]

    async def votes(self, poll_id: int) -> dict[int, list[int]]:
        """option id -> user ids."""
        rows = await self.db.fetchall(
            "SELECT v.option_id, v.user_id FROM date_poll_votes v JOIN date_poll_options o"
            " ON o.id = v.option_id"
            " WHERE o.poll_id = ? ORDER BY v.rowid",
            (poll_id,),
        )
        out: dict[int, list[int]] = {}
        for r in rows:
            out.setdefault(r[0], []).append(r[1])
        return out

    @staticmethod
    async def toggle_vote_tx(conn: aiosqlite.Connection, option_id: int, user_id: int) -> bool:
        cur = await conn.execute(
            "DELETE FROM date_poll_votes WHERE option_id = ? AND user_id = ?", (option_id, user_id)
        )
        if cur.rowcount:
            return False
        await conn.execute(
            "INSERT INTO date_poll_votes (option_id, user_id) VALUES (?, ?)", (option_id, user_id)
        )
        return True

    @staticmethod
    async def close_poll_tx(
        conn: aiosqlite.Connection, poll_id: int, meeting_id: int | None
    ) -> bool:
        cur = await conn.execute(
            "UPDATE date_polls SET status = 'closed', meeting_id = ? WHERE id = ?"
            " AND status = 'open'",
            (meeting_id, poll_id),
        )
        return cur.rowcount > 0
