"""Where a report is (issue 13): an admin who typed the neighbourhoods' names gives them a place
on the map; a resident who only shares her location gets the right neighbourhood, the next
neighbour is offered "Me too", and the dossier filtered on that neighbourhood counts both."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.domain.dossier import build_export_sync
from storage.repos.exports import ExportFilter
from tests.e2e_helpers import setup_world
from tests.reports_helpers import join

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


async def _report_with_pin(h, person, pin, text):
    await person.send("/report")
    await person.press("🏠")
    await person.send(text)
    await person.press("✅")  # no photos
    # One tap shares the location: a reply-keyboard button that requests it.
    keyboard = h.api.reply_keyboards[person.id] or {}
    assert keyboard["keyboard"][0][0]["request_location"] is True
    question = person.last()
    assert any("Rabot" in b for b in person.button_texts(question))
    await h.push(h.api.location_update(person.tg, *pin))
    return question


async def test_pin_only_reports_find_rabot_me_too_and_dossier(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await _give_boundary(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    question = await _report_with_pin(h, fatima, FATIMA_PIN, "عفن في الحمام")
    # The step moved on: the neighbourhood buttons are gone from the question, and the reply
    # keyboard is removed by the line that says what was kept.
    question = next(m for m in fatima.messages() if m["message_id"] == question["message_id"])
    assert not fatima.button_texts(question)
    assert h.api.reply_keyboards.get(fatima.id) is None
    assert "Rabot" in fatima.texts()[-2]
    await fatima.press("🙈")
    await fatima.press("❌")
    await fatima.press("✅")
    rabot = (await h.rows("SELECT id FROM neighbourhoods WHERE name = 'Rabot'"))[0][0]
    assert await h.rows("SELECT neighbourhood_id, lat IS NOT NULL FROM reports") == [(rabot, 1)]

    # Story 4: the next neighbour in Rabot, pin only, 1 km away, is offered "Me too".
    mehmet = await join(h, payload, "Mehmet", "tr")
    await _report_with_pin(h, mehmet, MEHMET_PIN, "Banyoda küf var")
    ref = (await h.rows("SELECT reference FROM reports"))[0][0]
    assert any(ref in b for b in mehmet.button_texts()), mehmet.last_text()
    await mehmet.press("🙋")
    assert len(await h.rows("SELECT * FROM report_me_too")) == 1

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


async def test_nearest_centre_else_the_resident_picks(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    # Blaisantvest gets a centre by a pin the admin sends.
    await admin.send("/neighbourhoods")
    await admin.press("Blaisantvest")
    await h.push(h.api.location_update(admin.tg, 51.0650, 3.7250))
    assert "Blaisantvest" in admin.texts()[-2]
    rik = await join(h, payload, "Rik", "nl")
    # 300 m from the centre (REPORT_NEAREST_KM = 1): Blaisantvest.
    await _report_with_pin(h, rik, (51.0677, 3.7250), "Kapotte lamp")
    assert "Blaisantvest" in rik.texts()[-2]
    await rik.send("/cancel")
    # 3 km away (inside REPORT_AREA_KM): kept, and he picks the neighbourhood with buttons.
    lea = await join(h, payload, "Lea", "nl")
    await _report_with_pin(h, lea, (51.0920, 3.7250), "Sluikstort")
    assert "welke buurt" in lea.last_text()
    assert set(lea.button_texts()) >= {"Rabot", "Blaisantvest"}
    await lea.press("Rabot")
    step, data = (await h.rows("SELECT step, data FROM dialogs"))[-1]
    draft = json.loads(data)
    assert draft["lat"] == 51.092 and draft["hood"] is not None
    assert "welke buurt" not in lea.last_text()
    asked = [m for m in lea.messages() if "welke buurt" in (m.get("text") or "")]
    assert asked and not lea.button_texts(asked[-1])  # its buttons went when it was answered


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
    await rik.send("Kapotte lamp")
    await rik.press("✅")
    assert h.api.reply_keyboards[rik.id] is not None
    await rik.send("/cancel")
    assert h.api.reply_keyboards.get(rik.id) is None
    assert "klad" in rik.texts()[-2].lower()
    # /report continues the draft at the place step, with the button again.
    await rik.send("/report")
    await rik.press("▶️")
    assert h.api.reply_keyboards[rik.id]["keyboard"][0][0]["request_location"] is True


async def test_a_pin_sent_at_the_photo_step_is_the_place(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await _give_boundary(h, admin)
    fatima = await join(h, payload, "Fatima", "nl")
    await fatima.send("/report")
    await fatima.press("🏠")
    await fatima.send("Schimmel")
    await h.push(h.api.location_update(fatima.tg, *FATIMA_PIN))  # before tapping Done
    assert "Rabot" in fatima.texts()[-2]
    step, data = (await h.rows("SELECT step, data FROM dialogs"))[-1]
    assert step == "name" and json.loads(data)["lat"] == FATIMA_PIN[0]


async def test_changing_the_place_from_the_summary(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await _give_boundary(h, admin)
    rik = await join(h, payload, "Rik", "nl")
    await rik.send("/report")
    await rik.press("🏠")
    await rik.send("Schimmel")
    await rik.press("✅")
    await rik.send("Blaisantvest")  # the neighbourhood's name, typed
    await rik.press("🙈")
    await rik.press("❌")
    assert "Blaisantvest" in rik.last_text()
    await rik.press("✏️")
    await rik.press("Waar")
    await h.push(h.api.location_update(rik.tg, *FATIMA_PIN))  # inside Rabot
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
