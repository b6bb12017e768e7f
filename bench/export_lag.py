"""Does an all-projects export freeze the bot? The real application (Harness: the production
Application against the Bot API double, in this process) on a database of 100,000 reports made
by bench/dossier.py's generator. An admin asks for the all-projects export with the buttons;
while it runs, a task that sleeps 10 ms in a loop records how late it wakes (the event loop's
lag), and other people send /start every 100 ms and time their answer.

    python bench/export_lag.py [--reports 100000] [--runs 3] [--no-freeze]

The collector is set after start-up as `buurtbot run` sets it (bot/runtime/collector.py:
what start-up loaded is frozen, young collections are spaced out); --no-freeze leaves that out.

The machine is shared: figures are noisy, run it a few times.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dossier import generate  # noqa: E402

from bot.playground.harness import Harness  # noqa: E402
from bot.runtime.collector import settle_collector  # noqa: E402
from storage.db import Database  # noqa: E402

FREEZE = "--no-freeze" not in sys.argv  # compare with and without `buurtbot run`'s collector

ADMIN = 1


async def lag_monitor(stop: asyncio.Event, lags: list[float], period: float = 0.01) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        t = loop.time()
        await asyncio.sleep(period)
        lags.append(loop.time() - t - period)


async def others(h: Harness, stop: asyncio.Event, latencies: list[float]) -> None:
    """A new person every 100 ms says /start and waits for the answer."""
    waiting: list[asyncio.Task[None]] = []

    async def one() -> None:
        p = h.person("Ander", language_code="nl")
        t = time.perf_counter()
        await h.push(h.api.text_update(p.tg, "/start"), settle=False)
        while not p.messages():
            await asyncio.sleep(0.002)
        latencies.append(time.perf_counter() - t)

    while not stop.is_set():
        waiting.append(asyncio.create_task(one()))
        await asyncio.sleep(0.1)
    await asyncio.gather(*waiting)


async def run_once(template: Path, workdir: Path) -> dict[str, float]:
    workdir.mkdir()
    shutil.copy(template, workdir / "buurtbot.sqlite3")
    h = Harness(workdir, admin_ids=[ADMIN])
    await h.start()
    if FREEZE:
        settle_collector()  # as `buurtbot run` does once it started
    try:
        admin = h.person("Ann", language_code="nl", user_id=ADMIN)
        await admin.send("/export")
        await admin.press("Alle projecten")
        await admin.press("12 maanden")
        message, data = admin.find_button("Volgende")
        # Control: the same traffic for 3 s without an export, to tell the machine's own noise
        # (it is shared) from what the export does.
        stop = asyncio.Event()
        idle_lags: list[float] = []
        idle_latencies: list[float] = []
        monitor = asyncio.create_task(lag_monitor(stop, idle_lags))
        people = asyncio.create_task(others(h, stop, idle_latencies))
        await asyncio.sleep(3)
        stop.set()
        await asyncio.gather(monitor, people)
        stop = asyncio.Event()
        lags: list[float] = []
        latencies: list[float] = []
        monitor = asyncio.create_task(lag_monitor(stop, lags))
        people = asyncio.create_task(others(h, stop, latencies))
        t0 = time.perf_counter()
        await h.push(h.api.callback_update(admin.tg, message, data), settle=False)
        while sum(1 for m in admin.messages() if m.get("document")) < 3:  # xlsx, csv, html
            await asyncio.sleep(0.005)
        took = time.perf_counter() - t0
        stop.set()
        await asyncio.gather(monitor, people)
        docs = [m for m in admin.messages() if m.get("document")]
        rows = docs[0].get("caption", "")
        await h.settle()
    finally:
        await h.stop()
    lags.sort()
    idle_lags.sort()
    return {
        "idle_lag_max_ms": idle_lags[-1] * 1000,
        "idle_answer_max_ms": max(idle_latencies) * 1000,
        "export_s": took,
        "lag_max_ms": lags[-1] * 1000,
        "lag_p99_ms": lags[int(len(lags) * 0.99)] * 1000,
        "answers": len(latencies),
        "answer_median_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "answer_max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "caption": rows,  # type: ignore[dict-item]
    }


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--projects", type=int, default=152)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--no-freeze", action="store_true", help="leave out buurtbot run's collector settings"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.sqlite3"
        db = Database(template)
        await db.open()
        await db.migrate()
        await db.close()
        start = Harness(Path(tmp)).start_time
        # Every report within the last 12 months: the "12 maanden" button exports them all.
        generate(template, args.reports, args.projects, start - timedelta(days=1), span_days=360)
        for i in range(args.runs):
            r = await run_once(template, Path(tmp) / f"run{i}")
            print(
                f"run {i + 1}: export {r['export_s']:.2f} s ({r['caption']});"
                f" loop lag max {r['lag_max_ms']:.0f} ms, p99 {r['lag_p99_ms']:.0f} ms;"
                f" {r['answers']:.0f} others answered meanwhile, median"
                f" {r['answer_median_ms']:.0f} ms, max {r['answer_max_ms']:.0f} ms"
                f" | without an export: loop lag max {r['idle_lag_max_ms']:.0f} ms,"
                f" answer max {r['idle_answer_max_ms']:.0f} ms"
            )


if __name__ == "__main__":
    asyncio.run(main())
