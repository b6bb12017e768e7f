"""`buurtbot` command line. Every verb is listed here: init, run, migrate, backup, health, export,
setup, sector-report and playground. Its messages are for operators, in plain English (not
translated)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from pydantic import ValidationError

from bot.core.settings import TOKEN_REJECTED, Settings, describe_validation_error
from bot.runtime.collector import settle_collector

log = logging.getLogger("buurtbot")

Configure = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], int]


def _own_verbs() -> dict[str, tuple[Configure, Run]]:
    """Verbs that parse and run on their own: name -> (configure parser, run(args) -> exit code)."""
    from bot import playground
    from bot.cli import export, init, setup

    return {
        "init": (init.configure, init.run),
        "export": (export.configure, export.run),
        "setup": (setup.configure, setup.run),
        "sector-report": (export.configure_sector_report, export.run_sector_report),
        "playground": (playground.configure, playground.run),
    }


# Verbs that only touch the database: they must work without BOT_TOKEN (e.g. on a backup host).
OFFLINE_COMMANDS = {"migrate", "backup", "health"}
_OFFLINE_TOKEN = "0:offline"  # never sent anywhere: these verbs do not talk to Telegram


def load_settings(offline: bool = False, **overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        missing_token_only = all(err.get("loc", ("",))[0] == "bot_token" for err in exc.errors())
        if offline and missing_token_only and "bot_token" not in overrides:
            return load_settings(offline=False, bot_token=_OFFLINE_TOKEN, **overrides)
        print(f"buurtbot: {describe_validation_error(exc)}", file=sys.stderr)
        raise SystemExit(2) from None


def _parser(own_verbs: dict[str, tuple[Configure, Run]]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="buurtbot", description="Buurtbot, the neighbourhood bot."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (long polling by default)")
    run.add_argument(
        "--webhook",
        action="store_true",
        help=(
            "receive updates by webhook (WEBHOOK_URL, WEBHOOK_SECRET, WEBHOOK_LISTEN, WEBHOOK_PORT)"
        ),
    )
    health = sub.add_parser("health", help="report the health of the bot from its database")
    health.add_argument("--quiet", action="store_true", help="only the exit code (0 = healthy)")
    sub.add_parser("migrate", help="create or migrate the database, then exit")
    backup = sub.add_parser("backup", help="make an online backup of the database")
    backup.add_argument("path", type=Path)
    helps = {
        "init": "set up: ask for the token, admins, time zone and language; write .env",
        "setup": "set up an institute's projects, neighbourhoods, categories, rules and groups "
        "from one TOML file",
        "export": "export problem reports: CSV, Excel, HTML dossier, sector aggregate (JSON)",
        "sector-report": "merge institutes' aggregate files into one sector dossier (HTML)",
        "playground": "try the bot in a browser, against a fake Telegram",
    }
    for name, (configure, _run) in own_verbs.items():
        configure(sub.add_parser(name, help=helps.get(name)))
    return parser


async def _run(settings: Settings, webhook: bool = False, build: Callable | None = None) -> int:
    """Run until SIGTERM/SIGINT.

    ``build`` replaces build_application (test runners add handlers).
    """
    from telegram.error import NetworkError

    from bot.runtime.app import build_application
    from bot.runtime.runner import Runtime, TokenRejected

    if webhook and not (settings.webhook_url and settings.webhook_secret.get_secret_value()):
        print("buurtbot: webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET", file=sys.stderr)
        return 2
    app = (build or build_application)(settings)
    runtime = Runtime(app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = None
    try:
        await runtime.start(polling=False)
        if webhook:
            from bot.runtime.webhook import WebhookServer

            server = WebhookServer(
                runtime,
                settings.webhook_url,
                settings.webhook_secret.get_secret_value(),
                settings.webhook_listen,
                settings.webhook_port,
            )
            await server.start()
        else:
            # A webhook left over from an earlier run would make getUpdates fail (409).
            await app.bot.delete_webhook(drop_pending_updates=False)
            runtime.intake.start_polling()
    except TokenRejected:
        await runtime.stop(flush_seconds=0)
        print(f"buurtbot: {TOKEN_REJECTED}", file=sys.stderr)
        return 2
    except NetworkError as exc:
        await runtime.stop(flush_seconds=0)
        host = urlsplit(settings.telegram_api_base_url).netloc
        log.error("could not reach the Bot API at %s (check the network): %s", host, exc)
        return 1
    except Exception as exc:  # e.g. port in use
        log.error("could not start: %s", exc)
        await runtime.stop(flush_seconds=0)
        return 1
    settle_collector()  # what start-up loaded is frozen; the collector runs less often
    await stop.wait()
    log.info("stopping: finishing updates in flight and flushing the outbox")
    if server is not None:
        await server.stop()
    await runtime.stop()
    log.info("stopped cleanly")
    return 0


async def _health(settings: Settings, quiet: bool) -> int:
    import json

    from bot.runtime.health import collect
    from storage.db import Database

    db = Database(settings.database_path)
    if not settings.database_path.exists():
        report = {"database": "missing", "healthy": False, "path": str(settings.database_path)}
    else:
        try:
            await db.open()
            await db.read_only()  # a health check never writes
            report = await collect(db, settings.scheduler_tick_seconds)
        except Exception as exc:
            report = {"database": "unreachable", "healthy": False, "error": type(exc).__name__}
        finally:
            await db.close()
    if not quiet:
        print(json.dumps(report, indent=2))
    return 0 if report.get("healthy") else 1


async def _migrate(settings: Settings) -> int:
    from storage.db import Database

    db = Database(settings.database_path)
    await db.open()
    try:
        version = await db.migrate()
    finally:
        await db.close()
    print(f"database {settings.database_path.absolute()} is at version {version}")
    return 0


async def _backup(settings: Settings, target: Path) -> int:
    from storage.db import Database

    source = settings.database_path
    if not source.is_file():
        # Opening it would create an empty database and back that up: a "backup" of nothing.
        print(
            f"buurtbot: no database at {source.absolute()} (DATABASE_PATH); nothing was backed "
            "up. Point DATABASE_PATH at the bot's database.",
            file=sys.stderr,
        )
        return 1
    if target.resolve() == source.resolve():
        print("buurtbot: the backup target is the database itself", file=sys.stderr)
        return 2
    db = Database(source)
    await db.open()
    try:
        await db.migrate()
        await db.backup(target)
    finally:
        await db.close()
    print(f"backup written to {target}")
    return 0


class _Redacting:
    """A log stream that never lets the bot token through, whatever a library puts in a message
    or a traceback (PTB's InvalidToken, a URL in an error: the token is part of every API URL)."""

    def __init__(self, stream: TextIO, secret: str) -> None:
        self._stream, self._secret = stream, secret

    def write(self, text: str) -> int:
        return self._stream.write(text.replace(self._secret, "[BOT_TOKEN]"))

    def flush(self) -> None:
        self._stream.flush()


def _redact_token_in_logs(settings: Settings) -> None:
    token = settings.bot_token.get_secret_value()
    if token == _OFFLINE_TOKEN:
        return
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(_Redacting(handler.stream, token))


def main(argv: list[str] | None = None) -> int:
    own_verbs = _own_verbs()
    args = _parser(own_verbs).parse_args(argv)
    if args.command in own_verbs:
        return own_verbs[args.command][1](args)
    settings = load_settings(offline=args.command in OFFLINE_COMMANDS)
    from bot.core.logs import setup_logging

    setup_logging(settings.log_level, settings.log_format)
    _redact_token_in_logs(settings)
    if args.command == "run":
        return asyncio.run(_run(settings, webhook=args.webhook))
    if args.command == "health":
        return asyncio.run(_health(settings, args.quiet))
    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    if args.command == "backup":
        return asyncio.run(_backup(settings, args.path))
    return 2


if __name__ == "__main__":
    sys.exit(main())
