"""The child process an export runs in: ``python -m bot.domain.dossier`` reads one job (JSON) on
stdin and writes a JSON header line, then the CSV and HTML bytes, on stdout. This module holds
both ends of that pipe.

Why a process and not a thread: rendering 100,000 rows is pure Python, so a thread holds the GIL
and the bot's event loop waits whenever the thread is running (on a loaded machine: 90-360 ms
at a time, measured in bench/export_lag.py). A process costs ~0.3 s to start and keeps matplotlib
(~40 MB) out of the bot's memory. Only what the export needs crosses: the database path, the
filter, the zone, the language, the title — never a token or settings.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from storage.repos.exports import ExportFilter

# The directory holding the `bot` package, so the child imports this same code.
_ROOT = Path(__file__).resolve().parents[2]


class ExportFailed(RuntimeError):
    pass


def _ids(values: tuple[Any, ...] | None) -> list[Any] | None:
    return None if values is None else list(values)


def encode_job(
    db_path: Path | str,
    f: ExportFilter,
    tz: ZoneInfo,
    lang: str,
    title: str,
    filters_text: str,
    formats: tuple[str, ...],
) -> bytes:
    return json.dumps(
        {
            "db": str(Path(db_path).resolve()),
            "start": f.start.isoformat(),
            "end": f.end.isoformat(),
            "projects": _ids(f.project_ids),
            "categories": _ids(f.categories),
            "hoods": _ids(f.neighbourhood_ids),
            "tz": tz.key,
            "lang": lang,
            "title": title,
            "filters_text": filters_text,
            "formats": list(formats),
        }
    ).encode("utf-8")


def _tuple(values: list[Any] | None) -> tuple[Any, ...] | None:
    return None if values is None else tuple(values)


def decode_job(raw: bytes) -> dict[str, Any]:
    job = json.loads(raw)
    job["filter"] = ExportFilter(
        datetime.fromisoformat(job["start"]),
        datetime.fromisoformat(job["end"]),
        _tuple(job["projects"]),
        _tuple(job["categories"]),
        _tuple(job["hoods"]),
    )
    job["tz"] = ZoneInfo(job["tz"])
    job["formats"] = tuple(job["formats"])
    return job


def write_result(rows: int, csv_bytes: bytes | None, html_bytes: bytes | None) -> None:
    out = sys.stdout.buffer
    header = {
        "rows": rows,
        "csv": None if csv_bytes is None else len(csv_bytes),
        "html": None if html_bytes is None else len(html_bytes),
    }
    out.write(json.dumps(header).encode("utf-8") + b"\n")
    out.write(csv_bytes or b"")
    out.write(html_bytes or b"")
    out.flush()


async def run_in_child(
    db_path: Path | str,
    f: ExportFilter,
    tz: ZoneInfo,
    lang: str,
    title: str,
    filters_text: str = "",
    formats: tuple[str, ...] = ("csv", "html"),
) -> tuple[int, bytes | None, bytes | None]:
    """(rows, CSV, HTML) made by ``python -m bot.domain.dossier`` in a child process."""
    # The export needs no token or secret: the child does not get them.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "TELEGRAM_", "WEBHOOK_"))
        and "TOKEN" not in k.upper()
        and "SECRET" not in k.upper()
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH")) if p)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.domain.dossier",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await proc.communicate(
            encode_job(db_path, f, tz, lang, title, filters_text, formats)
        )
    except BaseException:
        # Cancelled (the bot stops): the child goes too.
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ExportFailed(f"export process exited with {proc.returncode}: {tail[0]}")
    line, _nl, body = out.partition(b"\n")
    header = json.loads(line)
    csv_len, html_len = header["csv"], header["html"]
    csv_bytes = body[:csv_len] if csv_len is not None else None
    html_bytes = body[csv_len or 0 :] if html_len is not None else None
    return header["rows"], csv_bytes, html_bytes
