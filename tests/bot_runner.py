"""The real bot as a subprocess for kill/SIGTERM/log tests: `python -m tests.bot_runner [--webhook]`.

Settings come from the environment like `buurtbot run` (the Bot API double runs in the test
process). Two test-only commands exercise what features do, without depending on them:
  /note N   one row in kill_notes (no unique key: applied twice would show) + a direct reply
  /bcast N  a kill_notes row and one outbox message to BCAST_CHAT, in the same transaction
"""

from __future__ import annotations

import asyncio
import os
import sys

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CommandHandler, filters

from bot import cli
from bot.app import build_application
from bot.logs import setup_logging
from bot.outbox import Outbox
from bot.settings import Settings

NOTES_SQL = (
    "CREATE TABLE IF NOT EXISTS kill_notes (update_id INTEGER NOT NULL, user_tg INTEGER NOT NULL,"
    " kind TEXT NOT NULL)"
)


def build(settings: Settings):
    app = build_application(settings)
    bcast_chat = int(os.environ.get("BCAST_CHAT", "0"))

    async def note(update: Update, ctx) -> None:
        s = ctx.services
        kind = "bcast" if update.effective_message.text.startswith("/bcast") else "note"
        async with s.db.transaction() as conn:
            await conn.execute(NOTES_SQL)
            await conn.execute(
                "INSERT INTO kill_notes (update_id, user_tg, kind) VALUES (?, ?, ?)",
                (update.update_id, update.effective_user.id, kind),
            )
            if kind == "bcast" and bcast_chat:
                await Outbox.enqueue_tx(
                    conn, bcast_chat, "sendMessage", {"text": f"bcast {update.update_id}"}
                )
        if kind == "bcast":
            s.outbox.wake()
        await ctx.bot.send_message(update.effective_chat.id, f"noted {update.update_id}")
        raise ApplicationHandlerStop

    app.add_handler(
        CommandHandler(["note", "bcast"], note, filters=filters.ChatType.PRIVATE), group=-1
    )
    return app


def main() -> int:
    settings = Settings()  # type: ignore[call-arg]
    setup_logging(settings.log_level, settings.log_format)
    return asyncio.run(cli._run(settings, webhook="--webhook" in sys.argv, build=build))


if __name__ == "__main__":
    sys.exit(main())
