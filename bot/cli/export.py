"""`buurtbot export` and `buurtbot sector-report` for staff at a desk. Needs only the database
(no BOT_TOKEN): DATABASE_PATH, TIMEZONE, DEFAULT_LANGUAGE and ORGANISATION_NAME come from the
environment or .env as usual.

    buurtbot export --project NAME_OR_ID --from D --to D --format csv|xlsx|html [--output F]
    buurtbot export --project all --from D --to D --format html|xlsx   (the sector dossier)
    buurtbot export --aggregate --from D --to D [--institute NAME] [--output F]   (JSON)
    buurtbot sector-report FILE... [--output F] [--format html|xlsx] [--language nl]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot.core.settings import SUPPORTED_LANGUAGES


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Export problem reports: a project's CSV, Excel workbook or HTML dossier; with"
        " --project all the institute's sector dossier; with --aggregate the anonymised"
        " aggregate file (JSON) for the sector."
    )
    parser.add_argument("--project", help="project name or id, or 'all'")
    parser.add_argument(
        "--aggregate",
        action="store_true",
        help="write the anonymised aggregate file (JSON) of every project, to send on",
    )
    parser.add_argument(
        "--institute", help="institute name in the aggregate file (default: ORGANISATION_NAME)"
    )
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
    parser.add_argument("--format", choices=("csv", "xlsx", "html"), default=None)
    parser.add_argument("--output", type=Path, help="file to write (default: standard output)")
    parser.add_argument("--language", choices=SUPPORTED_LANGUAGES, help="language of the dossier")
    parser.add_argument("--database", type=Path, help="SQLite file (default: DATABASE_PATH)")


def configure_sector_report(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Merge several institutes' aggregate files (from `buurtbot export --aggregate`) into one"
        " sector dossier."
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--format", choices=("html", "xlsx"), default="html")
    parser.add_argument("--output", type=Path, help="file to write (default: standard output)")
    parser.add_argument("--language", choices=SUPPORTED_LANGUAGES, help="language of the dossier")


def _fail(message: str) -> int:
    print(f"buurtbot: {message}", file=sys.stderr)
    return 2


def _settings():  # noqa: ANN202
    from pydantic import ValidationError

    from bot.core.settings import Settings, describe_validation_error

    try:
        # The token is never used here; a placeholder keeps the other settings' validation.
        return Settings(bot_token="0:export-needs-no-token")  # type: ignore[arg-type]
    except ValidationError as exc:
        print(f"buurtbot: {describe_validation_error(exc)}", file=sys.stderr)
        return None


def _write(output: Path | None, body: bytes, what: str) -> None:
    if output:
        from storage.files import write_private

        write_private(output, body)  # 0600: a project export holds quotes
        print(f"{what} written to {output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(body)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _project(path: Path, name: str) -> tuple[int, str] | None:
    from storage.db import Database

    db = Database(path)
    await db.open()
    try:
        await db.migrate()
        row = None
        if name.isdigit():
            row = await db.fetchone("SELECT id, name FROM projects WHERE id = ?", (int(name),))
        if row is None:
            row = await db.fetchone(
                "SELECT id, name FROM projects WHERE name = ? COLLATE NOCASE", (name,)
            )
    finally:
        await db.close()
    return None if row is None else (row[0], row[1])


async def _run(args: argparse.Namespace) -> int:
    from bot.core import i18n
    from bot.domain.dossier import DossierMeta, build_export_sync
    from storage.repos.exports import ExportFilter

    settings = _settings()
    if settings is None:
        return 2
    if args.end < args.start:
        return _fail("--to is before --from")
    if args.aggregate == bool(args.project):
        return _fail("give either --project NAME_OR_ID|all or --aggregate")
    tz = settings.tz
    lang = args.language or settings.default_language
    i18n.load(settings.default_language, tz)
    path = args.database or settings.database_path
    if not Path(path).exists():
        return _fail(f"no database at {path}")
    start = datetime.combine(args.start, time(0), tz)
    end = datetime.combine(args.end + timedelta(days=1), time(0), tz)
    made_at = datetime.now(tz)
    if args.aggregate:
        import json

        from bot.domain.sector import aggregate_json, read_raw

        institute = args.institute or settings.organisation_name
        if not institute:
            return _fail("give --institute NAME (or set ORGANISATION_NAME)")
        if args.format is not None:
            return _fail("--aggregate writes JSON; leave out --format")
        await _migrate(Path(path))
        raw = read_raw(path, ExportFilter(start, end), tz, institute)
        text = json.dumps(aggregate_json(raw, made_at), ensure_ascii=False, indent=1)
        _write(
            args.output, text.encode("utf-8") + b"\n", f"aggregate of {raw.whole.reports} reports"
        )
        return 0
    fmt = args.format or "csv"
    meta = DossierMeta(
        "",
        organisation=settings.organisation_name,
        contact=settings.organisation_contact,
        made_at=made_at,
    )
    if args.project == "all" and fmt in ("html", "xlsx"):
        from bot.domain.sector import build_sector_sync

        await _migrate(Path(path))
        title = settings.organisation_name or "all projects"
        sector = build_sector_sync(
            path, ExportFilter(start, end), tz, lang, _with_title(meta, title), (fmt,)
        )
        body = sector.html if fmt == "html" else sector.xlsx
        assert body is not None
        _write(args.output, body, f"sector dossier of {sector.rows} reports")
        return 0
    if args.project == "all":
        project_ids, title = None, "all projects"
    else:
        found = await _project(Path(path), args.project)
        if found is None:
            return _fail(f"no project {args.project!r}")
        project_ids, title = (found[0],), found[1]
    # No bot loop to keep free at a desk: made in this process, on its own read-only connection.
    files = build_export_sync(
        path,
        ExportFilter(start, end, project_ids),
        tz,
        lang,
        _with_title(meta, title),
        formats=(fmt,),
    )
    body = {"csv": files.csv, "xlsx": files.xlsx, "html": files.html}[fmt]
    assert body is not None
    _write(args.output, body, f"{files.rows} reports")
    return 0


def _with_title(meta, title: str):  # noqa: ANN001, ANN202
    from dataclasses import replace

    return replace(meta, title=title)


async def _migrate(path: Path) -> None:
    from storage.db import Database

    db = Database(path)
    await db.open()
    try:
        await db.migrate()
    finally:
        await db.close()


def run_sector_report(args: argparse.Namespace) -> int:
    from bot.core import i18n
    from bot.domain.dossier import DossierMeta
    from bot.domain.sector import (
        AggregateError,
        load_aggregate,
        merge,
        render_sector_html,
        sector_workbook,
    )

    settings = _settings()
    if settings is None:
        return 2
    i18n.load(settings.default_language, settings.tz)
    lang = args.language or settings.default_language
    try:
        data = merge([load_aggregate(p) for p in args.files])
    except AggregateError as exc:
        return _fail(str(exc))
    meta = DossierMeta("", contact=settings.organisation_contact, made_at=datetime.now(settings.tz))
    if args.format == "html":
        body = render_sector_html(data, meta, lang).encode("utf-8")
    else:
        body = sector_workbook(data, meta, lang)
    _write(args.output, body, f"sector dossier of {len(data.institutes)} institutes")
    return 0
