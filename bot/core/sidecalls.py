"""Bot API calls an update's handlers start without waiting for them.

A button press costs Telegram two calls: answering the press (the spinner or a short toast) and
editing the message. Nothing in the edit depends on the answer, so the answer is started as a
task and goes out alongside the edit: one round trip per press instead of two, which is what
counts at Telegram's real latency (docs/benchmarks.md).

The update processor opens a scope per update (``scope()``) and waits for the scope's calls
before the update counts as processed, so "processed" still means "everything sent" and the next
update of the same chat still starts after them. Outside a scope the task is kept alive here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from contextvars import ContextVar
from typing import Any

log = logging.getLogger(__name__)

_scope: ContextVar[list[asyncio.Task[Any]] | None] = ContextVar("buurtbot_sidecalls", default=None)
_unscoped: set[asyncio.Task[Any]] = set()


def start(call: Coroutine[Any, Any, Any], what: str) -> None:
    """Run ``call`` alongside the handler; its failure is logged, never raised."""
    task = asyncio.ensure_future(_guarded(call, what))
    tasks = _scope.get()
    if tasks is not None:
        tasks.append(task)
    else:
        _unscoped.add(task)
        task.add_done_callback(_unscoped.discard)


async def _guarded(call: Coroutine[Any, Any, Any], what: str) -> None:
    try:
        await call
    except Exception as exc:  # noqa: BLE001 -- a side call never fails the update
        log.info("%s failed: %s", what, exc.__class__.__name__)


def open_scope() -> list[asyncio.Task[Any]]:
    tasks: list[asyncio.Task[Any]] = []
    _scope.set(tasks)
    return tasks


async def drain(tasks: list[asyncio.Task[Any]]) -> None:
    """Wait for the side calls of one update (they never raise)."""
    while tasks:
        pending, tasks[:] = list(tasks), []
        await asyncio.gather(*pending, return_exceptions=True)
