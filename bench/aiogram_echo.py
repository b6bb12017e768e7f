"""A bare aiogram 3 echo bot: the fastest peer of bench/report_flow.py.

Runs under its own interpreter (aiogram pins a pydantic older than ours), started by the bench:

    python bench/aiogram_echo.py SERVER_URL TOKEN

It prints "ready" once polling runs and stops on SIGTERM.
"""

import asyncio
import logging
import sys

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def main(server: str, token: str) -> None:
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(server)))
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await bot.send_message(message.chat.id, message.text or "")

    @dp.startup()
    async def ready() -> None:
        print("ready", flush=True)

    await dp.start_polling(bot, polling_timeout=1, handle_signals=True, close_bot_session=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(sys.argv[1], sys.argv[2]))
