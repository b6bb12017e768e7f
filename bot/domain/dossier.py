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
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core import i18n
from bot.core.i18n import N_, _
from bot.core.ui import esc
from bot.domain.charts import bar_chart, chart_block, worth_a_chart
from bot.domain.export_worker import encode_filter, run_in_child
from bot.domain.reports import STATUS_LABELS
from bot.domain.translation import dossier_quotes
from bot.domain.workbook import Workbook, sheet_title
from storage.db import Database
from storage.repos.exports import (
    Consent,
    ExportFilter,
    ExportRow,
    StatRow,
    TableRow,
    iter_stats,
    iter_table,
    open_reader,
    read_category_labels,
)
from storage.timestamps import from_db

OPEN = ("new", "seen", "in_progress", "forwarded")
CLOSED = ("resolved", "not_for_us", "withdrawn")
QUOTES = 30  # the newest consenting reports quoted in a dossier
MONTH_HOOD_ROWS = 25  # neighbourhoods in the month x neighbourhood table; the rest is "other"
EXAMPLE = "5 (+2)"


@dataclass(frozen=True)
class Column:
    key: str  # stable name, for code and tests
    header: str  # msgid: the heading the reader sees
    meaning: str  # msgid: what it means, on the workbook's first sheet and in docs/exports.md


# The columns of the CSV and of the workbook's data sheet, in order (docs/exports.md lists them).
COLUMNS: list[Column] = [
    Column("reference", N_("Reference"), N_("Reference of the report, e.g. R-2026-0042.")),
    Column("created_date", N_("Day reported"), N_("Day the report was made (local time).")),
    Column("project", N_("Project"), N_("The project the report belongs to.")),
    Column("category", N_("Category"), N_("What the problem is about.")),
    Column(
        "neighbourhood",
        N_("Neighbourhood"),
        N_("Where the problem is. Empty when no neighbourhood is known."),
    ),
    Column("status", N_("Status"), N_("Where the report is now.")),
    Column(
        "status_history",
        N_("Status history"),
        N_("Every change of status, in order, with its day."),
    ),
    Column(
        "first_answer_hours",
        N_("Hours to a first answer"),
        N_(
            "Hours from the report to the first answer or status change by a worker."
            " Empty: none yet."
        ),
    ),
    Column(
        "resolution_hours",
        N_("Hours to resolution"),
        N_("Hours from the report to “resolved”. Empty: not resolved."),
    ),
    Column(
        "me_too",
        N_("Me too"),
        N_("Other households that said “me too”: they have the same problem."),
    ),
    Column(
        "lat",
        N_("Latitude (about 100 m)"),
        N_("Rounded to about 100 m, and only for a report without a neighbourhood."),
    ),
    Column(
        "lon",
        N_("Longitude (about 100 m)"),
        N_("Rounded to about 100 m, and only for a report without a neighbourhood."),
    ),
]
# Belgian Excel (nl-BE, fr-BE) reads ";" as the separator and "," as the decimal mark.
CSV_DELIMITER = ";"
DECIMAL_MARK = ","


@dataclass(frozen=True)
class DossierMeta:
    """Who made a dossier, for whom, when: printed on it (a city department asks)."""

    title: str  # the project, or "all projects"
    filters_text: str = ""
    made_by: str = ""  # the requester's name
    organisation: str = ""
    contact: str = ""
    made_at: datetime | None = None

    def to_json(self) -> dict[str, str | None]:
        return {
            "title": self.title,
            "filters_text": self.filters_text,
            "made_by": self.made_by,
            "organisation": self.organisation,
            "contact": self.contact,
            "made_at": self.made_at.isoformat() if self.made_at else None,
        }

    @classmethod
    def from_json(cls, raw: dict[str, str | None]) -> DossierMeta:
        made_at = raw.get("made_at")
        return cls(
            raw.get("title") or "",
            raw.get("filters_text") or "",
            raw.get("made_by") or "",
            raw.get("organisation") or "",
            raw.get("contact") or "",
            datetime.fromisoformat(made_at) if made_at else None,
        )


PERIODS = {
    "3m": N_("Last 3 months"),
    "6m": N_("Last 6 months"),
    "12m": N_("Last 12 months"),
    "ty": N_("This year"),
    "lq": N_("Last quarter"),
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
    if key == "lq":  # the calendar quarter before this one: what a quarterly report covers
        this = (today.month - 1) // 3 * 3 + 1  # first month of this quarter
        y, m = divmod(today.year * 12 + this - 1 - 3, 12)
        return datetime(y, m + 1, 1, tzinfo=tz), datetime(today.year, this, 1, tzinfo=tz)
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


# ----- the table: CSV and workbook -----


def _fmt_num(value: float | None) -> str:
    return "" if value is None else f"{value:g}".replace(".", DECIMAL_MARK)


def _status_word(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


class _Words:
    """The words and days of the table in the reader's language, each made once per distinct
    value (a status, a category, a UTC hour), not once per report: 100,000 rows hold a few
    thousand distinct days and a dozen words."""

    def __init__(self, tz: ZoneInfo, labels: dict[str, tuple[str, str]]) -> None:
        self.tz = tz
        self.status = {s: _status_word(s) for s in STATUS_LABELS}
        self.category = {k: _cat_label(k, labels, emoji=False) for k in labels}
        self._days: dict[str, str] = {}  # UTC "YYYY-MM-DDTHH" -> local day
        self._steps: dict[str, str] = {}  # "new@2026-05-04T09" -> "Nieuw 2026-05-04"

    def day(self, utc: str) -> str:
        hour = utc[:13]
        day = self._days.get(hour)
        if day is None:
            day = self._days[hour] = _local_hour_date(hour, self.tz)
        return day

    def history(self, raw: str | None, created_at: str) -> str:
        """ "Nieuw 2026-05-04, Gezien 2026-05-05" from "new@2026-05-04T09>seen@2026-05-05T14"
        (``TableRow``); None: just made."""
        steps = self._steps
        if not raw:
            raw = "new@" + created_at[:13]
        return ", ".join([steps.get(item) or self._step(item) for item in raw.split(">")])

    def _step(self, item: str) -> str:
        status, _at, hour = item.partition("@")
        text = self._steps[item] = f"{self.status.get(status, status)} {self.day(hour)}"
        return text


def _hours_of(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def table_rows(
    rows: Iterable[TableRow], tz: ZoneInfo, labels: dict[str, tuple[str, str]]
) -> Iterator[tuple[object, ...]]:
    """One tuple per report in the reader's language (the current locale), typed: dates as
    dates, hours and counts as numbers, None for empty. Consumed one by one."""
    words = _Words(tz, labels)
    for (
        ref,
        created,
        project,
        cat,
        hood,
        status,
        history,
        first,
        resolved,
        me_too,
        lat,
        lon,
    ) in rows:
        yield (
            ref,
            date.fromisoformat(words.day(created)),
            project,
            words.category.get(cat, cat),
            hood or "",
            words.status.get(status, status),
            words.history(history, created),
            _hours_of(first),
            _hours_of(resolved),
            me_too,
            lat,
            lon,
        )


def csv_rows(
    rows: Iterable[TableRow], tz: ZoneInfo, labels: dict[str, tuple[str, str]]
) -> Iterator[tuple[object, ...]]:
    """The same rows as ``table_rows``, already as the CSV's cells (``_csv_cell`` of each):
    the CSV alone skips making dates and floats only to turn them into text again."""
    words = _Words(tz, labels)
    num = _fmt_num
    for (
        ref,
        created,
        project,
        cat,
        hood,
        status,
        history,
        first,
        resolved,
        me_too,
        lat,
        lon,
    ) in rows:
        yield (
            ref,
            words.day(created),
            project,
            words.category.get(cat, cat),
            hood or "",
            words.status.get(status, status),
            words.history(history, created),
            "" if first is None else num(round(first / 3600, 1)),
            "" if resolved is None else num(round(resolved / 3600, 1)),
            me_too,
            "" if lat is None else num(lat),
            "" if lon is None else num(lon),
        )


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return _fmt_num(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class CsvSink:
    """The CSV as Belgian Excel opens it with a double click: UTF-8 with a byte order mark
    (accents and Arabic read right), ";" between fields, "," as decimal mark, one header row."""

    def __init__(self) -> None:
        self.buf = io.StringIO()
        self.writer = csv.writer(self.buf, delimiter=CSV_DELIMITER, lineterminator="\r\n")
        self.writer.writerow([_(c.header) for c in COLUMNS])

    def add(self, row: tuple[object, ...]) -> None:
        """A typed row (``table_rows``)."""
        self.writer.writerow([_csv_cell(v) for v in row])

    def add_cells(self, rows: Iterable[tuple[object, ...]]) -> int:
        """Rows of cells (``csv_rows``); returns how many."""
        count = 0

        def counted() -> Iterator[tuple[object, ...]]:
            nonlocal count
            for row in rows:
                count += 1
                yield row

        self.writer.writerows(counted())
        return count

    def done(self) -> bytes:
        return self.buf.getvalue().encode("utf-8-sig")


def build_csv(
    rows: Iterable[TableRow], tz: ZoneInfo, labels: dict[str, tuple[str, str]] | None = None
) -> tuple[int, bytes]:
    """(number of rows, the CSV) in the current locale's language."""
    sink = CsvSink()
    count = sink.add_cells(csv_rows(rows, tz, labels or {}))
    return count, sink.done()


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
    month_hood: dict[tuple[str, str | None], tuple[int, int]]  # (month, hood) -> reports, me too
    quotes: list[tuple[str, str]]  # (category key, quote)
    consent: Consent = Consent(0, 0)


def month_keys(start: datetime, end: datetime) -> list[str]:
    """YYYY-MM of every month in [start, end)."""
    months: list[str] = []
    cursor = date(start.year, start.month, 1)
    last = (end - timedelta(seconds=1)).date()
    while cursor <= last:
        months.append(f"{cursor.year:04d}-{cursor.month:02d}")
        cursor = date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
    return months


def compute(
    rows: Iterable[ExportRow],
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
    quotes: list[tuple[str, str]] | None = None,
    consent: Consent | None = None,
) -> DossierStats:
    """Figures over ``rows`` (consumed once); ``quotes`` are the ones to show, already chosen
    and redacted by the repository."""
    by_month: dict[str, list[int]] = {m: [0, 0] for m in month_keys(start, end)}
    by_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_hood: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    by_month_hood: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0, 0])
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
            by_month_hood[(key, r.neighbourhood)],
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
        month_hood={k: (v[0], v[1]) for k, v in by_month_hood.items()},
        quotes=list(quotes or [])[-QUOTES:],
        consent=consent or Consent(0, 0),
    )


def compute_stats(
    rows: Iterable[StatRow],
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
    quotes: list[tuple[str, str]] | None = None,
) -> DossierStats:
    """What ``compute`` gives, from ``iter_stats``' plain rows in one pass (the consent counts
    included): per report two counters — (month, neighbourhood) and (category, status) — and
    the totals per month, neighbourhood, category and status summed from them afterwards."""
    months: dict[str, str] = {}  # UTC "YYYY-MM-DDTHH" -> local "YYYY-MM"
    by_month_hood: dict[tuple[str, str | None], list[int]] = {}
    by_cat_status: dict[tuple[str, str], list[int]] = {}
    first: list[float] = []
    resolution: list[float] = []
    agreed = waiting = 0
    for created, cat, hood, state, first_s, resolved_s, me_too, quote_ok, voice_waiting in rows:
        hour = created[:13]
        month = months.get(hour)
        if month is None:
            month = months[hour] = _local_hour_date(hour, tz)[:7]
        bucket = by_month_hood.get((month, hood))
        if bucket is None:
            by_month_hood[(month, hood)] = [1, me_too]
        else:
            bucket[0] += 1
            bucket[1] += me_too
        bucket = by_cat_status.get((cat, state))
        if bucket is None:
            by_cat_status[(cat, state)] = [1, me_too]
        else:
            bucket[0] += 1
            bucket[1] += me_too
        if first_s is not None:
            first.append(round(first_s / 3600, 1))
        if resolved_s is not None:
            resolution.append(round(resolved_s / 3600, 1))
        if quote_ok:
            agreed += 1
            waiting += voice_waiting
    by_month: dict[str, list[int]] = {m: [0, 0] for m in month_keys(start, end)}
    by_hood: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for (month, hood), (n, me_too) in by_month_hood.items():
        for bucket in (by_month.setdefault(month, [0, 0]), by_hood[hood]):
            bucket[0] += n
            bucket[1] += me_too
    by_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    status: Counter[str] = Counter()
    for (cat, st), (n, me_too) in by_cat_status.items():
        by_cat[cat][0] += n
        by_cat[cat][1] += me_too
        status[st] += n
    total = sum(status.values())
    return DossierStats(
        total=total,
        households=total + sum(v[1] for v in by_cat.values()),
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
        month_hood={k: (v[0], v[1]) for k, v in by_month_hood.items()},
        quotes=list(quotes or [])[-QUOTES:],
        consent=Consent(agreed, waiting),
    )


def duration(hours: float | None) -> str:
    if hours is None:
        return "–"
    if hours < 48:
        n = round(hours)
        return i18n.ngettext("{n} hour", "{n} hours", n).format(n=n)
    n = round(hours / 24)
    return i18n.ngettext("{n} day", "{n} days", n).format(n=n)


def month_label(key: str) -> str:
    """'2026-05' as the reader says it: 'mei 2026', 'mai 2026', 'مايو 2026'."""
    from babel.dates import format_date as babel_date

    year, month = key.split("-")
    lang = i18n.current_language()
    return babel_date(
        date(int(year), int(month), 1),
        "LLL y",
        locale={"nl": "nl_BE", "fr": "fr_BE"}.get(lang, lang),
    )


def _cat_label(key: str, labels: dict[str, tuple[str, str]], emoji: bool = True) -> str:
    if key in labels:
        icon, msgid = labels[key]
        # Chart fonts have no emoji glyphs; tables (rendered by the browser) keep them.
        return f"{icon} {_(msgid)}" if emoji else _(msgid)
    return key


def table(head: list[str], rows: list[list[str]], caption: str = "") -> str:
    """An HTML table; ``head`` is escaped here, cells are HTML already."""
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f"<div class='scroll'><table>{cap}<thead><tr>{th}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def with_me_too(reports: int, me_too: int) -> str:
    return f"{reports} (+{me_too})" if me_too else str(reports)


def month_hood_table(
    stats: DossierStats, no_hood: str
) -> tuple[list[str], list[tuple[str, list[tuple[int, int]]]]]:
    """Neighbourhoods down (the busiest ``MONTH_HOOD_ROWS``, the rest as one "other" row),
    months across (a period has few months, a project may have many neighbourhoods), and a last
    row for all neighbourhoods together. Each cell: (reports, me too)."""
    ranked = [h for h, _r, _m in stats.per_hood]
    shown, rest = ranked[:MONTH_HOOD_ROWS], ranked[MONTH_HOOD_ROWS:]
    months = [m for m, _r, _t in stats.per_month]
    head = [_("Neighbourhood")] + [month_label(m) for m in months]

    def line(hoods: list[str | None]) -> list[tuple[int, int]]:
        cells = []
        for month in months:
            r = sum(stats.month_hood.get((month, h), (0, 0))[0] for h in hoods)
            m = sum(stats.month_hood.get((month, h), (0, 0))[1] for h in hoods)
            cells.append((r, m))
        return cells

    body = [(h or no_hood, line([h])) for h in shown]
    if rest:
        body.append((_("Other neighbourhoods"), line(rest)))
    if len(ranked) > 1:
        body.append((_("All neighbourhoods"), [(r, t) for _m, r, t in stats.per_month]))
    return head, body


def month_hood_caption(example: str) -> str:
    return _("Reports; in brackets the households that said “me too”, e.g. {example}.").format(
        example=example
    )


def ltr(text: str) -> str:
    """Numbers such as "5 (+2)" or "12–18" kept left to right inside an Arabic page (the bidi
    algorithm would show them as "(2+) 5" and "18–12")."""
    return f"<bdi dir='ltr'>{esc(text)}</bdi>"


def me_too_meaning() -> str:
    return _(
        "“Me too”: another household with the same problem tapped “Me too” on an open report"
        " instead of reporting it again. Each household counts once per report."
    )


def colophon(meta: DossierMeta, start: datetime, end: datetime) -> list[str]:
    """Lines saying who made the dossier, for which project, when, for which period and filters."""
    lines = [
        _("Period: {start} to {end}").format(
            start=i18n.format_date(start.date()),
            end=i18n.format_date((end - timedelta(seconds=1)).date()),
        )
    ]
    if meta.filters_text:
        lines.append(meta.filters_text)
    made = []
    if meta.organisation:
        made.append(_("Organisation: {name}").format(name=meta.organisation))
    if meta.made_by:
        made.append(_("Made by: {name}").format(name=meta.made_by))
    if meta.made_at is not None:
        made.append(_("Made on: {date}").format(date=i18n.format_timestamp(meta.made_at)))
    if made:
        lines.append(" · ".join(made))
    if meta.contact:
        lines.append(_("Contact: {contact}").format(contact=meta.contact))
    return lines


def page(title: str, lang: str, body: list[str]) -> str:
    """The HTML page around a dossier's parts (also the sector dossier's)."""
    direction = "rtl" if lang in i18n.RTL_LANGUAGES else "ltr"
    style = (
        "body{font-family:system-ui,'Noto Sans','Noto Sans Arabic','DejaVu Sans',sans-serif;"
        "max-width:56em;margin:2em auto;padding:0 1em;color:#1a202c;line-height:1.45}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #cbd5e0;"
        "padding:.3em .6em;text-align:start;vertical-align:top}"
        "td:not(:first-child){font-variant-numeric:tabular-nums}"
        "th{background:#edf2f7}caption{text-align:start;color:#4a5568;padding:.3em 0}"
        ".scroll{overflow-x:auto}.meta{color:#4a5568}"
        ".colophon{border:1px solid #cbd5e0;background:#f7fafc;padding:.6em 1em;margin:1em 0}"
        "blockquote{border-inline-start:4px solid #63b3ed;margin:1em 0;padding:.2em 1em}"
        "blockquote small{display:block;color:#4a5568}"
        "figure.chart{margin:1em 0;direction:ltr}"
        "figure.chart svg{display:block;max-width:100%;height:auto}"
        "html[dir=rtl] figure.chart svg{margin-left:auto}"
        "@media print{figure.chart,table{break-inside:avoid}}"
    )
    return (
        f"<!doctype html><html lang='{lang}' dir='{direction}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{style}</style></head><body>"
        + "\n".join(body)
        + "</body></html>"
    )


def _quotes_part(stats: DossierStats, labels: dict[str, tuple[str, str]]) -> list[str]:
    parts = ["<h2>" + esc(_("In their own words")) + "</h2>"]
    agreed, waiting = stats.consent.agreed, stats.consent.voice_waiting
    if not agreed:
        parts.append("<p>" + esc(_("Nobody in this selection agreed to be quoted.")) + "</p>")
        return parts
    line = i18n.ngettext(
        "{n} person in this selection agreed to be quoted, without their name.",
        "{n} people in this selection agreed to be quoted, without their names.",
        agreed,
    ).format(n=agreed)
    if waiting:
        line += " " + i18n.ngettext(
            "{n} of them told their story in a voice note: it is quoted here once there is a"
            " text of it (a summary by the worker that they approved, or a transcript).",
            "{n} of them told their story in a voice note: those are quoted here once there is"
            " a text of them (a summary by the worker that they approved, or a transcript).",
            waiting,
        ).format(n=waiting)
    parts.append(f"<p class='meta'>{esc(line)}</p>")
    for key, quote in stats.quotes:
        # dir=auto: each quote runs in its own script's direction (an Arabic quote in a Dutch
        # dossier, a Dutch one in an Arabic dossier), so "[…]" ends up where the words end.
        parts.append(
            f"<blockquote><p dir='auto'>{esc(quote)}</p>"
            f"<small>{esc(_cat_label(key, labels))}</small></blockquote>"
        )
    return parts


def render_html(
    stats: DossierStats,
    labels: dict[str, tuple[str, str]],
    meta: DossierMeta,
    start: datetime,
    end: datetime,
    lang: str,
) -> str:
    with i18n.use_locale(lang):
        no_hood = _("(no neighbourhood)")
        parts = [
            "<h1>" + esc(_("Problems reported: {name}").format(name=meta.title)) + "</h1>",
            "<div class='colophon'>"
            + "<br>".join(esc(line) for line in colophon(meta, start, end))
            + "</div>",
            "<h2>" + esc(_("In short")) + "</h2>",
            table(
                [_("What"), _("Number")],
                [
                    [esc(_("Reports")), str(stats.total)],
                    [esc(_("Households affected (reports and “me too”)")), str(stats.households)],
                    [esc(_("Still open")), str(stats.open)],
                    [esc(_("Resolved")), str(stats.resolved)],
                    [esc(_("Closed otherwise (not for us, withdrawn)")), str(stats.other_closed)],
                    [
                        esc(_("Median time to a first answer")),
                        esc(duration(stats.median_first_answer_h)),
                    ],
                    [
                        esc(_("Median time to resolution")),
                        esc(duration(stats.median_resolution_h)),
                    ],
                ],
            ),
            f"<p class='meta'>{esc(me_too_meaning())}</p>",
        ]
        if stats.total:
            parts.extend(_figures(stats, labels, no_hood))
        parts.extend(_quotes_part(stats, labels))
        parts.append(
            "<p class='meta'>"
            + esc(_("This dossier holds no names, Telegram ids or exact locations."))
            + "</p>"
        )
        return page(meta.title, lang, parts)


def _chart(labels: list[str], reports: list[int], me_too: list[int], horizontal: bool) -> str:
    return chart_block(bar_chart(labels, reports, me_too, horizontal))


def _figures(stats: DossierStats, labels: dict[str, tuple[str, str]], no_hood: str) -> list[str]:
    parts = ["<h2>" + esc(_("Per month")) + "</h2>"]
    months = [month_label(m) for m, _r, _m in stats.per_month]
    if worth_a_chart(months):
        parts.append(
            _chart(
                months,
                [r for _x, r, _m in stats.per_month],
                [m for _x, _r, m in stats.per_month],
                horizontal=False,
            )
        )
    parts.append(
        table(
            [_("Month"), _("Reports"), _("Me too")],
            [
                [esc(label), str(r), str(t)]
                for label, (_m, r, t) in zip(months, stats.per_month, strict=True)
            ],
        )
    )
    cats = [_cat_label(k, labels) for k, _r, _m in stats.per_category]
    parts.append("<h2>" + esc(_("Per category")) + "</h2>")
    if worth_a_chart(cats):
        parts.append(
            _chart(
                [_cat_label(k, labels, emoji=False) for k, _r, _m in stats.per_category],
                [r for _k, r, _m in stats.per_category],
                [m for _k, _r, m in stats.per_category],
                horizontal=True,
            )
        )
    parts.append(
        table(
            [_("Category"), _("Reports"), _("Me too")],
            [
                [esc(c), str(r), str(t)]
                for c, (_k, r, t) in zip(cats, stats.per_category, strict=True)
            ],
        )
    )
    hoods = [h or no_hood for h, _r, _m in stats.per_hood]
    parts.append("<h2>" + esc(_("Per neighbourhood")) + "</h2>")
    if worth_a_chart(hoods):
        parts.append(
            _chart(
                hoods[:25],
                [r for _h, r, _m in stats.per_hood][:25],
                [m for _h, _r, m in stats.per_hood][:25],
                horizontal=True,
            )
        )
    parts.append(
        table(
            [_("Neighbourhood"), _("Reports"), _("Me too")],
            [[esc(h), str(r), str(t)] for h, (_k, r, t) in zip(hoods, stats.per_hood, strict=True)],
        )
    )
    parts.append("<h2>" + esc(_("Per month and neighbourhood")) + "</h2>")
    head, body = month_hood_table(stats, no_hood)
    parts.append(
        "<p class='meta'>" + esc(month_hood_caption("\x00")).replace("\x00", ltr(EXAMPLE)) + "</p>"
    )
    parts.append(
        table(
            head,
            [[esc(label)] + [ltr(with_me_too(r, m)) for r, m in cells] for label, cells in body],
        )
    )
    return parts


# ----- the workbook -----


def _about_sheet(wb: Workbook, meta: DossierMeta, start: datetime, end: datetime) -> None:
    sheet = wb.sheet(_("About these figures"), widths=(34, 90))
    sheet.row(_("Problems reported: {name}").format(name=meta.title), bold=True)
    for line in colophon(meta, start, end):
        sheet.row(line)
    sheet.row()
    sheet.row(
        _("The sheet “{sheet}” has one row per report. What each column means:").format(
            sheet=sheet_title(_("Reports"))
        )
    )
    sheet.row(_("Column"), _("What it means"), bold=True)
    for c in COLUMNS:
        sheet.row(_(c.header), _(c.meaning))
    sheet.row()
    sheet.row(me_too_meaning())
    sheet.row(_("This dossier holds no names, Telegram ids or exact locations."))


def _month_hood_sheet(wb: Workbook, stats: DossierStats) -> None:
    """Two blocks of whole numbers (a spreadsheet adds them up): reports, then "me too"."""
    head, body = month_hood_table(stats, _("(no neighbourhood)"))
    sheet = wb.sheet(_("Per month and neighbourhood"), widths=(24,) + (12,) * (len(head) - 1))
    for index, title in ((0, _("Reports")), (1, _("Me too"))):
        sheet.row(title, bold=True)
        sheet.row(*head, bold=True)
        for label, cells in body:
            sheet.row(label, *[c[index] for c in cells])
        sheet.row()


# ----- one call for handlers and the CLI -----


@dataclass(frozen=True)
class ExportFiles:
    rows: int
    csv: bytes | None
    html: bytes | None
    xlsx: bytes | None = None


FORMATS = ("csv", "xlsx", "html")


def build_export_sync(
    db_path: Path | str,
    f: ExportFilter,
    tz: ZoneInfo,
    lang: str,
    title: str | DossierMeta,
    filters_text: str = "",
    formats: tuple[str, ...] = FORMATS,
) -> ExportFiles:
    """The whole export on a read-only connection of its own: in a child process
    (``build_export``) or straight from a command line. One read transaction, so the CSV, the
    workbook and the dossier describe the same snapshot even while the bot keeps writing."""
    meta = title if isinstance(title, DossierMeta) else DossierMeta(title, filters_text)
    start, end = f.start.astimezone(tz), f.end.astimezone(tz)
    conn = open_reader(db_path)
    try:
        conn.execute("BEGIN")
        labels = read_category_labels(conn, None)
        rows, out = 0, {}
        with i18n.use_locale(lang):
            stats = None
            if "html" in formats or "xlsx" in formats:
                stats = compute_stats(
                    iter_stats(conn, f),
                    tz,
                    start,
                    end,
                    # Written texts and transcribed voice stories, consented only.
                    dossier_quotes(conn, f, QUOTES, lang),
                )
                rows = stats.total
            if "xlsx" in formats:
                csv_sink = CsvSink() if "csv" in formats else None
                wb = Workbook()
                _about_sheet(wb, meta, start, end)
                data = wb.sheet(
                    _("Reports"),
                    widths=(14, 12, 18, 22, 18, 16, 48, 12, 12, 9, 12, 12),
                    freeze_header=True,
                )
                data.row(*[_(c.header) for c in COLUMNS], bold=True)
                rows = 0
                for row in table_rows(iter_table(conn, f), tz, labels):
                    rows += 1  # noqa: SIM113 (the count is what is left after the loop)
                    if csv_sink is not None:
                        csv_sink.add(row)
                    data.row(*row)
                if csv_sink is not None:
                    out["csv"] = csv_sink.done()
                assert stats is not None
                _month_hood_sheet(wb, stats)
                out["xlsx"] = wb.done()
            elif "csv" in formats:
                csv_sink = CsvSink()
                rows = csv_sink.add_cells(csv_rows(iter_table(conn, f), tz, labels))
                out["csv"] = csv_sink.done()
            if "html" in formats:
                assert stats is not None
                out["html"] = render_html(stats, labels, meta, start, end, lang).encode("utf-8")
        conn.execute("COMMIT")
    finally:
        conn.close()
    return ExportFiles(rows, out.get("csv"), out.get("html"), out.get("xlsx"))


async def build_export(
    db: Database,
    f: ExportFilter,
    tz: ZoneInfo,
    lang: str,
    title: str | DossierMeta,
    filters_text: str = "",
    formats: tuple[str, ...] = FORMATS,
) -> ExportFiles:
    """Off the event loop and out of the bot's process: a child process reads on a read-only
    connection of its own and renders (see bot.domain.export_worker for why not a thread).
    The loop, the shared connection and the bot's memory stay free for every other chat."""
    if str(db.path) == ":memory:":
        raise ValueError("exports need a database file (they read on a connection of their own)")
    meta = title if isinstance(title, DossierMeta) else DossierMeta(title, filters_text)
    job = {"kind": "export", "meta": meta.to_json(), **encode_filter(f)}
    rows, files = await run_in_child(db.path, tz, lang, job, formats)
    return ExportFiles(rows, files.get("csv"), files.get("html"), files.get("xlsx"))


def file_stem(title: str, start: datetime, end: datetime, prefix: str = "reports") -> str:
    safe = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-") or "export"
    last = (end - timedelta(seconds=1)).date()
    return f"{prefix}-{safe[:30]}-{start.date().isoformat()}-{last.isoformat()}"
