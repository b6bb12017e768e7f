"""`buurtbot export --project NAME_OR_ID|all --from YYYY-MM-DD --to YYYY-MM-DD --format csv|html
[--output PATH] [--language nl]` for staff at a desk. Needs only the database (no BOT_TOKEN):
DATABASE_PATH, TIMEZONE and DEFAULT_LANGUAGE come from the environment or .env as usual."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot.core.settings import SUPPORTED_LANGUAGES


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "Export problem reports of a project as CSV or an HTML dossier."
    parser.add_argument("--project", required=True, help="project name or id, or 'all'")
    parser.add_argument(
        "--from", dest="start", required=True, type=date.fromisoformat, help="first day, YYYY-MM-DD"
    )
    parser.add_argument(
        "--to",
        dest="end",
        required=True,
        type=date.fromisoformat,
        help="last day (included), YYYY-MM-DD",
    )
    parser.add_argument("--format", choices=("csv", "html"), default="csv")
    parser.add_argument("--output", type=Path, help="file to write (default: standard output)")
    parser.add_argument("--language", choices=SUPPORTED_LANGUAGES, help="language of the dossier")
    parser.add_argument("--database", type=Path, help="SQLite file (default: DATABASE_PATH)")


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from bot.core import i18n
    from bot.core.settings import Settings, describe_validation_error
    from bot.domain.dossier import build_export_sync
    from storage.db import Database
    from storage.repos.exports import ExportFilter

    try:
        # The token is never used here; a placeholder keeps the other settings' validation.
        settings = Settings(bot_token="0:export-needs-no-token")  # type: ignore[arg-type]
    except ValidationError as exc:
        print(f"buurtbot: {describe_validation_error(exc)}", file=sys.stderr)
        return 2
    if args.end < args.start:
        print("buurtbot: --to is before --from", file=sys.stderr)
        return 2
    tz = settings.tz
    lang = args.language or settings.default_language
    i18n.load(settings.default_language, tz)
    path = args.database or settings.database_path
    if not Path(path).exists():
        print(f"buurtbot: no database at {path}", file=sys.stderr)
        return 2
    db = Database(path)
    await db.open()
    try:
        await db.migrate()
        if args.project == "all":
            project_ids, title = None, "all projects"
        else:
            row = None
            if args.project.isdigit():
                row = await db.fetchone(
                    "SELECT id, name FROM projects WHERE id = ?", (int(args.project),)
                )
            if row is None:
                row = await db.fetchone(
                    "SELECT id, name FROM projects WHERE name = ? COLLATE NOCASE", (args.project,)
                )
            if row is None:
                print(f"buurtbot: no project {args.project!r}", file=sys.stderr)
                return 2
            project_ids, title = (row[0],), row[1]
    finally:
        await db.close()
    start = datetime.combine(args.start, time(0), tz)
    end = datetime.combine(args.end + timedelta(days=1), time(0), tz)
    # No bot loop to keep free at a desk: made in this process, on its own read-only connection.
    files = build_export_sync(
        path, ExportFilter(start, end, project_ids), tz, lang, title, formats=(args.format,)
    )
    body = files.csv if args.format == "csv" else files.html
    assert body is not None
    if args.output:
        from storage.files import write_private

        write_private(args.output, body)  # 0600: reports hold names and texts
        print(f"{files.rows} reports written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(body)
    return 0
