"""Kill-and-restart driver shared by tests/test_kill_restart.py and bench/kill_restart.py.

The Bot API double runs here; the bot runs as a subprocess (tests/bot_runner.py, the real
`buurtbot run` path) on a database in a temporary directory. A backlog of residents joining a
group, writing notes, asking for help and broadcasting is pushed, the bot is SIGKILLed at random
points while it processes, restarted, and finally stopped with SIGTERM. Then every effect is
counted.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.playground.botapi_double import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
TOKEN_G = "killtestgroup"
BCAST_CHAT = 900_000_001  # the organiser who receives every broadcast (outbox)


@dataclass
class KillReport:
    updates: int
    kills: int
    restarts: int
    seconds: float
    lost: int = 0  # committed to the inbox but never processed, or never stored at all
    applied_twice: int = 0  # kill_notes rows beyond one per /note or /bcast update
    memberships_expected: int = 0
    memberships: int = 0
    notes_expected: int = 0
    notes: int = 0
    outbox_rows: int = 0
    outbox_sent: int = 0
    outbox_not_delivered: int = 0
    outbox_delivered_twice: int = 0  # at-least-once: rows on the wire at a SIGKILL
    replies_missing: int = 0  # killed after the commit, before the direct reply
    replies_repeated: int = 0  # killed after a read-only reply, before 'processed'
    integrity: str = ""
    sigterm_exit: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def bot_env(api: FakeBotAPI, db_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            (
                "BOT_",
                "TELEGRAM_",
                "DATABASE_",
                "ADMIN_",
                "WEBHOOK_",
                "LOG_",
                "OUTBOX_",
                "PACE_",
                "FLOOD_",
            )
        )
    }
    env.update(
        BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        TELEGRAM_FILE_BASE_URL=api.base_file_url,
        DATABASE_PATH=str(db_path),
        POLLING_TIMEOUT="1",
        OUTBOX_RATE="30",
        OUTBOX_CHAT_INTERVAL="0",
        # As bot/playground/harness.py: direct replies unpaced against the double, no flood guard
        # for one test person pressing hundreds of buttons a minute.
        PACE_DIRECT_REPLIES="false",
        FLOOD_MAX_PER_MINUTE="1000000",
        SCHEDULER_TICK_SECONDS="1",
        BCAST_CHAT=str(BCAST_CHAT),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def start_bot(env: dict[str, str], log_path: Path, *args: str) -> subprocess.Popen:
    # The child gets its own copy of the descriptor; ours is closed once it is started.
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.bot_runner", *args],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )


def prepare_db(db_path: Path) -> None:
    """Migrate and create one project with one group (what an admin and worker would do)."""
    from storage.db import Database

    async def go() -> None:
        db = Database(db_path)
        await db.open()
        await db.migrate()
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO projects (id, name, created_at)"
                " VALUES (1, 'Rabot', '2026-01-01T00:00:00+00:00')"
            )
            await conn.execute(
                "INSERT INTO groups (id, project_id, name, member_token, created_at)"
                " VALUES (1, 1, 'Huurders Rabot', ?, '2026-01-01T00:00:00+00:00')",
                (TOKEN_G,),
            )
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS kill_notes (update_id INTEGER NOT NULL,"
                " user_tg INTEGER NOT NULL, kind TEXT NOT NULL)"
            )
        await db.close()

    asyncio.run(go())  # in a worker thread: its own event loop


async def prepare_db_async(db_path: Path) -> None:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, prepare_db, db_path)


def backlog(api: FakeBotAPI, n: int, rng: random.Random) -> tuple[dict[int, str], dict[int, int]]:
    """Pushes n updates; returns update_id -> kind ('join', 'note', 'bcast', 'help', 'text')
    and update_id -> the sender's chat."""
    kinds: dict[int, str] = {}
    owners: dict[int, int] = {}
    residents = max(1, n // 5)
    users = [api.make_user(2_000_000 + i, f"R{i}", language_code="nl") for i in range(residents)]
    joined: set[int] = set()
    organiser = api.make_user(BCAST_CHAT, "Org", language_code="nl")
    first = api.push_update(api.text_update(organiser, "/help"))["update_id"]
    kinds[first], owners[first] = "help", BCAST_CHAT
    while len(kinds) < n:
        u = rng.choice(users)
        if u["id"] not in joined:
            upd, kind = api.text_update(u, f"/start g_{TOKEN_G}"), "join"
            joined.add(u["id"])
        else:
            r = rng.random()
            if r < 0.02:
                upd, kind = api.text_update(u, "/bcast"), "bcast"
            elif r < 0.6:
                upd, kind = api.text_update(u, "/note"), "note"
            elif r < 0.8:
                upd, kind = api.text_update(u, "/help"), "help"
            else:
                upd, kind = api.text_update(u, "is the meeting <b>today</b>? & ‏مرحبا"), "text"
        uid = api.push_update(upd)["update_id"]
        kinds[uid], owners[uid] = kind, u["id"]
    return kinds, owners


def _query(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


async def run_kill_test(
    workdir: Path, n_updates: int = 5000, kills: int = 3, seed: int = 7, timeout: float = 110.0
) -> KillReport:
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "kill.sqlite3"
    log_path = workdir / "bot.log"
    await prepare_db_async(db_path)
    api = FakeBotAPI(latency=0.0)
    await api.start()
    t0 = time.monotonic()
    report = KillReport(updates=n_updates, kills=0, restarts=0, seconds=0.0)
    try:
        kinds, owners = backlog(api, n_updates, rng)
        env = bot_env(api, db_path)
        deadline = time.monotonic() + timeout
        # Kill points: after a random number of replies, spread over the run.
        points = sorted(rng.sample(range(n_updates // 10, int(n_updates * 0.9)), kills))
        proc = start_bot(env, log_path)
        for point in points:
            while len(api.calls_of("sendMessage")) < point:
                if proc.poll() is not None:
                    raise RuntimeError(f"bot exited early ({proc.returncode}); see {log_path}")
                if time.monotonic() > deadline:
                    raise TimeoutError("kill point not reached")
                await asyncio.sleep(rng.uniform(0.001, 0.02))
            proc.send_signal(signal.SIGKILL)
            await asyncio.get_running_loop().run_in_executor(None, proc.wait)
            report.kills += 1
            proc = start_bot(env, log_path)
            report.restarts += 1
        # Wait until everything is stored, processed and the outbox is empty.
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"bot exited ({proc.returncode}); see {log_path}")
            if time.monotonic() > deadline:
                raise TimeoutError("backlog not processed in time")
            if not api.pending_updates():
                rows = await asyncio.get_running_loop().run_in_executor(
                    None,
                    _query,
                    db_path,
                    "SELECT (SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL),"
                    " (SELECT COUNT(*) FROM inbox),"
                    " (SELECT COUNT(*) FROM outbox WHERE state IN ('pending','sending'))",
                )
                unprocessed, total, outbox_open = rows[0]
                if unprocessed == 0 and total >= n_updates and outbox_open == 0:
                    break
            await asyncio.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        report.sigterm_exit = await asyncio.get_running_loop().run_in_executor(
            None, lambda: proc.wait(timeout=30)
        )
        report.seconds = time.monotonic() - t0
        await _count(api, db_path, kinds, owners, report)
    finally:
        if "proc" in locals() and proc.poll() is None:
            proc.kill()
        await api.stop()
    return report


async def _count(
    api: FakeBotAPI,
    db_path: Path,
    kinds: dict[int, str],
    owners: dict[int, int],
    report: KillReport,
) -> None:
    loop = asyncio.get_running_loop()

    def q(sql: str, params: tuple = ()) -> list[tuple]:
        return _query(db_path, sql, params)

    inbox = dict(await loop.run_in_executor(None, q, "SELECT update_id, processed_at FROM inbox"))
    report.lost = sum(1 for uid in kinds if inbox.get(uid) is None)
    notes = Counter(
        r[0] for r in await loop.run_in_executor(None, q, "SELECT update_id FROM kill_notes")
    )
    expected_notes = [u for u, k in kinds.items() if k in ("note", "bcast")]
    report.notes_expected = len(expected_notes)
    report.notes = sum(1 for u in expected_notes if notes.get(u, 0) >= 1)
    report.lost += sum(1 for u in expected_notes if notes.get(u, 0) == 0)
    report.applied_twice = sum(c - 1 for c in notes.values() if c > 1)
    report.memberships_expected = sum(1 for k in kinds.values() if k == "join")
    report.memberships = (await loop.run_in_executor(None, q, "SELECT COUNT(*) FROM memberships"))[
        0
    ][0]
    outbox = await loop.run_in_executor(None, q, "SELECT id, state, payload FROM outbox")
    report.outbox_rows = len(outbox)
    report.outbox_sent = sum(1 for r in outbox if r[1] == "sent")
    delivered = Counter(m.get("text") for m in api.sent_messages(BCAST_CHAT))
    for _id, _state, payload in outbox:
        n = delivered.get(json.loads(payload)["text"], 0)
        if n == 0:
            report.outbox_not_delivered += 1
        elif n > 1:
            report.outbox_delivered_twice += n - 1
    # Direct replies: one per update (broadcasts to the organiser are counted above).
    report.extra["bcast_updates"] = sum(1 for k in kinds.values() if k == "bcast")
    sent_to: Counter = Counter()
    for call in api.calls_of("sendMessage"):
        if (
            call.ok
            and isinstance(call.params.get("chat_id"), int)
            and not str(call.params.get("text", "")).startswith("bcast ")
        ):
            sent_to[call.params["chat_id"]] += 1
    expected_to = Counter(owners.values())
    report.replies_missing = sum(max(0, n - sent_to.get(c, 0)) for c, n in expected_to.items())
    report.replies_repeated = sum(max(0, sent_to.get(c, 0) - n) for c, n in expected_to.items())
    report.integrity = (await loop.run_in_executor(None, q, "PRAGMA integrity_check"))[0][0]
