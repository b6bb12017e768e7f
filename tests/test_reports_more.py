"""Problem reports, second round: changing the summary, "me too" by pin distance, the worker's
card kept up to date, project choice, and categories managed with the bot."""

from __future__ import annotations

from tests.e2e_helpers import make_group, make_project, make_worker, setup_world
from tests.reports_helpers import file_report, join


async def _to_summary(h, person, text="Lift kapot", hood="Rabot"):
    await person.send("/report")
    await person.press("🏠")
    await person.press(hood)
    await person.send(text)
    await person.press("✅")
    await person.press("🙈")
    await person.press("❌")
    assert "Klopt dit?" in person.last_text()


async def test_change_each_part_of_the_summary(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik", "nl")
    await _to_summary(h, rik)
    summary = rik.last_text()
    assert "Lift kapot" in summary and "Rabot" in summary and "Foto’s: 0" in summary

    # Category
    await rik.press("✏️")
    await rik.press_data("rep:edit:cat")
    await rik.press("⚡")
    assert "⚡" in rik.last_text() and "🏠" not in rik.last_text()
    # What
    await rik.press("✏️")
    await rik.press_data("rep:edit:what")
    await rik.send("Geen verwarming sinds maandag")
    assert (
        "Geen verwarming sinds maandag" in rik.last_text() and "Lift kapot" not in rik.last_text()
    )
    # Photos (changing starts the photo list again)
    await rik.press("✏️")
    await rik.press_data("rep:edit:photos")
    await h.push(h.api.photo_update(rik.tg))
    await h.push(h.api.photo_update(rik.tg))
    await rik.press("✅")
    assert "Foto’s: 2" in rik.last_text()
    # Where: another neighbourhood
    await rik.press("✏️")
    await rik.press_data("rep:edit:where")
    await rik.press("Blaisantvest")
    assert "Blaisantvest" in rik.last_text()
    # Name and quote consent
    await rik.press("✏️")
    await rik.press_data("rep:edit:name")
    await rik.press("✅")  # name: yes
    await rik.press("✅")  # quote: yes
    final = rik.last_text()
    assert final.count(": ja") == 2, final
    await rik.press("✅")  # send
    rows = await h.rows("SELECT category_key, text, show_name, quote_ok FROM reports")
    assert rows == [("energy", "Geen verwarming sinds maandag", 1, 1)]
    hood = await h.rows(
        "SELECT n.name FROM reports r JOIN neighbourhoods n ON n.id = r.neighbourhood_id"
    )
    assert hood == [("Blaisantvest",)]
    assert len(await h.rows("SELECT * FROM report_photos")) == 2


async def test_me_too_by_pin_within_300_metres_not_beyond(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, location=(51.0700, 3.7100))
    ref = (await h.rows("SELECT reference FROM reports"))[0][0]

    # ~220 m north: offered "me too"
    rik = await join(h, payload, "Rik", "nl")
    await rik.send("/report")
    await rik.press("🏠")
    await h.push(h.api.location_update(rik.tg, 51.0720, 3.7100))
    await rik.press("❓")  # no neighbourhood has a centre here: he does not know which one
    assert ref in rik.last_text()
    await rik.press("🙋")
    assert len(await h.rows("SELECT * FROM report_me_too")) == 1

    # ~670 m north: not offered; straight on to the name question
    lea = await join(h, payload, "Lea", "nl")
    await lea.send("/report")
    await lea.press("🏠")
    await h.push(h.api.location_update(lea.tg, 51.0760, 3.7100))
    await lea.press("❓")
    assert ref not in lea.last_text()
    assert not any("🙋" in b for b in lea.button_texts())
    await lea.send("Schimmel")
    await lea.press("✅")
    assert any("🙈" in b for b in lea.button_texts())


async def test_worker_card_shows_current_status_and_me_too_count(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await sofie.send("/routing")
    await sofie.press("👤")
    await sofie.press("Sofie")
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, hood="Rabot")
    card = [m for m in sofie.messages() if "R-2026-0001" in (m.get("text") or "")][-1]
    mid = card["message_id"]
    assert await h.rows("SELECT COUNT(*) FROM report_cards") == [(1,)]
    await sofie.press("👀", card)
    await h.settle()
    edited = h.api.message(sofie.id, mid)
    assert "Gezien" in edited["text"], edited["text"]  # status on the card itself, in Dutch
    assert any("🔧" in b for b in sofie.button_texts(edited))  # forward buttons kept
    # A "me too" from a neighbour bumps the count on the same card
    rik = await join(h, payload, "Rik", "nl")
    await rik.send("/report")
    await rik.press("🏠")
    await rik.press("Rabot")
    await rik.press("🙋")
    await h.settle()
    edited = h.api.message(sofie.id, mid)
    assert "1 ander gezin" in edited["text"] or "1 " in edited["text"].split("\n")[5], edited[
        "text"
    ]
    await sofie.press("🔧", edited)
    await h.settle()
    assert (
        "In behandeling" in h.api.message(sofie.id, mid)["text"]
        or "🔧" in h.api.message(sofie.id, mid)["text"]
    )


async def test_resident_in_two_projects_chooses_the_group(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await make_project(h, admin, name="Brugse Poort", hoods="Brugse Poort")
    mo = h.person("Mo", language_code="nl")
    await make_worker(h, admin, mo, project_name="Brugse Poort")
    _code, payload2 = await make_group(h, mo, name="Buurtkeuken BP")
    rik = await join(h, payload, "Rik", "nl")
    await rik.send(f"/start {payload2}")
    await rik.send("/report")
    labels = rik.button_texts()
    assert any("Huurders Rabot" in b for b in labels) and any(
        "Buurtkeuken BP" in b for b in labels
    ), labels
    await rik.press("Buurtkeuken BP")
    await rik.press("🏠")
    await rik.press("Brugse Poort")  # the chosen project's neighbourhoods
    await rik.send("Lek in het dak")
    await rik.press("✅")
    await rik.press("🙈")
    await rik.press("❌")
    await rik.press("✅")
    rows = await h.rows(
        "SELECT p.name, g.name FROM reports r JOIN projects p ON p.id = r.project_id"
        " JOIN groups g ON g.id = r.group_id"
    )
    assert rows == [("Brugse Poort", "Buurtkeuken BP")]
    # A group the resident is not in (forged): refused as outdated
    await rik.send("/report")
    await rik.press_data("rep:proj:999")
    assert not await h.rows("SELECT * FROM dialogs WHERE kind = 'report'")


async def test_worker_adds_renames_and_hides_categories(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await sofie.send("/categories")
    assert "🏠" in " ".join(sofie.button_texts())
    await sofie.press("➕")
    await sofie.send("🚲 Fietsenstalling")
    assert any("🚲 Fietsenstalling" in b for b in sofie.button_texts())
    # hide "Noise"
    await sofie.press("🔊")
    await sofie.press("🙈")
    assert any("🔊" in b and "🙈" in b for b in sofie.button_texts())
    # rename the default "Energy" with the organisation's words
    await sofie.press("⚡")
    await sofie.press("✏️")
    await sofie.send("Energiefactuur")
    assert any("⚡ Energiefactuur" in b for b in sofie.button_texts())
    # Residents see the new and renamed ones as typed (not translated), not the hidden one
    fatima = await join(h, payload, "Fatima", "ar")
    await fatima.send("/report")
    labels = fatima.button_texts()
    assert "🚲 Fietsenstalling" in labels and "⚡ Energiefactuur" in labels
    assert not any("🔊" in b for b in labels)
    assert any(b.startswith("🏠") and "Housing" not in b for b in labels)  # default: translated
    noise = (await h.rows("SELECT id FROM report_categories WHERE key = 'noise'"))[0][0]
    await fatima.press_data(f"rep:cat:{noise}")  # hidden: refused like an unknown one
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "cat"
    await fatima.press("🚲")
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "where"
    # Forged: a resident may not manage categories; an outsider worker neither
    pid = (await h.rows("SELECT id FROM projects"))[0][0]
    await fatima.press_data(f"rcat:add:{pid}")
    assert h.api.callback_answers  # refused with an alert
    # Bad names are refused with a clear answer
    await sofie.send("/categories")
    await sofie.press("➕")
    await sofie.send("<b>x</b>")
    assert await h.rows("SELECT step FROM dialogs WHERE kind = 'rep_cat'") == [("add",)]


async def test_worker_reply_started_for_one_report_is_dropped_when_she_moves_to_another(h, admin):
    """Sofie taps Reply on A, then works on B: her next text must not reach A's reporter."""
    from tests.e2e_helpers import setup_world
    from tests.reports_helpers import file_report, join

    sofie, jan, payload = await setup_world(h, admin)
    a = await join(h, payload, "Aya", "nl")
    b = await join(h, payload, "Bram", "nl")
    await file_report(h, a, text="Schimmel A")
    await file_report(h, b, text="Lift B")
    refs = dict(await h.rows("SELECT text, reference FROM reports"))
    ref_a, ref_b = refs["Schimmel A"], refs["Lift B"]

    def card(ref):
        for m in reversed(sofie.messages()):
            if ref in str(m.get("text", "")) and any("👀" in t for t in sofie.button_texts(m)):
                return m
        raise AssertionError(ref)

    await sofie.press("💬", card(ref_a))
    await sofie.press("👀", card(ref_b))  # she moved on to B without answering A
    before_a = len(a.messages())
    await sofie.send("Ik kom donderdag langs")
    assert len(a.messages()) == before_a, "A's reporter got an answer meant for nobody"
    assert await h.rows("SELECT COUNT(*) FROM report_messages") == [(0,)]
