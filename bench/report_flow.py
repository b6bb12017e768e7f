"""Throughput of the whole resident report flow against the Bot API double, as a ratio to a bare
PTB echo bot on the same double, measured in the same run.

How it is measured (so the ratio can be trusted):
- The Bot API double runs in its own process (the bench's child), so its CPU time is not charged
  to whichever bot is being measured; both bots reach it over HTTP exactly like Telegram.
- Both bots are driven the same way: per round, ``n`` chats each send 8 updates, one step at a
  time; a step is done when every one of the ``n`` chats got an answer from the bot
  (sendMessage or editMessageText) after the step's updates were queued. Timing covers the 8 steps.
- Both run with the same per-update concurrency (settings.max_concurrent_updates).
- One warm-up round each (not counted), then several rounds, alternating which bot goes first;
  the ratio of each pair is computed, the median is reported (and the spread).

The fastest peer is a bare aiogram 3 echo bot (bench/aiogram_echo.py). aiogram pins an older
pydantic than ours, so it runs under its own interpreter: ``BENCH_AIOGRAM_PYTHON``, else
bench/.venv-aiogram, made on first use (``pip install aiogram``; a bench-only dependency, never
installed into the bot's environment). ``--no-aiogram`` leaves it out.

Per step the double records, for every chat, the time from queueing its update to the bot's
answer; the p50 and p99 over all chats and steps of the report flow are printed.

The report flow per resident: /report → category → neighbourhood → "my own" (not the open
report offered) → text → Done (no photos) → name: no → quote: no → Send. The worker's cards go
through the paced outbox (≤ 30/s, Telegram's limit) in the background.

    python bench/report_flow.py [residents] [rounds] [latency_seconds] [--no-aiogram]
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest

from bot.playground.botapi_double import FakeBotAPI

STEPS = 9
ANSWERS = frozenset({"sendMessage", "editMessageText"})


# ----------------------------------------------------------------- the double, in its own process


class BenchAPI(FakeBotAPI):
    """The double plus two batch helpers, so the driver costs one round trip per step."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.watching: set[int] = set()
        self.answered: set[int] = set()
        self.pushed_at = 0.0
        self.latencies: list[float] = []
        self.need = 1
        self.seen: dict[int, int] = {}
        self.timeline: list[tuple[str, Any, float, float]] | None = None

    def _bench_listen(self, call: Any) -> None:
        if self.timeline is not None:
            self.timeline.append(
                (call.method, call.params.get("chat_id"), call.at, time.monotonic())
            )
        if call.method in ANSWERS and call.ok:
            cid = call.params.get("chat_id")
            if cid is not None and int(cid) in self.watching and int(cid) not in self.answered:
                self.seen[int(cid)] = self.seen.get(int(cid), 0) + 1
                if self.seen[int(cid)] >= self.need:  # the step's last answer
                    self.answered.add(int(cid))
                    self.latencies.append(time.perf_counter() - self.pushed_at)

    def bench_push(self, specs: list[tuple[str, dict, str]], need: int = 1) -> int:
        """Queue ("text", user, text) / ("cb", user, data) updates; a button press is on the
        latest bot message in that person's chat. A chat is answered once the bot sent it
        ``need`` messages or edits (a step that asks with two messages waits for both).
        Returns the call marker for bench_answered."""
        marker = len(self.calls)
        if self._bench_listen not in self._listeners:
            self.add_listener(self._bench_listen)
        self.watching = {user["id"] for _k, user, _p in specs}
        self.answered = set()
        self.need, self.seen = need, {}
        self.pushed_at = time.perf_counter()
        if self.timeline is not None:
            self.timeline.append(("push", None, time.monotonic(), time.monotonic()))
        for kind, user, payload in specs:
            if kind == "text":
                self.push_update(self.text_update(user, payload))
            else:
                last = self.sent_messages(user["id"])[-1]
                self.push_update(self.callback_update(user, last, payload))
        return marker

    def bench_trace(self, on: bool) -> list[tuple[str, Any, float, float]]:
        """Start (on) or stop recording every call as (method, chat_id, arrived, answered);
        returns what was recorded (the pushes are there as "push")."""
        if self._bench_listen not in self._listeners:
            self.add_listener(self._bench_listen)
        out, self.timeline = self.timeline or [], ([] if on else None)
        return out

    def bench_answered(self) -> int:
        """How many of the chats of the latest bench_push got an answer since."""
        return len(self.answered)

    def bench_take_latencies(self) -> list[float]:
        """Per chat and step: seconds from queueing the update to the bot's answer (and reset)."""
        out, self.latencies = self.latencies, []
        return out

    def bench_drop_pending(self) -> int:
        """Forget updates a stopped bot fetched but never confirmed (all were answered)."""
        n = len(self._updates)
        self._updates.clear()
        return n

    def bench_last_texts(self, chat_ids: list[int]) -> list[str]:
        out = []
        for cid in chat_ids:
            msgs = self.sent_messages(cid)
            out.append(msgs[-1].get("text", "") if msgs else "")
        return out


def _serve(conn: Any, latency: float) -> None:
    async def main() -> None:
        api = BenchAPI(latency=latency)
        await api.start()
        conn.send(
            {"token": api.token, "base_url": api.base_url, "base_file_url": api.base_file_url}
        )
        loop = asyncio.get_running_loop()
        done = asyncio.Event()

        def on_request() -> None:
            while conn.poll():
                name, args, kw = conn.recv()
                if name == "__stop__":
                    done.set()
                    conn.send(("ok", None))
                    return
                try:
                    attr = getattr(api, name)
                    conn.send(("ok", attr(*args, **kw) if callable(attr) else attr))
                except Exception as exc:  # noqa: BLE001 -- returned to the caller, raised there
                    conn.send(("err", repr(exc)))

        loop.add_reader(conn.fileno(), on_request)
        await done.wait()
        await api.stop()

    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main())


class RemoteAPI:
    """The parent's handle on the double: attribute reads and method calls go over a pipe."""

    def __init__(self, latency: float) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, latency), daemon=True)
        self._proc.start()
        info = self._conn.recv()
        self.token: str = info["token"]
        self.base_url: str = info["base_url"]
        self.base_file_url: str = info["base_file_url"]

    def _call(self, name: str, *args: Any, **kw: Any) -> Any:
        os.set_blocking(self._conn.fileno(), True)  # in case an event loop made it non-blocking
        self._conn.send((name, args, kw))
        status, value = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"double: {name}: {value}")
        return value

    async def acall(self, name: str, *args: Any) -> Any:
        """Like a method call, but the event loop keeps running while the double answers."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        fd = self._conn.fileno()

        def ready() -> None:
            loop.remove_reader(fd)
            if not fut.done():
                fut.set_result(self._conn.recv())

        self._conn.send((name, args, {}))
        loop.add_reader(fd, ready)
        status, value = await fut
        if status != "ok":
            raise RuntimeError(f"double: {name}: {value}")
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *a, **kw: self._call(name, *a, **kw)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def close(self) -> None:
        self._call("__stop__")
        self._proc.join(5)


# ----------------------------------------------------------------- driving one round


async def run_steps(
    api: RemoteAPI, users: list[dict], steps: list[tuple[Any, ...]], timeout: float = 90.0
) -> float:
    """Each step: queue one update per person, wait until every person got the bot's answer
    (a step given as (kind, payload, n) answers with n messages: wait for the last)."""
    ids = [u["id"] for u in users]
    start = time.perf_counter()
    for kind, payload, *more in steps:
        specs = [(kind, u, payload(u) if callable(payload) else payload) for u in users]
        await api.acall("bench_push", specs, more[0] if more else 1)
        end = time.perf_counter() + timeout
        while await api.acall("bench_answered") < len(ids):
            if time.perf_counter() > end:
                raise TimeoutError(
                    f"benchmark step {kind} {payload!r} did not finish:"
                    f" {api.bench_answered()}/{len(ids)}"
                )
            await asyncio.sleep(0.005)
    return time.perf_counter() - start


class EchoBot:
    def __init__(self, api: RemoteAPI, concurrency: int) -> None:
        async def echo(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
            await ctx.bot.send_message(update.effective_chat.id, update.effective_message.text)

        self.app = (
            ApplicationBuilder()
            .token(api.token)
            .base_url(api.base_url)
            .request(HTTPXRequest(connection_pool_size=32))
            .get_updates_request(HTTPXRequest(connection_pool_size=2, read_timeout=10))
            .concurrent_updates(concurrency)
            .build()
        )
        self.app.add_handler(MessageHandler(filters.TEXT, echo))
        self.api = api
        self.round = 0

    async def start(self) -> None:
        await self.app.initialize()
        await self.app.start()

    async def stop(self) -> None:
        await self.app.stop()
        await self.app.shutdown()

    async def run(self, n: int) -> float:
        self.round += 1
        users = [self.api.make_user(900000 + self.round * 10000 + i, f"E{i}") for i in range(n)]
        steps = [("text", f"step {s}") for s in range(STEPS)]
        # Only one bot may poll the double at a time (like Telegram): polling is switched per round.
        await self.app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            return await run_steps(self.api, users, steps)
        finally:
            await self.app.updater.stop()


AIOGRAM_VENV = Path(__file__).resolve().parent / ".venv-aiogram"
AIOGRAM_SCRIPT = Path(__file__).resolve().parent / "aiogram_echo.py"


def aiogram_python() -> str:
    """The interpreter that has aiogram: BENCH_AIOGRAM_PYTHON, else bench/.venv-aiogram."""
    given = os.environ.get("BENCH_AIOGRAM_PYTHON")
    if given:
        return given
    python = AIOGRAM_VENV / "bin" / "python"
    if not python.exists():
        print("making bench/.venv-aiogram for the aiogram peer (once)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(AIOGRAM_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "aiogram>=3.13,<4"], check=True
        )
    return str(python)


class AiogramEcho:
    """A bare aiogram 3 echo bot in its own process, polling the double only during its round."""

    def __init__(self, api: RemoteAPI, python: str) -> None:
        self.api = api
        self.python = python
        self.round = 0

    async def run(self, n: int) -> float:
        self.round += 1
        users = [self.api.make_user(700000 + self.round * 10000 + i, f"A{i}") for i in range(n)]
        steps = [("text", f"step {s}") for s in range(STEPS)]
        server = self.api.base_url.removesuffix("/bot")
        proc = await asyncio.create_subprocess_exec(
            self.python,
            str(AIOGRAM_SCRIPT),
            server,
            self.api.token,
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            if line.strip() != b"ready":
                raise RuntimeError("the aiogram echo bot did not start")
            return await run_steps(self.api, users, steps)
        finally:
            proc.terminate()
            await proc.wait()
            await self.api.acall("bench_drop_pending")


class ReportBot:
    def __init__(self, api: RemoteAPI, workdir: Path) -> None:
        from bot.playground.harness import Harness

        self.api = api
        self.h = Harness(workdir, admin_ids=[1])
        self.h.api = api  # type: ignore[assignment]
        self.round = 0

    async def start(self) -> None:
        from tests.e2e_helpers import setup_world

        await self.h.boot()
        admin = self.h.person("Ann", user_id=1)
        _sofie, _jan, self.payload = await setup_world(self.h, admin)
        pid = (await self.h.rows("SELECT id FROM projects"))[0][0]
        cats = await self.h.services.reports.repo.categories(pid)
        self.cat_id = next(c.id for c in cats if c.key == "housing")
        self.hood_id = (await self.h.rows("SELECT id FROM neighbourhoods WHERE name = 'Rabot'"))[0][
            0
        ]
        # One open report in Rabot, so every resident is offered "me too" (and taps "my own").
        from tests.reports_helpers import file_report, join

        first = await join(self.h, self.payload, "Seed", "nl")
        await file_report(self.h, first)
        await self.intake.stop()
        # As `buurtbot run` does once the bot has started (process-wide: the PTB echo, which
        # shares this process, gets it too).
        from bot.runtime.collector import settle_collector

        settle_collector()

    @property
    def intake(self):
        return self.h.app.bot_data.intake

    @property
    def concurrency(self) -> int:
        return self.h.settings().max_concurrent_updates

    async def stop(self) -> None:
        assert self.h.runtime is not None
        await self.h.runtime.stop(flush_seconds=0)

    async def run(self, n: int) -> float:
        self.round += 1
        self.intake.start_polling()
        try:
            return await self._run(n)
        finally:
            await self.intake.stop()

    async def _run(self, n: int) -> float:
        base = 500000 + self.round * 10000
        users = [
            self.api.make_user(base + i, f"R{i}", language_code=("nl", "ar", "fr", "tr")[i % 4])
            for i in range(n)
        ]
        # Joining the group is not part of the measured flow.
        await run_steps(self.api, users, [("text", f"/start {self.payload}")])
        await self.h.settle(60)
        # (The category and the place each answer with two messages: what was chosen, with
        # the main keyboard back, and the next question.)
        steps: list[tuple[Any, ...]] = [
            ("text", "/report"),
            ("cb", f"rep:cat:{self.cat_id}", 2),
            ("cb", f"rep:hood:{self.hood_id}", 2),  # the place, right after the category
            ("cb", "rep:own"),  # offered the open report of Rabot: "my own problem"
            ("text", lambda u: f"Schimmel in de badkamer bij {u['first_name']}"),
            ("cb", "rep:pdone"),
            ("cb", "rep:name:0"),
            ("cb", "rep:quote:0"),
            ("cb", "rep:ok"),
        ]
        elapsed = await run_steps(self.api, users, steps)
        texts = self.api.bench_last_texts([u["id"] for u in users])
        assert all("R-" in t for t in texts), "not every resident got a reference"
        # Let the worker cards drain before the next round, outside the timed window.
        await self.h.settle(120)
        return elapsed


async def measure(n: int, rounds: int, latency: float, with_aiogram: bool) -> None:
    api = RemoteAPI(latency)
    aio_rates: list[float] = []
    aio_ratios: list[float] = []
    step_latencies: list[float] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ours = ReportBot(api, Path(tmp))
            await ours.start()
            echo = EchoBot(api, concurrency=ours.concurrency)
            await echo.start()
            aio = AiogramEcho(api, aiogram_python()) if with_aiogram else None
            try:
                # Warm-up: imports, caches, connection pools, SQLite pages.
                await echo.run(max(10, n // 5))
                await ours.run(max(10, n // 5))
                if aio is not None:
                    await aio.run(max(10, n // 5))
                ratios, echo_rates, our_rates = [], [], []
                updates = n * STEPS
                for i in range(rounds):
                    # Alternate who goes first; ours' per-step latencies are taken around its run.
                    order = ("echo", "ours", "aio") if i % 2 == 0 else ("aio", "ours", "echo")
                    took: dict[str, float] = {}
                    for who in order:
                        if who == "echo":
                            took["echo"] = await echo.run(n)
                        elif who == "ours":
                            await api.acall("bench_take_latencies")
                            took["ours"] = await ours.run(n)
                            step_latencies += await api.acall("bench_take_latencies")
                        elif aio is not None:
                            took["aio"] = await aio.run(n)
                    echo_rates.append(updates / took["echo"])
                    our_rates.append(updates / took["ours"])
                    ratios.append(took["echo"] / took["ours"])
                    if "aio" in took:
                        aio_rates.append(updates / took["aio"])
                        aio_ratios.append(took["aio"] / took["ours"])
                made = (await ours.h.rows("SELECT COUNT(*) FROM reports"))[0][0]
            finally:
                await echo.stop()
                await ours.stop()
    finally:
        api.close()
    step_latencies.sort()
    p50 = step_latencies[len(step_latencies) // 2] if step_latencies else 0.0
    p99 = step_latencies[int(len(step_latencies) * 0.99)] if step_latencies else 0.0
    line = (
        f"latency={latency * 1000:.0f}ms residents={n} updates/round={n * STEPS} rounds={rounds}: "
        f"PTB echo {statistics.median(echo_rates):.0f} upd/s,"
        f" report flow {statistics.median(our_rates):.0f} upd/s,"
        f" flow/PTB-echo median {statistics.median(ratios):.2f}"
        f" (min {min(ratios):.2f}, max {max(ratios):.2f})"
    )
    if aio_ratios:
        line += (
            f"; aiogram echo {statistics.median(aio_rates):.0f} upd/s,"
            f" flow/aiogram-echo median {statistics.median(aio_ratios):.2f}"
            f" (min {min(aio_ratios):.2f}, max {max(aio_ratios):.2f})"
        )
    line += f"; report step p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; {made} reports made"
    print(line)


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    with_aiogram = "--no-aiogram" not in sys.argv
    n = int(args[0]) if args else 100
    rounds = int(args[1]) if len(args) > 1 else 7
    latencies = [float(args[2])] if len(args) > 2 else [0.0, 0.05]
    for latency in latencies:
        await measure(n, rounds, latency, with_aiogram)


if __name__ == "__main__":
    asyncio.run(main())
