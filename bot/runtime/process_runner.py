"""Run the real bot in its own process against a given Bot API (the double), for tests and
benchmarks that must kill it for real (SIGKILL):
``python -m bot.runtime.process_runner --api URL ...``.

Not for production: ``buurtbot run`` is. Prints "ready" on stdout once the outbox is sending.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path


async def _main(args: argparse.Namespace) -> None:
    from bot.core.settings import Settings
    from bot.runtime.app import build_application
    from bot.runtime.runner import Runtime

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=args.token,
        telegram_api_base_url=args.api + "/bot",
        telegram_file_base_url=args.api + "/file/bot",
        database_path=Path(args.db),
        polling_timeout=1,
        outbox_rate=min(args.rate, 30.0),
        outbox_chat_interval=args.chat_interval,
        outbox_backoff_seconds=0.1,
        # As the harness: the double enforces no limits, a test's person presses fast.
        pace_direct_replies=False,
        flood_max_per_minute=1_000_000,
    )
    app = build_application(settings)
    runtime = Runtime(app)
    if args.rate > 30:
        runtime.services.outbox.set_rate(args.rate)
    await runtime.start(polling=True, scheduler=False)
    print("ready", flush=True)
    await asyncio.Event().wait()  # until killed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True, help="http://127.0.0.1:PORT (no /bot suffix)")
    parser.add_argument("--token", default="123456:TEST")
    parser.add_argument("--db", required=True)
    parser.add_argument("--rate", type=float, default=28.0)
    parser.add_argument("--chat-interval", type=float, default=1.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
