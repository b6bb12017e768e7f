"""Assisted persons (issue 17): residents without Telegram for whom a worker or organiser acts.

A person is a users row whose ``tg_id`` is ``ASSIST_TG_BASE + users.id``: Telegram's user ids
stay below 2^52 and group chats are negative, so the range never meets a real chat. Everything
that selects people by ``users``/``memberships`` (broadcasts, rosters, digests, "me too",
dossiers) counts her like anyone else; the outbox redirects what would go to her chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import Database
from storage.repos import dict_rows, row_to
from storage.repos.privacy import SCRUBBED_PAYLOAD_SQL
from storage.timestamps import to_db

ASSIST_TG_BASE = 1 << 62  # above every Telegram user id (< 2^52), below SQLite's 2^63


def is_assisted_chat(chat_id: int | None) -> bool:
    return chat_id is not None and chat_id >= ASSIST_TG_BASE


@dataclass(frozen=True)
class AssistedPerson:
    user_id: int
    tg_id: int | None  # None after /forget
    first_name: str | None
    phone: str | None
    language: str
    group_id: int | None
    group_name: str | None
    project_id: int | None
    entered_by: int | None
    entered_by_name: str | None
    consent_at: str
    created_at: str


@dataclass(frozen=True)
class Session:
    worker_id: int
    person_id: int
    started_at: str
    last_at: str


@dataclass(frozen=True)
class Contact:
    """Where news for an assisted person goes: the worker who entered her."""

    person_id: int
    first_name: str | None
    phone: str | None
    worker_id: int
    worker_tg_id: int | None
    worker_language: str | None
    worker_tg_language: str | None


@dataclass(frozen=True)
class NewsLine:
    first_name: str | None
    summary: str
    created_at: str


_PERSON = (
    "SELECT a.user_id, u.tg_id, u.first_name, a.phone, a.language, a.group_id,"
    " g.name AS group_name, g.project_id, a.entered_by, w.first_name AS entered_by_name,"
    " a.consent_at, a.created_at"
    " FROM assisted_persons a JOIN users u ON u.id = a.user_id"
    " LEFT JOIN groups g ON g.id = a.group_id LEFT JOIN users w ON w.id = a.entered_by"
)


class AssistRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Who ever acted for someone: only their typed updates need a look at the sessions
        # (everyone else's costs no query). This process is the only writer of these tables,
        # so the set, read once, stays right.
        self._involved: set[int] | None = None

    async def involved(self, user_id: int) -> bool:
        if self._involved is None:
            rows = await self.db.fetchall(
                "SELECT entered_by FROM assisted_persons WHERE entered_by IS NOT NULL"
                " UNION SELECT worker_id FROM assist_sessions"
            )
            self._involved = {r[0] for r in rows}
        return user_id in self._involved

    def _involve(self, user_id: int) -> None:
        if self._involved is not None:
            self._involved.add(user_id)

    # ----- persons -----

    @staticmethod
    async def create_person_tx(
        conn: aiosqlite.Connection,
        *,
        first_name: str,
        phone: str | None,
        language: str,
        message_language: str,
        group_id: int,
        entered_by: int,
        now: datetime,
    ) -> int:
        """The users row (news about her is written in ``message_language``, the entering
        worker's), her membership of the group and the consent, in the caller's transaction."""
        stamp = to_db(now)
        cur = await conn.execute(
            "INSERT INTO users (first_name, language, privacy_seen_at, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (first_name, message_language, stamp, stamp, stamp),
        )
        user_id = cur.lastrowid
        assert user_id is not None
        await conn.execute(
            "UPDATE users SET tg_id = ? WHERE id = ?", (ASSIST_TG_BASE + user_id, user_id)
        )
        await conn.execute(
            "INSERT INTO assisted_persons (user_id, entered_by, group_id, phone, language,"
            " consent_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (user_id, entered_by, group_id, phone, language, stamp, stamp),
        )
        await conn.execute(
            "INSERT OR IGNORE INTO memberships (group_id, user_id, role, joined_at)"
            " VALUES (?, ?, 'member', ?)",
            (group_id, user_id, stamp),
        )
        return user_id

    async def person(self, user_id: int) -> AssistedPerson | None:
        row = await self.db.fetchone(_PERSON + " WHERE a.user_id = ?", (user_id,))
        return row_to(AssistedPerson, row) if row else None

    async def persons_in(
        self, group_ids: list[int], limit: int = 40, name: str = ""
    ) -> list[AssistedPerson]:
        """The (not forgotten) persons of these groups, most recently entered first; with
        ``name``, those whose first name starts with it."""
        if not group_ids:
            return []
        marks = ",".join("?" * len(group_ids))
        rows = await self.db.fetchall(
            _PERSON + f" WHERE a.group_id IN ({marks}) AND u.forgotten_at IS NULL"
            " AND substr(lower(u.first_name), 1, length(?)) = lower(?)"
            " ORDER BY a.created_at DESC, a.user_id DESC LIMIT ?",
            (*group_ids, name, name, limit),
        )
        return [row_to(AssistedPerson, r) for r in rows]

    # ----- who acts for whom -----

    async def session_of(self, worker_id: int) -> Session | None:
        row = await self.db.fetchone(
            "SELECT worker_id, person_id, started_at, last_at"
            " FROM assist_sessions WHERE worker_id = ?",
            (worker_id,),
        )
        return row_to(Session, row) if row else None

    async def session_for_person(self, person_id: int) -> Session | None:
        row = await self.db.fetchone(
            "SELECT worker_id, person_id, started_at, last_at"
            " FROM assist_sessions WHERE person_id = ?",
            (person_id,),
        )
        return row_to(Session, row) if row else None

    async def start_session(self, worker_id: int, person_id: int, now: datetime) -> None:
        stamp = to_db(now)
        self._involve(worker_id)
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM assist_sessions WHERE worker_id = ? OR person_id = ?",
                (worker_id, person_id),
            )
            await conn.execute(
                "INSERT INTO assist_sessions (worker_id, person_id, started_at, last_at)"
                " VALUES (?, ?, ?, ?)",
                (worker_id, person_id, stamp, stamp),
            )

    async def touch(self, worker_id: int, person_id: int, now: datetime) -> None:
        """Activity for her: the session goes on, and retention counts from now."""
        stamp = to_db(now)
        async with self.db.transaction(mark=False) as conn:
            await conn.execute(
                "UPDATE assist_sessions SET last_at = ? WHERE worker_id = ?", (stamp, worker_id)
            )
            await conn.execute("UPDATE users SET last_seen_at = ? WHERE id = ?", (stamp, person_id))

    async def touch_person(self, person_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE users SET last_seen_at = ? WHERE id = ?", (to_db(now), person_id)
        )

    async def stale_persons(self, before: datetime) -> list[int]:
        """Persons nobody acted for since ``before`` (retention: they cannot /forget)."""
        rows = await self.db.fetchall(
            "SELECT a.user_id FROM assisted_persons a JOIN users u ON u.id = a.user_id"
            " WHERE u.forgotten_at IS NULL AND u.last_seen_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM assist_sessions s WHERE s.person_id = a.user_id)",
            (to_db(before),),
        )
        return [r[0] for r in rows]

    async def prune_news(self, before: datetime) -> int:
        """The digest's copies of old news go; the link of a message to its person stays (its
        buttons must keep acting for her, never for the worker)."""
        async with self.db.transaction(mark=False) as conn:
            cur = await conn.execute(
                "UPDATE assist_news SET summary = '' WHERE created_at < ? AND summary != ''",
                (to_db(before),),
            )
            return cur.rowcount

    async def end_session(self, worker_id: int) -> None:
        await self.db.execute("DELETE FROM assist_sessions WHERE worker_id = ?", (worker_id,))

    # ----- the redirect and its news -----

    @staticmethod
    async def contact_tx(conn: aiosqlite.Connection, chat_id: int) -> Contact | None:
        """The worker who entered her, while she can still reach the bot and still manages
        the person's group; otherwise the project's default worker, then its first worker."""
        async with conn.execute(
            "SELECT a.user_id AS person_id, u.first_name, a.phone, w.id AS worker_id,"
            " w.tg_id AS worker_tg_id, w.language AS worker_language,"
            " w.tg_language AS worker_tg_language"
            " FROM users u JOIN assisted_persons a ON a.user_id = u.id"
            " JOIN groups g ON g.id = a.group_id JOIN projects p ON p.id = g.project_id"
            " JOIN users w ON w.tg_id IS NOT NULL AND w.forgotten_at IS NULL AND ("
            "   w.id = a.entered_by AND (EXISTS (SELECT 1 FROM project_workers pw"
            "     WHERE pw.project_id = g.project_id AND pw.user_id = w.id)"
            "   OR EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = g.id"
            "     AND m.user_id = w.id AND m.role = 'organiser'))"
            "   OR w.id = p.default_worker_id"
            "   OR w.id IN (SELECT pw.user_id FROM project_workers pw"
            "     WHERE pw.project_id = g.project_id))"
            " WHERE u.tg_id = ?"
            " ORDER BY w.id = a.entered_by DESC, w.id = p.default_worker_id DESC, w.id"
            " LIMIT 1",
            (chat_id,),
        ) as cur:
            row = await cur.fetchone()
        return row_to(Contact, row) if row else None

    @staticmethod
    async def add_news_tx(
        conn: aiosqlite.Connection,
        person_id: int,
        worker_id: int,
        outbox_id: int,
        summary: str,
        now: datetime,
    ) -> None:
        await conn.execute(
            "INSERT INTO assist_news (person_id, worker_id, outbox_id, summary, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (person_id, worker_id, outbox_id, summary, to_db(now)),
        )

    async def person_of_message(self, chat_id: int, message_id: int) -> int | None:
        """The person a message in this worker's chat was for: a screen made while acting for
        her, or a "tell <name>" message."""
        value = await self.db.fetchval(
            "SELECT person_id FROM assist_screens WHERE chat_id = ? AND message_id = ?"
            " UNION ALL SELECT n.person_id FROM outbox o JOIN assist_news n ON n.outbox_id = o.id"
            " WHERE o.chat_id = ? AND o.message_id = ? LIMIT 1",
            (chat_id, message_id, chat_id, message_id),
            per_update=True,
        )
        return int(value) if value is not None else None

    async def add_screen(self, chat_id: int, message_id: int, person_id: int) -> None:
        async with self.db.transaction(mark=False) as conn:
            await conn.execute(
                "INSERT OR REPLACE INTO assist_screens (chat_id, message_id, person_id)"
                " VALUES (?, ?, ?)",
                (chat_id, message_id, person_id),
            )

    async def news_since(self, worker_id: int, since: datetime, until: datetime) -> list[NewsLine]:
        rows = await self.db.fetchall(
            "SELECT u.first_name, n.summary, n.created_at FROM assist_news n"
            " JOIN users u ON u.id = n.person_id"
            " WHERE n.worker_id = ? AND n.created_at > ? AND n.created_at <= ? AND n.summary != ''"
            " ORDER BY n.person_id, n.id",
            (worker_id, to_db(since), to_db(until)),
        )
        return [row_to(NewsLine, r) for r in rows]

    async def note_updates(self, person_id: int, update_ids: list[int]) -> None:
        if not update_ids:
            return
        async with self.db.transaction(mark=False) as conn:
            await conn.executemany(
                "INSERT OR IGNORE INTO assist_updates (person_id, update_id) VALUES (?, ?)",
                [(person_id, u) for u in update_ids],
            )

    async def scrub_updates(self, update_ids: list[int]) -> None:
        """Raw updates of a person who was not entered after all (no consent, /cancel)."""
        if not update_ids:
            return
        marks = ",".join("?" * len(update_ids))
        await self.db.execute(
            f"UPDATE inbox SET payload = {SCRUBBED_PAYLOAD_SQL} WHERE update_id IN ({marks})",
            tuple(update_ids),
        )

    # ----- privacy -----

    async def export(self, user_id: int) -> dict[str, Any]:
        rows = await dict_rows(
            self.db,
            "SELECT a.phone, a.language AS own_language, g.name AS group_name,"
            " w.first_name AS entered_by, a.consent_at, a.created_at"
            " FROM assisted_persons a LEFT JOIN groups g ON g.id = a.group_id"
            " LEFT JOIN users w ON w.id = a.entered_by WHERE a.user_id = ?",
            (user_id,),
        )
        if not rows:
            return {}
        news = await dict_rows(
            self.db,
            "SELECT summary, created_at FROM assist_news WHERE person_id = ? AND summary != ''"
            " ORDER BY id",
            (user_id,),
        )
        return {"assisted": rows[0], "news_passed_on": news}

    @staticmethod
    async def phone_tx(conn: aiosqlite.Connection, user_id: int) -> str | None:
        """The phone number a worker entered for her (it heads every "tell" message)."""
        async with conn.execute(
            "SELECT phone FROM assisted_persons WHERE user_id = ?", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row and row[0] else None

    @staticmethod
    async def forget_tx(conn: aiosqlite.Connection, user_id: int) -> None:
        """Her phone number and the news passed on about her go; the row stays (so her reports
        still say they were entered by a worker for a resident). The raw updates of the
        workers' chats that name her (the screens they tapped on carry her name) are scrubbed
        like the updates of a person's own chat are (storage/repos/privacy.py)."""
        async with conn.execute(
            "SELECT u.first_name, a.phone, w.tg_id FROM assisted_persons a"
            " JOIN users u ON u.id = a.user_id LEFT JOIN users w ON w.id = a.entered_by"
            " WHERE a.user_id = ?"
            " UNION SELECT NULL, NULL, w.tg_id FROM assist_sessions s"
            " JOIN users w ON w.id = s.worker_id WHERE s.person_id = ?",
            (user_id, user_id),
        ) as cur:
            found = list(await cur.fetchall())
        needles = [v for r in found for v in (r[0], r[1]) if v and len(v) >= 2]
        for chat in {r[2] for r in found if r[2] is not None}:
            for needle in needles:
                await conn.execute(
                    f"UPDATE inbox SET payload = {SCRUBBED_PAYLOAD_SQL}"
                    " WHERE chat_key = ? AND instr(payload, ?) > 0",
                    (f"c{chat}", needle),
                )
        await conn.execute(
            "UPDATE outbox SET payload = '{}',"
            " state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END"
            " WHERE state != 'sending'"
            " AND id IN (SELECT outbox_id FROM assist_news WHERE person_id = ?)",
            (user_id,),
        )
        # The link of each "tell" message to her stays: its buttons must not act for the worker.
        await conn.execute("UPDATE assist_news SET summary = '' WHERE person_id = ?", (user_id,))
        await conn.execute("DELETE FROM assist_sessions WHERE person_id = ?", (user_id,))
        await conn.execute(
            f"UPDATE inbox SET payload = {SCRUBBED_PAYLOAD_SQL} WHERE update_id IN"
            " (SELECT update_id FROM assist_updates WHERE person_id = ?)",
            (user_id,),
        )
        await conn.execute("DELETE FROM assist_updates WHERE person_id = ?", (user_id,))
        await conn.execute("UPDATE assisted_persons SET phone = NULL WHERE user_id = ?", (user_id,))

    @staticmethod
    async def forget_worker_tx(conn: aiosqlite.Connection, user_id: int) -> None:
        """A worker who leaves: her sessions and her digest lines go; the persons she entered
        stay, and their news goes nowhere until someone else enters them anew."""
        await conn.execute("DELETE FROM assist_sessions WHERE worker_id = ?", (user_id,))
        await conn.execute("UPDATE assist_news SET summary = '' WHERE worker_id = ?", (user_id,))
