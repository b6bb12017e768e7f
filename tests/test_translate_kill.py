"""A SIGKILL while the translation server is answering (issue 15): the real bot as a subprocess,
killed in the middle of the work, restarted on the same database — no job lost, no message
edited twice, no translation asked for again once it was kept."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import timedelta

from bot.playground.harness import Harness
from bot.playground.text_doubles import FakeLibreTranslate
from tests.bot_runner import set_clock_file
from tests.e2e_helpers import setup_world
from tests.killtest import bot_env, start_bot
from tests.reports_helpers import file_report, join

ARABIC = "يوجد عفن في الحمام منذ شهرين"


async def _until(check, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < end, "timed out"
        await asyncio.sleep(0.05)


async def test_sigkill_in_the_middle_of_translating_loses_nothing_and_edits_once(tmp_path):
    lt = await FakeLibreTranslate().start()
    h = Harness(tmp_path, admin_ids=[1], overrides={"translate_url": lt.url})
    await h.start()
    try:
        admin = h.person("Ann", user_id=1)
        sofie, _jan, payload = await setup_world(h, admin)
        await sofie.send("/routing")
        await sofie.press("👤")
        await sofie.press("Sofie")
        fatima = await join(h, payload, "Fatima", "ar")
        lt.set_down()  # the server is down while the report and the answer go out
        await file_report(h, fatima, text=ARABIC)
        await sofie.press("💬")
        await sofie.send("Ik kom donderdag langs")
        assert "Ik kom donderdag langs" in fatima.last_text()
        jobs = await h.rows("SELECT kind, state FROM enrichments ORDER BY id")
        assert jobs == [("card", "pending"), ("message", "pending")]
        # The in-process bot stops; the real one runs as a subprocess on the same database.
        assert h.runtime is not None
        await h.runtime.stop(flush_seconds=0)
        h.runtime = None
        clock = tmp_path / "clock"
        set_clock_file(clock, h.clock.now() + timedelta(minutes=5))
        env = bot_env(
            h.api, tmp_path / "buurtbot.sqlite3", TRANSLATE_URL=lt.url, CLOCK_FILE=str(clock)
        )
        lt.set_down(False)
        lt.set_latency(1.5)  # slow: the kill comes while a request is being answered
        asked = len(lt.translations)
        proc = start_bot(env, tmp_path / "bot.log")

        async def asked_once() -> bool:
            return len(lt.translations) > asked

        await _until(asked_once)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        lt.set_latency(0)
        proc = start_bot(env, tmp_path / "bot.log")
        db_rows = _reader(tmp_path / "buurtbot.sqlite3")  # the subprocess owns the database
        try:

            async def all_done() -> bool:
                states = [r[0] for r in await db_rows("SELECT state FROM enrichments")]
                return states == ["done", "done"]

            await _until(all_done)

            async def delivered() -> bool:
                return "[nl→ar] Ik kom donderdag langs" in fatima.last_text() and any(
                    "[ar→nl]" in t for t in sofie.texts()
                )

            await _until(delivered)
            await asyncio.sleep(1.5)  # a few more ticks: nothing more may happen
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(20)
        edits = [
            c
            for c in h.api.calls_to(fatima.id, "editMessageText")
            if "donderdag" in c.params["text"]
        ]
        assert len(edits) == 1
        # Kept once per text and language; each asked for at most once more than kept (the
        # request the kill interrupted).
        rows = await db_rows("SELECT COUNT(*) FROM translations")
        assert rows == [(2,)]
        bodies = [(c["body"]["q"], c["body"]["target"]) for c in lt.translations[asked:]]
        assert all(bodies.count(b) <= 2 for b in bodies)
    finally:
        await h.api.stop()
        await lt.stop()


def _reader(path):
    import sqlite3

    async def rows(sql: str) -> list[tuple]:
        conn = sqlite3.connect(path)
        try:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
        finally:
            conn.close()

    return rows
