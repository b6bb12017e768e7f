"""Action calls, issue 14: "being sent" then "reached", muting one group or all calls (and
being told exactly what), the preview of a call to two groups, reminders that say when."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e_helpers import make_group
from tests.test_actions import START, call_of, make_call, world

TWO = ("Huurders Rabot", "Bewoners Brugse Poort")


async def _two_groups(h, admin):
    sofie, jan, payload, (a, b, c) = await world(h, admin, 3)
    second, _organiser = await make_group(h, sofie, TWO[1])
    await a.send(f"/start {second}")  # a is in both groups
    return sofie, jan, (a, b, c)


async def test_send_says_it_is_being_sent_then_that_it_reached_them(h, admin):
    _sofie, jan, _payload, people = await world(h, admin, 3)
    await make_call(jan, roles=())
    assert any("Wordt nu verstuurd naar 3 mensen" in t for t in jan.texts())
    assert not any("Verstuurd naar 3 mensen" in t for t in jan.texts())
    assert "bereikte 3 van 3 mensen" in jan.last_text()
    await h.restart()
    await h.advance(minutes=5)
    assert len([t for t in jan.texts() if "bereikte" in t]) == 1


async def test_one_member_one_person_singular(h, admin):
    _sofie, jan, _payload, _people = await world(h, admin, 1)
    await make_call(jan, roles=(), send=False)
    assert "Versturen naar 1 persoon?" in jan.last_text()
    await jan.press("📣")
    assert any("Wordt nu verstuurd naar 1 persoon" in t for t in jan.texts())
    assert "bereikte 1 van 1 persoon" in jan.last_text()


async def test_preview_of_a_call_to_two_groups_names_both(h, admin):
    sofie, _jan, _people = await _two_groups(h, admin)
    await make_call(sofie, roles=(), groups=TWO, send=False)
    preview = [m for m in sofie.messages() if "Botermarkt" in str(m.get("text"))][-1]["text"]
    assert TWO[0] in preview and TWO[1] in preview
    assert "eigen groep" in sofie.last_text()


async def test_member_of_two_groups_mutes_all_calls_and_is_told_exactly_what(h, admin):
    sofie, _jan, (a, b, c) = await _two_groups(h, admin)
    await make_call(sofie, roles=(), groups=TWO)
    await a.press("🔕", call_of(a))
    told = a.last_text()  # a reads Dutch
    assert TWO[0] in told and TWO[1] in told, told  # muted one, still gets the other
    await a.press("Helemaal geen oproepen")
    assert "Buurtbot" in a.last_text() and "geen enkele groep" in a.last_text()
    assert len(await h.rows("SELECT * FROM action_mutes_all")) == 1
    before = len([m for m in a.messages() if "Botermarkt" in str(m.get("text"))])
    await make_call(sofie, roles=(), groups=TWO)
    assert len([m for m in a.messages() if "Botermarkt" in str(m.get("text"))]) == before
    # /settings says so, and one tap undoes it.
    await a.send("/settings")
    assert "helemaal geen oproepen" in a.last_text()
    await a.press("Weer oproepen")
    assert await h.rows("SELECT * FROM action_mutes_all") == []


async def test_action_reminders_say_tomorrow_and_today_in_two_hours(h, admin):
    _sofie, jan, _payload, (a, b, c) = await world(h, admin, 3)
    await make_call(jan, roles=())
    await a.press("✅", call_of(a))  # Dutch
    await c.press("✅", call_of(c))  # Arabic
    await h.advance_to(START - timedelta(hours=23))
    assert a.last_text().startswith("⏰ Morgen om 19:00")
    day_before = a.last_text()
    assert "غدًا الساعة 19:00" in c.last_text()
    await h.advance_to(START - timedelta(hours=1, minutes=55))
    assert a.last_text().startswith("⏰ Vandaag, over 2 uur (19:00)")
    assert a.last_text() != day_before
    assert "اليوم، بعد ساعتين (19:00)" in c.last_text()
