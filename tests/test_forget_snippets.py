"""After /forget, a typed report stays in the worker's lists without its words — and without a
🎤 that sends her looking for a voice note that does not exist (issue 13)."""

from __future__ import annotations

from tests.e2e_helpers import setup_world
from tests.reports_helpers import file_report, join

REMOVED = "woorden gewist"  # Sofie reads Dutch


async def test_a_forgotten_typed_report_shows_no_voice_note(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text="Schimmel in de slaapkamer", quote=False)
    amina = await join(h, payload, "Amina", "ar")
    await file_report(h, amina, voice=True)
    refs = [r for (r,) in await h.rows("SELECT reference FROM reports ORDER BY id")]
    await fatima.send("/forget")
    await fatima.press("🗑")
    assert (
        await h.rows("SELECT text, voice_file_id FROM reports WHERE reference = ?", (refs[0],))
    ) == [(None, None)]

    await sofie.send("/problems")
    listing = sofie.last_text()
    fatima_line = next(line for line in listing.splitlines() if refs[0] in line)
    amina_line = next(line for line in listing.splitlines() if refs[1] in line)
    assert "🎤" not in fatima_line and REMOVED in fatima_line
    assert "🎤" in amina_line  # a real voice note still says so

    await sofie.send("/digest")
    digest = next(t for t in reversed(sofie.texts()) if refs[0] in t)
    line = next(line for line in digest.splitlines() if refs[0] in line)
    assert "🎤" not in line and REMOVED in line
