"""Reading reports for exports and dossiers: one pass over the reports in a period, with their
status history and "me too" counts. Returns only what an export may show: no reporter ids,
names, Telegram ids, addresses, voice notes, photos; the pin rounded and only without a
neighbourhood; free text only where the reporter consented to be quoted (redacted)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.db import Database
from storage.repos.report_privacy import PIN_DECIMALS
from storage.timestamps import to_db


@dataclass(frozen=True)
class ExportFilter:
    start: datetime  # inclusive, aware
    end: datetime  # exclusive, aware
    project_ids: tuple[int, ...] | None = None  # None: every project
    categories: tuple[str, ...] | None = None  # category keys; None: all
    neighbourhood_ids: tuple[int, ...] | None = None  # None: all


@dataclass(frozen=True, slots=True)
class ExportRow:
    reference: str
    created_at: str  # UTC, as stored
    project: str
    category: str  # key
    neighbourhood: str | None
    status: str
    history: tuple[tuple[str, str], ...]  # (status, UTC time) in order
    first_answer_at: str | None
    resolved_at: str | None
    closed_at: str | None
    me_too: int
    lat: float | None  # rounded, only when no neighbourhood
    lon: float | None
    quote: str | None  # only with quote consent, redacted (iter_rows leaves it None)


def _where(f: ExportFilter) -> tuple[str, list[object]]:
    clauses = ["r.created_at >= ?", "r.created_at < ?"]
    params: list[object] = [to_db(f.start), to_db(f.end)]
    for column, values in (
        ("r.project_id", f.project_ids),
        ("r.category_key", f.categories),
        ("r.neighbourhood_id", f.neighbourhood_ids),
    ):
        if values is not None:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})" if values else "0")
            params.extend(values)
    return " AND ".join(clauses), params


def open_reader(path: Path | str) -> sqlite3.Connection:
    """A read-only connection of its own, for an export running in a worker thread: WAL lets it
    read a consistent snapshot while the bot's one aiosqlite connection keeps writing, so no
    other chat waits for the export's reads."""
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA query_only=ON")
    return conn


def _history(raw: str | None, created_at: str) -> tuple[tuple[str, str], ...]:
    if not raw:
        return (("new", created_at),)
    out = []
    for item in raw.split(">"):
        status, _at, at = item.partition("@")
        out.append((status, at))
    return tuple(out)


def iter_rows(
    conn: sqlite3.Connection, f: ExportFilter, history: bool = True
) -> Iterator[ExportRow]:
    """The reports in ``f`` in order of creation, one at a time (an export of 100,000 never
    holds them all). ``history=False`` skips the status history (the dossier does not show it,
    and it is a third of the reading). ``quote`` is always None here: the dossier's quotes come
    from bot.domain.translation.dossier_quotes."""
    where, params = _where(f)
    # One pass: history and "me too" as correlated look-ups on their (report_id, ...) indexes,
    # which beats joining and sorting a quarter of a million events for large exports.
    history_sql = (
        "(SELECT group_concat(e.new_status || '@' || e.created_at, '>') FROM report_events e"
        " WHERE e.report_id = r.id AND e.new_status IS NOT NULL)"
        if history
        else "NULL"
    )
    scan = _scan(conn, where, params)
    cursor = conn.execute(
        "SELECT r.reference, r.created_at, p.name AS project, r.category_key, n.name AS hood,"
        " r.status, r.first_answer_at, r.resolved_at, r.closed_at, r.neighbourhood_id, r.lat,"
        " r.lon,"
        " (SELECT COUNT(*) FROM report_me_too m WHERE m.report_id = r.id) AS me_too,"
        f" {history_sql} AS history"
        f" FROM reports r{scan} JOIN projects p ON p.id = r.project_id"
        " LEFT JOIN neighbourhoods n ON n.id = r.neighbourhood_id"
        f" WHERE {where} ORDER BY r.created_at, r.id",
        params,
    )
    cursor.arraysize = 1000
    while batch := cursor.fetchmany():
        for (
            reference,
            created_at,
            project,
            category,
            hood,
            status,
            first_answer_at,
            resolved_at,
            closed_at,
            hood_id,
            lat,
            lon,
            me_too,
            raw,
        ) in batch:
            no_hood = hood_id is None
            yield ExportRow(
                reference,
                created_at,
                project,
                category,
                hood,
                status,
                _history(raw, created_at) if history else (),
                first_answer_at,
                resolved_at,
                closed_at,
                me_too,
                round(lat, PIN_DECIMALS) if no_hood and lat is not None else None,
                round(lon, PIN_DECIMALS) if no_hood and lon is not None else None,
                None,
            )


def _scan(conn: sqlite3.Connection, where: str, params: list[object]) -> str:
    # A large share of the table (an all-projects export) reads faster in table order: the
    # look-ups then walk the events and "me too" indexes in order (0.5 s instead of 0.9 s for
    # 100,000 reports). Small selections keep the index on created_at.
    selected = conn.execute(f"SELECT COUNT(*) FROM reports r WHERE {where}", params).fetchone()[0]
    size = conn.execute("SELECT COALESCE(MAX(id), 0) FROM reports").fetchone()[0]
    return " NOT INDEXED" if selected * 4 > size else ""


# Whole seconds between two stored timestamps (julianday: also SQLite before 3.38).
def _seconds(later: str) -> str:
    return f"CAST(round((julianday({later}) - julianday(r.created_at)) * 86400) AS INTEGER)"


# One row of the CSV and the workbook, as plain values (fastest to read and render):
TableRow = tuple[
    str,  # reference
    str,  # created_at, UTC as stored
    str,  # project
    str,  # category key
    str | None,  # neighbourhood
    str,  # status
    # The status history, each step with the UTC hour it happened in (enough for its local
    # day): "new@2026-05-04T09>seen@2026-05-05T14"; None: none recorded.
    str | None,
    int | None,  # seconds from the report to a first answer; None: none yet
    int | None,  # seconds to "resolved"; None: not resolved
    int,  # me too
    float | None,  # latitude, rounded, only without a neighbourhood
    float | None,  # longitude
]


def iter_table(conn: sqlite3.Connection, f: ExportFilter) -> Iterator[TableRow]:
    """What ``iter_rows`` gives, as plain tuples (see ``TableRow``), in order of creation: the
    CSV of 100,000 reports reads them without building an object per report."""
    where, params = _where(f)
    scan = _scan(conn, where, params)
    cursor = conn.execute(
        "SELECT r.reference, r.created_at, p.name, r.category_key, n.name, r.status,"
        " (SELECT group_concat(e.new_status || '@' || substr(e.created_at, 1, 13), '>')"
        "  FROM report_events e"
        "  WHERE e.report_id = r.id AND e.new_status IS NOT NULL),"
        f" {_seconds('r.first_answer_at')}, {_seconds('r.resolved_at')},"
        " (SELECT COUNT(*) FROM report_me_too m WHERE m.report_id = r.id),"
        " CASE WHEN r.neighbourhood_id IS NULL THEN r.lat END,"
        " CASE WHEN r.neighbourhood_id IS NULL THEN r.lon END"
        f" FROM reports r{scan} JOIN projects p ON p.id = r.project_id"
        " LEFT JOIN neighbourhoods n ON n.id = r.neighbourhood_id"
        f" WHERE {where} ORDER BY r.created_at, r.id",
        params,
    )
    cursor.arraysize = 1000
    while batch := cursor.fetchmany():
        for row in batch:
            if row[10] is None and row[11] is None:
                yield row
            else:
                lat, lon = row[10], row[11]
                yield (
                    *row[:10],
                    None if lat is None else round(lat, PIN_DECIMALS),
                    None if lon is None else round(lon, PIN_DECIMALS),
                )


# One report for the dossier's figures: (created_at UTC, category key, neighbourhood, status,
# seconds to a first answer, seconds to resolution, me too, quote consent, consented voice note
# without words yet).
StatRow = tuple[str, str, str | None, str, int | None, int | None, int, int, int]


def iter_stats(conn: sqlite3.Connection, f: ExportFilter) -> Iterator[StatRow]:
    """The reports in ``f`` in no particular order (figures do not need one: no sort), with
    what the dossier counts — its consent counts included, in the same pass."""
    where, params = _where(f)
    scan = _scan(conn, where, params)
    cursor = conn.execute(
        "SELECT r.created_at, r.category_key, n.name, r.status,"
        f" {_seconds('r.first_answer_at')}, {_seconds('r.resolved_at')},"
        " (SELECT COUNT(*) FROM report_me_too m WHERE m.report_id = r.id),"
        " r.quote_ok = 1,"
        f" CASE WHEN r.quote_ok = 1 AND r.voice_file_id IS NOT NULL THEN NOT {_HAS_WORDS}"
        " ELSE 0 END"
        f" FROM reports r{scan} LEFT JOIN neighbourhoods n ON n.id = r.neighbourhood_id"
        f" WHERE {where}",
        params,
    )
    cursor.arraysize = 1000
    while batch := cursor.fetchmany():
        yield from batch


# Where the words of a quote may come from, in order of preference: what the resident typed,
# then a summary a worker typed and the resident approved, then a transcript of the voice note.
# The last two are read only when the schema has them (a later migration adds them).
# A consenting story has words once it is typed, or once its voice note is transcribed
# (the transcripts table, bot/domain/translation.py).
_HAS_WORDS = (
    "(COALESCE(TRIM(r.text), '') != ''"
    " OR EXISTS (SELECT 1 FROM transcripts t WHERE t.report_id = r.id AND t.text != ''))"
)


@dataclass(frozen=True)
class Consent:
    """Who agreed to be quoted in a selection, and how many of their stories have words yet."""

    agreed: int  # reports whose reporter agreed to be quoted
    voice_waiting: int  # of those: a voice note with no text of it yet (not quotable yet)


def consent_counts(conn: sqlite3.Connection, f: ExportFilter) -> Consent:
    where, params = _where(f)
    agreed, waiting = conn.execute(
        f"SELECT COUNT(*), COALESCE(SUM(NOT {_HAS_WORDS} AND r.voice_file_id IS NOT NULL), 0)"
        f" FROM reports r WHERE {where} AND r.quote_ok = 1",
        params,
    ).fetchone()
    return Consent(agreed, waiting)


def read_category_labels(
    conn: sqlite3.Connection, keys: set[str] | None
) -> dict[str, tuple[str, str]]:
    """key -> (emoji, label msgid), the first project's definition of each key (every key when
    ``keys`` is None)."""
    if keys is not None and not keys:
        return {}
    where, params = "", tuple[str, ...]()
    if keys is not None:
        where, params = f" WHERE key IN ({','.join('?' * len(keys))})", tuple(keys)
    rows = conn.execute(
        f"SELECT key, emoji, label_msgid FROM report_categories{where} ORDER BY project_id DESC",
        params,
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


async def project_categories(
    db: Database, project_ids: tuple[int, ...] | None
) -> list[tuple[str, str, str]]:
    """(key, emoji, label msgid) offered for the filter, ordered by position."""
    if project_ids is None:
        rows = await db.fetchall(
            "SELECT key, emoji, label_msgid, MIN(position) FROM report_categories"
            " WHERE active = 1 GROUP BY key ORDER BY MIN(position), key"
        )
    else:
        marks = ",".join("?" * len(project_ids))
        rows = await db.fetchall(
            "SELECT key, emoji, label_msgid, MIN(position) FROM report_categories"
            f" WHERE active = 1 AND project_id IN ({marks}) GROUP BY key ORDER BY MIN(position),"
            " key",
            project_ids,
        )
    return [(r[0], r[1], r[2]) for r in rows]
