"""Benchmark: an action call to N members (default 1,200; `--members 5000` for the full run)
through the real outbox in a separate bot process, against the Bot API double enforcing
Telegram's limits. Then the same with a SIGKILL of the bot halfway and a restart.

    python bench/broadcast.py [--members 5000] [--rate 28]

Prints, per run: achieved rate as a fraction of the configured one, 429s, duplicates, losses and
the most messages in any 1-second window (at the double's end).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core import i18n
from bot.core.clock import SystemClock
from bot.core.settings import Settings
from bot.playground.botapi_double import FakeBotAPI
from bot.playground.harness import hard_kill, max_in_window, spawn_bot
from storage.timestamps import to_db

ORGANISER_TG = 42
FIRST_MEMBER = 1_000_000


async def seed_call(db_path: Path, members: int) -> None:
    """Members, a group, an organiser; then /action's service sends the call (one transaction)."""
    from bot.runtime.app import build_services

    settings = Settings(_env_file=None, bot_token="123456:TEST", database_path=db_path)  # type: ignore[call-arg]
    i18n.load("nl", settings.tz)
    s = build_services(settings, SystemClock(settings.tz))
    await s.db.open()
    await s.db.migrate()
    now = to_db(s.clock.now())
    langs = ["nl", "fr", "ar", "tr", "en"]
    async with s.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO projects (id, name, created_at) VALUES (1, 'Rabot', ?)", (now,)
        )
        await conn.execute(
            "INSERT INTO groups (id, project_id, name, member_token, created_at)"
            " VALUES (1, 1, 'Huurders Rabot', 'tok', ?)",
            (now,),
        )
        await conn.execute(
            "INSERT INTO users (id, tg_id, first_name, tg_language, created_at, last_seen_at)"
            " VALUES (1, ?, 'Jan', 'nl', ?, ?)",
            (ORGANISER_TG, now, now),
        )
        await conn.execute("INSERT INTO memberships VALUES (1, 1, 'organiser', ?)", (now,))
        await conn.executemany(
            "INSERT INTO users (id, tg_id, first_name, tg_language, created_at, last_seen_at)"
            " VALUES (?, ?, 'Lid', ?, ?, ?)",
            [(i + 2, FIRST_MEMBER + i, langs[i % 5], now, now) for i in range(members)],
        )
        await conn.executemany(
            "INSERT INTO memberships VALUES (1, ?, 'member', ?)",
            [(i + 2, now) for i in range(members)],
        )
    service = s.actions
    sender = await s.users.get(1)
    start = datetime.now(ZoneInfo("Europe/Brussels")) + timedelta(days=7)
    draft = {
        "what": "Protest aan het stadhuis",
        "when": to_db(start),
        "place": "Stadhuis, Botermarkt 1",
        "why": "Het woonplan",
        "bring": "Spandoeken",
        "roles": [["spandoek vasthouden", 3], ["chauffeur", 2]],
        "groups": [1],
    }
    t0 = time.perf_counter()
    await service.send(draft, sender)
    print(
        f"  queued {members} personal messages in one transaction"
        f" in {time.perf_counter() - t0:.2f}s"
    )
    await s.db.close()


def measure(
    api: FakeBotAPI, members: int, rate: float, label: str, pause: tuple[float, float] | None = None
) -> None:
    ok = [c for c in api.calls if c.method == "sendMessage" and c.ok and c.chat_id >= FIRST_MEMBER]
    counts = Counter(c.chat_id for c in ok)
    times = sorted(c.at for c in ok)
    span = times[-1] - times[0] if len(times) > 1 else 1.0
    if pause:  # the time the bot was dead and starting again is not sending time
        span -= pause[1] - pause[0]
    achieved = (len(times) - 1) / span
    all_sends = sorted(c.at for c in api.calls if c.method == "sendMessage" and c.ok)
    print(f"{label}:")
    print(
        f"  achieved rate        {achieved:.2f}/s = {achieved / rate:.3f}"
        f" of the configured {rate:g}/s"
    )
    print(f"  429 answers          {api.counters['429']}")
    print(f"  duplicates           {sum(n - 1 for n in counts.values())}")
    print(f"  lost                 {members - len(counts)}")
    print(
        f"  max in any 1 s       {max_in_window(all_sends)} (configured {rate:g}, Telegram 30)"
        f" at the double's end; {_worst_at(all_sends)}"
    )
    edits = [c for c in api.calls if c.method == "editMessageText" and c.chat_id == ORGANISER_TG]
    last_edit = edits[-1].params["text"].splitlines()[2] if edits else "-"
    print(f"  progress edits       {len(edits)}; last: {last_edit}")


def _worst_at(times: list[float]) -> str:
    best, lo, where = 0, 0, 0.0
    for hi, t in enumerate(times):
        while times[lo] <= t - 1.0:
            lo += 1
        if hi - lo + 1 > best:
            best, where = hi - lo + 1, times[lo] - times[0]
    return f"first reached {where:.1f}s after the first send"


async def wait_delivered(api: FakeBotAPI, n: int, timeout: float) -> None:
    end = time.monotonic() + timeout
    while (
        len(
            {
                c.chat_id
                for c in api.calls
                if c.method == "sendMessage" and c.ok and c.chat_id >= FIRST_MEMBER
            }
        )
        < n
    ):
        if time.monotonic() > end:
            raise TimeoutError("not everything was delivered")
        await asyncio.sleep(0.05)


async def run(members: int, rate: float, kill: bool) -> None:
    api = FakeBotAPI(enforce_limits=True)
    await api.start()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        await seed_call(db_path, members)
        proc = await spawn_bot(api, db_path, rate=rate, chat_interval=1.0)
        pause = None
        try:
            if kill:
                await wait_delivered(api, members // 2, members / rate * 2 + 30)
                hard_kill(proc)
                await proc.wait()
                killed_at = time.monotonic()
                delivered = {c.chat_id for c in api.calls if c.method == "sendMessage" and c.ok}
                print(f"  SIGKILL after {len(delivered)} delivered")
                proc = await spawn_bot(api, db_path, rate=rate, chat_interval=1.0)
                pause = (killed_at, time.monotonic())
            await wait_delivered(api, members, members / rate * 2 + 30)
            await asyncio.sleep(1.5)  # a duplicate or the final tally would show up now
        finally:
            if proc.returncode is None:
                hard_kill(proc)
                await proc.wait()
        measure(
            api,
            members,
            rate,
            "after a SIGKILL halfway and a restart" if kill else "one run",
            pause,
        )
    await api.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1200)
    parser.add_argument("--rate", type=float, default=28.0)
    args = parser.parse_args()
    print(f"broadcast of one action call to {args.members} members, outbox rate {args.rate:g}/s")
    asyncio.run(run(args.members, args.rate, kill=False))
    asyncio.run(run(args.members, args.rate, kill=True))


if __name__ == "__main__":
    main()
