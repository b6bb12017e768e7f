"""`buurtbot init`: the first minutes. Asks for the token (checked with getMe), the admins'
Telegram ids, the time zone and the default language, and writes `.env` (mode 0600).

It reads answers line by line from standard input, so a terminal, a pipe and the tests all drive
it the same way; only the token is read without echo, and only on a terminal."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.settings import (
    DEFAULT_API_BASE_URL,
    DEFAULT_FILE_BASE_URL,
    DEFAULT_TIMEZONE,
    SUPPORTED_LANGUAGES,
    token_problem,
)
from storage.files import write_private

TOKEN_HELP = """\
1. The bot's token
   In Telegram, open @BotFather and send /newbot; it asks for a name and a username and then
   gives you a token like 123456789:AAH-your-token. For a bot you already have: /mybots, pick the
   bot, "API Token". Keep the token secret: whoever has it controls the bot."""

ADMIN_HELP = """\
2. The admins (staff who set up projects and neighbourhoods)
   An admin is known by their Telegram user id: a number like 123456789, not a phone number and
   not an @username. To find yours: in Telegram, open @userinfobot, send it any message, and it
   answers with your "Id". Several admins: separate the ids with commas. Leave it empty to add
   them later (ADMIN_IDS in .env)."""

ZONE_HELP = """\
3. The time zone of reminders, digests and meeting times (e.g. Europe/Brussels,
   Europe/Amsterdam)."""

LANGUAGE_HELP = """\
4. The language for people whose Telegram language Buurtbot does not have:
   nl (Dutch), fr (French), en (English), ar (Arabic) or tr (Turkish)."""


class _Stopped(Exception):
    """Input ended (Ctrl-D, or a pipe ran dry) before every answer was given."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Set up Buurtbot: asks for the bot's token, the admins, the time zone and the language, "
        "and writes them to .env."
    )
    parser.add_argument(
        "--env-file", type=Path, default=Path(".env"), help="file to write (default: .env)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_init(args.env_file))
    except (_Stopped, KeyboardInterrupt):
        print("\nbuurtbot init: stopped; nothing was written.", file=sys.stderr)
        return 1


def _ask(prompt: str, secret: bool = False) -> str:
    if secret and sys.stdin.isatty():
        try:
            return getpass.getpass(prompt).strip()
        except EOFError:
            raise _Stopped from None
    print(prompt, end="", flush=True)
    line = sys.stdin.readline()
    if not line:
        raise _Stopped
    return line.strip()


def _ask_until(prompt: str, check: Callable[[str], str | None], secret: bool = False) -> str:
    """Ask again until ``check`` finds nothing wrong (it returns what is wrong, or None)."""
    while True:
        answer = _ask(prompt, secret)
        problem = check(answer)
        if problem is None:
            return answer
        print(f"   {problem}")


async def _init(env_file: Path) -> int:
    print(f"Buurtbot set-up. This writes the settings to {env_file.resolve()}.\n")
    if env_file.exists():
        keep = _ask(f"{env_file} already exists. Replace it? [y/N] ").lower() not in ("y", "yes")
        if keep:
            print(f"Kept the existing {env_file}; nothing changed.")
            return 0
    base_url = os.environ.get("TELEGRAM_API_BASE_URL", DEFAULT_API_BASE_URL)
    file_url = os.environ.get("TELEGRAM_FILE_BASE_URL", DEFAULT_FILE_BASE_URL)

    print(TOKEN_HELP)
    while True:
        token = _ask_until("   Token: ", _token_check, secret=True)
        found = await _check_token(token, base_url)
        if found is None:
            return 1
        if found:
            print(f"   Telegram knows this token: it belongs to @{found}.\n")
            break
        print(
            "   Telegram rejected this token (it is wrong or was revoked). Copy it again from "
            "@BotFather (/mybots > your bot > API Token)."
        )

    print(ADMIN_HELP)
    admins = _ask_until("   Admin ids: ", _ids_check)
    print()
    print(ZONE_HELP)
    zone = _ask_until(f"   Time zone [{DEFAULT_TIMEZONE}]: ", _zone_check) or DEFAULT_TIMEZONE
    print()
    print(LANGUAGE_HELP)
    language = _ask_until("   Language [nl]: ", _language_check).lower() or "nl"
    print()

    lines = [
        "# Written by `buurtbot init`. Keep this file secret (it holds the bot's token).",
        "# Every other setting, with its meaning: see .env.example.",
        f"BOT_TOKEN={token}",
        f"ADMIN_IDS={','.join(_ids(admins))}",
        f"TIMEZONE={zone}",
        f"DEFAULT_LANGUAGE={language}",
    ]
    if base_url != DEFAULT_API_BASE_URL:  # the server the token was checked against
        lines.append(f"TELEGRAM_API_BASE_URL={base_url}")
    if file_url != DEFAULT_FILE_BASE_URL:
        lines.append(f"TELEGRAM_FILE_BASE_URL={file_url}")
    write_private(env_file, ("\n".join(lines) + "\n").encode())
    print(f"Wrote {env_file} (readable only by you). Start the bot with: buurtbot run")
    if not admins:
        print(
            "No admins yet: put your Telegram id in ADMIN_IDS in .env before you set up projects."
        )
    return 0


def _token_check(answer: str) -> str | None:
    if not answer:
        return "Paste the token @BotFather gave you."
    problem = token_problem(answer)
    return f"That is not a bot token: {problem}." if problem else None


async def _check_token(token: str, base_url: str) -> str | None:
    """The bot's username if Telegram accepts the token, "" if it rejects it, None when the Bot
    API cannot be reached (said here, once, without the token)."""
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError

    from bot.runtime.http import AiohttpRequest

    bot = Bot(token, base_url=base_url, request=AiohttpRequest(), get_updates_request=None)
    try:
        await bot.initialize()  # getMe
    except InvalidToken:
        return ""
    except NetworkError as exc:
        host = urlsplit(base_url).netloc or base_url
        detail = str(exc).replace(token, "[BOT_TOKEN]")
        print(
            f"buurtbot init: could not reach the Bot API at {host} ({detail}); check the internet "
            "connection (or TELEGRAM_API_BASE_URL) and run `buurtbot init` again. "
            "Nothing was written.",
            file=sys.stderr,
        )
        return None
    finally:
        await bot.shutdown()
    return bot.username


def _ids(answer: str) -> list[str]:
    return [p.strip() for p in answer.replace(";", ",").split(",") if p.strip()]


def _ids_check(answer: str) -> str | None:
    bad = [p for p in _ids(answer) if not p.isdigit()]
    if bad:
        return (
            f"{bad[0]!r} is not a Telegram user id: that is a number like 123456789 "
            "(ask @userinfobot in Telegram)."
        )
    return None


def _zone_check(answer: str) -> str | None:
    if not answer:
        return None
    try:
        ZoneInfo(answer)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{answer!r} is not a time zone Buurtbot knows; write it like Europe/Brussels."
    return None


def _language_check(answer: str) -> str | None:
    if answer and answer.lower() not in SUPPORTED_LANGUAGES:
        return f"Choose one of {', '.join(SUPPORTED_LANGUAGES)}."
    return None
