"""Dossier benchmark: 100,000 reports in 152 projects, generated straight into a temporary SQLite
database with the real schema (the migrations), then CSV and HTML dossiers are timed:
per project (the usual case: one worker, one project, 12 months) and for all projects at once.

    python bench/dossier.py [--reports 100000] [--projects 152] [--sample 20] [--runs 3]

The bot makes exports in a child process (bot.domain.export_worker): its times include handing
the job to that process and reading its files back. Each export starts a spare child for the next
one (warmed: imports, catalogues, matplotlib, openpyxl), so "in the bot" is an export that finds
the spare of the one before; "in the bot, cold" is the first export after the bot started or a
quiet spell (no spare: a fresh child imports everything first). `buurtbot export` makes them
in-process. The workbook (xlsx) is timed on its own. The machine may be shared: run it twice.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core import i18n  # noqa: E402
from bot.domain import export_worker  # noqa: E402
from bot.domain.dossier import build_export, build_export_sync  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.repos.exports import ExportFilter  # noqa: E402

TZ = ZoneInfo("Europe/Brussels")
CATS = [
    "housing",
    "energy",
    "street",
    "safety",
    "cleanliness",
    "noise",
    "social",
    "health",
    "other",
]
EMOJI = ["🏠", "⚡", "🛣", "🚨", "🧹", "🔊", "🤝", "🩺", "❓"]
LABELS = [
    "Housing",
    "Energy",
    "Street & public space",
    "Safety",
    "Cleanliness",
    "Noise",
    "Social services & benefits",
    "Health",
    "Other",
]
STATUSES = [
    "new",
    "seen",
    "in_progress",
    "forwarded",
    "resolved",
    "resolved",
    "resolved",
    "not_for_us",
    "withdrawn",
]


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def generate(
    path: Path, n_reports: int, n_projects: int, now: datetime, span_days: int = 3 * 365
) -> None:
    """Reports created over the ``span_days`` before ``now``, into a migrated database."""
    rnd = random.Random(42)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    stamp = iso(now)
    with con:
        n_users = max(1000, n_reports // 4)
        con.executemany(
            "INSERT INTO users (id, tg_id, first_name, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            ((i, 10_000_000 + i, f"Person{i}", stamp, stamp) for i in range(1, n_users + 1)),
        )
        con.executemany(
            "INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)",
            ((p, f"Project {p}", stamp) for p in range(1, n_projects + 1)),
        )
        hoods: dict[int, list[int]] = {}
        hid = 0
        for p in range(1, n_projects + 1):
            hoods[p] = []
            for k in range(rnd.randint(3, 8)):
                hid += 1
                hoods[p].append(hid)
                con.execute(
                    "INSERT INTO neighbourhoods (id, project_id, name) VALUES (?, ?, ?)",
                    (hid, p, f"Wijk {p}-{k}"),
                )
        cat_ids: dict[tuple[int, str], int] = {}
        cid = 0
        for p in range(1, n_projects + 1):
            for pos, key in enumerate(CATS):
                cid += 1
                cat_ids[(p, key)] = cid
                con.execute(
                    "INSERT INTO report_categories"
                    " (id, project_id, key, emoji, label_msgid, position)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (cid, p, key, EMOJI[pos], LABELS[pos], pos),
                )
        reports, events, me_too = [], [], []
        seqs: dict[int, int] = {}
        span = span_days * 24 * 3600
        eid = 0
        for rid in range(1, n_reports + 1):
            p = rnd.randint(1, n_projects)
            key = rnd.choice(CATS)
            created = now - timedelta(seconds=rnd.randint(0, span))
            seqs[created.year] = seqs.get(created.year, 0) + 1
            status = rnd.choice(STATUSES)
            hood = rnd.choice(hoods[p]) if rnd.random() < 0.8 else None
            first = created + timedelta(hours=rnd.uniform(1, 200)) if status != "new" else None
            closed = (
                first + timedelta(days=rnd.uniform(1, 60))
                if first and status in ("resolved", "not_for_us", "withdrawn")
                else None
            )
            quote = rnd.random() < 0.2
            reports.append(
                (
                    rid,
                    f"R-{created.year}-{seqs[created.year]:05d}",
                    created.year,
                    seqs[created.year],
                    p,
                    rnd.randint(1, n_users),
                    cat_ids[(p, key)],
                    key,
                    f"Probleem {rid} in de wijk",
                    hood,
                    51.05 + rnd.random() / 10,
                    3.70 + rnd.random() / 10,
                    quote,
                    status,
                    iso(created),
                    iso(created),
                    iso(first) if first else None,
                    iso(closed) if closed and status == "resolved" else None,
                    iso(closed) if closed else None,
                )
            )
            eid += 1
            events.append((eid, rid, "created", None, "new", iso(created)))
            if first:
                eid += 1
                events.append((eid, rid, "status", "new", "seen", iso(first)))
            if closed:
                eid += 1
                events.append((eid, rid, "status", "seen", status, iso(closed)))
            for _ in range(rnd.choice((0, 0, 0, 1, 2, 3))):
                me_too.append((rid, rnd.randint(1, n_users), iso(created + timedelta(days=1))))
        con.executemany(
            "INSERT INTO reports (id, reference, year, seq, project_id, reporter_id, category_id,"
            " category_key, text, neighbourhood_id, lat, lon, quote_ok, status, created_at,"
            " updated_at, first_answer_at, resolved_at, closed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            reports,
        )
        con.executemany(
            "INSERT INTO report_events (id, report_id, kind, old_status, new_status, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            events,
        )
        con.executemany(
            "INSERT OR IGNORE INTO report_me_too (report_id, user_id, created_at) VALUES (?, ?, ?)",
            me_too,
        )
    con.execute("ANALYZE")
    con.close()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--projects", type=int, default=152)
    ap.add_argument("--sample", type=int, default=20, help="projects to time one by one")
    ap.add_argument("--runs", type=int, default=3, help="runs of each all-projects export")
    args = ap.parse_args()
    now = datetime(2026, 11, 28, 12, 0, tzinfo=TZ)
    i18n.load("nl", TZ)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        db = Database(path)
        await db.open()
        await db.migrate()
        await db.close()
        t0 = time.perf_counter()
        generate(path, args.reports, args.projects, now)
        print(
            f"generated {args.reports:,} reports in {args.projects} projects"
            f" in {time.perf_counter() - t0:.1f} s"
        )
        db = Database(path)
        await db.open()
        await build_export(
            db, ExportFilter(now - timedelta(days=30), now, (1,)), TZ, "nl", "warm-up"
        )
        start, end = now - timedelta(days=365), now
        csv_times, html_times, rows = [], [], []
        for p in range(1, min(args.sample, args.projects) + 1):
            f = ExportFilter(start, end, (p,))
            t = time.perf_counter()
            files = await build_export(db, f, TZ, "nl", f"Project {p}", formats=("csv",))
            csv_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            await build_export(db, f, TZ, "nl", f"Project {p}", formats=("html",))
            html_times.append(time.perf_counter() - t)
            rows.append(files.rows)
        print(
            f"one project, last 12 months (median {statistics.median(rows):.0f} reports,"
            f" {len(rows)} projects timed):"
        )
        print(
            f"  CSV : median {statistics.median(csv_times) * 1000:.0f} ms,"
            f" max {max(csv_times) * 1000:.0f} ms per dossier"
        )
        print(
            f"  HTML: median {statistics.median(html_times) * 1000:.0f} ms,"
            f" max {max(html_times) * 1000:.0f} ms per dossier"
        )
        f = ExportFilter(now - timedelta(days=4 * 365), end, None)
        print(f"all projects, all {args.reports:,} reports ({args.runs} runs each):")
        for label, how, formats in (
            ("in the bot (spare child)", "bot", ("csv", "html")),
            ("in the bot, cold (fresh child)", "cold", ("csv", "html")),
            ("in-process (buurtbot export)", "cli", ("csv", "html", "xlsx")),
        ):
            for fmt in formats:
                times = []
                for _run in range(args.runs):
                    if how == "cold":
                        await export_worker.shutdown()  # no spare: this export starts cold
                    elif how == "bot":
                        export_worker.prestart(TZ, "nl")  # as the export before it left one
                        await asyncio.sleep(2)  # the spare finishes its imports
                    t = time.perf_counter()
                    if how == "cli":
                        files = build_export_sync(path, f, TZ, "nl", "all projects", formats=(fmt,))
                    else:
                        files = await build_export(db, f, TZ, "nl", "all projects", formats=(fmt,))
                    times.append(time.perf_counter() - t)
                body = {"csv": files.csv, "html": files.html, "xlsx": files.xlsx}[fmt] or b""
                print(
                    f"  {fmt.upper():4}, {label}: "
                    + ", ".join(f"{x:.2f}" for x in times)
                    + f" s (min {min(times):.2f}, median {statistics.median(times):.2f};"
                    + f" {len(body) / 1e6:.1f} MB, {files.rows:,} rows)",
                    flush=True,
                )
        await export_worker.shutdown()
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
