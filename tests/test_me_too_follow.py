"""Issue 13, "me too" that keeps people in: a household that said "me too" follows the report in
/myreports, hears its status changes and outcome, and is not offered the same report again."""

from __future__ import annotations

from bot.core.i18n import gettext_for
from tests.e2e_helpers import setup_world
from tests.reports_helpers import join


async def _me_too(h, person, text: str) -> None:
    await person.send("/report")
    await person.press("🏠")
    await person.send(text)
    await person.press("✅")
    await person.press("Rabot")


async def test_me_too_households_follow_the_report_and_hear_its_outcome(h, admin):
    sofie, _jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    from tests.reports_helpers import file_report

    await file_report(h, fatima, text="رطوبة في الحمام")
    mehmet = await join(h, payload, "Mehmet", "tr")
    await _me_too(h, mehmet, "Banyoda küf var")
    await mehmet.press("🙋")
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
    await _me_too(h, mehmet, "Banyoda küf var")
    await mehmet.press("🙋")
    await _me_too(h, mehmet, "Yine küf")
    assert not any("🙋" in b for b in mehmet.button_texts())
