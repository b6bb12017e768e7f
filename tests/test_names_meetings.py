"""Issue 14, "names where people need them", for meetings: the organiser sees who has not
answered (Karim), two Ahmeds told apart; the two reminders say "tomorrow at 19:00" and "today,
in 2 hours" — through the real app, the injected clock and the scheduler."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.e2e_helpers import setup_world
from tests.test_meetings import plan

TZ = ZoneInfo("Europe/Brussels")


async def test_organiser_sees_who_has_not_answered_and_two_ahmeds_apart(h, admin):
    sofie, jan, payload = await setup_world(h, admin)  # Jan reads Dutch
    ahmed_b = h.person("Ahmed", language_code="tr", last_name="Benali")
    ahmed_y = h.person("Ahmed", language_code="ar", last_name="Yilmaz")
    karim = h.person("Karim", language_code="ar")
    ayse = h.person("Ayşe <3", language_code="tr")
    for p in (ahmed_b, ahmed_y, karim, ayse):
        await p.send(f"/start {payload}")
    await plan(h, jan)  # Tuesday 3 March 19:00
    await ahmed_b.press("✅")
    await ahmed_y.press("❌")
    mid = (await h.rows("SELECT id FROM meetings"))[0][0]

    await jan.press_data(f"mt:o:{mid}")
    card = jan.last_text()
    assert "✅ Ja (1): Ahmed B." in card and "❌ Nee (1): Ahmed Y." in card
    waiting = next(line for line in card.splitlines() if line.startswith("❔"))
    assert waiting.startswith("❔ Nog niet geantwoord (")
    assert "Karim" in waiting and "Ayşe <3" in waiting and "Ahmed" not in waiting

    # Karim answers: he leaves the list.
    await karim.press("🤔")
    await jan.press_data(f"mt:o:{mid}")
    assert "Karim" not in next(ln for ln in jan.last_text().splitlines() if ln.startswith("❔"))

    # A member opening the same card sees no names at all.
    await ayse.press_data(f"mt:o:{mid}")
    assert "Ahmed" not in ayse.last_text() and "Karim" not in ayse.last_text()


async def test_the_two_reminders_say_tomorrow_and_today_in_their_language(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    nl = h.person("Lies", language_code="nl")
    tr = h.person("Mehmet", language_code="tr")
    ar = h.person("Fatima", language_code="ar")
    for p in (nl, tr, ar):
        await p.send(f"/start {payload}")
    await plan(h, jan)  # Tuesday 3 March 19:00
    for p in (nl, tr, ar):
        await p.press("✅")
    await h.advance_to(datetime(2026, 3, 2, 19, 0, tzinfo=TZ))
    assert nl.last_text().startswith("⏰ Herinnering: morgen om 19:00")
    assert tr.last_text().startswith("⏰ Hatırlatma: yarın saat 19:00")
    assert ar.last_text().startswith("\u200f⏰ تذكير: غدًا")  # right to left (i18n.directed)
    await h.advance_to(datetime(2026, 3, 3, 17, 0, tzinfo=TZ))
    assert nl.last_text().startswith("⏰ Herinnering: vandaag, over 2 uur (19:00)")
    assert tr.last_text().startswith("⏰ Hatırlatma: bugün, 2 saat sonra (19:00)")
    assert ar.last_text().startswith("\u200f⏰ تذكير: اليوم، بعد ساعتين")
    reminders = [t for t in nl.texts() if t.startswith("⏰")]
    assert len(reminders) == 2 and reminders[0] != reminders[1]
