"""Heartbeats (job_runs rows) and the cheapest read there is: what a health check asks of SQLite."""

from __future__ import annotations

from datetime import datetime

from storage.db import Database


async def ping(db: Database) -> None:
    """One trivial read: raises when the database cannot be read."""
    await db.fetchval("SELECT 1")


async def record_beat(db: Database, name: str, at: datetime) -> None:
    """Record that ``name`` ran at ``at`` (bookkeeping, never part of an update's change)."""
    async with db.transaction(mark=False) as conn:
        await conn.execute(
            "INSERT INTO job_runs (name, last_run) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET last_run = excluded.last_run",
            (name, at.isoformat(timespec="seconds")),
        )


async def last_beat(db: Database, name: str) -> str | None:
    """When ``name`` last ran, as stored (None when it never did)."""
    value: str | None = await db.fetchval("SELECT last_run FROM job_runs WHERE name = ?", (name,))
    return value
