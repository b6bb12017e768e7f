"""Where a report is (issue 13): an admin who typed the neighbourhoods' names gives them a place
on the map; a resident who only shares her location gets the right neighbourhood, the next
neighbour is offered "Me too", and the dossier filtered on that neighbourhood counts both."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.domain.dossier import build_export_sync
from storage.repos.exports import ExportFilter
from tests.e2e_helpers import setup_world
from tests.reports_helpers import file_report, join

# Rabot (Gent), roughly: a square around the Rabot towers. The pins below are inside it but
# more than 300 m apart, so "Me too" comes from the neighbourhood, not from the distance.
RABOT = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "Rabot"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [3.700, 51.058],
                        [3.720, 51.058],
                        [3.720, 51.068],
                        [3.700, 51.068],
                        [3.700, 51.058],
                    ]
                ],
            },
        },
        {
            "type": "Feature",
            "properties": {"name": "Elsewhere"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[4.0, 51.0], [4.1, 51.0], [4.1, 51.1], [4.0, 51.0]]],
            },
        },
    ],
}
FATIMA_PIN = (51.0600, 3.7050)
MEHMET_PIN = (51.0660, 3.7160)  # ~1 km from Fatima's pin, still in Rabot


async def _give_boundary(h, admin):
    # Right after /newproject the admin is offered to put the typed neighbourhoods on the map.
    made = next(m for m in admin.messages() if "📍" in " ".join(admin.button_texts(m)))
    await admin.press("📍", made)
    listed = next(m for m in admin.messages() if m["message_id"] == made["message_id"])
    assert "Buurten" in listed["text"]
    await admin.press("Rabot", listed)
    assert any("GeoJSON" in t for t in admin.texts())  # the tapped message asks for it
    await h.push(
        h.api.document_update(
            admin.tg,
            json.dumps(RABOT).encode(),
            file_name="rabot.geojson",
            mime_type="application/geo+json",
        )
    )
    assert "Rabot" in admin.texts()[-2] and "🗺" in admin.last_text()
    boundary, lat = (await h.rows("SELECT boundary, lat FROM neighbourhoods WHERE name='Rabot'"))[0]
    assert json.loads(boundary)["type"] == "Polygon" and lat is not None


def _main_keyboard(h, person) -> list[str]:
    """The labels of the person's reply keyboard (the main one, once a step gave it back)."""
    markup = h.api.reply_keyboards.get(person.id) or {}
    return [
        b["text"] if isinstance(b, dict) else b for row in markup.get("keyboard", []) for b in row
    ]


def _asks_location(h, person) -> bool:
    markup = h.api.reply_keyboards.get(person.id) or {}
    return any(
        isinstance(b, dict) and b.get("request_location")
        for row in markup.get("keyboard", [])
        for b in row
    )


async def _report_with_pin(h, person, pin):
    """/report, the category, then right away the place: a pin by the one-tap button."""
    await person.send("/report")
    await person.press("🏠")
    # One tap shares the location: a reply-keyboard button that requests it.
    keyboard = h.api.reply_keyboards[person.id] or {}
    assert keyboard["keyboard"][0][0]["request_location"] is True
    question = person.last()
    assert any("Rabot" in b for b in person.button_texts(question))
    await h.push(h.api.location_update(person.tg, *pin))
    return question


def _step_moved_on(h, person, question) -> None:
    """The place step is over: its buttons are gone from the question, the location button's
    keyboard went, and the main keyboard is back (with the report task on it)."""
    question = next(m for m in person.messages() if m["message_id"] == question["message_id"])
    assert not person.button_texts(question)
    assert not _asks_location(h, person)
    assert any("📣" in label for label in _main_keyboard(h, person)), _main_keyboard(h, person)


async def test_pin_only_reports_find_rabot_me_too_and_dossier(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await _give_boundary(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    question = await _report_with_pin(h, fatima, FATIMA_PIN)
    _step_moved_on(h, fatima, question)
    assert "Rabot" in fatima.texts()[-2]  # the line that says what was kept
    # Nothing open in Rabot yet: on to the description.
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "what"
    await fatima.send("عفن في الحمام")
    await fatima.press("✅")  # no photos
    await fatima.press("🙈")
    await fatima.press("❌")
    await fatima.press("✅")
    rabot = (await h.rows("SELECT id FROM neighbourhoods WHERE name = 'Rabot'"))[0][0]
    assert await h.rows("SELECT neighbourhood_id, lat IS NOT NULL FROM reports") == [(rabot, 1)]

    # Story 4: the next neighbour in Rabot, pin only, 1 km away, is offered "Me too" right
    # after the place, before describing anything.
    mehmet = await join(h, payload, "Mehmet", "tr")
    question = await _report_with_pin(h, mehmet, MEHMET_PIN)
    _step_moved_on(h, mehmet, question)
    ref = (await h.rows("SELECT reference FROM reports"))[0][0]
    assert any(ref in b for b in mehmet.button_texts()), mehmet.last_text()
    assert "Rabot" in mehmet.last_text()
    await mehmet.press("🙋")
    assert len(await h.rows("SELECT * FROM report_me_too")) == 1
    await mehmet.press("✅")  # no, that is all

    # The dossier filtered on Rabot counts the report and its "me too".
    now = h.clock.now()
    files = build_export_sync(
        h.services.settings.database_path,
        ExportFilter(now - timedelta(days=30), now + timedelta(days=1), None, None, (rabot,)),
        h.services.settings.tz,
        "nl",
        "Rabot",
    )
    assert files.rows == 1
    assert files.html is not None and b"Rabot" in files.html


async def test_a_pin_is_offered_the_open_reports_of_its_own_neighbourhood(h, admin):
    """Pin → its neighbourhood (boundary) → "me too" for THAT neighbourhood's open report, not
    the same problem in the next neighbourhood; the pin is not near either report."""
    sofie, jan, payload = await setup_world(h, admin)
    await _give_boundary(h, admin)
    fatima = await join(h, payload, "Fatima", "nl")
    await file_report(h, fatima, text="Schimmel", hood="Rabot")  # tapped: no pin
    lea = await join(h, payload, "Lea", "nl")
    await file_report(h, lea, text="Schimmel", hood="Blaisantvest")
    refs = dict(
        await h.rows(
            "SELECT n.name, r.reference FROM reports r"
            " JOIN neighbourhoods n ON n.id = r.neighbourhood_id"
        )
    )
    mehmet = await join(h, payload, "Mehmet", "tr")
    question = await _report_with_pin(h, mehmet, MEHMET_PIN)
    _step_moved_on(h, mehmet, question)
    step, data = (await h.rows("SELECT step, data FROM dialogs"))[0]
    draft = json.loads(data)
    rabot = (await h.rows("SELECT id FROM neighbourhoods WHERE name = 'Rabot'"))[0][0]
    assert step == "similar" and draft["hood"] == rabot and "text" not in draft
    offered = mehmet.last_text()
    assert refs["Rabot"] in offered and "Rabot" in offered
    assert refs["Blaisantvest"] not in offered
    assert not any(refs["Blaisantvest"] in b for b in mehmet.button_texts())
    await mehmet.press(refs["Rabot"])
    assert await h.rows(
        "SELECT r.reference FROM report_me_too m JOIN reports r ON r.id = m.report_id"
    ) == [(refs["Rabot"],)]
    # He may tell his own situation for it: words go to that report.
    await mehmet.send("Banyoda küf var")
    await mehmet.press("✅")  # no photos
    await mehmet.press("🙈")
    await mehmet.press("✅")
    await mehmet.press("✅")
    await h.settle()
    assert await h.rows("SELECT COUNT(*) FROM reports") == [(2,)]
    assert await h.rows("SELECT text FROM report_me_too") == [("Banyoda küf var",)]


async def test_typing_at_the_me_too_question_is_her_own_report(h, admin):
    """Offered the open report of her neighbourhood, Lea does not tap: she types her problem.
    It is kept as her description with the offer still open; "my own" goes on to the photos."""
    sofie, jan, payload = await setup_world(h, admin)
    await _give_boundary(h, admin)
    fatima = await join(h, payload, "Fatima", "nl")
    await file_report(h, fatima, text="Schimmel", hood="Rabot")
    lea = await join(h, payload, "Lea", "nl")
    await _report_with_pin(h, lea, MEHMET_PIN)
    assert "R-2026-0001" in lea.last_text()
    await lea.send("Bij ons lekt het dak")
    step, data = (await h.rows("SELECT step, data FROM dialogs"))[0]
    assert step == "similar" and json.loads(data)["text"] == "Bij ons lekt het dak"
    await lea.press("➡️")
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "photos"
    await lea.press("✅")
    await lea.press("🙈")
    await lea.press("❌")
    await lea.press("✅")
    assert await h.rows("SELECT text FROM reports ORDER BY id") == [
        ("Schimmel",),
        ("Bij ons lekt het dak",),
    ]
    assert await h.rows("SELECT * FROM report_me_too") == []


async def test_nearest_centre_else_the_resident_picks(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    # Blaisantvest gets a centre by a pin the admin sends.
    await admin.send("/neighbourhoods")
    await admin.press("Blaisantvest")
    await h.push(h.api.location_update(admin.tg, 51.0650, 3.7250))
    assert "Blaisantvest" in admin.texts()[-2]
    rik = await join(h, payload, "Rik", "nl")
    # 300 m from the centre (REPORT_NEAREST_KM = 1): Blaisantvest.
    await _report_with_pin(h, rik, (51.0677, 3.7250))
    assert "Blaisantvest" in rik.texts()[-2]
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "what"
    await rik.send("/cancel")
    # 3 km away (inside REPORT_AREA_KM): kept, and she picks the neighbourhood with buttons.
    lea = await join(h, payload, "Lea", "nl")
    await _report_with_pin(h, lea, (51.0920, 3.7250))
    assert "welke buurt" in lea.last_text()
    assert set(lea.button_texts()) >= {"Rabot", "Blaisantvest"}
    assert not _asks_location(h, lea)  # the picker is the question now: main keyboard back
    await lea.press("Rabot")
    step, data = (await h.rows("SELECT step, data FROM dialogs"))[-1]
    draft = json.loads(data)
    assert draft["lat"] == 51.092 and draft["hood"] is not None
    assert step == "what" and "welke buurt" not in lea.last_text()
    asked = [m for m in lea.messages() if "welke buurt" in (m.get("text") or "")]
    assert asked and not lea.button_texts(asked[-1])  # its buttons went when it was answered
    await lea.send("Sluikstort")
    await lea.press("✅")
    await lea.press("🙈")
    await lea.press("❌")
    assert "Rabot" in lea.last_text()  # the summary
    await lea.press("✅")
    rabot = (await h.rows("SELECT id FROM neighbourhoods WHERE name = 'Rabot'"))[0][0]
    assert await h.rows("SELECT neighbourhood_id, lat FROM reports") == [(rabot, 51.092)]


async def test_bad_boundary_file_gets_a_clear_answer(h, admin):
    await setup_world(h, admin)
    await admin.send("/neighbourhoods")
    await admin.press("Rabot")
    point = {"type": "Point", "coordinates": [3.7, 51.06]}
    await h.push(h.api.document_update(admin.tg, json.dumps(point).encode(), file_name="x.json"))
    assert "grens" in admin.last_text() and "Point" in admin.last_text()
    await h.push(h.api.document_update(admin.tg, b"not json", file_name="x.json"))
    assert "JSON" in admin.last_text()
    assert await h.rows("SELECT boundary FROM neighbourhoods WHERE name = 'Rabot'") == [(None,)]
    # Coordinates copied from a map work as well as a pin.
    await admin.send("51.0627, 3.7120")
    assert "Rabot" in admin.texts()[-2]
    assert await h.rows("SELECT lat, lon FROM neighbourhoods WHERE name = 'Rabot'") == [
        (51.0627, 3.712)
    ]


async def test_cancel_at_the_place_step_removes_the_location_button(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik", "nl")
    await rik.send("/report")
    await rik.press("🏠")
    assert _asks_location(h, rik)
    await rik.send("/cancel")
    # The location button went; his main keyboard is back, and the draft is kept.
    assert not _asks_location(h, rik)
    assert any("📣" in label for label in _main_keyboard(h, rik))
    assert "klad" in rik.last_text().lower()
    assert await h.rows("SELECT step FROM report_drafts") == [("where",)]
    # /report continues the draft at the place step, with the button again.
    await rik.send("/report")
    await rik.press("▶️")
    assert h.api.reply_keyboards[rik.id]["keyboard"][0][0]["request_location"] is True
    await rik.press("Rabot")
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "what"


async def test_a_draft_from_before_the_new_order_asks_the_place_then_goes_on(h, admin):
    """A draft put aside at the photos before the place came first (no place yet): /report
    continues with the place (and its similar reports), then back at the photos."""
    from bot.domain.reports import ReportDraft

    sofie, jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik", "nl")
    pid = (await h.rows("SELECT id FROM projects"))[0][0]
    cat = (await h.services.reports.categories(pid))[0].id  # 🏠
    old = ReportDraft(project_id=pid, cat=cat, text="Schimmel")
    user = (await h.rows("SELECT id FROM users WHERE first_name = 'Rik'"))[0][0]
    await h.services.reports.keep_as_draft(user, "photos", old)
    await rik.send("/report")
    await rik.press("▶️")
    assert _asks_location(h, rik)
    await rik.press("Rabot")
    assert "foto" in rik.last_text().lower()
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "photos"
    await h.push(h.api.photo_update(rik.tg))
    await rik.press("✅")
    await rik.press("🙈")
    await rik.press("❌")
    summary = rik.last_text()
    assert "Rabot" in summary and "Schimmel" in summary and "Foto’s: 1" in summary


async def test_a_pin_sent_at_the_photo_step_is_the_place(h, admin):
    """Fatima typed the street (she does not know the neighbourhood), described the problem,
    then shares her location with the photos: the pin is kept, its neighbourhood found, and she
    stays at the photos."""
    sofie, jan, payload = await setup_world(h, admin)
    await _give_boundary(h, admin)
    fatima = await join(h, payload, "Fatima", "nl")
    await fatima.send("/report")
    await fatima.press("🏠")
    await fatima.send("Rabotstraat 12")
    await fatima.press("❓")  # which neighbourhood? she does not know
    await fatima.send("Schimmel")
    await h.push(h.api.location_update(fatima.tg, *FATIMA_PIN))  # before tapping Done
    assert "Rabot," in fatima.last_text() and "Rabotstraat 12" in fatima.last_text()
    assert any("✅" in b for b in fatima.button_texts())  # Done is still there
    step, data = (await h.rows("SELECT step, data FROM dialogs"))[-1]
    assert step == "photos" and json.loads(data)["lat"] == FATIMA_PIN[0]
    await h.push(h.api.photo_update(fatima.tg))
    await fatima.press("✅")
    await fatima.press("🙈")
    await fatima.press("❌")
    await fatima.press("✅")
    rabot = (await h.rows("SELECT id FROM neighbourhoods WHERE name = 'Rabot'"))[0][0]
    assert await h.rows("SELECT neighbourhood_id, address, lat FROM reports") == [
        (rabot, "Rabotstraat 12", FATIMA_PIN[0])
    ]
    assert await h.rows("SELECT COUNT(*) FROM report_photos") == [(1,)]


async def test_a_pin_while_describing_offers_me_too_of_that_neighbourhood_then_goes_on(h, admin):
    """Rik tapped the wrong neighbourhood; while describing he shares his location, inside
    Rabot, where the same problem is open: "me too" is offered, then he goes on describing."""
    sofie, jan, payload = await setup_world(h, admin)
    await _give_boundary(h, admin)
    fatima = await join(h, payload, "Fatima", "nl")
    await file_report(h, fatima, text="Schimmel", hood="Rabot")
    rik = await join(h, payload, "Rik", "nl")
    await rik.send("/report")
    await rik.press("🏠")
    await rik.press("Blaisantvest")
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "what"
    await h.push(h.api.location_update(rik.tg, *MEHMET_PIN))
    assert "R-2026-0001" in rik.last_text() and "Rabot" in rik.last_text()
    await rik.press("➡️")  # his own report
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "what"
    await rik.send("Vocht in de kelder")
    await rik.press("✅")
    await rik.press("🙈")
    await rik.press("❌")
    summary = rik.last_text()
    assert "Rabot" in summary and "Blaisantvest" not in summary
    # A pin far away while describing is not kept: the place stays.
    await rik.press("✏️")
    await rik.press("Wat")
    await h.push(h.api.location_update(rik.tg, 50.85, 4.35))  # Brussels
    assert "ver" in rik.last_text().lower()
    assert json.loads((await h.rows("SELECT data FROM dialogs"))[0][0])["lat"] == MEHMET_PIN[0]


async def test_changing_the_place_from_the_summary(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await _give_boundary(h, admin)
    rik = await join(h, payload, "Rik", "nl")
    await rik.send("/report")
    await rik.press("🏠")
    await rik.send("Blaisantvest")  # the neighbourhood's name, typed
    await rik.send("Schimmel")
    await rik.press("✅")
    await rik.press("🙈")
    await rik.press("❌")
    assert "Blaisantvest" in rik.last_text()
    await rik.press("✏️")
    await rik.press("Waar")
    assert _asks_location(h, rik)
    await h.push(h.api.location_update(rik.tg, *FATIMA_PIN))  # inside Rabot
    assert not _asks_location(h, rik)
    summary = rik.last_text()
    assert "Rabot" in summary and "Blaisantvest" not in summary
    await rik.press("✅")
    rabot = (await h.rows("SELECT id FROM neighbourhoods WHERE name = 'Rabot'"))[0][0]
    assert await h.rows("SELECT neighbourhood_id, address FROM reports") == [(rabot, None)]


async def test_adding_neighbourhoods_keeps_the_centre_of_one_already_there(h, admin):
    await setup_world(h, admin)
    await admin.send("/neighbourhoods")
    await admin.press("Rabot")
    await h.push(h.api.location_update(admin.tg, 51.0627, 3.7120))
    await admin.send("/neighbourhoods")
    await admin.press("➕")
    await admin.send("rabot, Muide")
    assert "1 buurt toegevoegd" in admin.texts()[-2]
    assert await h.rows("SELECT name, lat FROM neighbourhoods ORDER BY name") == [
        ("Blaisantvest", None),
        ("Muide", None),
        ("Rabot", 51.0627),
    ]


async def test_boundaries_multipolygon_hole_edge_and_bad_files():
    """The geometry rules on their own: a MultiPolygon's second part, a hole, a point on the
    edge, and GeoJSON that is no area."""
    import pytest

    from bot.core.settings import Settings
    from bot.domain.places import BoundaryError, Places, parse_boundary
    from storage.repos.projects import Neighbourhood

    square = [[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]
    hole = [[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5], [0.5, 0.5]]
    far = [[10, 10], [11, 10], [11, 11], [10, 11], [10, 10]]
    multi = parse_boundary(
        json.dumps({"type": "MultiPolygon", "coordinates": [[square, hole], [far]]})
    )

    class Repo:
        async def neighbourhoods(self, pid):
            return [Neighbourhood(1, 1, "A", None, None, multi)]

    places = Places(Repo(), Settings(bot_token="1:x"))  # type: ignore[arg-type]
    assert (await places.locate(1, 10.5, 10.5)).hood_id == 1  # the second part (lat, lon)
    assert (await places.locate(1, 0.2, 0.2)).hood_id == 1
    assert (await places.locate(1, 1.0, 1.0)).hood_id is None  # in the hole
    assert (await places.locate(1, 0.0, 1.0)).hood_id == 1  # on the edge
    for bad in (
        '{"type": "Point", "coordinates": [1, 2]}',
        '{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}',
        '{"type": "Polygon", "coordinates": [[[0, 0], [400, 0], [400, 1], [0, 0]]]}',
        '{"type": "FeatureCollection", "features": []}',
        "[1, 2",
    ):
        with pytest.raises(BoundaryError):
            parse_boundary(bad, "A")
