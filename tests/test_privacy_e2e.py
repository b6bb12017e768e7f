"""Privacy across the real report flow (feature/reports merged): a reporter who did not consent
never appears in a worker card, digest or export; after /forget nothing of them is left."""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from tests.e2e_helpers import personal_traces, setup_world
from tests.reports_helpers import file_report
from tests.test_export import press_and_wait

BXL = ZoneInfo("Europe/Brussels")
FTG = 987650101
TEXT = "Er zit schimmel achter de kast in de slaapkamer van de kinderen"
ANSWER = "Ik ben thuis na vijf uur, bel aan bij de achterdeur"
PIN = (51.0612345, 3.7123456)


async def _join(h, payload):
    fatima = h.person(
        "Fatimaqx", language_code="nl", user_id=FTG, last_name="Benali", username="fatima_bq"
    )
    await fatima.send(f"/start {payload}")
    await fatima.press("Nederlands")
    return fatima


def _docs(h, person):
    return [
        h.api.file_bytes(m["document"]["file_id"]) for m in person.messages() if m.get("document")
    ]


async def test_anonymous_reporter_absent_from_card_digest_export_and_forget_leaves_nothing(
    h, admin, caplog
):
    caplog.set_level(logging.INFO)
    sofie, jan, payload = await setup_world(h, admin)
    await sofie.send("/routing")
    await sofie.press("👤")
    await sofie.press("Sofie")
    fatima = await _join(h, payload)
    await file_report(h, fatima, text=TEXT, photos=1, location=PIN, show_name=False, quote=False)
    # And a voice report in her neighbourhood.
    await file_report(h, fatima, voice=True, hood="Rabot")
    assert await h.rows("SELECT COUNT(*) FROM reports") == [(2,)]
    media = [
        r[0]
        for r in await h.rows("SELECT voice_file_id FROM reports WHERE voice_file_id IS NOT NULL")
    ]
    media += [r[0] for r in await h.rows("SELECT file_id FROM report_photos")]
    assert len(media) == 2
    never = ["Fatimaqx", "Benali", "fatima_bq", str(FTG), "51.0612", "3.7123"]
    # The worker: card, relay, digest.
    for text in sofie.texts():
        for needle in never:
            assert needle not in text, needle
    await sofie.press("👀")
    await sofie.press("💬")
    await sofie.send("Ik kom donderdag langs")
    await fatima.press("💬")
    await fatima.send(ANSWER)
    await h.advance_to(datetime(2026, 3, 3, 8, 31, tzinfo=BXL))
    await sofie.send("/digest")
    digests = [t for t in sofie.texts() if "📰" in t]
    assert digests
    for text in sofie.texts():
        for needle in never:
            assert needle not in text, needle
    # Exports.
    await sofie.send("/export")
    await sofie.press("3 maanden")
    await sofie.press("Volgende")
    await press_and_wait(h, sofie, "Maak de export")
    xlsx_body, csv_body, html_body = _docs(h, sofie)
    rows = list(csv.reader(io.StringIO(csv_body.decode("utf-8-sig")), delimiter=";"))[1:]
    assert len(rows) == 2
    sheets = load_workbook(io.BytesIO(xlsx_body), read_only=True).worksheets
    cells = " ".join(str(v) for ws in sheets for row in ws.iter_rows(values_only=True) for v in row)
    for body in (csv_body.decode("utf-8-sig"), html_body.decode(), cells):
        for needle in never + [TEXT, ANSWER] + media:
            assert needle not in body, needle
    # /forget: the worker hears the reporter left; nothing of Fatima anywhere.
    await fatima.send("/forget")
    await fatima.press("🗑")
    assert "melder" in sofie.last_text().lower()
    traces = await personal_traces(
        h,
        ["Fatimaqx", "Benali", "fatima_bq", TEXT, ANSWER, "51.0612345", "3.7123456", *media],
        [FTG],
    )
    assert traces == []
    pins = await h.rows("SELECT lat, lon FROM reports WHERE lat IS NOT NULL")
    assert pins == [(51.061, 3.712)]
    assert await h.rows("SELECT COUNT(*) FROM reports WHERE reporter_id IS NULL") == [(2,)]
    # The same Telegram account is a new, empty person.
    await fatima.send("/myreports")
    uid = (await h.rows("SELECT id FROM users WHERE tg_id = ?", (FTG,)))[0][0]
    assert await h.rows("SELECT COUNT(*) FROM reports WHERE reporter_id = ?", (uid,)) == [(0,)]
    # Nothing of her reached the logs at INFO either.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for needle in ["Fatimaqx", "Benali", "fatima_bq", str(FTG), TEXT, ANSWER, "51.0612"]:
        assert needle not in logged, needle


async def test_retention_anonymises_a_report_two_years_after_it_was_resolved(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await sofie.send("/routing")
    await sofie.press("👤")
    await sofie.press("Sofie")
    fatima = await _join(h, payload)
    await file_report(h, fatima, text=TEXT, photos=1, location=PIN)
    await sofie.press("✅ ")  # resolved
    assert await h.rows("SELECT status FROM reports") == [("resolved",)]
    await h.advance(days=700)
    assert await h.rows("SELECT text FROM reports") == [(TEXT,)]
    await h.advance(days=31)
    rows = await h.rows(
        "SELECT reporter_id, text, lat, lon, status, anonymised_at IS NOT NULL FROM reports"
    )
    assert rows == [(None, None, 51.061, 3.712, "resolved", 1)]
    assert await h.rows("SELECT COUNT(*) FROM report_photos") == [(0,)]
    # Her account itself stays (she did not ask to be forgotten); only the report lost its link.
    assert await h.rows("SELECT first_name FROM users WHERE tg_id = ?", (FTG,)) == [("Fatimaqx",)]
