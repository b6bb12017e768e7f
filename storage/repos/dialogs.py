"""The open conversation of each person: which question the bot is waiting to have answered."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import Database
from storage.timestamps import from_db, to_db


@dataclass(frozen=True)
class Dialog:
    user_id: int
    kind: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: str = ""

    def age_seconds(self, now: datetime) -> float:
        then = from_db(self.updated_at)
        return (now - then).total_seconds() if then else 0.0


_GET = "SELECT user_id, kind, step, data, updated_at FROM dialogs WHERE user_id = ?"


def _row(
    user_id: int, kind: str, step: str, data: dict[str, Any], now: datetime
) -> tuple[int, str, str, str, str]:
    """A dialogs row as stored (and as _GET reads it back)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (user_id, kind, step, body, to_db(now))


async def _write_tx(conn: aiosqlite.Connection, row: tuple[int, str, str, str, str]) -> None:
    await conn.execute(
        "INSERT INTO dialogs (user_id, kind, step, data, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, step = excluded.step,"
        " data = excluded.data, updated_at = excluded.updated_at",
        row,
    )


class DialogsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, user_id: int) -> Dialog | None:
        row = await self.db.fetchone(_GET, (user_id,), per_update=True)
        if row is None:
            return None
        return Dialog(row[0], row[1], row[2], json.loads(row[3]), row[4])

    @staticmethod
    async def set_tx(
        conn: aiosqlite.Connection,
        user_id: int,
        kind: str,
        step: str,
        data: dict[str, Any],
        now: datetime,
    ) -> Dialog:
        await _write_tx(conn, _row(user_id, kind, step, data, now))
        return Dialog(user_id, kind, step, data, to_db(now))

    async def set(
        self, user_id: int, kind: str, step: str, data: dict[str, Any], now: datetime
    ) -> Dialog:
        row = _row(user_id, kind, step, data, now)
        async with self.db.transaction() as conn:
            await _write_tx(conn, row)
        # Each message of the step asks whether a conversation is open (its Cancel button).
        self.db.remember(_GET, (user_id,), [row])
        return Dialog(user_id, kind, step, data, row[4])

    @staticmethod
    async def clear_tx(conn: aiosqlite.Connection, user_id: int, kind: str | None = None) -> None:
        """End the person's conversation (only if it is of ``kind``, when given)."""
        if kind is None:
            await conn.execute("DELETE FROM dialogs WHERE user_id = ?", (user_id,))
        else:
            await conn.execute(
                "DELETE FROM dialogs WHERE user_id = ? AND kind = ?", (user_id, kind)
            )

    async def clear(self, user_id: int) -> None:
        async with self.db.transaction() as conn:
            await self.clear_tx(conn, user_id)
        self.db.remember(_GET, (user_id,), [])
