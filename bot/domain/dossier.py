"""Exports of problem reports for policy work: a CSV (one row per report) and a readable HTML
dossier with charts, in the reader's language. No telegram imports: the /export handler calls
``build_export`` (made in a child process, so the bot's loop stays free), `buurtbot export` calls
``build_export_sync`` (in-process). Both read on a read-only connection of their own and stream
the rows (never a list of 100,000).

Privacy: rows come from storage.repos.exports, which never reads names, Telegram ids, addresses,
voice notes or photos, rounds pins to 3 decimals (~100 m) and only gives them for reports without
a neighbourhood, and gives free text only for reporters who consented to be quoted (redacted).
"""

from __future__ import annotations

import csv
import io
import statistics
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core import i18n
from bot.core.i18n import N_, _
from bot.core.ui import esc
from bot.domain.export_worker import decode_job, run_in_child, write_result
from bot.domain.translation import dossier_quotes
from storage.db import Database
from storage.repos.exports import (
    ExportFilter,
    ExportRow,
    iter_rows,
    open_reader,
    read_category_labels,
)
from storage.timestamps import from_db

OPEN = ("new", "seen", "in_progress", "forwarded")
CLOSED = ("resolved", "not_for_us", "withdrawn")
QUOTES = 30  # the newest consenting reports quoted in a dossier

# The CSV's columns, documented in the file itself and in README.md.
CSV_COLUMNS: list[tuple[str, str]] = [
    ("reference", "report reference, e.g. R-2026-0042"),
    ("created_date", "date the report was made (YYYY-MM-DD, local time)"),
    ("project", "project name"),
    (
        "category",
        "category key (housing, energy, street, safety, cleanliness, noise, social, health,"
        " other, ...)",
    ),
    ("neighbourhood", "neighbourhood name; empty when the reporter gave none"),
    (
        "status",
        "current status: new, seen, in_progress, forwarded, resolved, not_for_us, withdrawn",
    ),
    ("status_history", "status changes in order as status@YYYY-MM-DD, separated by '>'"),
    (
        "first_answer_hours",
        "hours from the report to the first answer or status change by a worker; empty if none yet",
    ),
    ("resolution_hours", "hours from the report to 'resolved'; empty if not resolved"),
    ("me_too", "number of other households that said 'me too'"),
    ("lat", "latitude rounded to 3 decimals (~100 m), only when there is no neighbourhood"),
    ("lon", "longitude rounded to 3 decimals (~100 m), only when there is no neighbourhood"),
]

PERIODS = {
    "3m": N_("Last 3 months"),
    "6m": N_("Last 6 months"),
    "12m": N_("Last 12 months"),
    "ty": N_("This year"),
    "ly": N_("Last year"),
}


def _months_back(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + (d.month - 1) - months, 12)
    return date(y, m + 1, min(d.day, 28))


def period_bounds(key: str, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) in the clock's zone for a period button."""
    tz = now.tzinfo
    today = now.date()
    tomorrow = datetime.combine(today + timedelta(days=1), time(0), tz)
    if key in ("3m", "6m", "12m"):
        return datetime.combine(_months_back(today, int(key[:-1])), time(0), tz), tomorrow
    if key == "ty":
        return datetime(today.year, 1, 1, tzinfo=tz), tomorrow
    if key == "ly":
        return datetime(today.year - 1, 1, 1, tzinfo=tz), datetime(today.year, 1, 1, tzinfo=tz)
    raise ValueError(key)


def _hours(start: str, end: str | None) -> float | None:
    if end is None:
        return None
    # Stored timestamps are UTC ISO strings: fromisoformat is enough for a difference.
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return round(delta.total_seconds() / 3600, 1)


@lru_cache(maxsize=65536)
def _local_hour_date(utc_hour: str, tz: ZoneInfo) -> str:
    dt = from_db(utc_hour + ":00:00+00:00", tz)
    assert dt is not None
    return dt.date().isoformat()


def _local_date(value: str, tz: ZoneInfo) -> str:
    # The local date only depends on the UTC hour (zone offsets change on the hour): cached.
    return _local_hour_date(value[:13], tz)


# ----- CSV -----


def build_csv(rows: Iterable[ExportRow], tz: ZoneInfo, title: str = "") -> tuple[int, bytes]:
    """(number of rows, the file). Rows are consumed one by one."""
    buf = io.StringIO()
    buf.write(f"# Buurtbot export of problem reports{': ' + title if title else ''}\n")
    buf.write("# One row per report. No names, Telegram ids or exact locations. Columns:\n")
    for name, doc in CSV_COLUMNS:
        buf.write(f"#   {name}: {doc}\n")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([c for c, _d in CSV_COLUMNS])
    count = 0
    day, hours, fmt = _local_date, _hours, _fmt_num
    writerow = writer.writerow
    for r in rows:
        count += 1
        created = r.created_at
        writerow(
            (
                r.reference,
                day(created, tz),
                r.project,
                r.category,
                r.neighbourhood or "",
                r.status,
                ">".join([f"{s}@{day(at, tz)}" for s, at in r.history]),
                fmt(hours(created, r.first_answer_at)),
                fmt(hours(created, r.resolved_at)),
                r.me_too,
                "" if r.lat is None else f"{r.lat:.3f}",
                "" if r.lon is None else f"{r.lon:.3f}",
            )
        )
    # utf-8-sig: spreadsheet programs then read accents and Arabic correctly.
    return count, buf.getvalue().encode("utf-8-sig")


def _fmt_num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


# ----- the dossier -----


@dataclass(frozen=True)
class DossierStats:
    total: int
    households: int  # reports + me too
    open: int
    resolved: int
    other_closed: int
    median_first_answer_h: float | None
    median_resolution_h: float | None
    per_month: list[tuple[str, int, int]]  # (YYYY-MM, reports, me too)
    per_category: list[tuple[str, int, int]]
    per_hood: list[tuple[str | None, int, int]]
    quotes: list[tuple[str, str]]  # (category key, quote)


def compute(
    rows: Iterable[ExportRow],
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
    quotes: list[tuple[str, str]] | None = None,
) -> DossierStats:
    """Figures over ``rows`` (consumed once); ``quotes`` are the ones to show, already chosen
    and redacted by the repository."""
    months: list[str] = []
    cursor = date(start.year, start.month, 1)
    last = (end - timedelta(seconds=1)).date()
    while cursor <= last:
        months.append(f"{cursor.year:04d}-{cursor.month:02d}")
        cursor = date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
    by_month: dict[str, list[int]] = {m: [0, 0] for m in months}
    by_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_hood: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    status: Counter[str] = Counter()
    first, resolution = [], []
    total = me_too_total = 0
    for r in rows:
        total += 1
        me_too_total += r.me_too
        key = _local_date(r.created_at, tz)[:7]
        for bucket in (
            by_month.setdefault(key, [0, 0]),
            by_cat[r.category],
            by_hood[r.neighbourhood],
        ):
            bucket[0] += 1
            bucket[1] += r.me_too
        status[r.status] += 1
        h = _hours(r.created_at, r.first_answer_at)
        if h is not None:
            first.append(h)
        h = _hours(r.created_at, r.resolved_at)
        if h is not None:
            resolution.append(h)
    return DossierStats(
        total=total,
        households=total + me_too_total,
        open=sum(status[s] for s in OPEN),
        resolved=status["resolved"],
        other_closed=status["not_for_us"] + status["withdrawn"],
        median_first_answer_h=statistics.median(first) if first else None,
        median_resolution_h=statistics.median(resolution) if resolution else None,
        per_month=[(m, v[0], v[1]) for m, v in sorted(by_month.items())],
        per_category=sorted(
            ((k, v[0], v[1]) for k, v in by_cat.items()), key=lambda x: (-x[1], x[0])
        ),
        per_hood=sorted(
            ((k, v[0], v[1]) for k, v in by_hood.items()), key=lambda x: (-x[1], x[0] or "")
        ),
        quotes=list(quotes or [])[-QUOTES:],
    )


def _duration(hours: float | None) -> str:
    if hours is None:
        return "–"
    if hours < 48:
        n = round(hours)
        return i18n.ngettext("{n} hour", "{n} hours", n).format(n=n)
    n = round(hours / 24)
    return i18n.ngettext("{n} day", "{n} days", n).format(n=n)


@lru_cache(maxsize=1)
def _load_matplotlib() -> None:
    import matplotlib

    # The SVG backend only reads this from rcParams; set once (the same value every time), never
    # swapped per call with rc_context.
    matplotlib.rcParams["svg.fonttype"] = "none"
    # Element ids from a fixed salt: the same dossier twice is the same file, and random hex ids
    # can never happen to spell part of a number that was redacted from the text.
    matplotlib.rcParams["svg.hashsalt"] = "buurtbot"


def _bar_chart(labels: list[str], reports: list[int], me_too: list[int], horizontal: bool) -> str:
    """An inline SVG (text stays text, so every script renders and it stays small)."""
    # The object API, not pyplot: pyplot's current figure is global state, and dossiers are
    # drawn in worker threads. Imported here so a bot that never exports never loads it.
    from matplotlib.figure import Figure

    _load_matplotlib()
    height = max(2.5, 0.35 * len(labels) + 1) if horizontal else 3.2
    fig = Figure(figsize=(7.5, height))
    ax = fig.subplots()
    positions = list(range(len(labels)))
    r_label, m_label = _("Reports"), _("Me too")
    if horizontal:
        ax.barh(positions, reports, color="#2b6cb0", label=r_label)
        ax.barh(positions, me_too, left=reports, color="#90cdf4", label=m_label)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
    else:
        ax.bar(positions, reports, color="#2b6cb0", label=r_label)
        ax.bar(positions, me_too, bottom=reports, color="#90cdf4", label=m_label)
        ax.set_xticks(
            positions,
            labels,
            rotation=45 if len(labels) > 6 else 0,
            ha="right" if len(labels) > 6 else "center",
        )
    ax.legend(frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg")
    svg = out.getvalue()
    return svg[svg.find("<svg") :]


def _cat_label(key: str, labels: dict[str, tuple[str, str]], emoji: bool = True) -> str:
    if key in labels:
        icon, msgid = labels[key]
        # Chart fonts have no emoji glyphs; tables (rendered by the browser) keep them.
        return f"{icon} {_(msgid)}" if emoji else _(msgid)
    return key


def _table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def render_html(
    stats: DossierStats,
    labels: dict[str, tuple[str, str]],
    title: str,
    start: datetime,
    end: datetime,
    filters_text: str,
    lang: str,
) -> str:
    with i18n.use_locale(lang):
        period = _("{start} to {end}").format(
            start=i18n.format_date(start.date()),
            end=i18n.format_date((end - timedelta(seconds=1)).date()),
        )
        no_hood = _("(no neighbourhood)")
        parts = [
            "<h1>" + esc(_("Problems reported: {name}").format(name=title)) + "</h1>",
            f"<p class='meta'>{esc(period)}<br>{esc(filters_text)}</p>",
            "<h2>" + esc(_("In short")) + "</h2>",
            _table(
                [_("What"), _("Number")],
                [
                    [esc(_("Reports")), str(stats.total)],
                    [esc(_("Households affected (reports and “me too”)")), str(stats.households)],
                    [esc(_("Still open")), str(stats.open)],
                    [esc(_("Resolved")), str(stats.resolved)],
                    [esc(_("Closed otherwise (not for us, withdrawn)")), str(stats.other_closed)],
                    [
                        esc(_("Median time to a first answer")),
                        esc(_duration(stats.median_first_answer_h)),
                    ],
                    [
                        esc(_("Median time to resolution")),
                        esc(_duration(stats.median_resolution_h)),
                    ],
                ],
            ),
        ]
        if stats.total:
            parts.append("<h2>" + esc(_("Per month")) + "</h2>")
            parts.append(
                _bar_chart(
                    [m for m, _r, _m in stats.per_month],
                    [r for _x, r, _m in stats.per_month],
                    [m for _x, _r, m in stats.per_month],
                    horizontal=False,
                )
            )
            parts.append(
                _table(
                    [_("Month"), _("Reports"), _("Me too")],
                    [[m, str(r), str(t)] for m, r, t in stats.per_month],
                )
            )
            cats = [_cat_label(k, labels) for k, _r, _m in stats.per_category]
            parts.append("<h2>" + esc(_("Per category")) + "</h2>")
            chart_cats = [_cat_label(k, labels, emoji=False) for k, _r, _m in stats.per_category]
            parts.append(
                _bar_chart(
                    chart_cats,
                    [r for _k, r, _m in stats.per_category],
                    [m for _k, _r, m in stats.per_category],
                    horizontal=True,
                )
            )
            parts.append(
                _table(
                    [_("Category"), _("Reports"), _("Me too")],
                    [
                        [esc(c), str(r), str(t)]
                        for c, (_k, r, t) in zip(cats, stats.per_category, strict=False)
                    ],
                )
            )
            hoods = [h or no_hood for h, _r, _m in stats.per_hood]
            parts.append("<h2>" + esc(_("Per neighbourhood")) + "</h2>")
            if len(hoods) > 1:
                parts.append(
                    _bar_chart(
                        hoods[:25],
                        [r for _h, r, _m in stats.per_hood][:25],
                        [m for _h, _r, m in stats.per_hood][:25],
                        horizontal=True,
                    )
                )
            parts.append(
                _table(
                    [_("Neighbourhood"), _("Reports"), _("Me too")],
                    [
                        [esc(h), str(r), str(t)]
                        for h, (_k, r, t) in zip(hoods, stats.per_hood, strict=False)
                    ],
                )
            )
        parts.append("<h2>" + esc(_("In their own words")) + "</h2>")
        if stats.quotes:
            parts.append(
                "<p class='meta'>"
                + esc(_("Only from people who agreed to be quoted, without names."))
                + "</p>"
            )
            for key, quote in stats.quotes:
                parts.append(
                    f"<blockquote>{esc(quote)}<br>"
                    f"<small>{esc(_cat_label(key, labels))}</small></blockquote>"
                )
        else:
            parts.append("<p>" + esc(_("Nobody in this selection agreed to be quoted.")) + "</p>")
        parts.append(
            "<p class='meta'>"
            + esc(_("This dossier holds no names, Telegram ids or exact locations."))
            + "</p>"
        )
        direction = "rtl" if lang in i18n.RTL_LANGUAGES else "ltr"
    style = (
        "body{font-family:system-ui,sans-serif;max-width:52em;margin:2em auto;padding:0"
        " 1em;color:#1a202c}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #cbd5e0;padding:.3em"
        " .6em;text-align:start}"
        "th{background:#edf2f7}.meta{color:#4a5568}blockquote{border-inline-start:4px solid"
        " #90cdf4;"
        "margin:1em 0;padding:.2em 1em}svg{max-width:100%;height:auto}"
    )
    return (
        f"<!doctype html><html lang='{lang}' dir='{direction}'><head><meta charset='utf-8'>"
        f"<title>{esc(title)}</title><style>{style}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )


# ----- one call for handlers and the CLI -----


@dataclass(frozen=True)
class ExportFiles:
    rows: int
    csv: bytes | None
    html: bytes | None


def build_export_sync(
    db_path: Path | str,
    f: ExportFilter,
    tz: ZoneInfo,
    lang: str,
    title: str,
    filters_text: str = "",
    formats: tuple[str, ...] = ("csv", "html"),
) -> ExportFiles:
    """The whole export on a read-only connection of its own: run it in a worker thread
    (``build_export``) or straight from a command line. One read transaction, so the CSV and the
    dossier describe the same snapshot even while the bot keeps writing."""
    conn = open_reader(db_path)
    try:
        conn.execute("BEGIN")
        rows, csv_bytes, html_bytes = 0, None, None
        if "csv" in formats:
            rows, csv_bytes = build_csv(iter_rows(conn, f), tz, title)
        if "html" in formats:
            start, end = f.start.astimezone(tz), f.end.astimezone(tz)
            stats = compute(
                iter_rows(conn, f, history=False),
                tz,
                start,
                end,
                # Written texts and transcribed voice stories (issue 15), consented only.
                dossier_quotes(conn, f, QUOTES, lang),
            )
            rows = stats.total
            labels = read_category_labels(conn, {k for k, _r, _m in stats.per_category})
            html_bytes = render_html(stats, labels, title, start, end, filters_text, lang).encode(
                "utf-8"
            )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return ExportFiles(rows, csv_bytes, html_bytes)


async def build_export(
    db: Database,
    f: ExportFilter,
    tz: ZoneInfo,
    lang: str,
    title: str,
    filters_text: str = "",
    formats: tuple[str, ...] = ("csv", "html"),
) -> ExportFiles:
    """Off the event loop and out of the bot's process: a child process reads on a read-only
    connection of its own and renders (see bot.domain.export_worker for why not a thread).
    The loop, the shared connection and the bot's memory stay free for every other chat."""
    if str(db.path) == ":memory:":
        raise ValueError("exports need a database file (they read on a connection of their own)")
    rows, csv_bytes, html_bytes = await run_in_child(
        db.path, f, tz, lang, title, filters_text, formats
    )
    return ExportFiles(rows, csv_bytes, html_bytes)


def file_stem(title: str, start: datetime, end: datetime) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-") or "export"
    last = (end - timedelta(seconds=1)).date()
    return f"reports-{safe[:30]}-{start.date().isoformat()}-{last.isoformat()}"


def _child_main() -> int:
    """The export's own process (see bot.domain.export_worker): one job in, the files out."""
    job = decode_job(sys.stdin.buffer.read())
    i18n.load(job["lang"], job["tz"])
    files = build_export_sync(
        job["db"],
        job["filter"],
        job["tz"],
        job["lang"],
        job["title"],
        job["filters_text"],
        job["formats"],
    )
    write_result(files.rows, files.csv, files.html)
    return 0


if __name__ == "__main__":
    sys.exit(_child_main())
