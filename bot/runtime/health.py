"""Health of a running bot, from its database: for `/healthz` (webhook mode) and `buurtbot health`.

The CLI runs in another process than the bot, so everything it reports is read from SQLite:
the scheduler writes a heartbeat row (job_runs 'scheduler:tick') on every tick.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from storage.db import Database

HEARTBEAT = "scheduler:tick"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


async def beat(db: Database, now: datetime | None = None) -> None:
    """Record that the scheduler ticked (bookkeeping, never part of an update's change)."""
    async with db.transaction(mark=False) as conn:
        await conn.execute(
            "INSERT INTO job_runs (name, last_run) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET last_run = excluded.last_run",
            (HEARTBEAT, (now or _utcnow()).isoformat(timespec="seconds")),
        )


async def collect(
    db: Database, tick_seconds: float = 20.0, now: datetime | None = None
) -> dict[str, Any]:
    """Database reachable, scheduler running (last tick), last update, outbox and inbox backlog.

    ``healthy`` is false when the database cannot be read or the scheduler has not ticked for
    three intervals plus a minute (the process is hung or not running)."""
    now = now or _utcnow()
    report: dict[str, Any] = {"database": "unreachable", "healthy": False}
    try:
        await db.fetchval("SELECT 1")
        report["database"] = "ok"
        report["schema_version"] = await db.user_version()
        last_update = await db.fetchval("SELECT MAX(received_at) FROM inbox")
        report["last_update_at"] = last_update
        report["inbox_backlog"] = int(
            await db.fetchval("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL") or 0
        )
        report["outbox_backlog"] = int(
            await db.fetchval("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')") or 0
        )
        report["outbox_failed"] = int(
            await db.fetchval("SELECT COUNT(*) FROM outbox WHERE state = 'failed'") or 0
        )
        tick = _parse(await db.fetchval("SELECT last_run FROM job_runs WHERE name = ?", (HEARTBEAT,)))
        report["scheduler_last_tick"] = tick.isoformat(timespec="seconds") if tick else None
        stale = timedelta(seconds=3 * tick_seconds + 60)
        report["scheduler_running"] = tick is not None and now - tick <= stale
    except Exception as exc:  # a locked, missing or corrupt database
        report["error"] = type(exc).__name__
        return report
    report["healthy"] = report["scheduler_running"]
    return report
