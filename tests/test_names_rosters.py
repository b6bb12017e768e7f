"""Issue 14, "names where people need them": who is on a shift, two Ahmeds told apart in the
roster, in "who came?" and in the hours export. Through the real app, with the injected clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.playground.harness import Harness, Person
from tests.roster_helpers import slot_ids, world

TZ = ZoneInfo("Europe/Brussels")


async def _volunteer(h: Harness, payload: str, first: str, lang: str, **kw: str) -> Person:
    p = h.person(first, language_code=lang, **kw)
    await p.send(f"/start {payload}")
    await p.send("/volunteer")
    await p.press("🙋")
    return p


async def test_two_ahmeds_on_one_saturday_are_two_people_everywhere(h, admin):
    sofie, jan, payload = await world(h, admin)  # Jan and Sofie read Dutch
    ahmed_b = await _volunteer(h, payload, "Ahmed", "tr", last_name="Benali")
    ahmed = await _volunteer(h, payload, "Ahmed", "ar")
    lies = await _volunteer(h, payload, "Lies", "nl", last_name="Peeters")
    first, second = (await slot_ids(h))[:2]
    for p in (ahmed_b, ahmed, lies):
        await p.press_data(f"sh:take:{first}")
    await ahmed_b.press_data(f"sh:take:{second}")
    task_id = (await h.rows("SELECT id FROM roster_tasks"))[0][0]

    # The organiser's task card and gaps overview: who is on each slot, told apart.
    await jan.press_data(f"ro:task:{task_id}")
    card = jan.last_text()
    assert "👤 Ahmed B., Ahmed, Lies" in card
    assert card.count("Ahmed B.") == 2  # the same Ahmed on both Saturdays
    await jan.press("📊")
    overview = jan.last_text()
    assert "👤 Ahmed B., Ahmed, Lies" in overview and "⚠️ 3/4" in overview
    assert "👤 Ahmed B." in overview.split("⚠️ 3/4")[1]

    # A volunteer may not see who else is on it (forged button): no names reach her.
    before = len(lies.messages())
    await lies.press_data(f"ro:task:{task_id}")
    assert all("Ahmed" not in m.get("text", "") for m in lies.messages()[before:])

    # After the shift: "who came?" has one button per person, not two "✅ Ahmed".
    await h.advance_to(datetime(2026, 3, 7, 12, 5, tzinfo=TZ))
    buttons = jan.button_texts()
    assert "✅ Ahmed B." in buttons and "✅ Ahmed" in buttons and "✅ Lies" in buttons
    (shift,) = await h.rows(
        "SELECT x.id FROM roster_shifts x JOIN users u ON u.id = x.user_id"
        " WHERE u.tg_id = ? AND x.slot_id = ?",
        (ahmed.id, first),
    )
    await jan.press_data(f"ro:tog:{shift[0]}")  # the Ahmed without a last name did not come
    assert "❌ Ahmed" in jan.button_texts() and "✅ Ahmed B." in jan.button_texts()
    await jan.press("💾")

    # The hours export counts two Ahmeds: 3 hours for the one who came, absent for the other.
    await sofie.send("/hours")
    await sofie.press("2026")
    doc = [m for m in sofie.messages() if m.get("document")][-1]
    data = h.api.file_bytes(doc["document"]["file_id"]).decode("utf-8-sig")
    assert ",Ahmed B.,09:00,12:00,aanwezig,3" in data
    assert ",Ahmed,09:00,12:00,afwezig,0" in data
    totals = data.split("totaal per vrijwilliger")[1].split("totaal per taak")[0]
    assert ",Ahmed B.,,,,3" in totals and ",Lies,,,,3" in totals
    assert "2 vrijwilligers" in doc["caption"]  # Ahmed B. and Lies have hours


async def test_hours_export_counts_same_named_volunteers_apart(h, admin):
    """The issue's case: two "Ahmed"s both came, 3 hours each — two volunteers, not one with 6."""
    sofie, jan, payload = await world(h, admin)
    one = await _volunteer(h, payload, "Ahmed", "tr")
    two = await _volunteer(h, payload, "Ahmed", "ar")
    first = (await slot_ids(h))[0]
    await one.press_data(f"sh:take:{first}")
    await two.press_data(f"sh:take:{first}")
    await h.advance_to(datetime(2026, 3, 7, 12, 5, tzinfo=TZ))
    assert {"✅ Ahmed", "✅ Ahmed 2"} <= set(jan.button_texts())
    await jan.press("💾")
    await sofie.send("/hours")
    await sofie.press("2026")
    doc = [m for m in sofie.messages() if m.get("document")][-1]
    data = h.api.file_bytes(doc["document"]["file_id"]).decode("utf-8-sig")
    totals = data.split("totaal per vrijwilliger")[1].split("totaal per taak")[0]
    assert ",Ahmed,,,,3" in totals and ",Ahmed 2,,,,3" in totals
    assert "2 vrijwilligers" in doc["caption"]
