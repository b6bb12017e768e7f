from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.db import Database, MigrationError, migrations


async def test_empty_database_migrates_to_newest(tmp_path):
    db = Database(tmp_path / "t.sqlite3")
    await db.open()
    try:
        version = await db.migrate()
        assert version == len(migrations()) == await db.user_version()
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
        assert await db.fetchval("PRAGMA busy_timeout") == 5000
        assert await db.integrity_check() == "ok"
        # Running again changes nothing.
        assert await db.migrate() == version
    finally:
        await db.close()


async def test_migration_that_does_not_move_version_fails_loudly(tmp_path, monkeypatch):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (x); PRAGMA user_version = 1;")
    (folder / "0002_b.sql").write_text("CREATE TABLE b (x);")
    monkeypatch.setattr("storage.db.MIGRATIONS_DIR", folder)
    db = Database(tmp_path / "t.sqlite3")
    await db.open()
    try:
        with pytest.raises(MigrationError, match="0002_b.sql"):
            await db.migrate()
        assert await db.user_version() == 1
        # The failed file left nothing behind.
        assert await db.fetchval("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'") == 0
    finally:
        await db.close()


async def test_backup_is_a_usable_copy(tmp_path):
    db = Database(tmp_path / "t.sqlite3")
    await db.open()
    await db.migrate()
    await db.execute(
        "INSERT INTO users (tg_id, created_at, last_seen_at) VALUES (5, '2026-01-01', '2026-01-01')"
    )
    await db.backup(tmp_path / "b" / "copy.sqlite3")
    await db.close()
    copy = Database(tmp_path / "b" / "copy.sqlite3")
    await copy.open()
    assert await copy.fetchval("SELECT tg_id FROM users") == 5
    assert await copy.user_version() == len(migrations())
    await copy.close()


async def test_reads_and_nested_transactions_inside_a_transaction_do_not_deadlock(tmp_path):
    import asyncio

    db = Database(tmp_path / "t.sqlite3")
    await db.open()
    await db.migrate()
    try:

        async def work():
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO users (tg_id, created_at, last_seen_at) VALUES (7, 'x', 'x')"
                )
                # A repository read and a nested transaction from the same task join in.
                assert await db.fetchval("SELECT COUNT(*) FROM users") == 1
                await db.execute("UPDATE users SET first_name = 'A' WHERE tg_id = 7")
            return await db.fetchval("SELECT first_name FROM users WHERE tg_id = 7")

        assert await asyncio.wait_for(work(), 5) == "A"

        # Another task still waits for the lock (it does not see the open transaction).
        async def other():
            return await db.fetchval("SELECT COUNT(*) FROM users")

        async with db.transaction():
            task = asyncio.create_task(other())
            await asyncio.sleep(0.05)
            assert not task.done()
        assert await task == 1
    finally:
        await db.close()


async def test_a_read_asked_again_in_one_update_is_answered_once_until_the_update_writes(tmp_path):
    from storage.db import UpdateScope, current_update
    from storage.repos.dialogs import DialogsRepo

    db = Database(tmp_path / "t.sqlite3")
    await db.open()
    await db.migrate()
    try:
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (id, tg_id, created_at, last_seen_at) VALUES (1, 7, 'x', 'x')"
            )
        dialogs = DialogsRepo(db)
        asked: list[str] = []
        assert db._quick is not None
        # What the point-read connection (on the loop) runs: a per-update read is asked there.
        db._quick.set_trace_callback(asked.append)
        token = current_update.set(UpdateScope(update_id=1))
        try:
            assert await dialogs.get(1) is None
            assert await dialogs.get(1) is None  # the same answer, SQLite not asked again
            assert sum("FROM dialogs" in q for q in asked) == 1
            now = datetime(2026, 12, 1, tzinfo=UTC)
            await dialogs.set(1, "report", "cat", {"a": 1}, now)  # the update writes it
            found = await dialogs.get(1)
            assert found is not None and (found.step, found.data) == ("cat", {"a": 1})
            assert sum("FROM dialogs" in q for q in asked) == 1  # known from the write
            await db.execute("UPDATE dialogs SET step = 'hood' WHERE user_id = 1")  # any write
            found = await dialogs.get(1)
            assert found is not None and found.step == "hood"  # asked afresh, sees the write
            assert sum("FROM dialogs" in q for q in asked) == 2
            await dialogs.clear(1)
            assert await dialogs.get(1) is None
            assert sum("FROM dialogs" in q for q in asked) == 2
        finally:
            current_update.reset(token)
        # Outside an update every read is asked.
        await dialogs.get(1)
        await dialogs.get(1)
        assert sum("FROM dialogs" in q for q in asked) == 4
    finally:
        await db.close()


async def test_a_transaction_waits_for_another_process_without_holding_up_the_loop(tmp_path):
    """`buurtbot setup` holds the write lock in its own process: the bot's transaction (run on
    the loop, storage/inline.py) waits for it asynchronously; everything else keeps going."""
    import asyncio
    import sqlite3

    path = tmp_path / "t.sqlite3"
    db = Database(path)
    await db.open()
    await db.migrate()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process writing
        other.execute(
            "INSERT INTO users (id, tg_id, created_at, last_seen_at) VALUES (1, 7, 'x', 'x')"
        )
        write = asyncio.create_task(
            db.execute(
                "INSERT INTO users (id, tg_id, created_at, last_seen_at) VALUES (2, 8, 'x', 'x')"
            )
        )
        ticks = 0
        for _ in range(10):  # the loop is free while the transaction waits
            await asyncio.sleep(0.005)
            ticks += 1
        assert ticks == 10 and not write.done()
        other.execute("COMMIT")
        await asyncio.wait_for(write, 5)
        assert await db.fetchval("SELECT COUNT(*) FROM users") == 2
    finally:
        other.close()
        await db.close()


async def test_a_failed_transaction_leaves_nothing_and_the_next_one_works(tmp_path):
    db = Database(tmp_path / "t.sqlite3")
    await db.open()
    await db.migrate()
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO users (id, tg_id, created_at, last_seen_at)"
                    " VALUES (1, 7, 'x', 'x')"
                )
                raise RuntimeError("a handler failed half-way")
        assert await db.fetchval("SELECT COUNT(*) FROM users") == 0
        async with db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO users (id, tg_id, created_at, last_seen_at) VALUES (2, 8, 'x', 'x')"
            )
            assert cur.lastrowid == 2 and cur.rowcount == 1
            async with conn.execute("SELECT tg_id FROM users WHERE id = 2") as c:
                assert (await c.fetchone())[0] == 8
        assert await db.fetchval("SELECT tg_id FROM users") == 8
    finally:
        await db.close()


async def test_the_log_is_checkpointed_in_the_background(tmp_path, monkeypatch):
    """The loop's connection never checkpoints; every CHECKPOINT_EVERY commits the threaded
    writer does (PASSIVE), so the write-ahead log does not grow without end."""
    import storage.db as dbmod

    monkeypatch.setattr(dbmod, "CHECKPOINT_EVERY", 3)
    db = Database(tmp_path / "t.sqlite3")
    await db.open()
    await db.migrate()
    asked: list[str] = []
    await db.conn.set_trace_callback(asked.append)
    try:
        for i in range(3):
            await db.execute(
                "INSERT INTO users (id, tg_id, created_at, last_seen_at) VALUES (?, ?, 'x', 'x')",
                (i + 1, i + 10),
            )
        assert db._checkpoint is not None
        await db._checkpoint
        assert asked.count("PRAGMA wal_checkpoint(PASSIVE)") == 1
        assert await db.fetchval("SELECT COUNT(*) FROM users") == 3
    finally:
        await db.close()


async def test_a_long_transaction_gives_the_loop_back_and_a_scan_goes_to_the_thread(
    tmp_path, monkeypatch
):
    """Many statements: the loop gets a turn between them (an action call to thousands).
    ``threaded=True`` (a statement that scans a large table): the writer's thread runs it."""
    import asyncio

    import storage.db as dbmod

    monkeypatch.setattr(dbmod, "SLICE_SECONDS", 0.0)  # a turn after every statement
    db = Database(tmp_path / "t.sqlite3")
    await db.open()
    await db.migrate()
    try:
        written: list[int] = []
        seen: list[int] = []

        async def someone_else() -> None:
            for _ in range(40):
                seen.append(len(written))
                await asyncio.sleep(0)

        other = asyncio.create_task(someone_else())
        async with db.transaction() as conn:
            for i in range(20):
                await conn.execute(
                    "INSERT INTO users (id, tg_id, created_at, last_seen_at)"
                    " VALUES (?, ?, 'x', 'x')",
                    (i + 1, i + 100),
                )
                written.append(i)
        await other
        assert any(0 < n < 20 for n in seen)  # it ran while the transaction was open
        asked: list[str] = []
        await db.conn.set_trace_callback(asked.append)
        async with db.transaction(threaded=True) as conn:
            await conn.execute("DELETE FROM users WHERE tg_id > 110")
        assert "DELETE FROM users WHERE tg_id > 110" in asked
        assert await db.fetchval("SELECT COUNT(*) FROM users") == 11
    finally:
        await db.close()


async def test_a_read_is_answered_on_the_loop_unless_it_takes_long(tmp_path, monkeypatch):
    """Small reads: on the loop's read-only connection. A read that runs past its slice is
    stopped there and asked of the reader's thread (the loop is never held by a big read)."""
    db = Database(tmp_path / "t.sqlite3")
    await db.open()
    await db.migrate()
    try:
        on_loop: list[str] = []
        threaded: list[str] = []
        assert db._quick is not None and db._reader is not None
        db._quick.set_trace_callback(on_loop.append)
        await db._reader.set_trace_callback(threaded.append)
        assert await db.fetchval("SELECT COUNT(*) FROM users") == 0
        assert on_loop == ["SELECT COUNT(*) FROM users"] and threaded == []
        big = (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000)"
            " SELECT COUNT(*) FROM n"
        )
        assert await db.fetchval(big) == 3_000_000
        assert threaded == [big] and db.reads_moved == 1
    finally:
        await db.close()


async def test_a_job_of_many_short_transactions_and_reads_lets_others_run(tmp_path):
    """Nothing on the loop's connections awaits: a job that escalates a thousand reports (each
    a short transaction, each read answered at once) still gives the loop a turn every few
    milliseconds, so nobody waits for the whole job."""
    import asyncio
    import time

    db = Database(tmp_path / "t.sqlite3")
    await db.open()
    await db.migrate()
    try:
        turns: list[float] = []
        stop = asyncio.Event()

        async def someone_else() -> None:
            while not stop.is_set():
                turns.append(time.perf_counter())
                await asyncio.sleep(0)

        other = asyncio.create_task(someone_else())
        await asyncio.sleep(0)
        start = time.perf_counter()
        for i in range(2000):
            await db.fetchval("SELECT COUNT(*) FROM users")
            await db.execute(
                "INSERT INTO users (id, tg_id, created_at, last_seen_at) VALUES (?, ?, 'x', 'x')",
                (i + 1, i + 100),
            )
        took = time.perf_counter() - start
        stop.set()
        await other
        during = [t for t in turns if start < t < start + took]
        assert took > 0.02  # long enough to need turns
        assert len(during) >= 2
        gaps = [b - a for a, b in zip([start, *during], [*during, start + took], strict=True)]
        assert max(gaps) < 0.05  # never held for long (slices of 5 ms, with slack)
    finally:
        await db.close()
