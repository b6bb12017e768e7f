"""The outbox table: every message to others, one row each, from queued to sent (or not).

The pacing, retry and hook rules live in ``bot.core.outbox.Outbox``; this module only reads and
writes rows. The ``*_tx`` functions run inside a transaction the caller holds, so a change and
the messages it causes commit together (or not at all).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from storage.db import Database
from storage.timestamps import to_db


@dataclass(frozen=True)
class OutboxRow:
    """A row due for sending, as the sender picks it up."""

    id: int
    chat_id: int
    method: str
    payload: str
    attempts: int
    ref: str | None
    blocked: bool  # the recipient blocked the bot (users.unreachable_at is set)


@dataclass(frozen=True)
class OutboxMessage:
    """What a claimed row sends: its method and its (latest) payload, as stored."""

    method: str
    payload: str

    def params(self) -> dict[str, Any]:
        """The API parameters (decoded here, outside the claiming transaction)."""
        params: dict[str, Any] = json.loads(self.payload)
        return params


def not_before_db(dt: datetime) -> str:
    """not_before needs sub-second precision (backoff starts at fractions of a second); the
    same fixed format on both sides keeps the string comparison in SQL right."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _payload(chat_id: int, params: dict[str, Any]) -> str:
    body = dict(params)
    body["chat_id"] = chat_id
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


class OutboxRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ----- inside the caller's transaction -----

    @staticmethod
    async def sent_text_tx(
        conn: aiosqlite.Connection, ref: str, chat_id: int, message_id: int
    ) -> str | None:
        """The text a delivered message went out with (its outbox row), None when not found."""
        sent = list(
            await conn.execute_fetchall(
                "SELECT payload FROM outbox WHERE ref = ? AND chat_id = ? AND message_id = ?",
                (ref, chat_id, message_id),
            )
        )
        return json.loads(sent[0][0]).get("text") if sent else None

    @staticmethod
    async def insert_tx(
        conn: aiosqlite.Connection,
        chat_id: int,
        method: str,
        params: dict[str, Any],
        *,
        batch: str | None,
        ref: str | None,
        dedupe_key: str | None,
        created_at: datetime,
        priority: int,
    ) -> int | None:
        """Queue one row; None when a row with the same dedupe_key exists already."""
        cur = await conn.execute(
            "INSERT INTO outbox (chat_id, method, payload, batch, ref, dedupe_key, created_at,"
            " priority) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
            (
                chat_id,
                method,
                _payload(chat_id, params),
                batch,
                ref,
                dedupe_key,
                to_db(created_at),
                priority,
            ),
        )
        return cur.lastrowid if cur.rowcount else None

    @staticmethod
    async def replace_pending_tx(
        conn: aiosqlite.Connection, chat_id: int, method: str, params: dict[str, Any], ref: str
    ) -> bool:
        """Put a newer payload into the pending row with this ref; False when there is none."""
        cur = await conn.execute(
            "UPDATE outbox SET payload = ?, method = ? WHERE ref = ? AND chat_id = ?"
            " AND state = 'pending'",
            (_payload(chat_id, params), method, ref, chat_id),
        )
        return bool(cur.rowcount)

    @staticmethod
    async def cancel_batch_tx(conn: aiosqlite.Connection, batch: str) -> int:
        cur = await conn.execute(
            "UPDATE outbox SET state = 'cancelled' WHERE batch = ? AND state = 'pending'", (batch,)
        )
        return cur.rowcount

    @staticmethod
    async def recover_tx(conn: aiosqlite.Connection) -> int:
        cur = await conn.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sending'")
        return cur.rowcount

    @staticmethod
    async def claim_tx(conn: aiosqlite.Connection, row_id: int) -> OutboxMessage | None:
        """Take a pending row for sending ('sending'); None when it is no longer pending.
        Returns its current method and payload (a replace may have changed them)."""
        cur = await conn.execute(
            "UPDATE outbox SET state = 'sending' WHERE id = ? AND state = 'pending'",
            (row_id,),
        )
        if cur.rowcount != 1:
            return None
        async with conn.execute("SELECT method, payload FROM outbox WHERE id = ?", (row_id,)) as c:
            fresh = await c.fetchone()
        assert fresh is not None
        return OutboxMessage(fresh["method"], fresh["payload"])

    @staticmethod
    async def mark_unreachable_tx(conn: aiosqlite.Connection, row_id: int, error: str) -> None:
        await conn.execute(
            "UPDATE outbox SET state = 'unreachable', error = ? WHERE id = ?",
            (error, row_id),
        )

    @staticmethod
    async def block_chat_tx(conn: aiosqlite.Connection, chat_id: int) -> None:
        """Everything still pending for this chat: not sent until they write again."""
        await conn.execute(
            "UPDATE outbox SET state = 'unreachable', error = 'blocked'"
            " WHERE chat_id = ? AND state = 'pending'",
            (chat_id,),
        )

    # ----- one statement each (its own transaction) -----

    async def claim(self, row_id: int) -> OutboxMessage | None:
        """``claim_tx`` in a transaction of its own that does not mark the current update."""
        async with self.db.transaction(mark=False) as conn:
            return await self.claim_tx(conn, row_id)

    async def recover(self) -> int:
        async with self.db.transaction() as conn:
            return await self.recover_tx(conn)

    async def due(self, now: datetime, limit: int) -> list[OutboxRow]:
        """Pending rows whose time has come, priority first, then in order."""
        rows = await self.db.fetchall(
            "SELECT id, chat_id, method, payload, attempts, ref,"
            " EXISTS (SELECT 1 FROM users u WHERE u.tg_id = outbox.chat_id"
            "         AND u.unreachable_at IS NOT NULL) AS blocked"
            " FROM outbox"
            " WHERE state = 'pending' AND (not_before IS NULL OR not_before <= ?)"
            " ORDER BY priority DESC, id LIMIT ?",
            (not_before_db(now), limit),
        )
        return [OutboxRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]

    async def next_not_before(self, now: datetime) -> datetime | None:
        """When the earliest backed-off pending row is due (None when there is none)."""
        value = await self.db.fetchval(
            "SELECT MIN(not_before) FROM outbox WHERE state = 'pending' AND not_before > ?",
            (not_before_db(now),),
        )
        if not value:
            return None
        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    async def skip_blocked(self, row_id: int) -> None:
        await self.db.execute(
            "UPDATE outbox SET state = 'unreachable', error = 'blocked' WHERE id = ?"
            " AND state = 'pending'",
            (row_id,),
        )

    async def mark_sent(self, row_id: int, message_id: int | None, at: datetime) -> None:
        await self.db.execute(
            "UPDATE outbox SET state = 'sent', message_id = ?, sent_at = ?, error = NULL"
            " WHERE id = ?",
            (message_id, to_db(at), row_id),
        )

    async def release(self, row_id: int) -> None:
        """Back to pending as it was (a 429: the whole outbox pauses instead)."""
        await self.db.execute("UPDATE outbox SET state = 'pending' WHERE id = ?", (row_id,))

    async def mark_unchanged(self, row_id: int, at: datetime) -> None:
        """An edit Telegram found identical to the message: as good as sent."""
        await self.db.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ? WHERE id = ?",
            (to_db(at), row_id),
        )

    async def mark_failed(self, row_id: int, attempts: int, error: str) -> None:
        await self.db.execute(
            "UPDATE outbox SET state = 'failed', attempts = ?, error = ? WHERE id = ?",
            (attempts, error, row_id),
        )

    async def retry_later(
        self, row_id: int, attempts: int, not_before: datetime, error: str
    ) -> None:
        await self.db.execute(
            "UPDATE outbox SET state = 'pending', attempts = ?, not_before = ?, error = ?"
            " WHERE id = ?",
            (attempts, not_before_db(not_before), error, row_id),
        )

    # ----- observing -----

    async def due_or_sending(self, now: datetime) -> int:
        """Rows pending or on the wire whose time has come."""
        return int(
            await self.db.fetchval(
                "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')"
                " AND (not_before IS NULL OR not_before <= ?)",
                (not_before_db(now),),
            )
        )

    async def count_by_state(self, batch: str | None = None) -> dict[str, int]:
        if batch:
            rows = await self.db.fetchall(
                "SELECT state, COUNT(*) FROM outbox WHERE batch = ? GROUP BY state", (batch,)
            )
        else:
            rows = await self.db.fetchall("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        return {r[0]: r[1] for r in rows}

    async def backlog(self) -> int:
        """Rows pending or sending."""
        return int(
            await self.db.fetchval(
                "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')"
            )
            or 0
        )

    async def failed_count(self) -> int:
        return int(
            await self.db.fetchval("SELECT COUNT(*) FROM outbox WHERE state = 'failed'") or 0
        )
