"""The bot's memory on a big database: 50,000 members, 1,000,000 outbox rows (a busy year of
broadcasts, 2% still pending) and 100,000 reports (bench/dossier.py's generator). The real bot
(polling, scheduler, outbox sender) runs in its own process against the Bot API double; its
resident memory (VmRSS, and the peak VmHWM) is sampled for ``--seconds`` after it is ready, and
compared with the same bot on an empty database.

    python bench/memory.py [--runs 3] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dossier import generate, iso  # noqa: E402

from storage.db import Database  # noqa: E402

MEMBERS = 50_000
OUTBOX = 1_000_000


def fill(path: Path, now: datetime) -> None:
    # Within the last 12 months: the admin's "12 months, all projects" export takes them all.
    generate(path, 100_000, 152, now, span_days=360)
    rnd = random.Random(7)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    stamp = iso(now)
    with con:
        have = con.execute("SELECT MAX(id) FROM users").fetchone()[0]
        con.executemany(
            "INSERT INTO users (id, tg_id, first_name, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            ((i, 10_000_000 + i, f"Person{i}", stamp, stamp) for i in range(have + 1, MEMBERS + 1)),
        )
        con.executemany(
            "INSERT INTO groups (id, project_id, name, member_token, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            ((p, p, f"Buren {p}", f"tok{p:06d}", stamp) for p in range(1, 153)),
        )
        con.executemany(
            "INSERT INTO memberships (group_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)",
            ((1 + u % 152, u, "member", stamp) for u in range(1, MEMBERS + 1)),
        )

        def outbox():
            for i in range(1, OUTBOX + 1):
                user = rnd.randint(1, MEMBERS)
                pending = i > OUTBOX * 0.98
                payload = json.dumps({"text": f"Buurtfeest zaterdag om 14u! ({i})"})
                yield (
                    i,
                    10_000_000 + user,
                    "sendMessage",
                    payload,
                    "pending" if pending else "sent",
                    f"action:{i // 5000}",
                    f"bench:{i}",
                    None if pending else i,
                    stamp,
                    None if pending else stamp,
                )

        con.executemany(
            "INSERT INTO outbox (id, chat_id, method, payload, state, batch, dedupe_key,"
            " message_id, created_at, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            outbox(),
        )
    con.execute("ANALYZE")
    con.close()


def rss_mb(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM in MB (0 for a process that just ended: a zombie has neither)."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = re.search(r"VmRSS:\s+(\d+)", status)
    hwm = re.search(r"VmHWM:\s+(\d+)", status)
    if rss is None or hwm is None:
        return 0.0, 0.0
    return int(rss.group(1)) / 1024, int(hwm.group(1)) / 1024


async def child(api: str, db: str) -> None:
    """The bot as `buurtbot run` starts it: polling, scheduler and outbox sender."""
    from bot.core.settings import Settings
    from bot.runtime.app import build_application
    from bot.runtime.runner import Runtime

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token="123456:TEST",  # type: ignore[arg-type]
        telegram_api_base_url=api + "/bot",
        telegram_file_base_url=api + "/file/bot",
        database_path=Path(db),
        admin_ids=[1],
        polling_timeout=1,
    )
    runtime = Runtime(build_application(settings))
    await runtime.start(polling=True, scheduler=True)
    from bot.runtime.collector import settle_collector

    settle_collector()  # as `buurtbot run` does once the bot has started
    print("ready", flush=True)
    await asyncio.Event().wait()


def children_rss_mb(pid: int) -> float:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return sum(rss_mb(int(k))[0] for k in kids)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


async def export_all(api, pid: int) -> tuple[float, float, float, float]:
    """The admin exports all projects, last 12 months, with the buttons; meanwhile the bot's RSS
    (and its children's: the export process) is sampled. Returns (seconds, bot RSS max, bot
    VmHWM, export process RSS max)."""
    admin = api.make_user(1, "Ann", language_code="nl")

    async def message_with(data: str) -> dict:
        """The newest message offering a button with this callback data (edits included)."""
        while True:
            for m in reversed(api.sent_messages(1)):
                markup = m.get("reply_markup") or {}
                if isinstance(markup, str):
                    markup = json.loads(markup)
                rows = markup.get("inline_keyboard") or []
                if any(b.get("callback_data") == data for row in rows for b in row):
                    return m
            await asyncio.sleep(0.01)

    t = time.perf_counter()
    api.push_update(api.text_update(admin, "/export"))
    for data in ("ex:p:*", "ex:t:12m", "ex:c:."):
        api.push_update(api.callback_update(admin, await message_with(data), data))
    peak, child_peak = 0.0, 0.0
    while sum(1 for m in api.sent_messages(1) if m.get("document")) < 3:  # xlsx, csv, html
        peak = max(peak, rss_mb(pid)[0])
        child_peak = max(child_peak, children_rss_mb(pid))
        await asyncio.sleep(0.05)
    took = time.perf_counter() - t
    await asyncio.sleep(1)
    rss, hwm = rss_mb(pid)
    return took, max(peak, rss), hwm, child_peak


async def measure(
    db: Path, seconds: float, with_export: bool
) -> tuple[float, tuple[float, float], tuple[float, float, float, float] | None]:
    from bot.playground.botapi_double import FakeBotAPI

    api = FakeBotAPI()
    await api.start()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--child",
        api.url,
        str(db),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,  # the double refuses the pending rows: noisy
    )
    try:
        assert proc.stdout is not None
        t = time.perf_counter()
        line = await asyncio.wait_for(proc.stdout.readline(), 300)
        ready = time.perf_counter() - t
        assert line.strip() == b"ready", line
        peak_rss = 0.0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            rss, hwm = rss_mb(proc.pid)
            peak_rss = max(peak_rss, rss)
            await asyncio.sleep(0.25)
        rss, hwm = rss_mb(proc.pid)
        idle = (peak_rss, hwm)
        # An empty database has no project to export.
        export = await asyncio.wait_for(export_all(api, proc.pid), 300) if with_export else None
        return ready, idle, export
    finally:
        proc.kill()
        await proc.wait()
        await api.stop()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        now = datetime.now(UTC) - timedelta(days=1)
        dbs = {}
        for name in ("empty", "big"):
            path = Path(tmp) / f"{name}.sqlite3"
            db = Database(path)
            await db.open()
            await db.migrate()
            await db.close()
            if name == "big":
                t = time.perf_counter()
                fill(path, now)
                size = path.stat().st_size / 1e6
                print(
                    f"big database: {MEMBERS:,} members, {OUTBOX:,} outbox rows, 100,000 reports"
                    f" ({size:.0f} MB) made in {time.perf_counter() - t:.0f} s"
                )
            dbs[name] = path
        for i in range(args.runs):
            for name, template in dbs.items():
                # A fresh copy each run: the double numbers its updates from 1 again, and the
                # bot would skip the ones its inbox already holds.
                path = Path(tmp) / f"run-{name}.sqlite3"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                shutil.copy(template, path)
                ready, (peak, hwm), export = await measure(path, args.seconds, name == "big")
                line = (
                    f"run {i + 1}, {name:5} database: ready in {ready:.1f} s;"
                    f" idle RSS max {peak:.0f} MB over {args.seconds:.0f} s (VmHWM {hwm:.0f} MB)"
                )
                if export is not None:
                    took, e_peak, e_hwm, child = export
                    line += (
                        f"; during an all-projects export ({took:.1f} s): bot RSS max"
                        f" {e_peak:.0f} MB (VmHWM {e_hwm:.0f} MB), export process {child:.0f} MB"
                    )
                print(line)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        asyncio.run(child(sys.argv[2], sys.argv[3]))
    else:
        asyncio.run(main())
