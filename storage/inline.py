"""The writer's transactions, run on the event loop: the subset of aiosqlite's connection API
that the repositories use (``await conn.execute(...)``, ``async with conn.execute(...) as cur``,
``execute_fetchall``, ``executemany``), answered by a plain sqlite3 connection at once.

Why: a transaction holds the writer's lock, and every statement in it was a hop to aiosqlite's
thread and back (about 120 µs of wall time for a 10 µs statement, the loop mostly idle
meanwhile). With 50 residents pressing "Send" at once, their transactions queued behind each
other's hops (bench/report_flow.py). A statement here takes what SQLite takes.

What keeps the loop from ever waiting on the disk or another process (storage/db.py):
- the connection never waits for a lock (busy_timeout 0): when another process holds the write
  lock, BEGIN is retried with an asynchronous sleep in between;
- it never checkpoints the write-ahead log itself (wal_autocheckpoint 0): the threaded writer
  does that in the background;
- COMMIT in WAL mode with synchronous=NORMAL writes to the log without an fsync;
- a transaction of many statements gives the loop back every few milliseconds (the writer's
  lock stays held, as it did across the thread hops), and one whose single statement may scan a
  large table asks for the writer's thread instead (``transaction(threaded=True)``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any


class InlineCursor:
    """An aiosqlite-like cursor over a sqlite3 cursor whose statement already ran."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def close(self) -> None:
        self._cursor.close()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()


class _Ran:
    """What ``execute`` returns: awaitable (the cursor) and an async context manager, like
    aiosqlite's. The statement has run by the time it is returned; awaiting it gives the loop
    back once when the loop has gone a slice without a turn."""

    def __init__(self, cursor: InlineCursor, pause: bool) -> None:
        self._cursor = cursor
        self._pause = pause

    def __await__(self) -> Generator[Any, None, InlineCursor]:
        if self._pause:
            yield  # one turn of the loop (what asyncio.sleep(0) does)
        return self._cursor

    async def __aenter__(self) -> InlineCursor:
        return await self

    async def __aexit__(self, *_exc: object) -> None:
        await self._cursor.close()


class InlineConnection:
    """The transaction's connection, as the repositories see it (see the module docstring)."""

    def __init__(self, raw: sqlite3.Connection, turn_due: Callable[[], bool]) -> None:
        self.raw = raw
        self._turn_due = turn_due

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    def _pause(self) -> bool:
        """Has the loop gone a slice without a turn (an action call to 5,000 people is 10,000
        statements)? Then the next await gives it back once (see Database._turn_due)."""
        return self._turn_due()

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> _Ran:
        return _Ran(InlineCursor(self.raw.execute(sql, parameters)), self._pause())

    async def execute_fetchall(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()
    ) -> list[Any]:
        rows = self.raw.execute(sql, parameters).fetchall()
        if self._pause():
            await asyncio.sleep(0)
        return rows

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> InlineCursor:
        cursor = InlineCursor(self.raw.executemany(sql, rows))
        if self._pause():
            await asyncio.sleep(0)
        return cursor
