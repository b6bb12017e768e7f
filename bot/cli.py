"""`buurtbot` command line: run, migrate, backup (and more verbs added by features)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from bot.settings import Settings, describe_validation_error

log = logging.getLogger("buurtbot")

# Extra verbs registered by features: name -> (configure parser, run(args) -> exit code)
EXTRA_COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        print(f"buurtbot: {describe_validation_error(exc)}", file=sys.stderr)
        raise SystemExit(2) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="buurtbot", description="Buurtbot, the neighbourhood bot.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (long polling)")
    sub.add_parser("migrate", help="create or migrate the database, then exit")
    backup = sub.add_parser("backup", help="make an online backup of the database")
    backup.add_argument("path", type=Path)
    for name, (configure, _run) in EXTRA_COMMANDS.items():
        configure(sub.add_parser(name))
    return parser


async def _run(settings: Settings) -> int:
    from bot.app import build_application
    from bot.runtime import Runtime

    app = build_application(settings)
    runtime = Runtime(app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await runtime.start(polling=True)
    except Exception as exc:  # e.g. wrong token, unreachable Bot API
        log.error("could not start: %s", exc)
        return 1
    await stop.wait()
    log.info("stopping: finishing updates in flight and flushing the outbox")
    await runtime.stop()
    return 0


async def _migrate(settings: Settings) -> int:
    from storage.db import Database

    db = Database(settings.database_path)
    await db.open()
    try:
        version = await db.migrate()
    finally:
        await db.close()
    print(f"database {settings.database_path} is at version {version}")
    return 0


async def _backup(settings: Settings, target: Path) -> int:
    from storage.db import Database

    db = Database(settings.database_path)
    await db.open()
    try:
        await db.migrate()
        await db.backup(target)
    finally:
        await db.close()
    print(f"backup written to {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    import handlers  # noqa: F401  (features register their CLI verbs on import)
    from bot import playground as _playground  # noqa: F401  (registers `buurtbot playground`)

    args = _parser().parse_args(argv)
    if args.command in EXTRA_COMMANDS:
        return EXTRA_COMMANDS[args.command][1](args)
    settings = load_settings()
    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.log_format)
    if args.command == "run":
        return asyncio.run(_run(settings))
    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    if args.command == "backup":
        return asyncio.run(_backup(settings, args.path))
    return 2


if __name__ == "__main__":
    sys.exit(main())
