"""/export and `buurtbot export`: CSV and HTML dossier; never names, ids or exact pins.
Reports are written straight into SQLite (the report conversation lives on feature/reports)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from tests.e2e_helpers import make_project, make_worker, setup_world
from tests.report_rows import add_report, hood_id, user_id

ROOT = Path(__file__).resolve().parent.parent
RTG, QTG = 987650011, 987650012
SECRET = "Mijn buurman Kareltje slaat zijn hond"
QUOTE = "Ik ben Quintenqx, de verwarming werkt al drie weken niet, bel 0486 11 22 33"
LAT, LON = 51.0612345, 3.7123456


async def _world(h, admin):
    sofie, jan, member_payload = await setup_world(h, admin)
    r = h.person(
        "Rikqxz", language_code="nl", user_id=RTG, last_name="Verstraeten", username="rikq"
    )
    q = h.person("Quintenqx", language_code="nl", user_id=QTG)
    await r.send(f"/start {member_payload}")
    await q.send(f"/start {member_payload}")
    pid = (await h.rows("SELECT id FROM projects"))[0][0]
    rid, qid, sid = await user_id(h, RTG), await user_id(h, QTG), await user_id(h, sofie.id)
    now = h.clock.now()
    hood = await hood_id(h, pid, "Rabot")
    refs = {}
    refs["pin"] = await add_report(
        h,
        pid,
        rid,
        created=now - timedelta(days=40),
        text=SECRET,
        lat=LAT,
        lon=LON,
        address="Rabotstraat 12",
        voice="VOICE-R",
        photos=["PHOTO-R"],
        show_name=1,
        status="resolved",
        assigned_to=sid,
        first_answer=timedelta(hours=6),
        resolved=timedelta(days=4),
        me_too=[qid],
    )
    refs["hood"] = await add_report(
        h,
        pid,
        qid,
        created=now - timedelta(days=20),
        text=QUOTE,
        category="energy",
        hood=hood,
        lat=LAT,
        lon=LON,
        quote_ok=1,
        status="seen",
        assigned_to=sid,
        first_answer=timedelta(hours=30),
    )
    refs["old"] = await add_report(h, pid, rid, created=now - timedelta(days=400), text=SECRET)
    return sofie, r, q, pid, refs


async def press_and_wait(h, person, label: str | None = None, data: str | None = None) -> None:
    """Tap the button that makes an export. The export's own process (matplotlib, openpyxl) can
    take longer than the harness's usual 10 s settle on a loaded machine, so wait up to 2 min."""
    if label is not None:
        message, data = person.find_button(label)
    else:
        message = person.messages()[-1] if person.messages() else person._dummy_message()
    assert data is not None
    await h.push(h.api.callback_update(person.tg, message, data), settle=False)
    await h.settle(timeout=120)


def _docs(h, person):
    return [
        (m["document"]["file_name"], h.api.file_bytes(m["document"]["file_id"]))
        for m in person.messages()
        if m.get("document")
    ]


def _csv_rows(body: bytes):
    """Rows by column key (the headers are in the reader's language; the order is fixed)."""
    from bot.domain.dossier import COLUMNS

    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads accents right
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";")
    header = next(reader)
    assert len(header) == len(COLUMNS)
    return [dict(zip([c.key for c in COLUMNS], row, strict=True)) for row in reader]


FORBIDDEN = [
    "Rikqxz",
    "Verstraeten",
    "rikq",
    "Quintenqx",
    SECRET,
    "Rabotstraat",
    "VOICE-R",
    "PHOTO-R",
    "0486",
    str(RTG),
    str(QTG),
    "51.0612",
    "3.7123",
]


async def test_worker_exports_csv_and_dossier_with_buttons(h, admin):
    sofie, r, q, pid, refs = await _world(h, admin)
    await sofie.send("/export")  # one project: straight to the period
    assert "periode" in sofie.last_text().lower()
    await sofie.press("6 maanden")
    await sofie.press("Volgende")  # all categories
    await press_and_wait(h, sofie, "Maak de export")  # all neighbourhoods
    docs = _docs(h, sofie)
    assert [n.rsplit(".", 1)[1] for n, _b in docs] == ["xlsx", "csv", "html"]
    csv_body, html_body = docs[1][1], docs[2][1]
    rows = _csv_rows(csv_body)
    assert len(rows) == 2  # the 400-day-old one is outside the period
    by_cat = {row["category"]: row for row in rows}
    pin = by_cat["Wonen"]
    assert pin["neighbourhood"] == "" and (pin["lat"], pin["lon"]) == (
        "51,061",
        "3,712",
    )  # Belgian decimal comma
    assert (
        pin["first_answer_hours"] == "6"
        and pin["resolution_hours"] == "96"
        and pin["me_too"] == "1"
    )
    assert pin["status_history"].startswith("Nieuw 20") and ", Opgelost 20" in pin["status_history"]
    hood = by_cat["Energie"]
    assert (
        hood["neighbourhood"] == "Rabot"
        and hood["lat"] == ""
        and hood["first_answer_hours"] == "30"
    )
    assert csv_body.decode("utf-8-sig").splitlines()[0].startswith("Referentie;Datum;Project;")
    html = html_body.decode()
    assert "<svg" in html and "Rabot" in html
    assert "Per maand" in html  # the worker's language
    # The consenting reporter is quoted, without name or phone number.
    assert "de verwarming werkt al drie weken niet" in html
    for needle in FORBIDDEN:
        assert needle not in csv_body.decode("utf-8-sig"), needle
        assert needle not in html, needle
    assert await h.rows("SELECT * FROM dialogs") == []


async def test_filters_by_category_and_neighbourhood(h, admin):
    sofie, r, q, pid, refs = await _world(h, admin)
    await sofie.send("/export")
    await sofie.press("12 maanden")
    await sofie.press_data("ex:c:energy")
    assert "✅" in " ".join(sofie.button_texts())
    await sofie.press("Volgende")
    await sofie.press("Rabot")
    await press_and_wait(h, sofie, "Maak de export")
    rows = _csv_rows(_docs(h, sofie)[1][1])
    assert [row["category"] for row in rows] == ["Energie"]


async def test_only_workers_and_admins_and_only_their_projects(h, admin):
    sofie, r, q, pid, refs = await _world(h, admin)
    await r.send("/export")
    assert "niet" in r.last_text().lower()
    await r.press_data("ex:p:1")
    assert _docs(h, r) == []
    other_pid = await make_project(h, admin, "Brugse Poort", "Sluizeken")
    olga = h.person("Olga")
    await make_worker(h, admin, olga, "Brugse Poort")
    olga_uid = await user_id(h, olga.id)
    await h.services.dialogs.set(olga_uid, "export", "project", {}, h.clock.now())
    # A forged project id of another project is refused; forged categories/hoods are outdated.
    await olga.press_data(f"ex:p:{pid}")
    assert (await h.rows("SELECT step FROM dialogs WHERE user_id = ?", (olga_uid,))) == [
        ("project",)
    ]
    await olga.press_data("ex:p:*")  # all projects: admins only
    assert (await h.rows("SELECT step FROM dialogs WHERE user_id = ?", (olga_uid,))) == [
        ("project",)
    ]
    await olga.press_data(f"ex:p:{other_pid}")
    await olga.press_data("ex:t:6m")
    await olga.press_data("ex:c:weapons")
    await olga.press_data("ex:c:.")
    await olga.press_data("ex:n:999")
    await press_and_wait(h, olga, data="ex:n:.")
    docs = _docs(h, olga)
    assert len(docs) == 3
    assert _csv_rows(docs[1][1]) == []
    assert all(b"Rabot" not in body for _n, body in docs)
    assert other_pid != pid


async def test_admin_exports_all_projects(h, admin):
    sofie, r, q, pid, refs = await _world(h, admin)
    await admin.send("/export")
    await admin.press("Alle projecten")
    await admin.press("Dit jaar")
    await press_and_wait(h, admin, "Volgende")  # no neighbourhood step for all projects
    docs = _docs(h, admin)
    assert len(docs) == 3
    assert len(_csv_rows(docs[1][1])) >= 1


async def test_forgotten_reporter_is_absent_from_exports(h, admin):
    sofie, r, q, pid, refs = await _world(h, admin)
    await q.send("/forget")
    await q.press("🗑")
    await sofie.send("/export")
    await sofie.press("6 maanden")
    await sofie.press("Volgende")
    await press_and_wait(h, sofie, "Maak de export")
    html = _docs(h, sofie)[2][1].decode()
    assert "de verwarming werkt al drie weken niet" in html  # consented quote stays, anonymised
    for needle in FORBIDDEN:
        assert needle not in html


def _cli(args, cwd):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "TELEGRAM_", "DATABASE_", "ADMIN_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, timeout=60
    )


async def test_cli_export_needs_only_the_database(h, admin, tmp_path):
    sofie, r, q, pid, refs = await _world(h, admin)
    db = str(h.workdir / "buurtbot.sqlite3")
    now = h.clock.now()
    frm, to = (now - timedelta(days=60)).date().isoformat(), now.date().isoformat()
    out = tmp_path / "x.html"
    res = _cli(
        [
            "export",
            "--database",
            db,
            "--project",
            "Rabot",
            "--from",
            frm,
            "--to",
            to,
            "--format",
            "csv",
        ],
        tmp_path,
    )
    assert res.returncode == 0, res.stderr
    rows = _csv_rows(res.stdout)
    assert len(rows) == 2
    res = _cli(
        [
            "export",
            "--database",
            db,
            "--project",
            str(pid),
            "--from",
            frm,
            "--to",
            to,
            "--format",
            "html",
            "--output",
            str(out),
            "--language",
            "fr",
        ],
        tmp_path,
    )
    assert res.returncode == 0, res.stderr
    html = out.read_text()
    assert "<svg" in html and "lang='fr'" in html
    for needle in FORBIDDEN:
        assert needle not in html and needle not in res.stdout.decode()
    bad = _cli(
        ["export", "--database", db, "--project", "Nowhere", "--from", frm, "--to", to], tmp_path
    )
    assert bad.returncode == 2 and b"Nowhere" in bad.stderr and b"Traceback" not in bad.stderr


def test_period_buttons_cover_whole_local_days():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.domain.dossier import period_bounds

    now = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))
    assert period_bounds("3m", now) == (
        datetime(2025, 12, 2, tzinfo=now.tzinfo),
        datetime(2026, 3, 3, tzinfo=now.tzinfo),
    )
    assert period_bounds("ty", now)[0] == datetime(2026, 1, 1, tzinfo=now.tzinfo)
    assert period_bounds("ly", now) == (
        datetime(2025, 1, 1, tzinfo=now.tzinfo),
        datetime(2026, 1, 1, tzinfo=now.tzinfo),
    )


def test_quotes_are_redacted():
    from storage.repos.report_privacy import redact

    out = redact(
        "Ik ben Fatima Benali, bel 0475 12 34 56 of fatima@x.be of @fati_b",
        ["Fatima", "Benali", "fati_b"],
    )
    assert out == "Ik ben […] […], bel […] of […] of […]"
