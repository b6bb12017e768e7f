"""The SQLite connections, migrations, and transactions that mark the update.

Writes are serialised by an asyncio lock: SQLite serialises writers anyway, and one connection
cannot interleave two tasks' transactions. Never await the network inside ``transaction()``.

- **Transactions** run on the event loop through a plain sqlite3 connection (storage/inline.py):
  a statement takes what SQLite takes, instead of a hop to a thread and back (about 120 µs of
  wall time for a 10 µs statement, the writer's lock held meanwhile). That connection never
  waits on the loop: another process's write lock is waited out with asynchronous retries; it
  never checkpoints (the threaded writer does, in the background); a transaction of many
  statements gives the loop back every few milliseconds; one that may scan a large table asks
  for the thread (``threaded=True``).
- **The threaded writer** (aiosqlite): migrations, backups, checkpoints, PRAGMAs, ``threaded``
  transactions, and an in-memory database (which cannot be shared between connections).
- **Reads** while no transaction is open go to a read-only aiosqlite connection and take no
  lock: many updates' small reads queue on its thread and are answered back to back.
- **Point reads** (``per_update=True``: one person's open conversation, roles, a neighbourhood
  by id) are asked of a read-only connection on the loop: an indexed lookup takes about 10 µs,
  a hop costs the loop 30–50 µs and the thread the GIL (bench/report_flow.py). A reader never
  waits in WAL mode; if SQLite ever answers "busy", the read goes to the thread instead.

Each read sees every transaction committed before it (a new snapshot per statement). A read
(not a point read) while another task's transaction is open waits for it, so a task woken from
inside a transaction finds what it committed. A read inside a transaction uses the
transaction's connection, so it sees the transaction's own changes.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import aiosqlite

from storage.files import private_file
from storage.inline import InlineConnection

log = logging.getLogger(__name__)

# How long a transaction waits for another process's write lock (as busy_timeout does).
BUSY_SECONDS = 5.0
# The longest the database's work on the loop (reads, transactions, one after another: a job
# escalating a thousand reports) goes without giving the loop a turn.
SLICE_SECONDS = 0.005
# The longest a read runs on the loop before it is stopped and asked of the reader's thread.
READ_SLICE_SECONDS = 0.002
# The write-ahead log is checkpointed in the background every so many commits.
CHECKPOINT_EVERY = 500

_MARK = "UPDATE inbox SET processed_at = ? WHERE update_id = ?"

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    pass


@dataclass
class UpdateScope:
    """The update being processed; a transaction inside it records the update as processed."""

    update_id: int
    marked: bool = False
    # Set by the error handler: the exception a handler raised (outcome 'error' in the log).
    error: BaseException | None = None
    # Reads asked with ``per_update=True`` (who is this, which conversation is open, ...): asked
    # of SQLite once per update. Emptied whenever the update writes; None once it is done.
    reads: dict[tuple[str, tuple[Any, ...]], list[aiosqlite.Row]] | None = field(
        default_factory=dict
    )

    def wrote(self) -> None:
        """The update changed something: what it read before may be out of date."""
        if self.reads is not None:
            self.reads = {}


current_update: ContextVar[UpdateScope | None] = ContextVar("current_update", default=None)


def migrations() -> list[tuple[int, Path]]:
    found: list[tuple[int, Path]] = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise MigrationError(f"badly named migration {path.name}")
        found.append((int(match.group(1)), path))
    numbers = [n for n, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise MigrationError(f"migrations must be numbered 1..N without gaps, found {numbers}")
    return found


class Database:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        # Point reads on the event loop itself (see the module's docstring).
        self._quick: sqlite3.Connection | None = None
        self._read_deadline = 0.0
        self._last_turn = time.perf_counter()  # when the loop last ran something else
        self._turn_asked = False
        self.reads_moved = 0  # reads stopped on the loop for taking too long, asked again
        # The writer's transactions run on the loop through this one (storage/inline.py).
        self._inline: sqlite3.Connection | None = None
        self._tx_conn: aiosqlite.Connection | None = None
        self._commits = 0
        self._checkpoint: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        # The task holding the connection in a transaction: its reads and nested transactions
        # use the connection directly instead of waiting for the lock it already holds.
        self._holder: asyncio.Task[Any] | None = None

    def _held_by_me(self) -> bool:
        return self._holder is not None and self._holder is asyncio.current_task()

    def _turn_due(self) -> bool:
        """Work on the loop's connections does not await: has the loop gone SLICE_SECONDS
        without a turn? A callback asked for soon tells when it got one; if it has not run,
        the loop is still ours and it is time to give it back."""
        now = time.perf_counter()
        if now - self._last_turn < SLICE_SECONDS:
            if not self._turn_asked:
                self._turn_asked = True
                asyncio.get_running_loop().call_soon(self._turned)
            return False
        self._last_turn = now
        return True

    def _turned(self) -> None:
        self._last_turn = time.perf_counter()
        self._turn_asked = False

    async def _give_turn(self) -> None:
        if self._turn_due():
            await asyncio.sleep(0)

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def open(self) -> None:
        if self._conn is not None:
            return
        if str(self.path) != ":memory:":
            # SQLite gives the -wal and -shm files the mode of the database file, so making the
            # database 0600 before SQLite opens it covers all three.
            private_file(self.path)
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():  # left by an earlier version, maybe 0644
                    private_file(side)
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        self._conn.row_factory = aiosqlite.Row
        # WAL + NORMAL survives a killed process (kill -9) without losing a commit.
        await self._conn.execute("PRAGMA journal_mode=WAL")
        await self._conn.execute("PRAGMA synchronous=NORMAL")
        await self._conn.execute("PRAGMA busy_timeout=5000")
        await self._conn.execute("PRAGMA foreign_keys=ON")
        if str(self.path) != ":memory:":
            inline = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            inline.row_factory = aiosqlite.Row
            for pragma in (
                "busy_timeout=0",  # never wait on the loop: BEGIN is retried (see transaction)
                "synchronous=NORMAL",
                "foreign_keys=ON",
                "wal_autocheckpoint=0",  # the threaded writer checkpoints (see _committed)
                "cache_size=-1024",  # 1 MB: small statements; the OS caches the file as well
            ):
                inline.execute(f"PRAGMA {pragma}")
            self._inline = inline
            reader = await aiosqlite.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            reader.row_factory = aiosqlite.Row
            await reader.execute("PRAGMA busy_timeout=5000")
            await reader.execute("PRAGMA query_only=ON")
            self._reader = reader
            quick = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro",
                uri=True,
                isolation_level=None,
                check_same_thread=False,  # used on the loop's thread only, never concurrently
            )
            quick.row_factory = aiosqlite.Row
            quick.execute("PRAGMA busy_timeout=0")  # never wait on the loop: fall back instead
            quick.execute("PRAGMA query_only=ON")
            quick.execute("PRAGMA cache_size=-1024")  # 1 MB, as the loop's writer
            # A read that runs past its slice is stopped and asked of the reader's thread.
            quick.set_progress_handler(self._read_too_long, 1000)
            self._quick = quick

    async def close(self) -> None:
        if self._checkpoint is not None:
            with suppress(Exception):
                await self._checkpoint
        if self._inline is not None:
            inline, self._inline = self._inline, None
            inline.close()
        if self._quick is not None:
            quick, self._quick = self._quick, None
            quick.close()
        if self._reader is not None:
            reader, self._reader = self._reader, None
            await reader.close()
        if self._conn is not None:
            async with self._lock:
                await self._conn.close()
                self._conn = None

    async def read_only(self) -> None:
        """From now on no connection of this object writes (a health check)."""
        await self.conn.execute("PRAGMA query_only = ON")
        if self._inline is not None:
            self._inline.execute("PRAGMA query_only = ON")

    async def user_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every migration newer than the database; returns the resulting version."""
        current = await self.user_version()
        for number, path in migrations():
            if number <= current:
                continue
            sql = path.read_text(encoding="utf-8")
            async with self._lock:
                try:
                    # The script runs inside our transaction; we check the version before COMMIT.
                    await self.conn.executescript(f"BEGIN IMMEDIATE;\n{sql}")
                    async with self.conn.execute("PRAGMA user_version") as cur:
                        row = await cur.fetchone()
                    moved = int(row[0]) if row else 0
                    if moved != number:
                        raise MigrationError(
                            f"{path.name} did not set PRAGMA user_version = {number} "
                            f"(found {moved})"
                        )
                    await self.conn.execute("COMMIT")
                except Exception as exc:
                    if self.conn.in_transaction:
                        await self.conn.execute("ROLLBACK")
                    if isinstance(exc, MigrationError):
                        raise
                    raise MigrationError(f"{path.name} failed: {exc}") from exc
            log.info("database migrated to version %d (%s)", number, path.name)
            current = number
        return current

    @asynccontextmanager
    async def transaction(
        self, mark: bool = True, threaded: bool = False
    ) -> AsyncIterator[aiosqlite.Connection]:
        """One atomic change. Inside an update, it also records that update as processed
        (``mark=False`` for bookkeeping that is not the update's own change, e.g. who sent it).
        A transaction opened inside another one (same task) joins it.

        It runs on the loop (storage/inline.py), giving the loop back every few milliseconds
        between statements. ``threaded=True`` runs it on the writer's thread instead: for a
        single statement that may scan a large table (``/forget`` searching every stored
        message for a name, the daily prune), which would otherwise hold the loop for its
        whole length."""
        if self._held_by_me():
            assert self._tx_conn is not None
            yield self._tx_conn
            return
        within = current_update.get()
        if within is not None:
            within.wrote()
        if self._inline is not None and not threaded:
            await self._give_turn()
        async with self._lock:
            scope = within if mark and within is not None and not within.marked else None
            inline = None if threaded else self._inline
            self._holder = asyncio.current_task()
            try:
                if inline is not None:
                    await self._begin_inline(inline, scope)
                    # Typed as aiosqlite's: it answers the part of that API the repositories
                    # use (storage/inline.py; tests/test_storage.py drives it).
                    conn = cast(aiosqlite.Connection, InlineConnection(inline, self._turn_due))
                else:
                    conn = self.conn
                    await conn.execute("BEGIN IMMEDIATE")
                    if scope is not None:
                        await conn.execute(_MARK, (_utcnow(), scope.update_id))
            except BaseException:
                # Failed or cancelled half-way (SQLite's thread runs its queue in order, so a
                # ROLLBACK queued now ends whatever part of the start did run).
                await self._rollback(inline)
                self._holder = None
                raise
            self._tx_conn = conn
            try:
                yield conn
                if inline is not None:
                    inline.execute("COMMIT")
                else:
                    await self.conn.execute("COMMIT")
            except BaseException:
                await self._rollback(inline)
                raise
            else:
                if scope is not None:
                    scope.marked = True
                if inline is not None:
                    self._committed()
            finally:
                self._tx_conn = None
                self._holder = None
                if within is not None:
                    within.wrote()

    async def _rollback(self, inline: sqlite3.Connection | None) -> None:
        with suppress(sqlite3.Error):
            if inline is None:
                await self.conn.execute("ROLLBACK")
            elif inline.in_transaction:
                inline.execute("ROLLBACK")

    async def _begin_inline(self, inline: sqlite3.Connection, scope: UpdateScope | None) -> None:
        """BEGIN IMMEDIATE on the loop's connection; while another process holds the write
        lock (``buurtbot setup``), wait for it asynchronously (up to BUSY_SECONDS, as the
        threaded connections' busy_timeout). The update's mark is the first change: the same
        atomic outcome as marking it last."""
        deadline = time.monotonic() + BUSY_SECONDS
        while True:
            try:
                inline.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.005)
        if scope is not None:
            inline.execute(_MARK, (_utcnow(), scope.update_id))

    def _committed(self) -> None:
        """The loop's connection never checkpoints the write-ahead log (that would write the
        database file and sync it on the loop): every CHECKPOINT_EVERY commits the threaded
        writer does, in the background (PASSIVE: it waits for nobody, nobody waits for it)."""
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY or (
            self._checkpoint is not None and not self._checkpoint.done()
        ):
            return

        async def checkpoint() -> None:
            try:
                await self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except (sqlite3.Error, ValueError, RuntimeError) as exc:  # closing under us
                log.debug("checkpoint skipped: %s", exc)

        self._checkpoint = asyncio.get_running_loop().create_task(checkpoint())

    async def mark_processed(self, update_id: int) -> None:
        """Record an update that changed nothing as processed: one autocommit statement."""
        async with self._lock:
            if self._inline is not None:
                try:
                    self._inline.execute(_MARK, (_utcnow(), update_id))
                    self._committed()
                    return
                except sqlite3.OperationalError as exc:  # another process is writing
                    if not _busy(exc):
                        raise
            await self.conn.execute(_MARK, (_utcnow(), update_id))

    # Reads use execute_fetchall: one hop to aiosqlite's thread instead of three (execute,
    # fetch, close) — each hop is a thread handover, the main cost of a small query.
    #
    # ``per_update=True``: within one update, the same read gives the same rows without asking
    # SQLite again until the update itself writes (a step asks "is a conversation open?" for
    # every message it sends). Only for reads that nothing but the person's own updates change,
    # or where an answer a few milliseconds old is as good (a category's name).
    async def fetchone(
        self, sql: str, params: Sequence[Any] = (), per_update: bool = False
    ) -> aiosqlite.Row | None:
        rows = await self.fetchall(sql, params, per_update)
        return rows[0] if rows else None

    async def fetchall(
        self, sql: str, params: Sequence[Any] = (), per_update: bool = False
    ) -> list[aiosqlite.Row]:
        if self._held_by_me():
            assert self._tx_conn is not None
            return list(await self._tx_conn.execute_fetchall(sql, params))
        if not per_update:
            return await self._read(sql, params)
        scope = current_update.get()
        reads = scope.reads if scope is not None else None
        if reads is None:
            return await self._point_read(sql, params)
        key = (sql, tuple(params))
        hit = reads.get(key)
        if hit is None:
            hit = await self._point_read(sql, params)
            if scope is not None and scope.reads is reads:  # nothing written meanwhile
                reads[key] = hit
        return list(hit)

    async def _point_read(self, sql: str, params: Sequence[Any]) -> list[aiosqlite.Row]:
        """A ``per_update`` read: on the loop even while another task's transaction is open.
        It sees what was committed, not that transaction: for these reads (one person's own
        state, changed only by her own updates, which run one at a time) that is the same."""
        await self._give_turn()
        rows = self._on_loop(sql, params)
        return rows if rows is not None else await self._threaded_read(sql, params)

    def _on_loop(self, sql: str, params: Sequence[Any]) -> list[aiosqlite.Row] | None:
        """The read on the loop's read-only connection, if SQLite answers it within
        READ_SLICE_SECONDS; None when it cannot: busy, or too long (SQLite stopped it, and a
        read changed nothing), so it goes to the reader's thread."""
        quick = self._quick
        if quick is None or sql.lstrip()[:6].upper() == "PRAGMA":
            return None
        self._read_deadline = time.perf_counter() + READ_SLICE_SECONDS
        try:
            return quick.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                self.reads_moved += 1
                return None
            if _busy(exc):
                return None
            raise

    def _read_too_long(self) -> bool:
        return time.perf_counter() > self._read_deadline

    def remember(self, sql: str, params: Sequence[Any], rows: list[Any]) -> None:
        """After the update's own write: what a ``per_update`` read would now answer (rows as
        tuples in the read's column order), so it need not be asked again."""
        scope = current_update.get()
        if scope is not None and scope.reads is not None:
            scope.reads[(sql, tuple(params))] = rows

    async def _read(self, sql: str, params: Sequence[Any]) -> list[aiosqlite.Row]:
        # Most reads are answered on the loop (see _on_loop). While another task's transaction
        # is open, a read waits for it as before (a task it woke from inside the transaction
        # must find what it committed).
        if not self._lock.locked():
            await self._give_turn()
            rows = self._on_loop(sql, params)
            if rows is not None:
                return rows
        return await self._threaded_read(sql, params)

    async def _threaded_read(self, sql: str, params: Sequence[Any]) -> list[aiosqlite.Row]:
        # A PRAGMA is about the connection it is asked on: the writer's is the bot's.
        if (
            self._reader is not None
            and not self._lock.locked()
            and sql.lstrip()[:6].upper() != "PRAGMA"
        ):
            return list(await self._reader.execute_fetchall(sql, params))
        async with self._lock:
            return list(await self.conn.execute_fetchall(sql, params))

    async def data_version(self) -> int:
        """Moves when another process commits (``buurtbot setup`` while the bot runs), not on
        the bot's own commits: asked of the connection the bot's transactions use."""
        if self._inline is not None:
            return int(self._inline.execute("PRAGMA data_version").fetchone()[0])
        return int(await self.fetchval("PRAGMA data_version", per_update=True))

    async def fetchval(self, sql: str, params: Sequence[Any] = (), per_update: bool = False) -> Any:
        row = await self.fetchone(sql, params, per_update)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        async with self.transaction() as conn:
            await conn.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def backup(self, target: Path | str) -> None:
        """Online backup (SQLite's backup API): consistent even while the bot runs. The copy is
        0600 like the database (it holds the same personal data)."""
        target = Path(target)
        private_file(target)
        async with self._lock:
            dest = await aiosqlite.connect(target)
            try:
                await self.conn.backup(dest)
            finally:
                await dest.close()

    async def integrity_check(self) -> str:
        return str(await self.fetchval("PRAGMA integrity_check"))


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


def _utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
