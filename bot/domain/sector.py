"""The sector's own dossier (issue 17): figures per project and theme, for an institute (`/sector`,
`buurtbot export --project all`) and across institutes from anonymised aggregate files
(`buurtbot export --aggregate`, `buurtbot sector-report FILE…`). No telegram imports.

One model serves both: ``SectorData`` holds counts as ``Num`` ranges. From an institute's own
database every count is exact; from aggregate files a suppressed cell ("<5") is 1 to 4, so sums
over such cells are ranges ("12–18"), printed as such rather than guessed.

The aggregate file (format ``buurtbot-aggregate``, version 1; docs/exports.md describes it):
- ``cells``: reports and "me too" households per project × theme × neighbourhood × month. Zero
  cells are left out; a count of 1 to 4 is written "<5".
- ``totals`` per project × theme, per project and for the institute, in one hierarchy. A total is
  withheld (null) when, together with the published cells and the totals under it, it would let
  a reader work out a suppressed cell by subtraction: that is, when the suppressed cells it
  covers (and that no published total below it already pins down) are a single cell, or are all
  1s or all 4s (their sum then gives each one away). This is complementary suppression done on
  the totals: cells are never falsified, and a withheld total is passed up the hierarchy so the
  next total checks the cells it covers too.
- Medians and the share resolved only where at least 5 reports stand behind them.
- No texts, no references, no database or Telegram ids, no names of people.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import i18n
from bot.core.i18n import _
from bot.core.ui import esc
from bot.domain.charts import bar_chart, chart_block, worth_a_chart
from bot.domain.dossier import (
    DossierMeta,
    _hours,
    _local_date,
    duration,
    ltr,
    month_keys,
    month_label,
    page,
    table,
)
from bot.domain.export_worker import encode_filter, run_in_child
from bot.domain.workbook import Workbook
from storage.db import Database
from storage.repos.exports import (
    ExportFilter,
    ExportRow,
    iter_rows,
    open_reader,
    read_category_labels,
)

FORMAT = "buurtbot-aggregate"
VERSION = 1
SMALL = 5  # counts of 1 to SMALL - 1 are suppressed
MARK = "<5"
RECURRING_MONTHS = 3  # a theme in a neighbourhood with reports in this many months recurs
SECTOR_FORMATS = ("html", "xlsx")


class AggregateError(ValueError):
    """An aggregate file that cannot be read: the message says what and where."""


# ----- counts that may be ranges -----


@dataclass(frozen=True, slots=True)
class Num:
    lo: int
    hi: int

    @classmethod
    def exact(cls, n: int) -> Num:
        return cls(n, n)

    def __add__(self, other: Num) -> Num:
        return Num(self.lo + other.lo, self.hi + other.hi)

    @property
    def is_exact(self) -> bool:
        return self.lo == self.hi

    def text(self) -> str:
        return str(self.lo) if self.is_exact else f"{self.lo}–{self.hi}"


ZERO = Num(0, 0)


def total(nums: Iterable[Num]) -> Num:
    out = ZERO
    for n in nums:
        out = out + n
    return out


@dataclass(frozen=True)
class Group:
    """One row of figures: a project × theme, a project (theme None) or an institute."""

    institute: str
    project: str | None
    theme: str | None
    reports: Num
    me_too: Num
    resolved_share: float | None  # 0..1
    median_first_h: float | None
    median_resolution_h: float | None


@dataclass(frozen=True)
class Cell:
    institute: str
    project: str
    theme: str
    hood: str | None
    month: str  # YYYY-MM
    reports: Num
    me_too: Num


@dataclass
class SectorData:
    start: date
    end: date  # last day, included
    institutes: list[str]
    themes: dict[str, str]  # key -> label msgid (or the label itself)
    groups: list[Group] = field(default_factory=list)  # per project × theme
    projects: list[Group] = field(default_factory=list)
    institute_totals: list[Group] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)


# ----- from an institute's own reports -----


@dataclass
class _Acc:
    reports: int = 0
    me_too: int = 0
    resolved: int = 0
    first: list[float] = field(default_factory=list)
    resolution: list[float] = field(default_factory=list)

    def add(self, r: ExportRow) -> None:
        self.reports += 1
        self.me_too += r.me_too
        self.resolved += r.status == "resolved"
        h = _hours(r.created_at, r.first_answer_at)
        if h is not None:
            self.first.append(h)
        h = _hours(r.created_at, r.resolved_at)
        if h is not None:
            self.resolution.append(h)

    def group(
        self, institute: str, project: str | None, theme: str | None, min_n: int = 1
    ) -> Group:
        def median(values: list[float]) -> float | None:
            return statistics.median(values) if len(values) >= min_n and values else None

        return Group(
            institute,
            project,
            theme,
            Num.exact(self.reports),
            Num.exact(self.me_too),
            self.resolved / self.reports if self.reports >= min_n and self.reports else None,
            median(self.first),
            median(self.resolution),
        )


@dataclass
class Raw:
    """Exact figures of one institute: what /sector shows and what the aggregate file is made
    from (with suppression)."""

    institute: str
    start: date
    end: date
    themes: dict[str, str]
    groups: dict[tuple[str, str], _Acc]
    projects: dict[str, _Acc]
    whole: _Acc
    cells: dict[tuple[str, str, str | None, str], list[int]]  # -> [reports, me too]


def collect(
    rows: Iterable[ExportRow],
    tz: ZoneInfo,
    institute: str,
    start: datetime,
    end: datetime,
    themes: dict[str, str],
) -> Raw:
    groups: dict[tuple[str, str], _Acc] = defaultdict(_Acc)
    projects: dict[str, _Acc] = defaultdict(_Acc)
    whole = _Acc()
    cells: dict[tuple[str, str, str | None, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        for acc in (groups[(r.project, r.category)], projects[r.project], whole):
            acc.add(r)
        cell = cells[(r.project, r.category, r.neighbourhood, _local_date(r.created_at, tz)[:7])]
        cell[0] += 1
        cell[1] += r.me_too
    used = {k for _p, k in groups}
    return Raw(
        institute,
        start.date(),
        (end - timedelta(seconds=1)).date(),
        {k: v for k, v in themes.items() if k in used},
        dict(groups),
        dict(projects),
        whole,
        dict(cells),
    )


def exact_data(raw: Raw) -> SectorData:
    """The institute's own view: every count exact, every median shown."""
    data = SectorData(raw.start, raw.end, [raw.institute], dict(raw.themes))
    i = raw.institute
    data.groups = [acc.group(i, p, t) for (p, t), acc in sorted(raw.groups.items())]
    data.projects = [acc.group(i, p, None) for p, acc in sorted(raw.projects.items())]
    data.institute_totals = [raw.whole.group(i, None, None)]
    data.cells = [
        Cell(i, p, t, h, m, Num.exact(v[0]), Num.exact(v[1]))
        for (p, t, h, m), v in sorted(raw.cells.items(), key=lambda kv: _cell_order(kv[0]))
    ]
    return data


def _cell_order(key: tuple[str, str, str | None, str]) -> tuple[str, str, str, str]:
    p, t, h, m = key
    return (p, t, h or "", m)


# ----- suppression -----


def small(n: int) -> bool:
    return 0 < n < SMALL


def shown(n: int) -> int | str:
    return MARK if small(n) else n


def disclosive(hidden: list[int]) -> bool:
    """Would knowing the sum of these suppressed cells give one of them away? With one cell,
    yes; with several, when they are all 1 or all 4 (the only sums with one solution)."""
    k = len(hidden)
    if k == 0:
        return False
    s = sum(hidden)
    return k == 1 or s == k or s == (SMALL - 1) * k


def protect_totals(children: list[list[int]]) -> tuple[bool, list[int]]:
    """A total over ``children``, each given as the suppressed cells it leaves unknown ([] when
    it is published, or is a cell that is shown). (publish the total?, what stays unknown for
    the total above it)."""
    hidden = [v for unknown in children for v in unknown]
    if disclosive(hidden):
        return False, hidden
    return True, []


def aggregate_json(raw: Raw, made_at: datetime) -> dict[str, Any]:
    """The anonymised aggregate file of an institute (see the module docstring)."""
    cells_by_group: dict[tuple[str, str], list[list[int]]] = defaultdict(list)
    cells_out = []
    for key in sorted(raw.cells, key=_cell_order):
        project, theme, hood, month = key
        reports, me_too = raw.cells[key]
        cells_by_group[(project, theme)].append([reports, me_too])
        cells_out.append(
            {
                "project": project,
                "theme": theme,
                "neighbourhood": hood,
                "month": month,
                "reports": shown(reports),
                "me_too": shown(me_too),
            }
        )

    def figures(acc: _Acc, publish: tuple[bool, bool]) -> dict[str, Any]:
        enough = acc.reports >= SMALL and publish[0]
        return {
            "reports": acc.reports if publish[0] else None,
            "me_too": acc.me_too if publish[1] else None,
            "resolved_share": round(acc.resolved / acc.reports, 3) if enough else None,
            "median_first_answer_hours": (
                round(statistics.median(acc.first), 1)
                if enough and len(acc.first) >= SMALL
                else None
            ),
            "median_resolution_hours": (
                round(statistics.median(acc.resolution), 1)
                if enough and len(acc.resolution) >= SMALL
                else None
            ),
        }

    # Level 1: project × theme over its cells.
    totals = []
    unknown_by_project: dict[str, list[tuple[list[int], list[int]]]] = defaultdict(list)
    for (project, theme), acc in sorted(raw.groups.items()):
        cells = cells_by_group[(project, theme)]
        hidden_r = [r for r, _m in cells if small(r)]
        hidden_m = [m for _r, m in cells if small(m)]
        pub_r, up_r = protect_totals([[v] for v in hidden_r])
        pub_m, up_m = protect_totals([[v] for v in hidden_m])
        unknown_by_project[project].append((up_r, up_m))
        totals.append({"project": project, "theme": theme} | figures(acc, (pub_r, pub_m)))
    # Level 2: projects over their themes' totals; level 3: the institute over the projects.
    projects = []
    unknown_whole: list[tuple[list[int], list[int]]] = []
    for project, acc in sorted(raw.projects.items()):
        below = unknown_by_project[project]
        pub_r, up_r = protect_totals([r for r, _m in below])
        pub_m, up_m = protect_totals([m for _r, m in below])
        unknown_whole.append((up_r, up_m))
        projects.append({"project": project} | figures(acc, (pub_r, pub_m)))
    pub_r, _up = protect_totals([r for r, _m in unknown_whole])
    pub_m, _up = protect_totals([m for _r, m in unknown_whole])
    return {
        "format": FORMAT,
        "version": VERSION,
        "institute": raw.institute,
        "from": raw.start.isoformat(),
        "to": raw.end.isoformat(),
        "made_at": made_at.isoformat(timespec="seconds"),
        "suppression": {
            "below": SMALL,
            "marker": MARK,
            "note": "counts of 1 to 4 are given as '<5'; a total that would reveal such a count"
            " by subtraction is null",
        },
        "themes": dict(sorted(raw.themes.items())),
        "cells": cells_out,
        "totals": totals,
        "projects": projects,
        "institute_total": figures(raw.whole, (pub_r, pub_m)),
    }


# ----- from aggregate files -----


def _num(value: Any, where: str) -> Num:
    if value == MARK:
        return Num(1, SMALL - 1)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return Num.exact(value)
    raise AggregateError(f"{where}: expected a count or {MARK!r}, got {value!r}")


def _opt_float(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise AggregateError(f"{where}: expected a number or null, got {value!r}")


def _text(value: Any, where: str, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if isinstance(value, str) and value.strip():
        return value
    raise AggregateError(f"{where}: expected a text, got {value!r}")


def read_aggregate(doc: Any, name: str) -> SectorData:
    """One institute's aggregate file as SectorData; AggregateError says what is wrong."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise AggregateError(f"{name}: not a Buurtbot aggregate file (format {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise AggregateError(
            f"{name}: version {doc.get('version')!r}, this Buurtbot reads {VERSION}"
        )
    try:
        start = date.fromisoformat(doc["from"])
        end = date.fromisoformat(doc["to"])
    except (KeyError, TypeError, ValueError):
        raise AggregateError(f"{name}: 'from' and 'to' must be dates (YYYY-MM-DD)") from None
    institute = _text(doc.get("institute"), f"{name}: institute")
    assert institute is not None
    themes = doc.get("themes") or {}
    if not isinstance(themes, dict):
        raise AggregateError(f"{name}: 'themes' must be an object")
    data = SectorData(start, end, [institute], {str(k): str(v) for k, v in themes.items()})
    cells = doc.get("cells")
    if not isinstance(cells, list):
        raise AggregateError(f"{name}: 'cells' must be a list")
    by_group: dict[tuple[str, str], list[Cell]] = defaultdict(list)
    for i, c in enumerate(cells):
        where = f"{name}: cells[{i}]"
        if not isinstance(c, dict):
            raise AggregateError(f"{where}: expected an object")
        month = _text(c.get("month"), f"{where}.month")
        assert month is not None
        if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit():
            raise AggregateError(f"{where}.month: expected YYYY-MM, got {month!r}")
        cell = Cell(
            institute,
            _text(c.get("project"), f"{where}.project") or "",
            _text(c.get("theme"), f"{where}.theme") or "",
            _text(c.get("neighbourhood"), f"{where}.neighbourhood", optional=True),
            month,
            _num(c.get("reports"), f"{where}.reports"),
            _num(c.get("me_too", 0), f"{where}.me_too"),
        )
        data.cells.append(cell)
        by_group[(cell.project, cell.theme)].append(cell)
        data.themes.setdefault(cell.theme, cell.theme)

    # A withheld total is bounded by what lies under it: a project's by its themes' totals
    # (exact where published), the institute's by its projects', a theme's by its cells.
    def group(
        raw: Any,
        where: str,
        project: str | None,
        theme: str | None,
        parts: list[Cell] | list[Group],
    ) -> Group:
        if not isinstance(raw, dict):
            raise AggregateError(f"{where}: expected an object")
        reports = raw.get("reports")
        me_too = raw.get("me_too")
        return Group(
            institute,
            project,
            theme,
            _num(reports, f"{where}.reports")
            if reports is not None
            else total(c.reports for c in parts),
            _num(me_too, f"{where}.me_too")
            if me_too is not None
            else total(c.me_too for c in parts),
            _opt_float(raw.get("resolved_share"), f"{where}.resolved_share"),
            _opt_float(raw.get("median_first_answer_hours"), f"{where}.median_first_answer_hours"),
            _opt_float(raw.get("median_resolution_hours"), f"{where}.median_resolution_hours"),
        )

    for key, items in (("totals", doc.get("totals")), ("projects", doc.get("projects"))):
        if not isinstance(items, list):
            raise AggregateError(f"{name}: '{key}' must be a list")
    for i, t in enumerate(doc["totals"]):
        where = f"{name}: totals[{i}]"
        project = _text(t.get("project") if isinstance(t, dict) else None, f"{where}.project")
        theme = _text(t.get("theme"), f"{where}.theme")
        assert project is not None and theme is not None
        data.groups.append(group(t, where, project, theme, by_group[(project, theme)]))
    for i, t in enumerate(doc["projects"]):
        where = f"{name}: projects[{i}]"
        project = _text(t.get("project") if isinstance(t, dict) else None, f"{where}.project")
        data.projects.append(
            group(t, where, project, None, [g for g in data.groups if g.project == project])
        )
    data.institute_totals.append(
        group(doc.get("institute_total"), f"{name}: institute_total", None, None, data.projects)
    )
    return data


def load_aggregate(path: Path) -> SectorData:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AggregateError(f"{path}: cannot be read ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AggregateError(f"{path}: not valid JSON ({exc})") from None
    return read_aggregate(doc, str(path))


def merge(parts: list[SectorData]) -> SectorData:
    """Several institutes' figures in one; the same institute twice is refused."""
    seen: set[str] = set()
    for p in parts:
        for name in p.institutes:
            if name in seen:
                raise AggregateError(f"institute {name!r} is in more than one file")
            seen.add(name)
    out = SectorData(
        min(p.start for p in parts),
        max(p.end for p in parts),
        [n for p in parts for n in p.institutes],
        {},
    )
    for p in parts:
        for k, v in p.themes.items():
            out.themes.setdefault(k, v)
        out.groups += p.groups
        out.projects += p.projects
        out.institute_totals += p.institute_totals
        out.cells += p.cells
    return out


# ----- what the dossier shows -----


@dataclass(frozen=True)
class Recurring:
    institute: str
    project: str
    hood: str | None
    theme: str
    months: int
    reports: Num


def recurring(data: SectorData) -> list[Recurring]:
    """A theme in one neighbourhood with reports in at least RECURRING_MONTHS months of the
    period: the same problem keeps coming back (a suppressed cell still means 1 or more)."""
    by_place: dict[tuple[str, str, str | None, str], list[Cell]] = defaultdict(list)
    for c in data.cells:
        if c.reports.hi > 0:
            by_place[(c.institute, c.project, c.hood, c.theme)].append(c)
    out = [
        Recurring(i, p, h, t, len({c.month for c in cells}), total(c.reports for c in cells))
        for (i, p, h, t), cells in by_place.items()
        if len({c.month for c in cells if c.reports.lo > 0}) >= RECURRING_MONTHS
    ]
    return sorted(
        out, key=lambda r: (-r.months, -r.reports.lo, r.institute, r.project, r.hood or "")
    )


def recurring_meaning() -> str:
    return i18n.ngettext(
        "A theme in one neighbourhood with reports in at least {n} month of the period.",
        "A theme in one neighbourhood with reports in at least {n} different months of the period.",
        RECURRING_MONTHS,
    ).format(n=RECURRING_MONTHS)


def _theme(data: SectorData, key: str | None) -> str:
    if key is None:
        return ""
    return _(data.themes.get(key, key))


def _share(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


def _figures_row(g: Group) -> list[str]:
    """HTML cells: counts (maybe ranges), share, medians."""
    return [
        ltr(g.reports.text()),
        ltr(g.me_too.text()),
        ltr(_share(g.resolved_share)),
        esc(duration(g.median_first_h)),
        esc(duration(g.median_resolution_h)),
    ]


def _figures_head() -> list[str]:
    return [
        _("Reports"),
        _("Me too"),
        _("Share resolved"),
        _("Median time to a first answer"),
        _("Median time to resolution"),
    ]


def _per_theme(data: SectorData) -> list[tuple[str, Num, Num]]:
    by_theme: dict[str, list[Group]] = defaultdict(list)
    for g in data.groups:
        assert g.theme is not None
        by_theme[g.theme].append(g)
    reports = _within(
        data, "reports", [(g.institute, k, g.reports) for k, gs in by_theme.items() for g in gs]
    )
    me_too = _within(
        data, "me_too", [(g.institute, k, g.me_too) for k, gs in by_theme.items() for g in gs]
    )
    rows = [(k, reports[k], me_too[k]) for k in by_theme]
    return sorted(rows, key=lambda r: (-r[1].lo, r[0]))


def _within(data: SectorData, what: str, parts: list[tuple[str, str, Num]]) -> dict[str, Num]:
    """Sum (institute, key, count) by key, each institute's share kept within what its own exact
    total allows: two "<5" cells of an institute with 3 reports are 3 at most, not 8; and when
    its other keys can hold only so many, the rest is in this one. Only published figures go in,
    so nothing is disclosed that the file did not already say."""
    totals = {g.institute: getattr(g, what) for g in data.institute_totals}
    mine: dict[str, dict[str, Num]] = defaultdict(dict)
    for institute, key, n in parts:
        mine[institute][key] = mine[institute].get(key, ZERO) + n
    out: dict[str, Num] = defaultdict(lambda: ZERO)
    for institute, by_key in mine.items():
        whole = totals.get(institute)
        all_hi = sum(n.hi for n in by_key.values())
        for key, n in by_key.items():
            lo, hi = n.lo, n.hi
            if whole is not None:
                hi = min(hi, whole.hi)
                lo = max(lo, whole.lo - (all_hi - n.hi))
            out[key] = out[key] + Num(min(lo, hi), hi)
    return out


def _per_month(data: SectorData) -> list[tuple[str, Num, Num]]:
    months = [
        f"{y:04d}-{m:02d}"
        for y, m in (
            (int(k[:4]), int(k[5:]))
            for k in month_keys(
                datetime.combine(data.start, datetime.min.time()),
                datetime.combine(data.end + timedelta(days=1), datetime.min.time()),
            )
        )
    ]
    keys = sorted(set(months) | {c.month for c in data.cells})
    reports = _within(data, "reports", [(c.institute, c.month, c.reports) for c in data.cells])
    me_too = _within(data, "me_too", [(c.institute, c.month, c.me_too) for c in data.cells])
    return [(m, reports.get(m, ZERO), me_too.get(m, ZERO)) for m in keys]


def _institute_title(data: SectorData) -> str:
    if len(data.institutes) == 1:
        return _("Institute dossier: {name}").format(name=data.institutes[0])
    n = len(data.institutes)
    return i18n.ngettext(
        "Sector dossier: {n} institute", "Sector dossier: {n} institutes", n
    ).format(n=n)


def _meta_lines(data: SectorData, meta: DossierMeta) -> list[str]:
    lines = [
        _("Period: {start} to {end}").format(
            start=i18n.format_date(data.start), end=i18n.format_date(data.end)
        ),
        _("Institutes: {list}").format(list=", ".join(data.institutes)),
    ]
    made = []
    if meta.made_by:
        made.append(_("Made by: {name}").format(name=meta.made_by))
    if meta.made_at is not None:
        made.append(_("Made on: {date}").format(date=i18n.format_timestamp(meta.made_at)))
    if made:
        lines.append(" · ".join(made))
    if meta.contact:
        lines.append(_("Contact: {contact}").format(contact=meta.contact))
    return lines


def _has_ranges(data: SectorData) -> bool:
    return any(not c.reports.is_exact for c in data.cells)


def _in_short(data: SectorData, whole: Group) -> list[list[str]]:
    rows = [
        [esc(_("Projects")), str(len(data.projects))],
        [esc(_("Reports")), ltr(whole.reports.text())],
        [
            esc(_("Households affected (reports and “me too”)")),
            ltr((whole.reports + whole.me_too).text()),
        ],
    ]
    if len(data.institutes) > 1:
        return [[esc(_("Institutes")), str(len(data.institutes))], *rows]
    # One institute: its own medians and share (across institutes they are per institute).
    own = data.institute_totals[0]
    return [
        *rows,
        [esc(_("Share resolved")), ltr(_share(own.resolved_share))],
        [esc(_("Median time to a first answer")), esc(duration(own.median_first_h))],
        [esc(_("Median time to resolution")), esc(duration(own.median_resolution_h))],
    ]


def render_sector_html(data: SectorData, meta: DossierMeta, lang: str) -> str:
    with i18n.use_locale(lang):
        title = _institute_title(data)
        whole = Group(
            "",
            None,
            None,
            total(g.reports for g in data.institute_totals),
            total(g.me_too for g in data.institute_totals),
            None,
            None,
            None,
        )
        parts = [
            f"<h1>{esc(title)}</h1>",
            "<div class='colophon'>"
            + "<br>".join(esc(line) for line in _meta_lines(data, meta))
            + "</div>",
            "<h2>" + esc(_("In short")) + "</h2>",
            table([_("What"), _("Number")], _in_short(data, whole)),
            "<p class='meta'>"
            + esc(
                _(
                    "“Me too”: another household with the same problem tapped “Me too” on an open"
                    " report instead of reporting it again. Each household counts once per report."
                )
            )
            + "</p>",
        ]
        if len(data.institutes) > 1:
            parts.append("<h2>" + esc(_("Per institute")) + "</h2>")
            parts.append(
                table(
                    [_("Institute"), *_figures_head()],
                    [[esc(g.institute), *_figures_row(g)] for g in data.institute_totals],
                )
            )
        themes = _per_theme(data)
        parts.append("<h2>" + esc(_("Per theme")) + "</h2>")
        # A chart of ranges would draw a guess: only exact figures are drawn.
        if worth_a_chart(themes) and all(r.is_exact and m.is_exact for _k, r, m in themes):
            parts.append(
                chart_block(
                    bar_chart(
                        [_theme(data, k) for k, _r, _m in themes],
                        [r.lo for _k, r, _m in themes],
                        [m.lo for _k, _r, m in themes],
                        horizontal=True,
                    )
                )
            )
        parts.append(
            table(
                [_("Theme"), _("Reports"), _("Me too")],
                [[esc(_theme(data, k)), ltr(r.text()), ltr(m.text())] for k, r, m in themes],
            )
        )
        months = _per_month(data)
        parts.append("<h2>" + esc(_("Per month")) + "</h2>")
        if worth_a_chart(months) and all(r.is_exact and x.is_exact for _m, r, x in months):
            parts.append(
                chart_block(
                    bar_chart(
                        [month_label(m) for m, _r, _m in months],
                        [r.lo for _m, r, _x in months],
                        [x.lo for _m, _r, x in months],
                        horizontal=False,
                    )
                )
            )
        parts.append(
            table(
                [_("Month"), _("Reports"), _("Me too")],
                [[esc(month_label(m)), ltr(r.text()), ltr(x.text())] for m, r, x in months],
            )
        )
        parts.append("<h2>" + esc(_("Per project")) + "</h2>")
        parts.append(
            table(
                [_("Institute"), _("Project"), *_figures_head()],
                [[esc(g.institute), esc(g.project or ""), *_figures_row(g)] for g in data.projects],
            )
        )
        parts.append("<h2>" + esc(_("Per project and theme")) + "</h2>")
        parts.append(
            table(
                [_("Institute"), _("Project"), _("Theme"), *_figures_head()],
                [
                    [
                        esc(g.institute),
                        esc(g.project or ""),
                        esc(_theme(data, g.theme)),
                        *_figures_row(g),
                    ]
                    for g in data.groups
                ],
            )
        )
        parts.append("<h2>" + esc(_("Recurring problems")) + "</h2>")
        rec = recurring(data)
        parts.append("<p class='meta'>" + esc(recurring_meaning()) + "</p>")
        if rec:
            no_hood = _("(no neighbourhood)")
            parts.append(
                table(
                    [
                        _("Institute"),
                        _("Project"),
                        _("Neighbourhood"),
                        _("Theme"),
                        _("Months"),
                        _("Reports"),
                    ],
                    [
                        [
                            esc(r.institute),
                            esc(r.project),
                            esc(r.hood or no_hood),
                            esc(_theme(data, r.theme)),
                            str(r.months),
                            ltr(r.reports.text()),
                        ]
                        for r in rec[:50]
                    ],
                )
            )
        else:
            parts.append("<p>" + esc(_("No problem came back that often in this period.")) + "</p>")
        notes = [_("This dossier holds no names, Telegram ids or exact locations.")]
        if _has_ranges(data) or len(data.institutes) > 1:
            notes.append(
                _(
                    "Made from the institutes' anonymised figures: a count of 1 to 4 reports is"
                    " given as “<5”, so sums over such counts are shown as a range (e.g. 12–18);"
                    " medians and shares only where at least 5 reports stand behind them."
                )
            )
        parts.extend(f"<p class='meta'>{esc(n)}</p>" for n in notes)
        return page(title, lang, parts)


def sector_workbook(data: SectorData, meta: DossierMeta, lang: str) -> bytes:
    with i18n.use_locale(lang):
        wb = Workbook()
        about = wb.sheet(_("About these figures"), widths=(40, 80))
        about.row(_institute_title(data), bold=True)
        for line in _meta_lines(data, meta):
            about.row(line)
        about.row()
        about.row(_("Column"), _("What it means"), bold=True)
        for head, meaning in (
            (_("Reports"), _("Problems reported in the period.")),
            (_("Me too"), _("Other households that said “me too”: they have the same problem.")),
            (_("Share resolved"), _("Reports marked “resolved”, as a share of all reports.")),
            (
                _("Median time to a first answer"),
                _("Half of the reports got a first answer or status change sooner than this."),
            ),
            (
                _("Median time to resolution"),
                _("Half of the resolved reports were resolved sooner than this."),
            ),
            (
                _("Recurring problems"),
                recurring_meaning(),
            ),
        ):
            about.row(head, meaning)
        about.row()
        about.row(_("This dossier holds no names, Telegram ids or exact locations."))
        columns = [_("Institute"), _("Project"), _("Theme"), *_figures_head()]
        sheet = wb.sheet(
            _("Per project and theme"), widths=(24, 24, 24, 10, 10, 12, 18, 18), freeze_header=True
        )
        sheet.row(*columns, bold=True)
        for g in [*data.groups, *data.projects]:
            sheet.row(
                g.institute,
                g.project or "",
                _theme(data, g.theme) if g.theme else _("All themes"),
                *_cells(g),
            )
        months = wb.sheet(_("Per month"), widths=(16, 10, 10))
        months.row(_("Month"), _("Reports"), _("Me too"), bold=True)
        for m, r, x in _per_month(data):
            months.row(month_label(m), _xl(r), _xl(x))
        rec = wb.sheet(_("Recurring problems"), widths=(24, 24, 24, 24, 10, 10))
        rec.row(
            _("Institute"),
            _("Project"),
            _("Neighbourhood"),
            _("Theme"),
            _("Months"),
            _("Reports"),
            bold=True,
        )
        for item in recurring(data):
            rec.row(
                item.institute,
                item.project,
                item.hood or "",
                _theme(data, item.theme),
                item.months,
                _xl(item.reports),
            )
        return wb.done()


def _xl(n: Num) -> int | str:
    # A number a spreadsheet can add up when exact; the range as text otherwise.
    return n.lo if n.is_exact else n.text()


def _cells(g: Group) -> list[object]:
    return [
        _xl(g.reports),
        _xl(g.me_too),
        None if g.resolved_share is None else round(g.resolved_share, 3),
        None if g.median_first_h is None else round(g.median_first_h, 1),
        None if g.median_resolution_h is None else round(g.median_resolution_h, 1),
    ]


# ----- one call for the handler and the CLI -----


@dataclass(frozen=True)
class SectorFiles:
    rows: int
    html: bytes | None
    xlsx: bytes | None


def read_raw(db_path: Path | str, f: ExportFilter, tz: ZoneInfo, institute: str) -> Raw:
    conn = open_reader(db_path)
    try:
        conn.execute("BEGIN")
        labels = {k: v[1] for k, v in read_category_labels(conn, None).items()}
        raw = collect(
            iter_rows(conn, f, history=False),
            tz,
            institute,
            f.start.astimezone(tz),
            f.end.astimezone(tz),
            labels,
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return raw


def build_sector_sync(
    db_path: Path | str,
    f: ExportFilter,
    tz: ZoneInfo,
    lang: str,
    meta: DossierMeta,
    formats: tuple[str, ...] = SECTOR_FORMATS,
) -> SectorFiles:
    """The institute's sector dossier from its own database (every project, exact)."""
    raw = read_raw(db_path, f, tz, meta.organisation or meta.title)
    data = exact_data(raw)
    return SectorFiles(
        raw.whole.reports,
        render_sector_html(data, meta, lang).encode("utf-8") if "html" in formats else None,
        sector_workbook(data, meta, lang) if "xlsx" in formats else None,
    )


async def build_sector(
    db: Database, f: ExportFilter, tz: ZoneInfo, lang: str, meta: DossierMeta
) -> SectorFiles:
    """``build_sector_sync`` in the export's child process (off the event loop)."""
    if str(db.path) == ":memory:":
        raise ValueError("exports need a database file (they read on a connection of their own)")
    job = {"kind": "sector", "meta": meta.to_json(), **encode_filter(f)}
    rows, files = await run_in_child(db.path, tz, lang, job, SECTOR_FORMATS)
    return SectorFiles(rows, files.get("html"), files.get("xlsx"))
