"""Drive the real bot against the Bot API double: used by end-to-end tests, benchmarks and the
playground. People are simulated as Telegram users who send real Update JSON and read what the
bot sent them from the double's records."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from bot.playground.botapi_double import FakeBotAPI
from bot.runtime.app import build_application
from bot.runtime.runner import Runtime

_ids = itertools.count(1001)


@dataclass
class Person:
    harness: Harness
    tg: dict[str, Any]
    seen: int = 0  # how many bot messages were already read with new_messages()

    @property
    def id(self) -> int:
        return int(self.tg["id"])

    # ----- what they do -----

    async def send(self, text: str) -> None:
        await self.harness.push(self.harness.api.text_update(self.tg, text))

    async def send_update(self, update: dict[str, Any]) -> None:
        await self.harness.push(update)

    async def press(self, label: str, message: dict[str, Any] | None = None) -> None:
        """Tap the inline button whose text contains ``label`` on the newest message having it."""
        message, data = self.find_button(label, message)
        await self.harness.push(self.harness.api.callback_update(self.tg, message, data))

    async def press_data(self, data: str, message: dict[str, Any] | None = None) -> None:
        """Send raw callback data (e.g. forged) as if from a button of ``message``."""
        message = message or (self.messages()[-1] if self.messages() else self._dummy_message())
        await self.harness.push(self.harness.api.callback_update(self.tg, message, data))

    def _dummy_message(self) -> dict[str, Any]:
        return {"message_id": 1, "chat": {"id": self.id, "type": "private"}, "date": 0, "text": "."}

    # ----- what they see -----

    def messages(self) -> list[dict[str, Any]]:
        return self.harness.api.sent_messages(self.id)

    def new_messages(self) -> list[dict[str, Any]]:
        msgs = self.messages()
        fresh = msgs[self.seen :]
        self.seen = len(msgs)
        return fresh

    def last(self) -> dict[str, Any]:
        msgs = self.messages()
        assert msgs, f"user {self.id} received nothing"
        return msgs[-1]

    def last_text(self) -> str:
        m = self.last()
        return str(m.get("text") or m.get("caption") or "")

    def texts(self) -> list[str]:
        return [str(m.get("text") or m.get("caption") or "") for m in self.messages()]

    def find_button(
        self, label: str, message: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], str]:
        candidates = [message] if message is not None else list(reversed(self.messages()))
        for msg in candidates:
            for row in buttons_of(msg):
                for button in row:
                    if label in button.get("text", "") and "callback_data" in button:
                        return msg, button["callback_data"]
        raise AssertionError(
            f"no button {label!r} for user {self.id}; last: {self.last_text()[:200]!r}"
        )

    def button_texts(self, message: dict[str, Any] | None = None) -> list[str]:
        msg = message or self.last()
        return [b.get("text", "") for row in buttons_of(msg) for b in row]


def buttons_of(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    markup = message.get("reply_markup") or {}
    if isinstance(markup, str):
        import json

        markup = json.loads(markup)
    return markup.get("inline_keyboard") or []


@dataclass
class Harness:
    workdir: Path
    admin_ids: list[int] = field(default_factory=lambda: [1])
    start_time: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))
    overrides: dict[str, Any] = field(default_factory=dict)
    api_options: dict[str, Any] = field(default_factory=dict)
    api: FakeBotAPI = field(init=False)
    clock: FakeClock = field(init=False)
    runtime: Runtime | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.clock = FakeClock(self.start_time, ZoneInfo("Europe/Brussels"))

    @property
    def app(self):
        assert self.runtime is not None
        return self.runtime.app

    @property
    def services(self):
        assert self.runtime is not None
        return self.runtime.services

    @property
    def db(self):
        return self.services.db

    def settings(self) -> Settings:
        values: dict[str, Any] = dict(
            bot_token=self.api.token,
            telegram_api_base_url=self.api.base_url,
            telegram_file_base_url=self.api.base_file_url,
            database_path=self.workdir / "buurtbot.sqlite3",
            admin_ids=self.admin_ids,
            default_language="nl",
            timezone="Europe/Brussels",
            polling_timeout=1,
            # No real-time pacing in functional tests; the outbox and pacing tests set their own.
            outbox_chat_interval=0.0,
            outbox_rate=30.0,
            # Direct replies unpaced against the double (it enforces no limits unless asked),
            # and no flood guard for tests that press hundreds of buttons as one person within
            # a minute; tests/test_pacing.py and tests/test_flood.py set the production values.
            pace_direct_replies=False,
            flood_max_per_minute=1_000_000,
        )
        values.update(self.overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    async def start(self) -> Harness:
        self.api = FakeBotAPI(**self.api_options)
        await self.api.start()
        await self.boot()
        return self

    async def boot(self) -> None:
        app = build_application(self.settings(), clock=self.clock)
        self.runtime = Runtime(app)
        await self.runtime.start(polling=True, scheduler=False)

    async def restart(self) -> None:
        """A clean stop and start of the bot process, same database, same Telegram."""
        assert self.runtime is not None
        await self.runtime.stop()
        await self.boot()

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop(flush_seconds=0)
            self.runtime = None
        await self.api.stop()

    def person(
        self,
        first_name: str = "Test",
        language_code: str | None = "nl",
        user_id: int | None = None,
        **kw: Any,
    ) -> Person:
        uid = user_id if user_id is not None else next(_ids)
        return Person(self, self.api.make_user(uid, first_name, language_code=language_code, **kw))

    async def push(self, update: dict[str, Any], settle: bool = True) -> None:
        self.api.push_update(update)
        if settle:
            await self.settle()

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until the bot fetched (and confirmed) every pushed update, processed it and
        sent everything that is due."""

        async def fetched() -> None:
            while self.api.pending_updates():
                await asyncio.sleep(0.002)

        await asyncio.wait_for(fetched(), timeout)
        assert self.runtime is not None
        await self.runtime.settle(timeout)

    async def advance(self, delta: timedelta | None = None, **kw: float) -> None:
        """Move the injected clock and run what is due, as the scheduler tick would."""
        self.clock.advance(delta or timedelta(**kw))
        await self.services.scheduler.run_due()
        await self.settle()

    async def advance_to(self, when: datetime) -> None:
        self.clock.set(when)
        await self.services.scheduler.run_due()
        await self.settle()

    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        return [tuple(r) for r in await self.db.fetchall(sql, params)]


# ----- the bot in a separate process, for real kills (SIGKILL) in tests and benchmarks -----


async def spawn_bot(api: FakeBotAPI, db_path: Path, rate: float = 28.0, chat_interval: float = 1.0):
    """Start ``python -m bot.runtime.process_runner`` against ``api``; returns once it sends."""
    import sys

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.runtime.process_runner",
        "--api",
        api.url,
        "--token",
        api.token,
        "--db",
        str(db_path),
        "--rate",
        str(rate),
        "--chat-interval",
        str(chat_interval),
        stdout=asyncio.subprocess.PIPE,
        cwd=str(Path(__file__).resolve().parents[2]),
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    if line.strip() != b"ready":
        proc.kill()
        raise RuntimeError(f"bot process did not start: {line!r}")
    return proc


def hard_kill(proc) -> None:
    """SIGKILL: no graceful stop, no flush, whatever was in flight stays in flight."""
    import signal

    proc.send_signal(signal.SIGKILL)


async def seed_outbox(
    db_path: Path, chat_ids: list[int], text: str = "Actie! {chat}", batch: str = "bench"
) -> None:
    """Queue one message per chat in one transaction, as a broadcast does."""
    from bot.core.outbox import Outbox
    from storage.db import Database

    db = Database(db_path)
    await db.open()
    try:
        await db.migrate()
        async with db.transaction() as conn:
            for chat in chat_ids:
                await Outbox.enqueue_tx(
                    conn,
                    chat,
                    "sendMessage",
                    {"text": text.format(chat=chat), "parse_mode": "HTML"},
                    batch=batch,
                    dedupe_key=f"{batch}:{chat}",
                )
    finally:
        await db.close()


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most events in any half-open window of ``window`` seconds (Telegram's way)."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best
