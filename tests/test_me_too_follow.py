"""Issue 13, "me too" that keeps people in: a household that said "me too" follows the report in
/myreports, hears its status changes and outcome, and is not offered the same report again."""

from __future__ import annotations

import json

from bot.core.i18n import gettext_for
from tests.e2e_helpers import setup_world
from tests.reports_helpers import join


async def _me_too(h, person, text: str | None = None) -> None:
    """/report, category, place: the similar reports come before any description."""
    await person.send("/report")
    await person.press("🏠")
    await person.press("Rabot")


async def test_me_too_households_follow_the_report_and_hear_its_outcome(h, admin):
    sofie, _jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    from tests.reports_helpers import file_report

    await file_report(h, fatima, text="رطوبة في الحمام")
    mehmet = await join(h, payload, "Mehmet", "tr")
    await _me_too(h, mehmet)
    await mehmet.press("🙋")
    await mehmet.press("✅")  # no, that is all
    # He follows it in /myreports.
    await mehmet.send("/myreports")
    assert "R-2026-0001" in mehmet.last_text()
    await mehmet.press("R-2026-0001")
    assert "R-2026-0001" in mehmet.last_text()
    assert not any("↩️" in b for b in mehmet.button_texts())  # he may look, not withdraw
    # Sofie's status changes and the outcome reach him, in Turkish.
    card = [m for m in sofie.messages() if "R-2026-0001" in (m.get("text") or "")][-1]
    await sofie.press("🔧", card)
    await h.settle()
    status = gettext_for("tr", "In progress")
    assert any("R-2026-0001" in t and status in t for t in mehmet.texts())
    card = [m for m in sofie.messages() if "R-2026-0001" in (m.get("text") or "")][-1]
    await sofie.press("✅", card)
    await h.settle()
    assert any("R-2026-0001" in t and gettext_for("tr", "Resolved") in t for t in mehmet.texts())


async def test_someone_already_counted_is_not_offered_the_same_report_again(h, admin):
    sofie, _jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "nl")
    from tests.reports_helpers import file_report

    await file_report(h, fatima, text="Schimmel in de badkamer")
    mehmet = await join(h, payload, "Mehmet", "tr")
    await _me_too(h, mehmet)
    await mehmet.press("🙋")
    await mehmet.press("✅")
    await _me_too(h, mehmet)
    assert not any("🙋" in b for b in mehmet.button_texts())
    # He goes straight on to his own report.
    assert gettext_for("tr", "Tell us what is wrong. Type it, or send a voice note 🎤.") in (
        mehmet.last_text()
    )


async def test_a_household_that_joins_tells_its_story_and_the_worker_gets_it(h, admin):
    """Mehmet taps "me too" first, then types, speaks and sends a photo: the worker gets his
    words, voice and photo for that report, with his name only if he allows it."""
    sofie, _jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    from tests.reports_helpers import file_report

    await file_report(h, fatima, text="رطوبة في الحمام")
    mehmet = await join(h, payload, "Mehmet", "tr")
    await _me_too(h, mehmet)
    listed = mehmet.last_text()
    assert "R-2026-0001" in listed and "رطوبة" not in listed  # not her words
    await mehmet.press("🙋")
    await mehmet.send("Banyoda küf var")
    await h.push(h.api.voice_update(mehmet.tg, duration=4))
    await h.push(h.api.photo_update(mehmet.tg))
    await mehmet.press("✅")  # done with photos
    await mehmet.press("🙈")  # the worker may not see his name
    await mehmet.press("✅")  # may be quoted
    summary = mehmet.last_text()
    assert "R-2026-0001" in summary
    await mehmet.press("✅")
    await h.settle()
    assert "R-2026-0001" in mehmet.last_text()
    # Sofie gets his words, his voice note and his photo, without his name.
    got = [
        m for m in sofie.messages() if "R-2026-0001" in (m.get("text") or m.get("caption") or "")
    ]
    assert any("Banyoda küf var" in (m.get("text") or "") for m in got)
    assert any(m.get("voice") for m in got) and any(m.get("photo") for m in got)
    assert not any("Mehmet" in (m.get("text") or m.get("caption") or "") for m in got)
    rows = await h.rows("SELECT text, show_name, quote_ok FROM report_me_too")
    assert rows == [("Banyoda küf var", 0, 1)]
    assert await h.rows("SELECT COUNT(*) FROM reports") == [(1,)]
    # His /mydata holds what he told for it.
    await mehmet.send("/mydata")
    doc = mehmet.messages()[-1]
    data = json.loads(h.api.file_bytes(doc["document"]["file_id"]))
    joined = data["reports"]["me_too_you_said"][0]
    assert joined["reference"] == "R-2026-0001" and joined["your_words"] == "Banyoda küf var"
    assert len(joined["you_sent"]) == 3  # his words, his voice note, his photo
    # The card counts him.
    card = [m for m in sofie.messages() if (m.get("text") or "").startswith("📣")][-1]
    assert "1" in card["text"]
    # His /forget takes his words out of Sofie's chat; Fatima's report stays as it was.
    await mehmet.send("/forget")
    await mehmet.press("🗑")
    await h.settle()
    assert not any("Banyoda" in (m.get("text") or "") for m in sofie.messages())
    assert await h.rows("SELECT text FROM reports") == [("رطوبة في الحمام",)]
    assert await h.rows("SELECT COUNT(*), MAX(text) FROM report_me_too") == [(1, None)]


async def test_me_too_households_hear_when_the_reporter_withdraws(h, admin):
    sofie, _jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "nl")
    from tests.reports_helpers import file_report

    await file_report(h, fatima, text="Schimmel in de badkamer")
    mehmet = await join(h, payload, "Mehmet", "tr")
    await _me_too(h, mehmet)
    await mehmet.press("🙋")
    await mehmet.press("✅")
    await fatima.send("/myreports")
    await fatima.press("R-2026-0001")
    await fatima.press("↩️")
    await fatima.press("✅")
    await h.settle()
    assert any("R-2026-0001" in t and gettext_for("tr", "Withdrawn") in t for t in mehmet.texts())


async def test_joining_after_describing_adds_his_words_to_that_report(h, admin):
    """Mehmet describes his problem in Blaisantvest, then corrects the place to Rabot from the
    summary: Fatima's open report there is offered; he joins it, and his words go to it."""
    sofie, _jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    from tests.reports_helpers import file_report

    await file_report(h, fatima, text="رطوبة في الحمام", hood="Rabot")
    mehmet = await join(h, payload, "Mehmet", "tr")
    await mehmet.send("/report")
    await mehmet.press("🏠")
    await mehmet.press("Blaisantvest")
    await mehmet.send("Banyoda küf var")
    await mehmet.press("✅")  # no photos
    await mehmet.press("🙈")
    await mehmet.press("✅")
    await mehmet.press("✏️")
    await mehmet.press_data("rep:edit:where")
    await mehmet.press("Rabot")
    assert "R-2026-0001" in mehmet.last_text()
    await mehmet.press("🙋")
    await mehmet.press("🙈")  # the same consent questions, for what he adds
    await mehmet.press("✅")
    assert "R-2026-0001" in mehmet.last_text() and "Banyoda küf var" in mehmet.last_text()
    await mehmet.press("✅")
    await h.settle()
    assert await h.rows("SELECT COUNT(*) FROM reports") == [(1,)]
    assert await h.rows("SELECT text, show_name, quote_ok FROM report_me_too") == [
        ("Banyoda küf var", 0, 1)
    ]
    assert any("Banyoda küf var" in (m.get("text") or "") for m in sofie.messages())


async def test_a_resident_who_types_at_the_similar_reports_files_her_own(h, admin):
    """Fatima types her story instead of tapping: kept; ➡️ (her own report) goes on to photos."""
    from tests.reports_helpers import file_report

    sofie, jan, payload = await setup_world(h, admin)
    mehmet = await join(h, payload, "Mehmet", "tr")
    await file_report(h, mehmet, text="Banyoda küf var", hood="Rabot")
    fatima = await join(h, payload, "Fatima", "nl")
    await fatima.send("/report")
    await fatima.press("🏠")
    await fatima.press("Rabot")
    await fatima.send("Schimmel in de keuken")
    assert "🙋" in " ".join(fatima.button_texts()) and "➡️" in " ".join(fatima.button_texts())
    await fatima.press("➡️")
    assert "foto" in fatima.last_text().lower()
    await fatima.press("✅")  # no photos
    await fatima.press("🙈")
    await fatima.press("❌")
    assert "Schimmel in de keuken" in fatima.last_text()
    await fatima.press("✅")
    assert await h.rows("SELECT text FROM reports ORDER BY id") == [
        ("Banyoda küf var",),
        ("Schimmel in de keuken",),
    ]
