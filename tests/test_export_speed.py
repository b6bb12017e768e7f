"""Exports made fast (issue 16, "Exports never freeze the bot"): a spare export process waits,
warmed, for the next export, and survives nothing it should not; the quick CSV and the quick
dossier figures give exactly what the slower, general paths give. bench/dossier.py times them."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import signal
from datetime import timedelta
from zoneinfo import ZoneInfo

from bench.dossier import generate
from bot.core import i18n
from bot.domain import export_worker
from bot.domain.dossier import (
    build_export,
    build_export_sync,
    compute,
    compute_stats,
)
from bot.domain.reports import STATUS_LABELS
from bot.playground.harness import Harness
from storage.db import Database
from storage.repos.exports import (
    ExportFilter,
    consent_counts,
    iter_rows,
    iter_stats,
    open_reader,
    read_category_labels,
)
from storage.timestamps import from_db
from tests.conftest import ADMIN_ID

TZ = ZoneInfo("Europe/Brussels")


async def _database(tmp_path, reports: int = 600, projects: int = 4):
    path = tmp_path / "buurtbot.sqlite3"
    db = Database(path)
    await db.open()
    await db.migrate()
    start = Harness(tmp_path).start_time
    generate(path, reports, projects, start, span_days=400)
    return db, path, start


def _csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


async def test_an_admin_who_exports_twice_gets_the_second_from_the_warm_spare(tmp_path):
    """The natural path: the admin exports all projects with the buttons, then again. The first
    export leaves a spare process ready; the second is handed to it and gives the same files."""
    h = Harness(tmp_path, admin_ids=[ADMIN_ID])
    path = tmp_path / "buurtbot.sqlite3"
    db = Database(path)
    await db.open()
    await db.migrate()
    await db.close()
    generate(path, 300, 3, h.start_time - timedelta(days=1), span_days=300)
    await h.start()
    try:
        admin = h.person("Ann", language_code="nl", user_id=ADMIN_ID)
        before = dict(export_worker._stats)
        bodies = []
        for _round in range(2):
            await admin.send("/export")
            await admin.press("Alle projecten")
            await admin.press("12 maanden")
            await admin.press("Volgende")
            await h.settle(timeout=120)
            docs = [m for m in admin.messages() if m.get("document")][-3:]
            assert [d["document"]["file_name"].rsplit(".", 1)[1] for d in docs] == [
                "xlsx",
                "csv",
                "html",
            ]
            bodies.append(h.api.file_bytes(docs[1]["document"]["file_id"]))
        assert export_worker._stats["warm"] - before["warm"] >= 1, "the second export started cold"
        assert bodies[0] == bodies[1]
        assert len(_csv_rows(bodies[0])) == 300 + 1
    finally:
        await h.stop()
        await export_worker.shutdown()


async def test_a_spare_that_was_killed_is_replaced_and_the_export_is_made(tmp_path):
    db, _path, start = await _database(tmp_path)
    f = ExportFilter(start - timedelta(days=500), start + timedelta(days=1))
    try:
        first = await build_export(db, f, TZ, "nl", "x", formats=("csv",))
        spare = export_worker._spares[asyncio.get_running_loop()]
        proc = await spare.start
        os.kill(proc.pid, signal.SIGKILL)  # out of memory, an operator's kill: it is gone
        await proc.wait()
        before = dict(export_worker._stats)
        second = await build_export(db, f, TZ, "nl", "x", formats=("csv",))
        assert export_worker._stats["cold"] == before["cold"] + 1
        assert second.csv == first.csv and second.rows == 600
        # ... and that export left a live spare again.
        again = await export_worker._spares[asyncio.get_running_loop()].start
        assert again.returncode is None and again.pid != proc.pid
    finally:
        await export_worker.shutdown()
        await db.close()


async def test_a_spare_nobody_takes_is_ended(tmp_path, monkeypatch):
    """A spare holds ~100 MB: after SPARE_IDLE seconds without an export it goes."""
    monkeypatch.setattr(export_worker, "SPARE_IDLE", 0.2)
    export_worker.prestart(TZ, "nl")
    loop = asyncio.get_running_loop()
    proc = await export_worker._spares[loop].start
    await asyncio.wait_for(proc.wait(), 30)
    assert loop not in export_worker._spares
    await export_worker.shutdown()


async def test_a_failing_export_in_a_spare_raises_a_clear_error(tmp_path):
    from bot.domain.export_worker import ExportFailed

    export_worker.prestart(TZ, "nl")
    missing = Database(tmp_path / "gone.sqlite3")
    start = Harness(tmp_path).start_time
    try:
        f = ExportFilter(start - timedelta(days=30), start)
        try:
            await build_export(missing, f, TZ, "nl", "x")
        except ExportFailed as e:
            assert "unable to open database" in str(e)
        else:
            raise AssertionError("no error")
        assert export_worker._stats["warm"] >= 1
    finally:
        await export_worker.shutdown()


def _expected_cells(path, f: ExportFilter, lang: str) -> list[list[str]]:
    """The CSV's cells worked out the long way, report by report from iter_rows' full rows:
    every timestamp converted on its own, every word translated on its own."""
    conn = open_reader(path)
    try:
        labels = read_category_labels(conn, None)
        out = []
        with i18n.use_locale(lang):

            def day(at: str) -> str:
                return from_db(at, TZ).date().isoformat()

            def num(value: float | None) -> str:
                return "" if value is None else f"{value:g}".replace(".", ",")

            def hours(a: str, b: str | None) -> str:
                return (
                    ""
                    if b is None
                    else num(round((from_db(b) - from_db(a)).total_seconds() / 3600, 1))
                )

            for r in iter_rows(conn, f):
                out.append(
                    [
                        r.reference,
                        day(r.created_at),
                        r.project,
                        i18n._(labels[r.category][1]),
                        r.neighbourhood or "",
                        i18n._(STATUS_LABELS[r.status]),
                        ", ".join(f"{i18n._(STATUS_LABELS[s])} {day(at)}" for s, at in r.history),
                        hours(r.created_at, r.first_answer_at),
                        hours(r.created_at, r.resolved_at),
                        str(r.me_too),
                        num(r.lat),
                        num(r.lon),
                    ]
                )
        return out
    finally:
        conn.close()


async def test_the_quick_csv_is_the_csv_worked_out_report_by_report(tmp_path):
    """The CSV alone (cells made straight from plain rows, each word and day made once), the
    CSV made next to the workbook (typed rows, then cells) and the CSV worked out report by
    report are the same, in every language: same columns, words, days and numbers."""
    db, path, start = await _database(tmp_path)
    await db.close()
    f = ExportFilter(start - timedelta(days=500), start + timedelta(days=1))
    i18n.load("nl", TZ)
    for lang in ("nl", "fr", "ar"):
        alone = build_export_sync(path, f, TZ, lang, "x", formats=("csv",))
        both = build_export_sync(path, f, TZ, lang, "x", formats=("csv", "xlsx"))
        assert alone.csv == both.csv and alone.rows == both.rows == 600
        rows = _csv_rows(alone.csv)
        assert rows[1:] == _expected_cells(path, f, lang)
        assert any("," in r[7] for r in rows[1:])  # hours with a decimal comma
        assert any(r[10] for r in rows[1:])  # pins of reports without a neighbourhood


async def test_the_quick_figures_are_the_figures_of_every_report(tmp_path):
    """compute_stats (one pass over plain rows, consent counted on the way) gives the figures
    compute gives over full rows, consent counts included, voice notes waiting for words too."""
    db, path, start = await _database(tmp_path)
    await db.execute(
        "UPDATE reports SET voice_file_id = 'VOICE-' || id, text = NULL"
        " WHERE quote_ok = 1 AND id % 3 = 0"
    )
    await db.close()
    i18n.load("nl", TZ)
    for f in (
        ExportFilter(start - timedelta(days=500), start + timedelta(days=1)),
        ExportFilter(start - timedelta(days=90), start, (1, 2), ("housing", "noise")),
    ):
        conn = open_reader(path)
        try:
            s, e = f.start.astimezone(TZ), f.end.astimezone(TZ)
            slow = compute(iter_rows(conn, f, history=False), TZ, s, e, [], consent_counts(conn, f))
            quick = compute_stats(iter_stats(conn, f), TZ, s, e, [])
        finally:
            conn.close()
        assert quick == slow
        assert quick.consent.agreed > 0 and quick.consent.voice_waiting > 0


async def test_a_spare_stuck_importing_is_given_up_for_a_fresh_child(tmp_path, monkeypatch):
    """A spare that never says it is ready (a hung disk) does not hold the export up: after
    SPARE_READY_WAIT the export is made by a fresh child and the stuck one is ended."""
    db, _path, start = await _database(tmp_path, reports=50, projects=1)
    loop = asyncio.get_running_loop()
    stuck = await asyncio.create_subprocess_exec(
        "sleep", "60", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    started: asyncio.Future[asyncio.subprocess.Process] = loop.create_future()
    started.set_result(stuck)
    export_worker._keep(loop, (TZ.key, "nl"), started)
    monkeypatch.setattr(export_worker, "SPARE_READY_WAIT", 0.3)
    try:
        before = dict(export_worker._stats)
        f = ExportFilter(start - timedelta(days=500), start + timedelta(days=1))
        files = await build_export(db, f, TZ, "nl", "x", formats=("html",))
        assert files.rows == 50 and files.html
        assert export_worker._stats["cold"] == before["cold"] + 1
        await asyncio.wait_for(stuck.wait(), 10)  # ended, not left behind
    finally:
        await export_worker.shutdown()
        await db.close()
