"""Throughput of the whole resident report flow against the Bot API double, as a ratio to a bare
PTB echo bot on the same double, measured in the same run.

Each resident goes through: /report → category → text → Done (no photos) → typed address →
name: no → quote: no → Send (8 updates, each answered). Residents run side by side, one step at
a time (a person waits for the bot's answer before tapping the next button); the echo bot gets
the same number of updates in the same rounds. The worker's cards go through the paced outbox
(≤ 30/s, Telegram's limit) and are not part of the timed window; their drain time is printed.

    python bench/report_flow.py [residents] [latency_seconds]
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update  # noqa: E402
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from bot.botapi_double import FakeBotAPI  # noqa: E402
from bot.harness import Harness  # noqa: E402

STEPS = 8


async def wait_until(predicate, timeout: float = 60.0) -> None:
    end = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > end:
            raise TimeoutError("benchmark step did not finish")
        await asyncio.sleep(0.002)


async def echo_bot(api: FakeBotAPI, users: list[dict], concurrency: int) -> float:
    async def echo(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        await ctx.bot.send_message(update.effective_chat.id, update.effective_message.text)

    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .request(HTTPXRequest(connection_pool_size=32))
        .get_updates_request(HTTPXRequest(connection_pool_size=2, read_timeout=10))
        .concurrent_updates(concurrency)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    base = len(api.calls_of("sendMessage"))
    start = time.perf_counter()
    for step in range(STEPS):
        for u in users:
            api.push_update(api.text_update(u, f"step {step}"))
        want = base + len(users) * (step + 1)
        await wait_until(lambda: len(api.calls_of("sendMessage")) >= want)
    elapsed = time.perf_counter() - start
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    return elapsed


async def report_bot(api: FakeBotAPI, workdir: Path, n: int) -> tuple[float, float]:
    h = Harness(workdir, admin_ids=[1])
    h.api = api
    await h.boot()
    try:
        admin = h.person("Ann", user_id=1)
        from tests.e2e_helpers import setup_world

        sofie, jan, payload = await setup_world(h, admin)
        pid = (await h.rows("SELECT id FROM projects"))[0][0]
        residents = [h.person(f"R{i}", language_code=("nl", "ar", "fr", "tr")[i % 4]) for i in range(n)]
        for p in residents:
            api.push_update(api.text_update(p.tg, f"/start {payload}"))
        await h.settle(60)
        cats = await h.services.features["reports"].repo.categories(pid)
        cat_id = next(c.id for c in cats if c.key == "housing")

        def last(p):
            return p.messages()[-1]

        steps = [
            lambda p: api.text_update(p.tg, "/report"),
            lambda p: api.callback_update(p.tg, last(p), f"rep:cat:{cat_id}"),
            lambda p: api.text_update(p.tg, f"Schimmel in de badkamer bij {p.tg['first_name']}"),
            lambda p: api.callback_update(p.tg, last(p), "rep:pdone"),
            lambda p: api.text_update(p.tg, f"Sleepstraat {p.id}"),
            lambda p: api.callback_update(p.tg, last(p), "rep:name:0"),
            lambda p: api.callback_update(p.tg, last(p), "rep:quote:0"),
            lambda p: api.callback_update(p.tg, last(p), "rep:ok"),
        ]
        start = time.perf_counter()
        for make in steps:
            for p in residents:
                api.push_update(make(p))
            await wait_until(lambda: not api.pending_updates())
            processor = h.app.bot_data.processor
            await wait_until(lambda: h.app.update_queue.empty() and processor.idle)
        await wait_until(lambda: all("R-" in (p.last_text()) for p in residents))
        elapsed = time.perf_counter() - start
        t0 = time.perf_counter()
        await h.settle(120)
        drain = time.perf_counter() - t0
        made = (await h.rows("SELECT COUNT(*) FROM reports"))[0][0]
        assert made == n, f"{made} reports for {n} residents"
        return elapsed, drain
    finally:
        assert h.runtime is not None
        await h.runtime.stop(flush_seconds=0)


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    latencies = [float(sys.argv[2])] if len(sys.argv) > 2 else [0.0, 0.01]
    for latency in latencies:
        api = FakeBotAPI(latency=latency)
        await api.start()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                users = [api.make_user(900000 + i, f"E{i}") for i in range(n)]
                echo_s = await echo_bot(api, users, concurrency=16)
                ours_s, drain = await report_bot(api, Path(tmp), n)
        finally:
            await api.stop()
        updates = n * STEPS
        echo_rate, ours_rate = updates / echo_s, updates / ours_s
        print(
            f"latency={latency * 1000:.0f}ms residents={n} updates={updates}: "
            f"echo {echo_rate:.0f} upd/s, report flow {ours_rate:.0f} upd/s, "
            f"ratio {ours_rate / echo_rate:.2f} (worker cards drained {drain:.1f}s later)"
        )


if __name__ == "__main__":
    asyncio.run(main())
