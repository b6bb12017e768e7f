"""What the three parts of the reports feature share: dialog kinds, the service, the quick ack."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import cast

from telegram import Message, Update

from bot.domain.reports import ReportsService
from handlers.common import answer
from handlers.context import BotContext

log = logging.getLogger(__name__)
KIND = "report"
KIND_REP = "rep_text"  # resident: answer / add info / "not solved" reason
KIND_RW = "rw_text"  # worker: reply / "not for us" reason
KIND_CAT = "rep_cat"  # worker/admin: a category's emoji and name (add / rename)
KIND_NB = "rep_hood"  # worker/admin: neighbourhoods to add, or a neighbourhood's pin / GeoJSON


def svc(ctx: BotContext) -> ReportsService:
    return ctx.services.reports


def message_of(update: Update) -> Message:
    return cast(Message, update.effective_message)


_acks: set[asyncio.Task] = set()


def ack(update: Update) -> None:
    """Stop the button's spinner without waiting for Telegram's answer: the next message is what
    the person waits for (saves one round trip per tap in the report flow)."""

    async def _run() -> None:
        try:
            await answer(update)
        except Exception:  # the spinner stops by itself after a while
            log.debug("answerCallbackQuery failed", exc_info=True)

    task = asyncio.create_task(_run())
    _acks.add(task)
    task.add_done_callback(_acks.discard)


def seconds(duration: int | timedelta) -> int:
    """A voice note's duration in whole seconds (PTB gives an int, or a timedelta when asked)."""
    return int(duration.total_seconds()) if isinstance(duration, timedelta) else duration
