"""Issue 14, "names where people need them": the organiser of an action call sees who comes and
who holds the banners (live view, Manage, /actions), only for the groups he organises."""

from __future__ import annotations

from bot.playground.harness import Harness, Person
from tests.e2e_helpers import make_group, setup_world
from tests.test_actions import call_of, make_call


def live_view(h: Harness, jan: Person) -> str:
    return [m for m in h.api.sent_messages(jan.id) if "⚙️" in str(m.get("reply_markup"))][-1]["text"]


async def test_organiser_sees_names_per_answer_and_per_task(h, admin):
    sofie, jan, payload = await setup_world(h, admin)  # Sofie and Jan read Dutch
    ahmed_b = h.person("Ahmed", language_code="tr", last_name="Benali")
    ahmed_y = h.person("Ahmed", language_code="ar", last_name="Yilmaz")
    ayse = h.person("Ayşe", language_code="tr")
    karim = h.person("Karim <K>", language_code="ar")
    for p in (ahmed_b, ahmed_y, ayse, karim):
        await p.send(f"/start {payload}")
    # A second group with its own organiser, Mieke; Sofie (worker) calls both groups.
    other_payload, mieke_payload = await make_group(h, sofie, "Buurtcomité Ledeberg")
    mieke = h.person("Mieke", language_code="fr")
    await mieke.send(f"/start {mieke_payload}")
    lies = h.person("Lies", language_code="nl")
    await lies.send(f"/start {other_payload}")

    await make_call(
        sofie,
        roles=(("spandoek vasthouden", "3"),),
        groups=("Huurders Rabot", "Buurtcomité Ledeberg"),
    )
    await ahmed_b.press("spandoek", call_of(ahmed_b))
    await ahmed_y.press("✅", call_of(ahmed_y))
    await ayse.press("spandoek", call_of(ayse))
    await karim.press("❌", call_of(karim))
    await lies.press("✅", call_of(lies))

    # Sofie's live view: names per answer and per task, two Ahmeds told apart (the double
    # shows the text as Telegram parsed it, so the escaped "<K>" reads as typed).
    text = live_view(h, sofie)
    assert "✅ Ahmed B., Ahmed Y., Ayşe, Lies" in text
    assert "❌ Karim <K>" in text
    assert "spandoek vasthouden: 2 van 3 – Ahmed B., Ayşe" in text
    await sofie.press("⚙️")
    assert "✅ Ahmed B., Ahmed Y., Ayşe, Lies" in sofie.last_text()

    # Jan organises Huurders Rabot only: Lies (the other group) is counted, not named to him.
    await jan.send("/actions")
    shown = jan.last_text()
    assert "✅ Ahmed B., Ahmed Y., Ayşe" in shown and "– Ahmed B., Ayşe" in shown
    assert "Lies" not in shown and "Karim <K>" in shown

    # Mieke organises the other group: she sees Lies, not the Rabot members, in French.
    await mieke.send("/actions")
    shown = mieke.last_text()
    assert "✅ Lies" in shown and "Ahmed" not in shown and "Karim" not in shown

    # A member never sees the names: a forged Manage button is refused.
    before = len(ayse.messages())
    await ayse.press_data("ac:m:1")
    assert all("Karim" not in m.get("text", "") for m in ayse.messages()[before:])
