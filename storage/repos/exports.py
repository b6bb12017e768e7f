"""Reading reports for exports and dossiers: one pass over the reports in a period, with their
status history and "me too" counts. Returns only what an export may show: no reporter ids,
names, Telegram ids, addresses, voice notes, photos; the pin rounded and only without a
neighbourhood; free text only where the reporter consented to be quoted (redacted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.repos.report_privacy import PIN_DECIMALS, redact
from storage.timestamps import to_db


@dataclass(frozen=True)
class ExportFilter:
    start: datetime  # inclusive, aware
    end: datetime  # exclusive, aware
    project_ids: tuple[int, ...] | None = None  # None: every project
    categories: tuple[str, ...] | None = None  # category keys; None: all
    neighbourhood_ids: tuple[int, ...] | None = None  # None: all


@dataclass(frozen=True)
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
    quote: str | None  # only with quote consent, redacted


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


async def export_rows(db: Database, f: ExportFilter) -> list[ExportRow]:
    where, params = _where(f)
    # One pass: history and "me too" as correlated look-ups on their (report_id, ...) indexes,
    # which beats joining and sorting a quarter of a million events for large exports.
    rows = await db.fetchall(
        "SELECT r.id, r.reference, r.created_at, p.name AS project, r.category_key, n.name AS hood,"
        " r.status, r.first_answer_at, r.resolved_at, r.closed_at, r.neighbourhood_id, r.lat,"
        " r.lon,"
        " (SELECT COUNT(*) FROM report_me_too m WHERE m.report_id = r.id) AS me_too,"
        " (SELECT group_concat(e.new_status || '@' || e.created_at, '>') FROM report_events e"
        "   WHERE e.report_id = r.id AND e.new_status IS NOT NULL) AS history,"
        " CASE WHEN r.quote_ok = 1 THEN r.text END AS quote,"
        " CASE WHEN r.quote_ok = 1 THEN u.first_name END AS f,"
        " CASE WHEN r.quote_ok = 1 THEN u.last_name END AS l,"
        " CASE WHEN r.quote_ok = 1 THEN u.username END AS un"
        " FROM reports r JOIN projects p ON p.id = r.project_id"
        " LEFT JOIN neighbourhoods n ON n.id = r.neighbourhood_id"
        " LEFT JOIN users u ON u.id = r.reporter_id AND r.quote_ok = 1"
        f" WHERE {where} ORDER BY r.created_at, r.id",
        params,
    )
    out: list[ExportRow] = []
    append = out.append
    for (
        _id,
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
        quote,
        f_name,
        l_name,
        u_name,
    ) in rows:
        no_hood = hood_id is None
        append(
            ExportRow(
                reference=reference,
                created_at=created_at,
                project=project,
                category=category,
                neighbourhood=hood,
                status=status,
                history=(
                    tuple(tuple(item.split("@", 1)) for item in raw.split(">"))
                    if raw
                    else (("new", created_at),)
                ),
                first_answer_at=first_answer_at,
                resolved_at=resolved_at,
                closed_at=closed_at,
                me_too=me_too,
                lat=round(lat, PIN_DECIMALS) if no_hood and lat is not None else None,
                lon=round(lon, PIN_DECIMALS) if no_hood and lon is not None else None,
                quote=redact(quote, [f_name, l_name, u_name]) if quote else None,
            )
        )
    return out


async def category_labels(db: Database, keys: set[str]) -> dict[str, tuple[str, str]]:
    """key -> (emoji, label msgid), the first project's definition of each key."""
    if not keys:
        return {}
    marks = ",".join("?" * len(keys))
    rows = await db.fetchall(
        f"SELECT key, emoji, label_msgid FROM report_categories WHERE key IN ({marks})"
        " ORDER BY project_id DESC",
        tuple(keys),
    )
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
