"""Volunteer rosters: tasks, slots, shifts, take-overs. Parameterised SQL only.

Methods that take ``conn`` run inside the caller's transaction (the service also queues outbox
rows there); the others read through the shared connection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import aiosqlite

from storage.db import Database
from storage.repos import row_to
from storage.repos.users import User
from storage.timestamps import from_db, to_db


@dataclass(frozen=True)
class Task:
    id: int
    group_id: int
    title: str
    rule: str
    weekday: int | None
    nth: int | None
    dates: str | None
    start_date: str
    start_min: int
    end_min: int
    place: str
    needed: int
    note: str | None
    created_by: int | None
    created_at: str
    stopped_at: str | None

    @property
    def date_list(self) -> list[date]:
        return [date.fromisoformat(d) for d in json.loads(self.dates or "[]")]


@dataclass(frozen=True)
class SlotInfo:
    """A slot with its task's fields and the number of volunteers signed up."""

    slot_id: int
    task_id: int
    group_id: int
    title: str
    place: str
    note: str | None
    needed: int
    day: str
    starts_at: str
    ends_at: str
    cancelled_at: str | None
    attendance_at: str | None
    signed: int

    @property
    def start(self) -> datetime:
        value = from_db(self.starts_at)
        assert value is not None
        return value

    @property
    def end(self) -> datetime:
        value = from_db(self.ends_at)
        assert value is not None
        return value

    @property
    def missing(self) -> int:
        return max(0, self.needed - self.signed)

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True)
class Shift:
    id: int
    slot_id: int
    user_id: int
    state: str
    signed_at: str
    stepped_back_at: str | None
    reason: str | None
    attended: int | None
    reason_code: str | None = None  # 'ill' | 'other': tapped on a button, shown per reader


@dataclass(frozen=True)
class Takeover:
    id: int
    slot_id: int
    from_user_id: int | None
    created_at: str
    expires_at: str
    taken_by: int | None
    taken_at: str | None
    expired_at: str | None


@dataclass(frozen=True)
class HoursRow:
    day: str
    group_name: str
    title: str
    user_id: int
    first_name: str | None
    last_name: str | None
    starts_at: str
    ends_at: str
    attended: int | None
    confirmed: bool


_SLOT = (
    "SELECT s.id AS slot_id, s.task_id, t.group_id, t.title, t.place, t.note, t.needed, s.day,"
    " s.starts_at, s.ends_at, s.cancelled_at, s.attendance_at,"
    " (SELECT COUNT(*) FROM roster_shifts x WHERE x.slot_id = s.id"
    " AND x.state = 'signed') AS signed"
    " FROM roster_slots s JOIN roster_tasks t ON t.id = s.task_id"
)

# Volunteers of a group who are still members, reachable, and free during [start, end).
_FREE_VOLUNTEERS = (
    "SELECT u.* FROM roster_volunteers v"
    " JOIN memberships m ON m.group_id = v.group_id AND m.user_id = v.user_id"
    " JOIN users u ON u.id = v.user_id"
    " WHERE v.group_id = ? AND u.tg_id IS NOT NULL AND u.unreachable_at IS NULL"
    " AND u.stopped_at IS NULL AND u.forgotten_at IS NULL"
    " AND NOT EXISTS (SELECT 1 FROM roster_shifts x JOIN roster_slots y ON y.id = x.slot_id"
    "   WHERE x.user_id = v.user_id AND x.state = 'signed' AND y.cancelled_at IS NULL"
    "   AND y.starts_at < ? AND y.ends_at > ?)"
    " ORDER BY v.joined_at"
)


class RostersRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _all(
        self, conn: aiosqlite.Connection | None, sql: str, params: tuple[Any, ...] = ()
    ) -> list[Any]:
        if conn is None:
            return await self.db.fetchall(sql, params)
        async with conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def _one(
        self, conn: aiosqlite.Connection | None, sql: str, params: tuple[Any, ...] = ()
    ) -> Any:
        rows = await self._all(conn, sql, params)
        return rows[0] if rows else None

    # ----- tasks -----

    @staticmethod
    async def create_task_tx(
        conn: aiosqlite.Connection, fields: dict[str, Any], now: datetime
    ) -> int:
        cols = [
            "group_id",
            "title",
            "rule",
            "weekday",
            "nth",
            "dates",
            "start_date",
            "start_min",
            "end_min",
            "place",
            "needed",
            "note",
            "created_by",
        ]
        values = [fields.get(c) for c in cols]
        cur = await conn.execute(
            f"INSERT INTO roster_tasks ({', '.join(cols)}, created_at)"
            f" VALUES ({', '.join('?' * len(cols))}, ?)",
            (*values, to_db(now)),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    @staticmethod
    async def update_task_tx(
        conn: aiosqlite.Connection, task_id: int, field: str, value: Any
    ) -> None:
        if field not in {"title", "start_min", "end_min", "place", "needed", "note"}:
            raise ValueError(field)
        await conn.execute(f"UPDATE roster_tasks SET {field} = ? WHERE id = ?", (value, task_id))

    @staticmethod
    async def set_schedule_tx(
        conn: aiosqlite.Connection, task_id: int, fields: dict[str, Any]
    ) -> None:
        await conn.execute(
            "UPDATE roster_tasks SET rule = ?, weekday = ?, nth = ?, dates = ?, start_date = ?"
            " WHERE id = ?",
            (
                fields["rule"],
                fields.get("weekday"),
                fields.get("nth"),
                fields.get("dates"),
                fields["start_date"],
                task_id,
            ),
        )

    @staticmethod
    async def drop_slot_tx(conn: aiosqlite.Connection, slot_id: int, now: datetime) -> None:
        """A day the new schedule no longer has: cancelled, its sign-ups removed."""
        await conn.execute(
            "UPDATE roster_slots SET cancelled_at = ? WHERE id = ?", (to_db(now), slot_id)
        )
        await conn.execute("DELETE FROM roster_shifts WHERE slot_id = ?", (slot_id,))

    @staticmethod
    async def stop_task_tx(conn: aiosqlite.Connection, task_id: int, now: datetime) -> None:
        await conn.execute(
            "UPDATE roster_tasks SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL",
            (to_db(now), task_id),
        )

    async def task(self, task_id: int, conn: aiosqlite.Connection | None = None) -> Task | None:
        row = await self._one(conn, "SELECT * FROM roster_tasks WHERE id = ?", (task_id,))
        return row_to(Task, row) if row else None

    async def active_tasks(self, group_ids: list[int] | None = None) -> list[Task]:
        if group_ids is None:
            rows = await self._all(
                None, "SELECT * FROM roster_tasks WHERE stopped_at IS NULL ORDER BY id"
            )
        elif not group_ids:
            return []
        else:
            marks = ",".join("?" * len(group_ids))
            rows = await self._all(
                None,
                f"SELECT * FROM roster_tasks WHERE stopped_at IS NULL AND group_id IN ({marks})"
                " ORDER BY group_id, id",
                tuple(group_ids),
            )
        return [row_to(Task, r) for r in rows]

    # ----- slots -----

    @staticmethod
    async def add_slot_tx(
        conn: aiosqlite.Connection, task_id: int, day: date, start: datetime, end: datetime
    ) -> None:
        await conn.execute(
            "INSERT INTO roster_slots (task_id, day, starts_at, ends_at) VALUES (?, ?, ?, ?)"
            # A day dropped by a schedule change and chosen again comes back (empty).
            " ON CONFLICT (task_id, day) DO UPDATE SET cancelled_at = NULL,"
            " starts_at = excluded.starts_at, ends_at = excluded.ends_at"
            " WHERE roster_slots.cancelled_at IS NOT NULL",
            (task_id, day.isoformat(), to_db(start), to_db(end)),
        )

    @staticmethod
    async def move_slot_tx(
        conn: aiosqlite.Connection, slot_id: int, start: datetime, end: datetime
    ) -> None:
        await conn.execute(
            "UPDATE roster_slots SET starts_at = ?, ends_at = ? WHERE id = ?",
            (to_db(start), to_db(end), slot_id),
        )

    @staticmethod
    async def cancel_future_slots_tx(
        conn: aiosqlite.Connection, task_id: int, now: datetime
    ) -> None:
        await conn.execute(
            "UPDATE roster_slots SET cancelled_at = ? WHERE task_id = ? AND starts_at > ?"
            " AND cancelled_at IS NULL",
            (to_db(now), task_id, to_db(now)),
        )

    async def slot(self, slot_id: int, conn: aiosqlite.Connection | None = None) -> SlotInfo | None:
        row = await self._one(conn, _SLOT + " WHERE s.id = ?", (slot_id,))
        return row_to(SlotInfo, row) if row else None

    async def future_slots(
        self, task_id: int, now: datetime, conn: aiosqlite.Connection | None = None
    ) -> list[SlotInfo]:
        rows = await self._all(
            conn,
            _SLOT + " WHERE s.task_id = ? AND s.starts_at > ? AND s.cancelled_at IS NULL"
            " ORDER BY s.starts_at",
            (task_id, to_db(now)),
        )
        return [row_to(SlotInfo, r) for r in rows]

    async def group_slots(
        self, group_ids: list[int], frm: datetime, to: datetime
    ) -> list[SlotInfo]:
        if not group_ids:
            return []
        marks = ",".join("?" * len(group_ids))
        rows = await self._all(
            None,
            _SLOT
            + f" WHERE t.group_id IN ({marks}) AND t.stopped_at IS NULL AND s.cancelled_at IS NULL"
            " AND s.starts_at > ? AND s.starts_at <= ? ORDER BY s.starts_at, t.title",
            (*group_ids, to_db(frm), to_db(to)),
        )
        return [row_to(SlotInfo, r) for r in rows]

    async def past_slots(self, task_id: int, now: datetime, limit: int = 6) -> list[SlotInfo]:
        rows = await self._all(
            None,
            _SLOT + " WHERE s.task_id = ? AND s.ends_at <= ? AND s.cancelled_at IS NULL"
            " ORDER BY s.starts_at DESC LIMIT ?",
            (task_id, to_db(now), limit),
        )
        return [row_to(SlotInfo, r) for r in rows]

    async def slots_to_confirm(self, now: datetime, since: datetime) -> list[SlotInfo]:
        """Ended slots with volunteers whose attendance nobody was asked about yet."""
        rows = await self._all(
            None,
            _SLOT + " WHERE s.ends_at <= ? AND s.ends_at > ? AND s.cancelled_at IS NULL"
            " AND s.attendance_at IS NULL AND s.attendance_asked_at IS NULL"
            " AND EXISTS (SELECT 1 FROM roster_shifts x WHERE x.slot_id = s.id"
            " AND x.state = 'signed')",
            (to_db(now), to_db(since)),
        )
        return [row_to(SlotInfo, r) for r in rows]

    @staticmethod
    async def mark_asked_tx(conn: aiosqlite.Connection, slot_id: int, now: datetime) -> None:
        await conn.execute(
            "UPDATE roster_slots SET attendance_asked_at = ? WHERE id = ?", (to_db(now), slot_id)
        )

    # ----- volunteers -----

    async def is_volunteer(
        self, group_id: int, user_id: int, conn: aiosqlite.Connection | None = None
    ) -> bool:
        row = await self._one(
            conn,
            "SELECT 1 FROM roster_volunteers v JOIN memberships m"
            " ON m.group_id = v.group_id AND m.user_id = v.user_id"
            " WHERE v.group_id = ? AND v.user_id = ?",
            (group_id, user_id),
        )
        return row is not None

    async def volunteer_groups(self, user_id: int) -> set[int]:
        rows = await self._all(
            None, "SELECT group_id FROM roster_volunteers WHERE user_id = ?", (user_id,)
        )
        return {r[0] for r in rows}

    async def set_volunteer(self, group_id: int, user_id: int, on: bool, now: datetime) -> None:
        async with self.db.transaction() as conn:
            if on:
                await conn.execute(
                    "INSERT INTO roster_volunteers (group_id, user_id, joined_at) VALUES (?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (group_id, user_id, to_db(now)),
                )
            else:
                await conn.execute(
                    "DELETE FROM roster_volunteers WHERE group_id = ? AND user_id = ?",
                    (group_id, user_id),
                )

    async def volunteers(self, conn: aiosqlite.Connection | None, group_id: int) -> list[User]:
        """Every volunteer of the group (still a member)."""
        rows = await self._all(
            conn,
            "SELECT u.* FROM roster_volunteers v JOIN memberships m"
            " ON m.group_id = v.group_id AND m.user_id = v.user_id"
            " JOIN users u ON u.id = v.user_id WHERE v.group_id = ?",
            (group_id,),
        )
        return [row_to(User, r) for r in rows]

    async def free_volunteers(
        self, conn: aiosqlite.Connection | None, group_id: int, start: datetime, end: datetime
    ) -> list[User]:
        rows = await self._all(conn, _FREE_VOLUNTEERS, (group_id, to_db(end), to_db(start)))
        return [row_to(User, r) for r in rows]

    async def busy_between(
        self,
        conn: aiosqlite.Connection,
        user_id: int,
        start: datetime,
        end: datetime,
        except_slot: int,
    ) -> bool:
        row = await self._one(
            conn,
            "SELECT 1 FROM roster_shifts x JOIN roster_slots y ON y.id = x.slot_id"
            " WHERE x.user_id = ? AND x.state = 'signed' AND y.cancelled_at IS NULL"
            " AND y.id != ? AND y.starts_at < ? AND y.ends_at > ?",
            (user_id, except_slot, to_db(end), to_db(start)),
        )
        return row is not None

    # ----- shifts -----

    async def shift(self, shift_id: int, conn: aiosqlite.Connection | None = None) -> Shift | None:
        row = await self._one(conn, "SELECT * FROM roster_shifts WHERE id = ?", (shift_id,))
        return row_to(Shift, row) if row else None

    async def shift_of(
        self, conn: aiosqlite.Connection | None, slot_id: int, user_id: int
    ) -> Shift | None:
        row = await self._one(
            conn,
            "SELECT * FROM roster_shifts WHERE slot_id = ? AND user_id = ?",
            (slot_id, user_id),
        )
        return row_to(Shift, row) if row else None

    @staticmethod
    async def sign_tx(
        conn: aiosqlite.Connection, slot_id: int, user_id: int, now: datetime
    ) -> None:
        await conn.execute(
            "INSERT INTO roster_shifts (slot_id, user_id, state, signed_at)"
            " VALUES (?, ?, 'signed', ?)"
            " ON CONFLICT (slot_id, user_id) DO UPDATE"
            " SET state = 'signed', signed_at = excluded.signed_at,"
            " stepped_back_at = NULL, reason = NULL, reason_code = NULL, attended = NULL",
            (slot_id, user_id, to_db(now)),
        )

    @staticmethod
    async def step_back_tx(
        conn: aiosqlite.Connection,
        shift_id: int,
        reason: str | None,
        now: datetime,
        reason_code: str | None = None,
    ) -> bool:
        cur = await conn.execute(
            "UPDATE roster_shifts SET state = 'stepped_back', stepped_back_at = ?, reason = ?,"
            " reason_code = ? WHERE id = ? AND state = 'signed'",
            (to_db(now), reason, reason_code, shift_id),
        )
        return cur.rowcount == 1

    async def stepped_back_from(self, conn: aiosqlite.Connection, slot_id: int) -> set[int]:
        """Who stepped back from this slot: not to be called for it again."""
        rows = await self._all(
            conn,
            "SELECT user_id FROM roster_shifts WHERE slot_id = ? AND state = 'stepped_back'",
            (slot_id,),
        )
        return {int(r["user_id"]) for r in rows}

    async def called_for(self, conn: aiosqlite.Connection, slot_id: int) -> set[int]:
        rows = await self._all(
            conn, "SELECT user_id FROM roster_calls WHERE slot_id = ?", (slot_id,)
        )
        return {int(r["user_id"]) for r in rows}

    @staticmethod
    async def add_call_tx(
        conn: aiosqlite.Connection, slot_id: int, user_id: int, now: datetime
    ) -> None:
        await conn.execute(
            "INSERT OR IGNORE INTO roster_calls (slot_id, user_id, asked_at) VALUES (?, ?, ?)",
            (slot_id, user_id, to_db(now)),
        )

    async def signed_in(self, slot_ids: list[int]) -> list[tuple[int, User]]:
        """(slot id, person) for everyone signed up for these slots, in sign-up order."""
        if not slot_ids:
            return []
        marks = ",".join("?" * len(slot_ids))
        rows = await self._all(
            None,
            "SELECT x.slot_id AS x_slot_id, u.* FROM roster_shifts x"
            " JOIN users u ON u.id = x.user_id"
            f" WHERE x.slot_id IN ({marks}) AND x.state = 'signed' ORDER BY x.signed_at, x.id",
            tuple(slot_ids),
        )
        return [(r["x_slot_id"], row_to(User, r)) for r in rows]

    async def signed_users(
        self, slot_id: int, conn: aiosqlite.Connection | None = None
    ) -> list[tuple[Shift, User]]:
        rows = await self._all(
            conn,
            "SELECT x.id AS shift_id, x.slot_id, x.state, x.signed_at, x.stepped_back_at, x.reason,"
            " x.attended,"
            " u.* FROM roster_shifts x JOIN users u ON u.id = x.user_id"
            " WHERE x.slot_id = ? AND x.state = 'signed' ORDER BY x.signed_at, x.id",
            (slot_id,),
        )
        out = []
        for r in rows:
            shift = Shift(
                r["shift_id"],
                r["slot_id"],
                r["id"],
                r["state"],
                r["signed_at"],
                r["stepped_back_at"],
                r["reason"],
                r["attended"],
            )
            out.append((shift, row_to(User, r)))
        return out

    async def my_shifts(self, user_id: int, now: datetime) -> list[tuple[Shift, SlotInfo]]:
        rows = await self._all(
            None,
            "SELECT x.id AS shift_id FROM roster_shifts x JOIN roster_slots s ON s.id = x.slot_id"
            " JOIN roster_tasks t ON t.id = s.task_id"
            " WHERE x.user_id = ? AND x.state = 'signed' AND s.cancelled_at IS NULL"
            " AND s.ends_at > ?"
            " ORDER BY s.starts_at LIMIT 30",
            (user_id, to_db(now)),
        )
        out = []
        for r in rows:
            shift = await self.shift(r[0])
            assert shift is not None
            slot = await self.slot(shift.slot_id)
            assert slot is not None
            out.append((shift, slot))
        return out

    async def contribution(self, user_id: int, since: datetime | None = None) -> tuple[int, float]:
        """(shifts, hours) the organiser confirmed this person came to."""
        row = await self._one(
            None,
            "SELECT COUNT(*), COALESCE(SUM((julianday(s.ends_at) - julianday(s.starts_at)) * 24),"
            " 0)"
            " FROM roster_shifts x JOIN roster_slots s ON s.id = x.slot_id"
            " WHERE x.user_id = ? AND x.state = 'signed' AND x.attended = 1"
            " AND s.attendance_at IS NOT NULL AND s.starts_at >= ?",
            (user_id, to_db(since) if since else ""),
        )
        return int(row[0]), float(row[1])

    @staticmethod
    async def toggle_attended_tx(conn: aiosqlite.Connection, shift_id: int) -> None:
        # Not yet confirmed counts as "came" (pre-filled with who signed up).
        await conn.execute(
            "UPDATE roster_shifts SET attended = CASE WHEN COALESCE(attended, 1) = 1 THEN 0 ELSE 1"
            " END"
            " WHERE id = ?",
            (shift_id,),
        )

    @staticmethod
    async def confirm_attendance_tx(
        conn: aiosqlite.Connection, slot_id: int, now: datetime
    ) -> None:
        await conn.execute(
            "UPDATE roster_shifts SET attended = COALESCE(attended, 1) WHERE slot_id = ?"
            " AND state = 'signed'",
            (slot_id,),
        )
        await conn.execute(
            "UPDATE roster_slots SET attendance_at = ? WHERE id = ?", (to_db(now), slot_id)
        )

    async def hours(self, project_id: int, frm: datetime, to: datetime) -> list[HoursRow]:
        rows = await self._all(
            None,
            "SELECT s.day, g.name AS group_name, t.title, u.id AS user_id, u.first_name,"
            " u.last_name,"
            " s.starts_at, s.ends_at, x.attended, s.attendance_at IS NOT NULL AS confirmed"
            " FROM roster_shifts x JOIN roster_slots s ON s.id = x.slot_id"
            " JOIN roster_tasks t ON t.id = s.task_id JOIN groups g ON g.id = t.group_id"
            " JOIN users u ON u.id = x.user_id"
            " WHERE g.project_id = ? AND x.state = 'signed' AND s.cancelled_at IS NULL"
            " AND s.starts_at >= ? AND s.ends_at <= ?"
            " ORDER BY s.starts_at, g.name, t.title, u.first_name",
            (project_id, to_db(frm), to_db(to)),
        )
        return [row_to(HoursRow, r) for r in rows]

    # ----- take-overs -----

    @staticmethod
    async def create_takeover_tx(
        conn: aiosqlite.Connection,
        slot_id: int,
        from_user_id: int,
        now: datetime,
        expires: datetime,
    ) -> int:
        cur = await conn.execute(
            "INSERT INTO roster_takeovers (slot_id, from_user_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (slot_id, from_user_id, to_db(now), to_db(expires)),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    @staticmethod
    async def add_ask_tx(
        conn: aiosqlite.Connection, takeover_id: int, user_id: int, chat_id: int, lang: str
    ) -> None:
        await conn.execute(
            "INSERT OR IGNORE INTO roster_takeover_asks (takeover_id, user_id, chat_id, language)"
            " VALUES (?, ?, ?, ?)",
            (takeover_id, user_id, chat_id, lang),
        )

    async def takeover(
        self, takeover_id: int, conn: aiosqlite.Connection | None = None
    ) -> Takeover | None:
        row = await self._one(conn, "SELECT * FROM roster_takeovers WHERE id = ?", (takeover_id,))
        return row_to(Takeover, row) if row else None

    @staticmethod
    async def claim_tx(
        conn: aiosqlite.Connection, takeover_id: int, user_id: int, now: datetime
    ) -> bool:
        cur = await conn.execute(
            "UPDATE roster_takeovers SET taken_by = ?, taken_at = ? WHERE id = ?"
            " AND taken_by IS NULL",
            (user_id, to_db(now), takeover_id),
        )
        return cur.rowcount == 1

    async def asks(self, takeover_id: int, conn: aiosqlite.Connection | None = None) -> list[Any]:
        return await self._all(
            conn,
            "SELECT user_id, chat_id, language, message_id FROM roster_takeover_asks"
            " WHERE takeover_id = ?",
            (takeover_id,),
        )

    async def set_ask_message(self, takeover_id: int, user_id: int, message_id: int | None) -> None:
        await self.db.execute(
            "UPDATE roster_takeover_asks SET message_id = ? WHERE takeover_id = ? AND user_id = ?",
            (message_id, takeover_id, user_id),
        )

    async def expired_takeovers(self, now: datetime) -> list[Takeover]:
        rows = await self._all(
            None,
            "SELECT * FROM roster_takeovers WHERE taken_by IS NULL AND expired_at IS NULL"
            " AND expires_at <= ?",
            (to_db(now),),
        )
        return [row_to(Takeover, r) for r in rows]

    @staticmethod
    async def mark_expired_tx(conn: aiosqlite.Connection, takeover_id: int, now: datetime) -> bool:
        cur = await conn.execute(
            "UPDATE roster_takeovers SET expired_at = ? WHERE id = ? AND expired_at IS NULL"
            " AND taken_by IS NULL",
            (to_db(now), takeover_id),
        )
        return cur.rowcount == 1

    # ----- people to tell -----

    async def users_tx(self, conn: aiosqlite.Connection | None, user_ids: list[int]) -> list[User]:
        if not user_ids:
            return []
        marks = ",".join("?" * len(user_ids))
        rows = await self._all(
            conn, f"SELECT * FROM users WHERE id IN ({marks}) ORDER BY id", tuple(user_ids)
        )
        return [row_to(User, r) for r in rows]

    async def managers(self, group_id: int, conn: aiosqlite.Connection | None = None) -> list[User]:
        """Who runs the roster of a group: its organisers, or else the workers of its project."""
        rows = await self._all(
            conn,
            "SELECT u.* FROM memberships m JOIN users u ON u.id = m.user_id"
            " WHERE m.group_id = ? AND m.role = 'organiser' ORDER BY m.joined_at",
            (group_id,),
        )
        if not rows:
            rows = await self._all(
                conn,
                "SELECT u.* FROM project_workers w JOIN groups g ON g.project_id = w.project_id"
                " JOIN users u ON u.id = w.user_id WHERE g.id = ? ORDER BY w.joined_at",
                (group_id,),
            )
        return [row_to(User, r) for r in rows]

    async def reminders_due(self, now: datetime, until: datetime) -> list[tuple[int, int]]:
        """(slot_id, user_id) of signed shifts starting in (now, until] not reminded yet."""
        rows = await self._all(
            None,
            "SELECT s.id, x.user_id, s.starts_at FROM roster_shifts x JOIN roster_slots s"
            " ON s.id = x.slot_id"
            " JOIN roster_tasks t ON t.id = s.task_id"
            " WHERE x.state = 'signed' AND s.cancelled_at IS NULL AND t.stopped_at IS NULL"
            " AND s.starts_at > ? AND s.starts_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key ="
            "   'roster:remind:' || s.id || ':' || x.user_id || ':' || s.starts_at)",
            (to_db(now), to_db(until)),
        )
        return [(r[0], r[1]) for r in rows]

    async def job_last_run(self, name: str) -> str | None:
        return await self.db.fetchval("SELECT last_run FROM job_runs WHERE name = ?", (name,))

    @staticmethod
    async def set_job_run_tx(conn: aiosqlite.Connection, name: str, when: datetime) -> None:
        await RostersRepo.set_job_mark_tx(conn, name, to_db(when))

    @staticmethod
    async def set_job_mark_tx(conn: aiosqlite.Connection, name: str, mark: str) -> None:
        """Store a job's last run as given (a timestamp, or a day such as '2025-03-14')."""
        await conn.execute(
            "INSERT INTO job_runs (name, last_run) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET last_run = excluded.last_run",
            (name, mark),
        )

    @staticmethod
    async def group_name_tx(conn: aiosqlite.Connection, group_id: int) -> str:
        """The group's name inside a running transaction ('' when it is gone)."""
        async with conn.execute("SELECT name FROM groups WHERE id = ?", (group_id,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else ""
