"""The real bot as a subprocess for kill/SIGTERM/log tests:
`python -m tests.bot_runner [--webhook]`.

Settings come from the environment like `buurtbot run` (the Bot API double runs in the test
process). Two test-only commands exercise what features do, without depending on them:
  /note N   one row in kill_notes (no unique key: applied twice would show) + a direct reply
  /bcast N  a kill_notes row and one outbox message to BCAST_CHAT, in the same transaction

CLOCK_FILE=path: the bot's clock reads "now" (ISO, aware) from that file, so a test can move time
for the subprocess (reminders, digests) and the time survives a SIGKILL and restart.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CommandHandler, filters

from bot import cli
from bot.core.logs import setup_logging
from bot.core.outbox import Outbox
from bot.core.settings import Settings
from bot.runtime.app import build_application

NOTES_SQL = (
    "CREATE TABLE IF NOT EXISTS kill_notes (update_id INTEGER NOT NULL, user_tg INTEGER NOT NULL,"
    " kind TEXT NOT NULL)"
)


class FileClock:
    """services.clock for a subprocess: 'now' is what the test wrote to CLOCK_FILE."""

    def __init__(self, path: str, tz) -> None:
        self.path, self.tz = path, tz
        self._stamp: float = -1.0
        self._now: datetime | None = None

    def now(self) -> datetime:
        stamp = os.stat(self.path).st_mtime_ns
        if stamp != self._stamp or self._now is None:
            with open(self.path) as f:
                self._now = datetime.fromisoformat(f.read().strip()).astimezone(self.tz)
            self._stamp = stamp
        return self._now


def set_clock_file(path, when: datetime) -> None:
    """Atomically move a FileClock (written by the test process)."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(when.isoformat())
    os.replace(tmp, path)


def build(settings: Settings):
    clock_file = os.environ.get("CLOCK_FILE")
    app = build_application(
        settings, clock=FileClock(clock_file, settings.tz) if clock_file else None
    )
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
