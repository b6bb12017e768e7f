"""Exports as people use them (issue 13): the workbook and the CSV in the requester's language, a
dossier that counts consent honestly and holds up in Arabic, the "Making the export…" message
that says when the documents are there, and an answered report that no longer says "new"."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from openpyxl import load_workbook

from bot.core.i18n import gettext_for
from bot.domain.dossier import COLUMNS
from tests.e2e_helpers import make_worker, setup_world
from tests.report_rows import add_report, hood_id, user_id
from tests.reports_helpers import file_report, join
from tests.test_export import FORBIDDEN, QUOTE, _world, press_and_wait

ARABIC_QUOTE = "في شقتي عفن منذ شهرين، اتصلوا بي على 0486 11 22 33"


def _docs(h, person):
    return {
        m["document"]["file_name"].rsplit(".", 1)[1]: h.api.file_bytes(m["document"]["file_id"])
        for m in person.messages()
        if m.get("document")
    }


async def _tap(person, data: str, slow: bool = False) -> None:
    """Tap the button with this callback data on the newest message (labels differ by language).
    ``slow``: it makes an export, which may outlast the harness's usual settle (see
    tests.test_export.press_and_wait)."""
    h = person.harness
    for message in reversed(person.messages()):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard") or []:
            if any(b.get("callback_data") == data for b in row):
                await h.push(h.api.callback_update(person.tg, message, data), settle=not slow)
                if slow:
                    await h.settle(timeout=120)
                return
    raise AssertionError(f"no button {data!r}")


async def _export(person, period: str = "6m"):
    await person.send("/export")
    await _tap(person, f"ex:t:{period}")
    await _tap(person, "ex:c:.")  # Next: all categories
    await _tap(person, "ex:n:.", slow=True)  # Make the export: all neighbourhoods


def _sheet_rows(body: bytes, index: int):
    wb = load_workbook(io.BytesIO(body), read_only=True)
    ws = wb.worksheets[index]
    return ws, [list(r) for r in ws.iter_rows(values_only=True)]


async def test_workbook_and_csv_speak_dutch_and_open_in_belgian_excel(h, admin):
    sofie, r, q, pid, refs = await _world(h, admin)
    await _export(sofie)
    docs = _docs(h, sofie)
    # The workbook: first sheet explains every column in Dutch, then one row per report.
    wb = load_workbook(io.BytesIO(docs["xlsx"]), read_only=True)
    assert wb.sheetnames == ["Over deze cijfers", "Meldingen", "Per maand en buurt"]
    _ws, about = _sheet_rows(docs["xlsx"], 0)
    explained = {row[0]: row[1] for row in about if row and row[0] and len(row) > 1 and row[1]}
    for c in COLUMNS:
        assert explained[gettext_for("nl", c.header)] == gettext_for("nl", c.meaning)
    assert any("Gemaakt door: Sofie" in str(row[0]) for row in about if row)
    _ws, data = _sheet_rows(docs["xlsx"], 1)
    assert data[0][:4] == ["Referentie", "Datum", "Project", "Soort"]
    by_cat = {row[3]: row for row in data[1:]}
    assert set(by_cat) == {"Wonen", "Energie"}
    assert by_cat["Wonen"][5] == "Opgelost" and by_cat["Energie"][5] == "Gezien"
    assert by_cat["Wonen"][7] == 6 and by_cat["Wonen"][8] == 96  # hours are numbers
    assert by_cat["Wonen"][1].year == 2026  # a date, not text
    # The CSV: BOM, one header row, ';', localized values, decimal comma.
    body = docs["csv"]
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].split(";") == [gettext_for("nl", c.header) for c in COLUMNS]
    assert not any(line.startswith("#") for line in lines)
    rows = list(csv.reader(io.StringIO("\n".join(lines[1:])), delimiter=";"))
    assert {row[5] for row in rows} == {"Opgelost", "Gezien"}
    for needle in FORBIDDEN:
        assert needle not in body.decode("utf-8-sig")


async def test_making_the_export_is_edited_when_the_documents_arrive(h, admin):
    sofie, r, q, pid, refs = await _world(h, admin)
    await sofie.send("/export")
    await sofie.press("6 maanden")
    await sofie.press("Volgende")
    message, data = sofie.find_button("Maak de export")
    await press_and_wait(h, sofie, "Maak de export")
    edited = h.api.message(sofie.id, message["message_id"])
    assert "klaar" in edited["text"] and "2 meldingen" in edited["text"]
    assert "hieronder" in edited["text"]
    assert not (edited.get("reply_markup") or {}).get("inline_keyboard")
    assert len(_docs(h, sofie)) == 3


async def test_arabic_worker_gets_arabic_files_and_a_dossier_that_holds_up(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    salma = h.person("Salma", language_code="ar")
    await make_worker(h, admin, salma)
    pid = (await h.rows("SELECT id FROM projects"))[0][0]
    rabot = await hood_id(h, pid, "Rabot")
    blaisant = await hood_id(h, pid, "Blaisantvest")
    fatima = await join(h, payload, "Fatima", lang="ar")
    fid = await user_id(h, fatima.id)
    now = h.clock.now()
    await add_report(
        h, pid, fid, created=now - timedelta(days=50), text=ARABIC_QUOTE, hood=rabot, quote_ok=1
    )
    await add_report(h, pid, fid, created=now - timedelta(days=20), text="x", hood=blaisant)
    await _export(salma)
    docs = _docs(h, salma)
    html = docs["html"].decode()
    assert "dir='rtl'" in html and "lang='ar'" in html
    # Every chart is laid out left to right inside the Arabic page.
    assert html.count("<svg") == html.count("<figure class='chart' dir='ltr'><svg")
    assert html.count("<svg") == 2  # months and neighbourhoods; one category: no category chart
    # Whole numbers only on count axes (2 reports would otherwise get 0.25 steps).
    ticks = re.findall(r">([0-9.,−-]+)</text>", html)
    assert ticks and all(t.isdigit() for t in ticks), ticks
    # The quote runs in its own direction; the redaction mark stays at its end.
    assert "<p dir='auto'>في شقتي عفن منذ شهرين، اتصلوا بي على […]</p>" in html
    assert "0486" not in html
    # Month x neighbourhood, who made it, what "me too" means: in Arabic.
    assert gettext_for("ar", "Per month and neighbourhood") in html
    assert gettext_for("ar", "Made by: {name}").format(name="Salma") in html
    assert "«أنا أيضاً»: أسرة أخرى لديها المشكلة نفسها" in html
    wb = load_workbook(io.BytesIO(docs["xlsx"]))
    assert wb.worksheets[0].sheet_view.rightToLeft
    assert wb.sheetnames[0] == gettext_for("ar", "About these figures")
    header = docs["csv"].decode("utf-8-sig").splitlines()[0]
    assert header.split(";")[0] == gettext_for("ar", "Reference")


async def test_voice_stories_with_consent_are_counted_and_quoted_once_there_is_text(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima")
    await file_report(h, fatima, voice=True, quote=True)  # she agreed, and spoke her story
    await _export(sofie)
    html = _docs(h, sofie)["html"].decode()
    assert "Niemand in deze selectie" not in html
    assert "1 persoon in deze selectie ging akkoord" in html
    assert "1 van hen vertelde het verhaal in een spraakbericht" in html
    # Once a text of the voice note exists (a transcript), it is quoted.
    async with h.db.transaction(mark=False) as conn:
        await conn.execute(
            "INSERT INTO transcripts (file_id, text, language, user_id, report_id, created_at)"
            " SELECT voice_file_id, 'De schimmel komt terug, Fatima', 'nl', reporter_id, id,"
            " created_at FROM reports"
        )
    sofie_msgs = len(sofie.messages())
    await _export(sofie)
    assert len(sofie.messages()) > sofie_msgs
    html = [
        h.api.file_bytes(m["document"]["file_id"]).decode()
        for m in sofie.messages()
        if m.get("document") and m["document"]["file_name"].endswith(".html")
    ][-1]
    assert "De schimmel komt terug, […]</p>" in html  # her name redacted
    assert gettext_for("nl", "🎤 Transcribed from a voice note:") in html
    assert "vertelde het verhaal in een spraakbericht" not in html


async def test_an_answered_report_says_seen_on_the_card_and_in_the_export(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik")
    await file_report(h, rik, text="Schimmel")
    card = [m for m in sofie.messages() if "📣" in (m.get("text") or "")][-1]
    await sofie.press("💬", card)
    await sofie.send("Ik kom donderdag langs")
    await h.settle()
    assert gettext_for("nl", "Seen") in h.api.message(sofie.id, card["message_id"])["text"]
    await _export(sofie)
    lines = _docs(h, sofie)["csv"].decode("utf-8-sig").splitlines()
    row = lines[1].split(";")
    keys = [c.key for c in COLUMNS]
    assert row[keys.index("status")] == "Gezien"
    assert row[keys.index("first_answer_hours")] != ""
    assert (
        row[keys.index("status_history")].startswith("Nieuw ")
        and ", Gezien " in row[keys.index("status_history")]
    )


async def test_quotes_in_a_dutch_dossier_still_redacted(h, admin):
    sofie, r, q, pid, refs = await _world(h, admin)
    await _export(sofie)
    html = _docs(h, sofie)["html"].decode()
    assert QUOTE.split(",")[1].strip() in html
    assert "Per maand en buurt" in html and "Rabot" in html
