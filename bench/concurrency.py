"""Throughput and latency of the real bot against a Bot API double that answers every call after
50 ms (Telegram's servers are that slow or slower), with 16 chats at once vs one at a time.

Updates are simple but go through the real handlers: /help (roles, menu) and free text
("not understood"), from many residents at once.

    python bench/concurrency.py
"""

from __future__ import annotations

import asyncio
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.playground.botapi_double import FakeBotAPI  # noqa: E402
from tests.killtest import bot_env, start_bot  # noqa: E402

LATENCY = 0.05


async def run(concurrency: int, n: int, rate: float | None, residents: int = 400) -> dict:
    """Push n updates (all at once, or at ``rate`` per second) to the real bot running as its own
    process (as in production: Telegram is elsewhere); returns throughput and latency."""
    with tempfile.TemporaryDirectory() as tmp:
        api = FakeBotAPI(latency=LATENCY)
        await api.start()
        db_path = Path(tmp) / "bench.sqlite3"
        env = bot_env(api, db_path, MAX_CONCURRENT_UPDATES=str(concurrency), LOG_LEVEL="WARNING")
        proc = start_bot(env, Path(tmp) / "bot.log")
        try:
            people = [
                api.make_user(3_000_000 + i, f"R{i}", language_code="nl") for i in range(residents)
            ]
            pushed: dict[int, list[float]] = {}
            answered: dict[int, list[float]] = {}

            def on_call(call) -> None:
                if call.method == "sendMessage" and isinstance(call.chat_id, int):
                    answered.setdefault(call.chat_id, []).append(time.monotonic())

            api.add_listener(on_call)
            # Warm up: every resident writes once (user rows created), not measured.
            for p in people:
                api.push_update(api.text_update(p, "/help"))
            while sum(len(v) for v in answered.values()) < residents:
                if proc.poll() is not None:
                    raise RuntimeError("bot exited")
                await asyncio.sleep(0.01)
            answered.clear()
            start = time.monotonic()
            for i in range(n):
                p = people[i % residents]
                text = "/help" if i % 2 else "is er vandaag een vergadering?"
                if rate:
                    delay = start + i / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                pushed.setdefault(p["id"], []).append(time.monotonic())
                api.push_update(api.text_update(p, text))
            while sum(len(v) for v in answered.values()) < n:
                await asyncio.sleep(0.005)
            elapsed = time.monotonic() - start
            latencies = sorted(
                a - p
                for chat, times in pushed.items()
                for p, a in zip(times, answered.get(chat, []), strict=False)
            )
            return {
                "rate": n / elapsed,
                "p50": statistics.median(latencies),
                "p99": latencies[int(len(latencies) * 0.99) - 1],
            }
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.get_running_loop().run_in_executor(None, proc.wait)
            await api.stop()


async def main() -> None:
    seq = await run(1, 150, None, residents=150)
    par = await run(16, 2000, None)
    print(
        "The bot runs as its own process (tests/bot_runner.py = `buurtbot run`), the double here."
    )
    print(
        f"Bot API double latency {LATENCY * 1000:.0f} ms per call;"
        " /help and free text from many residents"
    )
    print(f"sequential (MAX_CONCURRENT_UPDATES=1): {seq['rate']:.1f} updates/s")
    print(
        f"16 chats at once:                      {par['rate']:.1f} updates/s"
        f"  = {par['rate'] / seq['rate']:.1f}x sequential"
    )
    steady = await run(16, 1500, 100.0)
    print(
        f"offered 100 updates/s for 15 s: p50 {steady['p50'] * 1000:.0f} ms,"
        f" p99 {steady['p99'] * 1000:.0f} ms"
        f" (achieved {steady['rate']:.1f}/s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
