"""Health of a running bot, from its database: for `/healthz` (webhook mode) and `buurtbot health`.

The CLI runs in another process than the bot, so everything it reports is read from SQLite:
the scheduler writes a heartbeat row (job_runs 'scheduler:tick') on every tick.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from storage.db import Database
from storage.repos import health as health_repo
from storage.repos.inbox import InboxRepo
from storage.repos.outbox import OutboxRepo

HEARTBEAT = "scheduler:tick"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


async def beat(db: Database, now: datetime | None = None) -> None:
    """Record that the scheduler ticked (bookkeeping, never part of an update's change)."""
    await health_repo.record_beat(db, HEARTBEAT, now or _utcnow())


async def collect(
    db: Database, tick_seconds: float = 20.0, now: datetime | None = None
) -> dict[str, Any]:
    """Database reachable, scheduler running (last tick), last update, outbox and inbox backlog.

    ``healthy`` is false when the database cannot be read or the scheduler has not ticked for
    three intervals plus a minute (the process is hung or not running)."""
    now = now or _utcnow()
    report: dict[str, Any] = {"database": "unreachable", "healthy": False}
    try:
        await health_repo.ping(db)
        report["database"] = "ok"
        report["schema_version"] = await db.user_version()
        inbox, outbox = InboxRepo(db), OutboxRepo(db)
        report["last_update_at"] = await inbox.last_received_at()
        report["inbox_backlog"] = await inbox.unprocessed_count()
        report["outbox_backlog"] = await outbox.backlog()
        report["outbox_failed"] = await outbox.failed_count()
        tick = _parse(await health_repo.last_beat(db, HEARTBEAT))
        report["scheduler_last_tick"] = tick.isoformat(timespec="seconds") if tick else None
        stale = timedelta(seconds=3 * tick_seconds + 60)
        report["scheduler_running"] = tick is not None and now - tick <= stale
    except Exception as exc:  # a locked, missing or corrupt database
        report["error"] = type(exc).__name__
        return report
    report["healthy"] = report["scheduler_running"]
    return report
