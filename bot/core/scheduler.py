"""Time-driven work. What is due is always read from SQLite, so a restart loses nothing:
one repeating JobQueue tick asks every registered task to do what is due at ``clock.now()``.

Tests and the playground call ``run_due()`` after moving the injected clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.core.clock import Clock

log = logging.getLogger(__name__)

DueTask = Callable[[datetime], Awaitable[Any]]


class Scheduler:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._tasks: list[tuple[str, DueTask]] = []
        self._lock = asyncio.Lock()
        self.last_tick: datetime | None = None

    def register(self, name: str, task: DueTask) -> None:
        """Register work to run on every tick; names are unique (idempotent re-registration)."""
        self._tasks = [(n, t) for n, t in self._tasks if n != name]
        self._tasks.append((name, task))

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self._tasks]

    async def run_due(self, now: datetime | None = None) -> None:
        async with self._lock:  # ticks never overlap, so nothing due is done twice
            when = now or self.clock.now()
            for name, task in self._tasks:
                try:
                    await task(when)
                except Exception:
                    log.exception("scheduled task %s failed", name)
            self.last_tick = when

    async def tick(self, _context: object = None) -> None:
        await self.run_due()
