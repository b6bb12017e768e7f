"""Walked as Jan (organiser, not technical) and Mehmet (joins late) would: the words they type
where the bot expected a tap, and a late joiner who wants to take one of a call's tasks."""

from __future__ import annotations

from tests.e2e_helpers import links_in, setup_world


def keyboard(h, person) -> list[str]:
    markup = h.api.reply_keyboards.get(person.id) or {}
    return [
        b["text"] if isinstance(b, dict) else b for row in markup.get("keyboard", []) for b in row
    ]


async def tap(h, person, label: str) -> None:
    found = [t for t in keyboard(h, person) if label in t]
    assert found, f"no {label!r} on the keyboard: {keyboard(h, person)}"
    await person.send(found[0])


def status_of(jan) -> str:
    """The organiser's live status message of the call (edited as answers come in)."""
    return [t for t in jan.texts() if "Verstuurd naar" in t][-1]


async def _call_up_to_tasks(h, jan) -> None:
    await tap(h, jan, "📢")
    await jan.send("Samen naar het stadhuis voor de huurprijzen")
    await jan.send("volgende dinsdag 's avonds")
    assert "hoe laat" in jan.last_text()
    await jan.send("19u30")
    await jan.send("Stadhuis Gent, Botermarkt 1")
    await jan.send("De huur stijgt weer, we laten ons horen")
    assert "meebrengen" in jan.last_text()
    # He types the button's word instead of tapping it: skipped, not stored as the text.
    await jan.send("overslaan")
    assert "taak" in jan.last_text()


async def test_jan_types_skip_and_his_tasks(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await jan.press("Nederlands")
    marie = h.person("Marie")
    await marie.send(f"/start {payload}")
    await marie.press("Nederlands")
    await _call_up_to_tasks(h, jan)
    data = (await h.rows("SELECT data FROM dialogs"))[0][0]
    assert '"bring":null' in data and "Overslaan" not in data
    # At the tasks step he types both tasks at once instead of tapping "Add a task".
    await jan.send("spandoeken, koffie")
    assert "Hoeveel mensen voor <b>spandoeken</b>" in jan.last()["text"] or (
        "spandoeken" in jan.last_text() and "koffie" not in jan.last_text()
    )
    await jan.press("4")
    assert "koffie" in jan.last_text() and "Hoeveel" in jan.last_text()
    await jan.press("2")
    listing = jan.last_text()
    assert "spandoeken: 0 van 4" in listing and "koffie: 0 van 2" in listing
    assert "Tik op een van de knoppen" not in "\n".join(jan.texts())
    await jan.press("Verder")
    await jan.press("Huurders")
    await jan.press("👀")
    await jan.press("📣 Versturen")
    assert await h.rows("SELECT name, needed FROM action_roles ORDER BY position") == [
        ("spandoeken", 4),
        ("koffie", 2),
    ]
    call = await h.rows("SELECT bring FROM actions")
    assert call == [(None,)]
    await marie.press("🙋 Ik doe het: spandoeken")
    assert "spandoeken: 1 van 4 – Marie" in status_of(jan)


async def test_late_joiner_takes_a_task(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await jan.press("Nederlands")
    marie = h.person("Marie")
    await marie.send(f"/start {payload}")
    await _call_up_to_tasks(h, jan)
    await jan.press("Taak")
    await jan.send("spandoeken vasthouden")
    await jan.press("4")
    await jan.press("Verder")
    await jan.press("Huurders")
    await jan.press("👀")
    await jan.press("📣 Versturen")
    # Mehmet joins after the call went out: the catch-up offers the call's tasks too.
    mehmet = h.person("Mehmet", language_code="tr")
    await mehmet.send(f"/start {payload}")
    catch_up = mehmet.last()
    labels = mehmet.button_texts(catch_up)
    task_button = [b for b in labels if b.startswith("🙋") and "Samen naar" in b]
    assert task_button, labels
    await mehmet.press(task_button[0][:12], catch_up)
    card = mehmet.last_text()
    assert "spandoeken vasthouden" in card
    await mehmet.press("spandoeken vasthouden")
    assert await h.rows(
        "SELECT r.name FROM action_recipients x JOIN action_roles r ON r.id = x.role_id"
        " JOIN users u ON u.id = x.user_id WHERE u.tg_id = ?",
        (mehmet.id,),
    ) == [("spandoeken vasthouden",)]
    assert "spandoeken vasthouden: 1 van 4 – Mehmet" in status_of(jan)
    # Someone who got no call may not open it by a forged button.
    other = h.person("Els")
    await other.send("/start")
    aid = (await h.rows("SELECT id FROM actions"))[0][0]
    await other.press_data(f"home:cv:{aid}")
    assert "spandoeken" not in other.last_text()


async def test_jan_types_his_roster_and_two_ahmeds_stay_apart(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await jan.press("Nederlands")
    await tap(h, jan, "🗓")
    await jan.press("Nieuwe taak")
    await jan.send("Voedselbedeling")
    await jan.press("Elke week")
    assert "Welke dag" in jan.last_text()
    await jan.send("zaterdag")  # typed, not tapped
    assert "begint" in jan.last_text()
    await jan.send("van 9 tot 12")  # both ends at once: the end is not asked again
    assert "Waar" in jan.last_text()
    await jan.send("Buurthuis De Centrale")
    await jan.send("4 vrijwilligers")
    assert "meebrengen" in jan.last_text() or "te weten" in jan.last_text()
    await jan.send("Overslaan")
    summary = jan.last_text()
    assert "elke zaterdag, 9:00–12:00" in summary and "4 vrijwilligers per keer" in summary
    await jan.press("Maken")
    assert await h.rows("SELECT place, needed, note FROM roster_tasks") == [
        ("Buurthuis De Centrale", 4, None)
    ]
    benali = h.person("Ahmed", last_name="Benali")
    yilmaz = h.person("Ahmed", last_name="Yilmaz", language_code="tr")
    lies = h.person("Lies")
    for p in (benali, yilmaz, lies):
        await p.send(f"/start {payload}")
        await p.press("Nederlands" if p is not yilmaz else "Türkçe")
        await tap(h, p, "🙋")
        await p.press("🙋")
    await benali.press("za 7 mrt")
    await yilmaz.press("Cmt 7 Mar")
    await benali.press("Mijn beurten")
    await benali.press("Afzeggen")
    await benali.press("🤒")
    told = [t for t in jan.texts() if t.startswith("↩️")][-1]
    assert told.startswith("↩️ Ahmed B. kan niet komen") and "Ik ben ziek" in told
    await lies.press("✋ Ik neem het over")
    assert "✅ Lies neemt over van Ahmed B." in jan.last_text()
    await tap(h, jan, "🗓")
    await jan.press("📋 Voedselbedeling")
    assert "👤 Ahmed Y., Lies" in jan.last_text()
    # After the shift, Jan marks who came: the list tells the Ahmed who came apart too.
    await h.advance_to(h.clock.now().replace(day=7, hour=13, minute=0))
    who_came = [m for m in jan.messages() if "Wie was er" in (m.get("text") or "")][-1]
    assert "✅ Ahmed Y." in jan.button_texts(who_came)
    await jan.press("💾", who_came)
    assert await h.rows("SELECT attended FROM roster_shifts WHERE state = 'signed'") == [
        (1,),
        (1,),
    ]
    # He asks for the hours: not his to download, but told who sends them and where he sees
    # who came, rather than a bare "no".
    await jan.send("/hours")
    assert "opbouwwerker" in jan.last_text() and "🗓 Rooster" in jan.last_text()
    await sofie.send("/hours")
    await sofie.press("2026")
    doc = [m for m in sofie.messages() if m.get("document")][-1]
    data = h.api.file_bytes(doc["document"]["file_id"]).decode("utf-8-sig")
    assert "Ahmed Y." in data and "Lies" in data and "Ahmed B." not in data


async def test_amina_finds_how_to_stop_all_calls(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await jan.press("Nederlands")
    await sofie.send("/newgroup")
    await sofie.send("Buurtmoestuin")
    garden = [p for m in sofie.texts() for p in links_in(m) if p.startswith("g_")][-1]
    amina = h.person("Amina", language_code="ar")
    await amina.send(f"/start {payload}")
    await amina.press("العربية")
    await amina.send(f"/start {garden}")
    await amina.send("/start")
    home = amina.last_text()
    assert "بماذا يمكنني مساعدتك" in home and "تريد" not in home  # no masculine "you want"
    # She looks under "My groups": the calls' setting is there, for both her groups at once.
    await amina.press("👥")
    await amina.press("🔔 دعوات التحرك")
    assert "Buurtmoestuin" in " ".join(amina.button_texts())
    await amina.press("🔕 لا دعوات")
    assert "لن تصلك أي دعوة" in amina.last_text()
    # Jan's next call does not reach her.
    await tap(h, jan, "📢")
    await jan.send("Samen naar het stadhuis")
    await jan.send("dinsdag 19u30")
    await jan.send("Stadhuis Gent")
    await jan.press("Overslaan")
    await jan.press("Overslaan")
    await jan.press("Verder")
    await jan.press("Huurders")  # Amina is its only member, and she muted all calls
    assert "Ze bereikt 0 mensen" in jan.last_text()
    assert not [t for t in amina.texts() if "Samen naar het stadhuis" in t]


async def test_jan_prints_the_poster_from_my_groups(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await jan.press("Nederlands")
    await jan.press("👥")
    assert "🖨️ Affiche: Huurders Rabot" in jan.button_texts()
    await jan.press("🖨️ Affiche")
    doc = [m for m in jan.messages() if m.get("document")][-1]
    assert doc["document"]["file_name"].endswith(".pdf") and "A4" in doc["caption"]
    # A member sees no poster button, and a forged one is refused.
    marie = h.person("Marie")
    await marie.send(f"/start {payload}")
    await marie.press("Nederlands")
    await marie.press("👥")
    assert not [b for b in marie.button_texts() if "🖨️" in b]
    group_id = (await h.rows("SELECT id FROM groups"))[0][0]
    await marie.press_data(f"grp:poster:{group_id}")
    assert not [m for m in marie.messages() if m.get("document")]


async def test_jan_types_skip_and_about_twenty_for_a_meeting(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await jan.press("Nederlands")
    await tap(h, jan, "📅 Vergadering plannen")
    await jan.send("Huurdersvergadering")
    await jan.send("donderdag 19u")
    await jan.press("Eén keer")
    await jan.send("Buurthuis De Centrale")
    await jan.send("overslaan")  # the button's word typed: no agenda "overslaan"
    assert "Hoeveel mensen" in jan.last_text()
    assert '"agenda":null' in (await h.rows("SELECT data FROM dialogs"))[0][0]
    await jan.send("ongeveer 20 mensen")
    assert "20 plaatsen" in "\n".join(jan.texts()[-2:])
    await jan.press("👥 Aantal")
    await jan.send("geen limiet")
    assert "plaatsen" not in "\n".join(jan.texts()[-2:])
    await jan.press("Publiceren")
    assert await h.rows("SELECT agenda, capacity FROM meetings") == [(None, None)]
    # Mehmet joins afterwards and answers from the catch-up.
    mehmet = h.person("Mehmet", language_code="tr")
    await mehmet.send(f"/start {payload}")
    catch_up = mehmet.last()
    assert "Huurdersvergadering" in catch_up["text"] and "Geliyor musunuz" in catch_up["text"]
    await mehmet.press("✅ Huurdersvergadering", catch_up)
    await mehmet.press("Türkçe")
    await tap(h, mehmet, "📅")
    assert "✅ Evet" in mehmet.last_text()


async def test_step_back_with_nobody_free_says_so(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await jan.press("Nederlands")
    await tap(h, jan, "🗓")
    await jan.press("Nieuwe taak")
    await jan.send("Voedselbedeling")
    await jan.press("Elke week")
    await jan.send("za")
    await jan.send("9u-12u")
    await jan.send("Buurthuis")
    await jan.send("4")
    await jan.send("overslaan")
    await jan.press("Maken")
    ahmed = h.person("Ahmed", last_name="Benali")
    await ahmed.send(f"/start {payload}")
    await ahmed.press("Nederlands")
    await tap(h, ahmed, "🙋")
    await ahmed.press("🙋")
    await ahmed.press("za 7 mrt")
    await ahmed.press("Mijn beurten")
    await ahmed.press("Afzeggen")
    await ahmed.press("📅")
    # Nobody else volunteers: he is not told "I asked the others", Jan is told to find someone.
    assert "geen andere vrijwilliger vrij" in ahmed.last_text()
    assert "vroeg de andere" not in ahmed.last_text()
    told = [t for t in jan.texts() if t.startswith("↩️")][-1]
    assert "zoek iemand anders" in told and "Ik vroeg 0" not in told
