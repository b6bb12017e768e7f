"""Story 6 end to end: Jan plans meetings, members answer, reminders, changes, /meetings, .ics."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from tests.e2e_helpers import setup_world

TZ = ZoneInfo("Europe/Brussels")


async def world(h, admin, langs=("nl", "ar", "fr")):
    sofie, jan, payload = await setup_world(h, admin)
    members = []
    for i, lang in enumerate(langs):
        p = h.person(f"Lid{i}", language_code=lang)
        await p.send(f"/start {payload}")
        members.append(p)
    return sofie, jan, members


async def plan(
    h,
    jan,
    title="Huurdersvergadering",
    day_label=None,
    hour="19:00",
    repeat=None,
    place="Buurthuis",
    agenda=None,
    capacity="Geen limiet",
):
    await jan.send("/newmeeting")
    await jan.send(title)
    if day_label is None:
        day_label = jan.button_texts()[0]
    await jan.press(day_label)
    await jan.press(hour)
    await jan.press(repeat or "Eén keer")
    await jan.send(place)
    if agenda:
        await jan.send(agenda)
    else:
        await jan.press("Overslaan")
    if capacity.isdigit() and capacity not in jan.button_texts():
        await jan.send(capacity)
    else:
        await jan.press(capacity)
    await jan.press("✅")


async def test_organiser_plans_with_buttons_and_members_get_it_in_their_language(h, admin):
    sofie, jan, (nl, ar, fr) = await world(h, admin)
    await jan.send("/newmeeting")
    await jan.send("Huurdersvergadering")
    assert len(jan.button_texts()) == 9  # 7 days + date poll + Cancel
    await jan.press(jan.button_texts()[0])  # tomorrow, Tuesday 3 March
    hours = {b for b in jan.button_texts() if not b.startswith("✖")}  # and Cancel
    assert hours == {"10:00", "14:00", "19:00"}
    await jan.press("19:00")
    assert any("eerste dinsdag" in b for b in jan.button_texts())
    await jan.press("Eén keer")
    await jan.send("Buurthuis <Rabot>")
    await jan.send("Huur & schimmel")
    await jan.press("20")
    preview = jan.messages()[-2]
    assert "Huurdersvergadering" in preview["text"] and "Buurthuis <Rabot>" in preview["text"]
    assert "20 plaatsen" in preview["text"]
    await jan.press("✅")
    assert any("Gepubliceerd" in t for t in jan.texts())
    rows = await h.rows("SELECT title, place, agenda, capacity, starts_at FROM meetings")
    assert rows == [
        (
            "Huurdersvergadering",
            "Buurthuis <Rabot>",
            "Huur & schimmel",
            20,
            "2026-03-03T18:00:00+00:00",
        )
    ]
    assert "Komt u?" in nl.last_text() and "dinsdag 3 maart 2026" in nl.last_text()
    assert "هل يمكنك الحضور" in ar.last_text()
    assert "Vous venez ?" in fr.last_text() or "Venez-vous" in fr.last_text()
    assert nl.button_texts() == ["✅ Ja", "🤔 Misschien", "❌ Nee", "📅 In mijn agenda"]
    # Members answer with one tap; the message shows their answer.
    await nl.press("✅")
    assert "Uw antwoord: ✅ Ja" in nl.last_text()
    await ar.press("🤔")
    assert await h.rows("SELECT answer FROM meeting_rsvps ORDER BY user_id") == [
        ("yes",),
        ("maybe",),
    ]


async def test_typed_dates_and_questions_back(h, admin):
    sofie, jan, _ = await world(h, admin, langs=())
    await jan.send("/newmeeting")
    await jan.send("Vergadering")
    await jan.send("1/3 19u")  # passed (today is 2 March)
    assert "volgend jaar" in jan.last_text()
    await jan.send("maandag 7u")
    assert "Welke" in jan.last_text() and len(jan.button_texts()) == 4  # 07:00 passed; + Cancel
    await jan.send("dinsdag 19u30")
    assert "dinsdag 3 maart 2026 om 19:30" in jan.last_text()


async def test_only_managers_plan_and_only_members_answer(h, admin):
    sofie, jan, (nl,) = await world(h, admin, langs=("nl",))
    outsider = h.person("Olaf")
    await nl.send("/newmeeting")
    assert "niet" in nl.last_text().lower()
    await plan(h, jan)
    mid = (await h.rows("SELECT id FROM meetings"))[0][0]
    for data in (f"mt:y:{mid}", f"mt:ics:{mid}", f"mt:o:{mid}"):
        await outsider.press_data(data)
    for data in (
        f"mt:ec:{mid}",
        f"mt:cx:{mid}:o",
        f"mt:et:{mid}",
        f"mt:a:{mid}",
        "mt:rd:1",
        "mt:lk:1",
        "mp:o:1",
        "mt:pub",
    ):
        await nl.press_data(data)
    assert await h.rows("SELECT * FROM meeting_rsvps") == []
    assert await h.rows("SELECT status FROM meetings") == [("published",)]
    refusals = [
        c for c in h.api.calls_of("answerCallbackQuery") if "niet" in str(c.params.get("text", ""))
    ]
    assert len(refusals) >= 9
