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
    async def add_many_tx(
        conn: aiosqlite.Connection,
        updates: list[tuple[int, str, dict[str, Any]]],
        received_at: datetime,
    ) -> set[int]:
        """Store a batch of (update_id, chat_key, raw) in one statement (one trip to SQLite's
        thread, not one per update); returns the ids that were new (not a redelivery)."""
        fresh: set[int] = set()
        stamp = to_db(received_at)
        for start in range(0, len(updates), 200):  # 800 parameters, well under SQLite's limit
            chunk = updates[start : start + 200]
            params: list[Any] = []
            for update_id, key, raw in chunk:
                body = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
                params += [update_id, key, body, stamp]
            rows = await conn.execute_fetchall(
                "INSERT OR IGNORE INTO inbox (update_id, chat_key, payload, received_at) VALUES "
                + ",".join(["(?, ?, ?, ?)"] * len(chunk))
                + " RETURNING update_id",
                params,
            )
            fresh.update(int(r[0]) for r in rows)
        return fresh

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
