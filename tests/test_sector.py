"""The sector's own dossier (issue 17): /sector for admins, `buurtbot export --project all` and
`--aggregate`, and `buurtbot sector-report` merging several institutes' anonymised files."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook

from bench.dossier import generate
from storage.db import Database
from tests.e2e_helpers import make_project, setup_world
from tests.report_rows import add_report, hood_id
from tests.test_export import FORBIDDEN, _cli, _world
from tests.test_export_people import _docs, _tap


async def test_admin_gets_the_sector_dossier_and_nobody_else(h, admin):
    sofie, r, q, pid, refs = await _world(h, admin)
    await admin.send("/sector")
    assert "sectordossier" in admin.last_text().lower()
    message = admin.last()
    await _tap(admin, "sx:t:12m", slow=True)
    docs = _docs(h, admin)
    assert set(docs) == {"html", "xlsx"}
    html = docs["html"].decode()
    for heading in ("Per project en thema", "Per thema", "Terugkerende problemen", "Rabot"):
        assert heading in html
    assert "Aandeel opgelost" in html and "Mediane tijd tot een eerste antwoord" in html
    for needle in FORBIDDEN:
        assert needle not in html, needle
    edited = h.api.message(admin.id, message["message_id"])
    assert "klaar" in edited["text"] and "2 meldingen" in edited["text"]
    wb = load_workbook(io.BytesIO(docs["xlsx"]), read_only=True)
    assert wb.sheetnames[0] == "Over deze cijfers"
    assert "Per project en thema" in wb.sheetnames
    # A worker may not, neither by command nor by a forged button.
    await sofie.send("/sector")
    assert "niet" in sofie.last_text().lower()
    await sofie.press_data("sx:t:12m")
    assert not any(m.get("document") for m in sofie.messages())


async def _suppression_world(h, admin):
    """Two projects whose cells include 1-4 counts, arranged so that naive totals would give a
    suppressed cell away by subtraction."""
    sofie, jan, payload = await setup_world(h, admin)
    rabot = (await h.rows("SELECT id FROM projects WHERE name = 'Rabot'"))[0][0]
    brugse = await make_project(h, admin, "Brugse Poort", "Sluizeken, Malem")
    now = h.clock.now()
    month_a, month_b, month_c = (now - timedelta(days=d) for d in (70, 40, 10))
    r_hood = await hood_id(h, rabot, "Rabot")
    b_hood = await hood_id(h, rabot, "Blaisantvest")
    s_hood = await hood_id(h, brugse, "Sluizeken")
    plan = [
        # Rabot housing: 7 then 1 (a single household: must stay hidden, also from the totals).
        (rabot, "housing", r_hood, month_a, 7),
        (rabot, "housing", r_hood, month_b, 1),
        (rabot, "energy", b_hood, month_a, 6),
        # Brugse Poort housing: 2 and 3 hidden, 6 shown: the total (11) gives only 2 + 3 = 5.
        (brugse, "housing", s_hood, month_a, 2),
        (brugse, "housing", s_hood, month_b, 3),
        (brugse, "housing", s_hood, month_c, 6),
    ]
    for project, category, hood, when, n in plan:
        for i in range(n):
            await add_report(
                h,
                project,
                None,
                category=category,
                created=when + timedelta(hours=i),
                text="Mijn naam is Kareltje, bel 0470 00 00 00",
                hood=hood,
                status="resolved" if i % 2 else "seen",
                first_answer=timedelta(hours=5 + i),
                resolved=timedelta(days=3) if i % 2 else None,
            )
    return now


def _possible_values(doc: dict, metric: str) -> dict[int, set[int]]:
    """For every suppressed cell (index in doc['cells']), the values 1-4 that are consistent with
    every total published in the file: worked out by trying them all, as an attacker would."""
    cells = doc["cells"]
    hidden = [i for i, c in enumerate(cells) if c[metric] == "<5"]
    constraints = []  # (cell indexes, published total)
    for t in doc["totals"]:
        if t[metric] is not None:
            idx = [
                i
                for i, c in enumerate(cells)
                if c["project"] == t["project"] and c["theme"] == t["theme"]
            ]
            constraints.append((idx, t[metric]))
    for p in doc["projects"]:
        if p[metric] is not None:
            idx = [i for i, c in enumerate(cells) if c["project"] == p["project"]]
            constraints.append((idx, p[metric]))
    if doc["institute_total"][metric] is not None:
        constraints.append((list(range(len(cells))), doc["institute_total"][metric]))
    possible: dict[int, set[int]] = {i: set() for i in hidden}
    for values in itertools.product(range(1, 5), repeat=len(hidden)):
        guess = dict(zip(hidden, values, strict=True))

        def value(i: int, guess: dict[int, int] = guess) -> int:
            return guess.get(i, cells[i][metric])

        if all(sum(value(i) for i in idx) == total for idx, total in constraints):
            for i, v in guess.items():
                possible[i].add(v)
    return possible


async def test_aggregate_file_hides_small_cells_and_no_total_gives_one_away(h, admin, tmp_path):
    await _suppression_world(h, admin)
    now = h.clock.now()
    out = tmp_path / "gent.json"
    db = str(h.workdir / "buurtbot.sqlite3")
    args = ["export", "--aggregate", "--database", db, "--institute", "Samenlevingsopbouw Gent"]
    period = ["--from", (now - timedelta(days=120)).date().isoformat()]
    period += ["--to", now.date().isoformat()]
    res = _cli([*args, *period, "--output", str(out)], tmp_path)
    assert res.returncode == 0, res.stderr
    raw = out.read_text()
    doc = json.loads(raw)
    assert doc["format"] == "buurtbot-aggregate" and doc["version"] == 1
    assert doc["institute"] == "Samenlevingsopbouw Gent"
    # No texts, no references, no ids of any kind.
    for needle in ("Kareltje", "0470", "R-2026", '"id"', "_id"):
        assert needle not in raw, needle
    cells = {(c["project"], c["theme"], c["month"]): c["reports"] for c in doc["cells"]}
    assert sorted(cells.values(), key=str) == sorted([7, "<5", 6, "<5", "<5", 6], key=str)
    totals = {(t["project"], t["theme"]): t for t in doc["totals"]}
    # Rabot housing = 7 + 1: its total would give the 1 away, so it is withheld, and so are
    # the project and institute totals above it (each would give it away by subtraction).
    assert totals[("Rabot", "housing")]["reports"] is None
    assert {p["project"]: p["reports"] for p in doc["projects"]} == {
        "Brugse Poort": 11,
        "Rabot": None,
    }
    assert doc["institute_total"]["reports"] is None
    assert totals[("Rabot", "energy")]["reports"] == 6
    assert totals[("Brugse Poort", "housing")]["reports"] == 11
    assert totals[("Brugse Poort", "housing")]["resolved_share"] is not None
    # Whatever a reader combines, no suppressed cell is pinned to one value.
    for metric in ("reports", "me_too"):
        for cell, values in _possible_values(doc, metric).items():
            assert len(values) >= 2, (metric, doc["cells"][cell], values)
    # Invalid use gets one clear line.
    bad = _cli(["export", "--aggregate", "--database", db, *period], tmp_path)
    assert bad.returncode == 2 and b"--institute" in bad.stderr and b"Traceback" not in bad.stderr


def _institute_db(path: Path, reports: int, projects: int, names: list[str]) -> None:
    async def migrate() -> None:
        db = Database(path)
        await db.open()
        await db.migrate()
        await db.close()

    asyncio.run(migrate())
    from zoneinfo import ZoneInfo

    generate(
        path, reports, projects, datetime(2026, 6, 30, 12, tzinfo=ZoneInfo("Europe/Brussels")), 180
    )
    con = sqlite3.connect(path)
    with con:
        for pid, name in enumerate(names, start=1):
            con.execute("UPDATE projects SET name = ? WHERE id = ?", (name, pid))
    con.close()


INSTITUTES = {
    "Samenlevingsopbouw Gent": (4800, 4, ["Rabot", "Brugse Poort", "Sluizeken", "Nieuw Gent"]),
    "Samenlevingsopbouw Antwerpen": (3000, 3, ["Kiel", "Seefhoek", "Luchtbal"]),
    "Samenlevingsopbouw Brussel": (1200, 2, ["Anneessens", "Noordwijk"]),
}


def make_three_aggregates(tmp_path: Path) -> list[Path]:
    files = []
    for i, (name, (reports, projects, names)) in enumerate(INSTITUTES.items()):
        db = tmp_path / f"institute{i}.sqlite3"
        _institute_db(db, reports, projects, names)
        out = tmp_path / f"institute{i}.json"
        res = _cli(
            [
                "export",
                "--aggregate",
                "--database",
                str(db),
                "--institute",
                name,
                "--from",
                "2026-01-01",
                "--to",
                "2026-06-30",
                "--output",
                str(out),
            ],
            tmp_path,
        )
        assert res.returncode == 0, res.stderr
        files.append(out)
    return files


def test_sector_report_merges_three_institutes(tmp_path):
    files = make_three_aggregates(tmp_path)
    out = tmp_path / "sector.html"
    res = _cli(
        ["sector-report", *map(str, files), "--output", str(out), "--language", "nl"], tmp_path
    )
    assert res.returncode == 0, res.stderr
    html = out.read_text()
    assert "Sectordossier: 3 organisaties" in html
    for name, (_n, _p, projects) in INSTITUTES.items():
        assert name in html
        for project in projects:
            assert project in html
    # Per institute: the published total, or bounds from the totals under it (down to cells).
    for f in files:
        doc = json.loads(f.read_text())

        def bounds(cells):
            lo = sum(c["reports"] if c["reports"] != "<5" else 1 for c in cells)
            return lo, sum(c["reports"] if c["reports"] != "<5" else 4 for c in cells)

        lo = hi = 0
        for p in doc["projects"]:
            if p["reports"] is not None:
                lo, hi = lo + p["reports"], hi + p["reports"]
                continue
            for t in doc["totals"]:
                if t["project"] != p["project"]:
                    continue
                if t["reports"] is not None:
                    lo, hi = lo + t["reports"], hi + t["reports"]
                    continue
                cells = [
                    c
                    for c in doc["cells"]
                    if (c["project"], c["theme"]) == (t["project"], t["theme"])
                ]
                c_lo, c_hi = bounds(cells)
                lo, hi = lo + c_lo, hi + c_hi
        shown = doc["institute_total"]["reports"]
        expected = str(shown) if shown is not None else (f"{lo}–{hi}" if lo != hi else str(lo))
        assert f"<td>{doc['institute']}</td><td><bdi dir='ltr'>{expected}</bdi>" in html
    assert "Terugkerende problemen" in html and "Per thema" in html
    assert "“&lt;5”" in html  # the method note explains the ranges
    # Themes (exact totals) are drawn; months are sums over "<5" cells, ranges: a table only.
    assert html.count("<figure class='chart' dir='ltr'><svg") == 1
    # The same as a workbook, and in Arabic.
    xlsx = tmp_path / "sector.xlsx"
    res = _cli(
        ["sector-report", *map(str, files), "--format", "xlsx", "--output", str(xlsx)], tmp_path
    )
    assert res.returncode == 0, res.stderr
    assert load_workbook(xlsx, read_only=True).sheetnames[1] == "Per project en thema"
    res = _cli(["sector-report", *map(str, files), "--language", "ar"], tmp_path)
    assert res.returncode == 0 and "dir='rtl'" in res.stdout.decode()
    # A broken file, or the same institute twice: one clear line, exit 2.
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "buurtbot-aggregate", "version": 1, "cells": "x"}')
    res = _cli(["sector-report", str(files[0]), str(broken)], tmp_path)
    assert res.returncode == 2 and b"broken.json" in res.stderr and b"Traceback" not in res.stderr
    res = _cli(["sector-report", str(files[0]), str(files[0])], tmp_path)
    assert res.returncode == 2 and b"more than one file" in res.stderr


async def test_export_project_all_makes_the_sector_dossier(h, admin, tmp_path):
    await _world(h, admin)
    now = h.clock.now()
    db = str(h.workdir / "buurtbot.sqlite3")
    args = ["export", "--database", db, "--project", "all", "--from"]
    args += [(now - timedelta(days=60)).date().isoformat(), "--to", now.date().isoformat()]
    res = _cli([*args, "--format", "html", "--language", "fr"], tmp_path)
    assert res.returncode == 0, res.stderr
    html = res.stdout.decode()
    assert "Par projet et par thème" in html and "Rabot" in html
    for needle in FORBIDDEN:
        assert needle not in html, needle
    res = _cli([*args, "--format", "xlsx", "--output", str(tmp_path / "s.xlsx")], tmp_path)
    assert res.returncode == 0, res.stderr
    assert load_workbook(tmp_path / "s.xlsx").sheetnames[1] == "Per project en thema"


def test_no_published_total_pins_a_suppressed_cell_in_random_institutes():
    """Random small institutes: whatever totals are published, trying every value of every
    suppressed cell leaves each with at least two possible values."""
    import random
    from datetime import date

    from bot.domain.sector import Raw, _Acc, aggregate_json

    rng = random.Random(7)
    checked = 0
    for _trial in range(150):
        cells: dict[tuple[str, str, str | None, str], list[int]] = {}
        for p in ("A", "B"):
            for t in ("housing", "energy"):
                for m in ("2026-01", "2026-02", "2026-03"):
                    if rng.random() < 0.5:
                        cells[(p, t, "Hood", m)] = [rng.choice((1, 1, 2, 3, 4, 5, 6, 9)), 0]
        hidden = sum(1 for v in cells.values() if v[0] < 5)
        if not cells or hidden > 6:
            continue
        groups: dict[tuple[str, str], _Acc] = {}
        projects: dict[str, _Acc] = {}
        whole = _Acc()
        for (p, t, _h, _m), (n, _me) in cells.items():
            for acc in (
                groups.setdefault((p, t), _Acc()),
                projects.setdefault(p, _Acc()),
                whole,
            ):
                acc.reports += n
        raw = Raw("X", date(2026, 1, 1), date(2026, 3, 31), {}, groups, projects, whole, cells)
        doc = aggregate_json(raw, datetime(2026, 4, 1))
        for cell, values in _possible_values(doc, "reports").items():
            assert len(values) >= 2, (doc["cells"][cell], values, doc)
        checked += 1
    assert checked > 50
