"""The global error handler: log with the update id, tell the person nothing they sent is lost."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError

from bot.core.i18n import _
from handlers.context import BotContext
from storage.db import current_update

log = logging.getLogger("buurtbot.errors")


async def on_error(update: object, ctx: BotContext) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    scope = current_update.get()
    if scope is not None:
        scope.error = ctx.error  # the processor logs the outcome as 'error'
    log.error(
        "error while handling update %s: %s",
        update_id,
        type(ctx.error).__name__,
        exc_info=ctx.error,
        extra={"update_id": update_id, "outcome": "error"},
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    text = _(
        "Sorry, something went wrong on our side. Nothing you sent is lost. "
        "Please try again in a moment."
    )
    try:
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(text, show_alert=True)
                return
            except BadRequest:
                pass  # already answered by the handler before its reply failed: say it in the chat
        await ctx.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        pass
