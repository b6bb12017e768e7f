"""Start and stop the whole bot in the right order (used by the CLI, tests and the playground)."""

from __future__ import annotations

import asyncio
import logging

from telegram.error import InvalidToken
from telegram.ext import Application

from bot.domain import export_worker
from bot.runtime import health
from bot.runtime.app import api_caller, recipient_language

log = logging.getLogger(__name__)


class TokenRejected(RuntimeError):
    """getMe answered 401/404: the token is wrong or revoked. Carries no token (PTB's
    InvalidToken repeats it in its message, so it is not chained)."""


class Runtime:
    def __init__(self, app: Application) -> None:
        self.app = app
        self.services = app.bot_data.services
        self.intake = app.bot_data.intake
        self.processor = app.bot_data.processor
        self.started = False

    async def start(self, polling: bool = True, scheduler: bool = True) -> None:
        app = self.app
        try:
            await app.initialize()  # getMe: checks the token and the base URL
        except InvalidToken:
            raise TokenRejected("the Bot API rejected BOT_TOKEN at getMe") from None
        if app.post_init:
            await app.post_init(app)
        await app.start()
        recovered = await self.services.outbox.recover()
        if recovered:
            log.info(
                "outbox: %d messages were on the wire at the last stop; sending again", recovered
            )
        self.services.outbox.start(api_caller(app, recipient_language(self.services)))
        await self.intake.resume()
        if polling:
            self.intake.start_polling()
        if scheduler and app.job_queue is not None:
            await health.beat(self.services.db)
            app.job_queue.run_repeating(
                self._tick,
                interval=self.services.settings.scheduler_tick_seconds,
                first=1.0,
                name="scheduler:tick",
            )
        self.started = True
        log.info("buurtbot started as @%s", self.services.bot_username)

    async def _tick(self, _context: object = None) -> None:
        await self.services.scheduler.tick()
        try:
            await health.beat(self.services.db)
        except Exception:
            log.exception("could not record the scheduler heartbeat")

    async def health(self) -> dict:
        report = await health.collect(
            self.services.db, self.services.settings.scheduler_tick_seconds
        )
        report["in_flight"] = self.processor.running
        report["queued"] = self.processor.in_progress - self.processor.running
        report["outbox_sender"] = "running" if self.started else "stopped"
        return report

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every stored update is processed and the outbox has nothing due."""

        async def _wait() -> None:
            while True:
                await asyncio.sleep(0)
                if (
                    self.app.update_queue.empty()
                    and self.processor.idle
                    and await self.intake.pending() == 0
                ):
                    await self.services.outbox.idle()
                    # Translations and transcripts nudged by what was just sent (issue 15).
                    await self.services.auto_text.idle()
                    await self.services.outbox.idle()
                    if self.app.update_queue.empty() and self.processor.idle:
                        return
                await asyncio.sleep(0.005)

        await asyncio.wait_for(_wait(), timeout)

    async def stop(self, flush_seconds: float = 5.0) -> None:
        """Graceful: stop taking updates, finish those in flight, flush what can be sent, close
        the database. Updates received but not started yet stay in the inbox for the next start."""
        if not self.started:
            # Start-up failed (e.g. getMe refused): still close the HTTP sessions it opened.
            await self.app.bot.shutdown()
            return
        self.started = False
        await self.intake.stop()
        self.processor.begin_stop()
        try:
            await asyncio.wait_for(self._drain_updates(), timeout=30)
        except TimeoutError:
            log.warning("stopping with updates still in flight; they are processed at next start")
        if self.app.job_queue is not None and self.app.job_queue.scheduler.running:
            for job in self.app.job_queue.get_jobs_by_name("scheduler:tick"):
                job.schedule_removal()
        await self.services.outbox.stop(flush_seconds=flush_seconds)
        await export_worker.shutdown()  # the spare export process, if one waits
        left = await self.intake.pending()
        log.info(
            "stopped: %d updates processed, %d left for the next start, outbox backlog %d",
            self.processor.processed,
            left,
            await self.services.outbox.backlog(),
        )
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        if self.app.post_shutdown:
            await self.app.post_shutdown(self.app)

    async def _drain_updates(self) -> None:
        while not (self.app.update_queue.empty() and self.processor.idle):
            await asyncio.sleep(0.02)
