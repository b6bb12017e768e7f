"""Story 4 without giving anyone away: a neighbour filing the same problem sees that it was
reported — category, neighbourhood, how long ago, how many households — and never another
resident's words, voice or name (issue 13, "Residents see each other's stories")."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e_helpers import setup_world
from tests.reports_helpers import file_report, join

STORY = "Schimmel in de slaapkamer, mijn zoon heeft astma. Bel me: 0470 12 34 56"


def _similar_message(person):
    return next(m for m in reversed(person.messages()) if "🙋" in str(m.get("reply_markup")))


async def test_a_neighbour_sees_that_it_was_reported_not_what_was_said(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text=STORY, hood="Rabot", quote=False, show_name=True)
    amina = await join(h, payload, "Amina", "ar")
    await file_report(h, amina, voice=True, hood="Rabot")  # a voice-only report nearby
    ref = (await h.rows("SELECT reference FROM reports ORDER BY id"))[0][0]
    await h.advance(timedelta(days=3))

    # Mehmet, in Turkish, types his own words and taps Rabot.
    mehmet = await join(h, payload, "Mehmet", "tr")
    await mehmet.send("/report")
    await mehmet.press("🏠")
    await mehmet.press("Rabot")  # the similar reports come before any description
    shown = _similar_message(mehmet)["text"]
    assert ref in shown
    for private in ("astma", "0470", "Fatima", "Amina", "🎤"):
        assert private not in shown, (private, shown)
    assert "Rabot" in shown and "🏠" in shown
    assert "önce" in shown  # "3 gün önce", in his language
    assert "hane" in shown  # households, in Turkish
    # Each line says what the problem is about, the voice-only one included.
    lines = [line for line in shown.splitlines() if line.startswith("•")]
    assert len(lines) == 2 and all("🏠" in line and "Rabot" in line for line in lines)

    # He joins Fatima's report: still one report, two households.
    await mehmet.press(ref)
    assert await h.rows(
        "SELECT r.reference FROM report_me_too m JOIN reports r ON r.id = m.report_id"
    ) == [(ref,)]


async def test_the_similar_list_speaks_the_readers_language(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text=STORY, hood="Rabot")
    await h.advance(timedelta(hours=5))
    rik = await join(h, payload, "Rik", "nl")
    await rik.send("/report")
    await rik.press("🏠")
    await rik.press("Rabot")  # the similar reports come before any description
    shown = _similar_message(rik)["text"]
    assert "5 uur geleden" in shown and "1 gezin" in shown
    assert "astma" not in shown
