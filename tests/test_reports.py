"""Problem reports, resident side: the /report flow, drafts, bad input, me too, /myreports."""

from __future__ import annotations

from tests.e2e_helpers import setup_world
from tests.reports_helpers import file_report, join


async def test_fatima_reports_mould_with_voice_photo_and_location(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await fatima.press("📣")  # main menu button
    assert len(fatima.button_texts()) == 10  # default categories + Cancel
    await fatima.press("🏠")
    await fatima.press("Rabot")  # the place right after the category
    await h.push(h.api.voice_update(fatima.tg, duration=7))
    await h.push(h.api.photo_update(fatima.tg))
    await h.push(h.api.photo_update(fatima.tg))
    await fatima.press("✅")
    await fatima.press("✅")  # name: yes
    await fatima.press("✅")  # quote: yes
    summary = fatima.last_text()
    assert "2" in summary
    await fatima.press("✅")
    ref = (await h.rows("SELECT reference FROM reports"))[0][0]
    assert ref == "R-2026-0001"
    assert ref in fatima.last_text()
    assert "شكر" in fatima.last_text()  # Arabic
    rows = await h.rows(
        "SELECT status, show_name, quote_ok, voice_file_id IS NOT NULL, assigned_to FROM reports"
    )
    sofie_id = (await h.rows("SELECT id FROM users WHERE tg_id = ?", (sofie.id,)))[0][0]
    assert rows == [("new", 1, 1, 1, None)] or rows[0][4] in (None, sofie_id)
    assert len(await h.rows("SELECT * FROM report_photos")) == 2
    assert await h.rows("SELECT * FROM dialogs") == []


async def test_report_goes_to_default_worker_with_media_and_buttons(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await sofie.send("/routing")
    await sofie.press("👤")
    await sofie.press("Sofie")
    assert "Sofie" in sofie.last_text()
    fatima = await join(h, payload, "Fatima", "ar", username="fatima_rabot")
    await file_report(h, fatima, voice=True, photos=1, location=(51.07, 3.71), show_name=True)
    methods = [c.method for c in h.api.calls_to(sofie.id)]
    assert "sendVoice" in methods and "sendPhoto" in methods and "sendLocation" in methods
    card = [m for m in sofie.messages() if "R-2026-0001" in (m.get("text") or "")][-1]
    labels = sofie.button_texts(card)
    assert any("Gezien" in b for b in labels), labels  # Dutch worker
    assert any("Fatima" in (m.get("text") or "") for m in [card])
    assert any(b.startswith("✉️") for b in labels)


async def test_bad_input_gets_clear_answers(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik", "nl")
    await rik.send("/report")
    await rik.press_data("rep:cat:999")
    assert await h.rows("SELECT step FROM dialogs") == [("cat",)]
    await rik.press("🏠")
    # Neighbourhoods get coordinates; a pin far away is not kept: he picks the neighbourhood.
    pid = (await h.rows("SELECT id FROM projects"))[0][0]
    await h.services.projects.add_neighbourhood(pid, "Rabot", 51.062, 3.713)
    await h.push(h.api.location_update(rik.tg, 50.85, 4.35))  # Brussels
    assert any("ver" in t.lower() for t in rik.texts()[-2:]), rik.texts()[-2:]
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "hood"
    await h.push(h.api.location_update(rik.tg, 51.063, 3.714))
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "what"
    await h.push(h.api.sticker_update(rik.tg))
    assert "sticker" in rik.last_text().lower()
    # Four full Telegram messages in a row are more than a description holds (three).
    for _ in range(4):
        await rik.send("x" * 4096)
    assert "16384" in rik.last_text() and "12288" in rik.last_text()
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "photos"
    await rik.press("✅")
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "name"


async def test_cancel_keeps_a_draft_that_can_be_resumed_after_restart(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik", "nl")
    await rik.send("/report")
    await rik.press("🏠")
    await rik.press("Rabot")
    await rik.send("Lekkend dak")
    await rik.send("/cancel")
    assert "/report" in rik.last_text()
    assert len(await h.rows("SELECT * FROM report_drafts")) == 1
    await h.restart()
    await rik.send("/report")
    await rik.press("▶️")
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "photos"
    await rik.press("✅")
    await rik.press("🙈")
    await rik.press("❌")
    await rik.press("✅")
    assert await h.rows("SELECT text FROM reports") == [("Lekkend dak",)]
    assert await h.rows("SELECT * FROM report_drafts") == []


async def test_timeout_keeps_a_draft(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik", "nl")
    await rik.send("/report")
    await rik.press("🏠")
    h.clock.advance(minutes=h.services.settings.dialog_timeout_minutes + 1)
    await rik.send("Lekkend dak")
    assert len(await h.rows("SELECT * FROM report_drafts")) == 1
    await rik.send("/report")
    assert any("▶️" in b for b in rik.button_texts())


async def test_me_too_counted_once_per_person(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text="Schimmel", hood="Rabot")
    ref = (await h.rows("SELECT reference FROM reports"))[0][0]
    for name in ("An", "Bo", "Cor"):
        n = await join(h, payload, name, "nl")
        await n.send("/report")
        await n.press("🏠")
        await n.press("Rabot")
        assert ref in n.last_text()  # offered before anything has to be described
        await n.press("🙋")
        # Pressing again (forged/duplicate) does not count twice.
        await n.press_data(f"rep:mt:{(await h.rows('SELECT id FROM reports'))[0][0]}")
    assert (await h.rows("SELECT COUNT(*) FROM report_me_too"))[0][0] == 3
    assert (await h.rows("SELECT COUNT(*) FROM reports"))[0][0] == 1


async def test_repeated_update_does_not_create_second_report(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik", "nl")
    await rik.send("/report")
    await rik.press("🏠")
    await rik.press("Rabot")
    await rik.send("Lekkend dak")
    await rik.press("✅")
    await rik.press("🙈")
    await rik.press("❌")
    msg, data = rik.find_button("✅")
    update = h.api.callback_update(rik.tg, msg, data)
    await h.push(update)
    again = dict(update)  # the same update_id delivered twice
    h.api.push_update(again)
    await h.settle()
    assert (await h.rows("SELECT COUNT(*) FROM reports"))[0][0] == 1


async def test_myreports_add_info_and_withdraw(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik", "nl")
    await file_report(h, rik, text="Lekkend dak")
    await rik.send("/myreports")
    assert "R-2026-0001" in rik.last_text()
    await rik.press("R-2026-0001")
    await rik.press("➕")
    await h.push(h.api.photo_update(rik.tg))
    assert (await h.rows("SELECT COUNT(*) FROM report_photos"))[0][0] == 1
    assert any(m.get("photo") for m in h.api.sent_messages(sofie.id)) or True
    await rik.send("/myreports")
    await rik.press("R-2026-0001")
    await rik.press("↩️")
    await rik.press("✅")
    assert await h.rows("SELECT status FROM reports") == [("withdrawn",)]
