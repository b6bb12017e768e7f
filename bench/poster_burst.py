"""Benchmark: N residents (default 1,000) open the poster link at once, each sending /start,
against the Bot API double enforcing Telegram's limits (30/s overall, 1/s per private chat);
optionally with a broadcast in the outbox at the same time (--broadcast M).

    python bench/poster_burst.py [--residents 1000] [--broadcast 0] [--latency 0.05]

Prints the 429s, how many were greeted once / more / never, the achieved rate of sends, the most
sends in any 1-second window at the double's end, and the time until everyone was greeted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.playground.harness import Harness, max_in_window


async def run(residents: int, broadcast: int, latency: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        h = Harness(
            Path(tmp),
            overrides={
                "outbox_rate": 28.0,
                "outbox_chat_interval": 1.0,
                "pace_direct_replies": True,
                "flood_max_per_minute": 100,
            },
            api_options={"enforce_limits": True, "latency": latency},
        )
        await h.start()
        try:
            people = [h.person(f"Bewoner {i}", language_code="nl") for i in range(residents)]
            ids = {p.id for p in people}
            members = list(range(9_000_001, 9_000_001 + broadcast))
            if members:
                async with h.db.transaction() as conn:
                    for chat in members:
                        await h.services.outbox.enqueue_tx(
                            conn, chat, "sendMessage", {"text": "Actie!"}, batch="bench"
                        )
            h.api.clear()
            started = time.monotonic()
            h.services.outbox.wake()
            for p in people:
                h.api.push_update(h.api.text_update(p.tg, "/start"))
            await h.settle(timeout=600)
            await h.services.outbox.idle()
            elapsed = time.monotonic() - started
            ok = [c for c in h.api.calls if c.method == "sendMessage" and c.ok]
            greeted = Counter(c.chat_id for c in ok if c.chat_id in ids)
            to_members = [c for c in ok if c.chat_id in set(members)]
            greet_times = [c.at for c in ok if c.chat_id in ids]
            span = max(greet_times) - min(greet_times) if greet_times else 0.0
            print(
                f"{residents} /start in one burst, broadcast of {broadcast},"
                f" API latency {latency * 1000:.0f} ms"
            )
            print(f"  answers of 429: {h.api.counters['429']}")
            print(
                f"  greeted once: {sum(1 for v in greeted.values() if v == 1)},"
                f" more than once: {sum(1 for v in greeted.values() if v > 1)},"
                f" never: {len(ids - set(greeted))}"
            )
            print(f"  broadcast messages sent: {len(to_members)}/{broadcast}")
            print(
                f"  greetings: {len(greet_times) / span if span else 0:.1f}/s;"
                f" all sends: {len(ok) / elapsed:.1f}/s;"
                f" most in any 1 s window: {max_in_window([c.at for c in ok])}"
            )
            first = min(c.at for c in ok) if ok else 0.0
            print(
                f"  everyone greeted after {max(greet_times) - first:.1f} s;"
                f" all done {elapsed:.1f} s"
            )
        finally:
            await h.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--broadcast", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(run(args.residents, args.broadcast, args.latency))


if __name__ == "__main__":
    main()
