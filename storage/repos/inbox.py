"""The inbox table: every update from Telegram, committed before Telegram is told it arrived.

An update is 'processed' when ``processed_at`` is set; ``storage.db.Database.transaction`` sets
it in the same transaction as the update's change. Ordering and dispatch are
``bot.runtime.intake``'s business; this module only reads and writes rows.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import Database
from storage.timestamps import to_db


class InboxRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def add_tx(
        conn: aiosqlite.Connection,
        update_id: int,
        chat_key: str,
        raw: dict[str, Any],
        received_at: datetime,
    ) -> bool:
        """Store one update; False when it is there already (a redelivery)."""
        cur = await conn.execute(
            "INSERT OR IGNORE INTO inbox (update_id, chat_key, payload, received_at)"
            " VALUES (?, ?, ?, ?)",
            (
                update_id,
                chat_key,
                json.dumps(raw, ensure_ascii=False, separators=(",", ":")),
                to_db(received_at),
            ),
        )
        return bool(cur.rowcount)

    async def mark_processed(self, update_id: Any, at: datetime) -> None:
        """Record an update as processed outside a handler (e.g. one that cannot be decoded)."""
        await self.db.execute(
            "UPDATE inbox SET processed_at = ? WHERE update_id = ?",
            (to_db(at), update_id),
        )

    async def unprocessed(self) -> list[dict[str, Any]]:
        """The updates committed but not processed yet, in order, as Telegram sent them."""
        rows = await self.db.fetchall(
            "SELECT payload FROM inbox WHERE processed_at IS NULL ORDER BY update_id"
        )
        return [json.loads(r[0]) for r in rows]

    async def max_update_id(self) -> int | None:
        last = await self.db.fetchval("SELECT MAX(update_id) FROM inbox")
        return int(last) if last is not None else None

    async def last_received_at(self) -> str | None:
        value: str | None = await self.db.fetchval("SELECT MAX(received_at) FROM inbox")
        return value

    async def unprocessed_count(self) -> int:
        return int(
            await self.db.fetchval("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL") or 0
        )
