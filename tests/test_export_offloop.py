"""An all-projects export does not freeze the bot: while it is being made, someone else who
writes gets their answer first. The export runs outside the event loop (its own process, its own
read-only connection); had it run on the loop, the other person would be answered only after the
admin had the files. A moderate dataset keeps it quick; bench/export_lag.py measures the lag."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bench.dossier import generate
from bot.playground.harness import Harness
from storage.db import Database
from tests.conftest import ADMIN_ID

REPORTS = 20_000


async def _until(predicate, timeout: float = 60.0) -> None:
    async def wait() -> None:
        while not await predicate():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(wait(), timeout)


def _documents(person):
    return [m for m in person.messages() if m.get("document")]


async def test_others_are_answered_while_an_all_projects_export_runs(tmp_path):
    h = Harness(tmp_path, admin_ids=[ADMIN_ID])
    path = tmp_path / "buurtbot.sqlite3"
    db = Database(path)
    await db.open()
    await db.migrate()
    await db.close()
    generate(path, REPORTS, 20, h.start_time - timedelta(days=1), span_days=360)
    await h.start()
    try:
        admin = h.person("Ann", language_code="nl", user_id=ADMIN_ID)
        await admin.send("/export")
        await admin.press("Alle projecten")
        await admin.press("12 maanden")
        message, data = admin.find_button("Volgende")
        await h.push(h.api.callback_update(admin.tg, message, data), settle=False)

        async def export_started() -> bool:
            # The dialog is cleared just before the export is made.
            return not await h.rows("SELECT 1 FROM dialogs")

        await _until(export_started)
        other = h.person("Omar", language_code="nl")
        await h.push(h.api.text_update(other.tg, "/start"), settle=False)

        async def other_answered() -> bool:
            return bool(other.messages())

        await _until(other_answered)
        assert _documents(admin) == [], "the other person waited for the export"

        await h.settle(timeout=120)
        docs = _documents(admin)
        kinds = [d["document"]["file_name"].rsplit(".", 1)[1] for d in docs]
        assert kinds == ["xlsx", "csv", "html"]
        assert f"{REPORTS} meldingen" in docs[0]["caption"]
        body = h.api.file_bytes(docs[1]["document"]["file_id"]).decode("utf-8-sig")
        assert len(body.splitlines()) == REPORTS + 1  # one header row
    finally:
        await h.stop()


async def test_a_failing_export_process_raises_a_clear_error(tmp_path):
    from zoneinfo import ZoneInfo

    import pytest

    from bot.domain.dossier import build_export
    from bot.domain.export_worker import ExportFailed
    from storage.repos.exports import ExportFilter

    tz = ZoneInfo("Europe/Brussels")
    missing = Database(tmp_path / "gone.sqlite3")  # never created: the child cannot open it
    start = Harness(tmp_path).start_time
    with pytest.raises(ExportFailed, match="unable to open database"):
        await build_export(missing, ExportFilter(start - timedelta(days=30), start), tz, "nl", "x")


async def test_at_most_two_export_processes_at_once(tmp_path):
    """Five exports asked at the same moment: all are made, never more than two processes at
    once (each may take ~200 MB for a large export)."""
    from zoneinfo import ZoneInfo

    from bot.domain import export_worker
    from bot.domain.dossier import build_export
    from storage.repos.exports import ExportFilter

    path = tmp_path / "buurtbot.sqlite3"
    db = Database(path)
    await db.open()
    await db.migrate()
    start = Harness(tmp_path).start_time
    generate(path, 200, 2, start, span_days=30)
    tz = ZoneInfo("Europe/Brussels")
    export_worker._running["peak"] = 0
    f = ExportFilter(start - timedelta(days=40), start + timedelta(days=1))
    results = await asyncio.gather(
        *(build_export(db, f, tz, "nl", "x", formats=("csv",)) for _ in range(5))
    )
    await db.close()
    assert [r.rows for r in results] == [200] * 5
    assert export_worker._running["peak"] == export_worker.MAX_CHILDREN == 2
