"""`buurtbot playground`: try the real bot in a browser, no Telegram, no token, nothing leaves
the machine. The verb is parsed and run here (bot/cli lists it); the heavy parts load only when
it runs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import webbrowser
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Start the real bot against a local Telegram double with a demo project, and open a page "
        "with phones side by side (resident, organiser, worker, admin)."
    )
    parser.add_argument("--port", type=int, default=8080, help="port of the page (default 8080)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address of the page (default 127.0.0.1)"
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=Path("data/playground.sqlite3"),
        help="the playground's own database file; made anew at every start",
    )
    parser.add_argument("--no-browser", action="store_true", help="only print the address")


async def _main(args: argparse.Namespace) -> int:
    from bot.playground.server import serve

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # not on the main thread / Windows: no signal handlers
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    print("Starting the playground: building the demo project Rabot…", flush=True)
    try:
        pg, runner, url = await serve(args.db, args.host, args.port)
    except OSError as exc:
        print(
            f"buurtbot playground: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    print(f"Buurtbot playground is ready: {url}", flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    if not args.no_browser:
        # no browser is fine, the address is printed
        with contextlib.suppress(Exception):
            webbrowser.open(url)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await pg.stop()
    return 0


def run(args: argparse.Namespace) -> int:
    import warnings

    from bot.core.logs import setup_logging

    setup_logging("WARNING", "text")
    warnings.filterwarnings(
        "ignore", module="bot.runtime.intake"
    )  # PTB's hint about do_api_request
    return asyncio.run(_main(args))
