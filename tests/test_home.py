"""Issue 14: every role at home in the bot — its tasks one tap away (the main keyboard and a menu
message), free text and every conversation step with a way out, late joiners who catch up, and a
first message that fits on an old phone's screen."""

from __future__ import annotations

import re

from bot.core.i18n import LANGUAGE_NAMES
from tests.e2e_helpers import links_in, make_project, setup_world
from tests.reports_helpers import file_report


def keyboard(h, person) -> list[str]:
    """The labels of the person's main (reply) keyboard, row by row flattened."""
    markup = h.api.reply_keyboards.get(person.id) or {}
    return [
        b["text"] if isinstance(b, dict) else b for row in markup.get("keyboard", []) for b in row
    ]


async def tap(h, person, label: str) -> None:
    """Tap a button of the main keyboard: Telegram sends its text as a message."""
    found = [t for t in keyboard(h, person) if label in t]
    assert found, f"no {label!r} on the keyboard: {keyboard(h, person)}"
    await person.send(found[0])


def words(text: str) -> int:
    return len(re.sub(r"<[^>]+>", " ", text).split())


async def test_organiser_finds_his_tools_at_home(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await jan.press("Nederlands")
    # The main keyboard: plan a meeting, call for action, roster, meetings, and the menu.
    assert keyboard(h, jan) == [
        "📅 Vergadering plannen",
        "📢 Oproep tot actie",
        "🗓 Rooster",
        "📅 Vergaderingen",
        "🏠 Menu",
    ]
    # The menu message has the same tasks, as buttons, and the resident's too.
    home = jan.button_texts()
    assert {"📅 Vergadering plannen", "📢 Oproep tot actie", "🗓 Rooster"} <= set(home)
    assert "📣 Probleem melden" in home and "🙋 Mijn beurten" in home
    # One tap plans a meeting (his only group is taken).
    await jan.press("📅 Vergadering plannen")
    assert "Hoe heet de vergadering" in jan.last_text()
    await jan.press("✖")
    assert await h.rows("SELECT * FROM dialogs") == []
    # The keyboard's "Call for action" starts the call.
    await tap(h, jan, "📢")
    assert "Oproep" in jan.last_text() and await h.rows("SELECT kind FROM dialogs") == [("action",)]
    # Tapping another keyboard button leaves that conversation for the new task.
    await tap(h, jan, "🗓")
    assert await h.rows("SELECT * FROM dialogs") == []
    assert "Vrijwilligersroosters" in jan.last_text() or "rooster" in jan.last_text().lower()
    # "📅 Meetings" with nothing planned offers planning.
    await tap(h, jan, "📅 Vergaderingen")
    assert "geen vergaderingen gepland" in jan.last_text()
    await jan.press("📅 Vergadering plannen")
    assert "Hoe heet de vergadering" in jan.last_text()


async def test_organiser_of_two_groups_plans_per_group(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await sofie.send("/newgroup")
    await sofie.send("Buurtmoestuin")
    await sofie.press("➕")
    await jan.send(f"/start {links_in(sofie.last_text())[-1]}")
    await jan.send("/start")
    labels = jan.button_texts()
    assert "📅 Vergadering plannen: Huurders Rabot" in labels
    assert "📅 Vergadering plannen: Buurtmoestuin" in labels
    await jan.press("Buurtmoestuin")
    await jan.send("Plantdag")
    group_id = (await h.rows("SELECT id FROM groups WHERE name = 'Buurtmoestuin'"))[0][0]
    assert f'"group_id":{group_id},' in (await h.rows("SELECT data FROM dialogs"))[0][0]


async def test_admin_home_has_projects_and_invites(h, admin):
    await admin.send("/start")
    await admin.press("Nederlands")
    assert "➕ Nieuw project" in admin.last_text() or "Nieuw project" in admin.last_text()
    assert {"🏗 Projecten en uitnodigingen", "➕ Nieuw project"} <= set(admin.button_texts())
    assert keyboard(h, admin)[:2] == ["🏗 Projecten en uitnodigingen", "➕ Nieuw project"]
    await admin.press("➕ Nieuw project")
    assert "Hoe heet het nieuwe project" in admin.last_text()
    await admin.send("Rabot")
    await admin.send("Rabot, Blaisantvest")
    await admin.press("✅")
    await tap(h, admin, "🏗")
    await admin.press("Rabot")
    assert links_in(admin.last_text())  # the invite link for a worker


async def test_worker_keeps_the_new_group_hint_after_her_language(h, admin):
    await make_project(h, admin)
    await admin.send("/projects")
    await admin.press("Rabot")
    sofie = h.person("Sofie", language_code="fr")
    await sofie.send(f"/start {links_in(admin.last_text())[-1]}")
    await sofie.press("Nederlands")
    assert "➕ Nieuwe groep" in sofie.last_text()  # the hint, in her language
    assert {"📥 Meldingen", "📰 Overzicht", "➕ Nieuwe groep", "📊 Exporteren"} <= set(
        sofie.button_texts()
    )
    assert keyboard(h, sofie)[:4] == [
        "📥 Meldingen",
        "📰 Overzicht",
        "➕ Nieuwe groep",
        "📊 Exporteren",
    ]
    await sofie.press("➕ Nieuwe groep")
    assert "Hoe heet de groep" in sofie.last_text()
    await sofie.send("Huurders Rabot")
    await tap(h, sofie, "📰")
    assert sofie.last_text()  # her digest settings


async def test_resident_home_in_turkish_by_keyboard(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    mehmet = h.person("Mehmet", language_code="tr")
    await mehmet.send(f"/start {payload}")
    await mehmet.press("Türkçe")
    kb = keyboard(h, mehmet)
    assert kb[0].startswith("📣") and kb[1] == "📋 Bildirimlerim"
    assert kb[2] == "📅 Toplantılar" and kb[3] == "🙋 Nöbetlerim" and kb[4] == "🏠 Menü"
    await tap(h, mehmet, "📣")
    assert await h.rows("SELECT kind FROM dialogs") == [("report",)]
    await mehmet.press("✖")  # out of the report, no typing
    assert await h.rows("SELECT * FROM dialogs") == []
    await tap(h, mehmet, "🙋")  # no shifts yet: straight to volunteering
    assert "Huurders Rabot" in mehmet.last_text()
    await tap(h, mehmet, "🏠")
    assert "📋 Bildirimlerim" in mehmet.button_texts()


async def test_free_text_gets_the_home_screen(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await jan.press("Nederlands")
    await jan.send("ik wil een vergadering plannen")
    assert "📅 Vergadering plannen" in jan.button_texts()
    assert jan.button_texts() != ["❓ Hulp"]
    await jan.press("📅 Vergadering plannen")
    assert "Hoe heet de vergadering" in jan.last_text()
    ayse = h.person("Ayşe", language_code="tr")
    await ayse.send(f"/start {payload}")
    await ayse.press("Türkçe")
    await ayse.send("toplantı")
    assert "📅 Toplantılar" in ayse.button_texts()
    assert "📋 Bildirimlerim" in ayse.button_texts()
    john = h.person("John", language_code="en")
    await john.send(f"/start {payload}")
    await john.send("hello?")
    assert "I did not understand that." in john.last_text()
    assert "📣 Report a problem" in john.button_texts()


async def test_every_step_has_a_cancel_button(h, admin):
    """The first steps of each conversation carry ✖; tapping it stops, keeps what the feature
    keeps (a report's draft) and shows the home screen."""
    sofie, jan, payload = await setup_world(h, admin)
    flows = [
        (admin, ["/newproject"]),
        (admin, ["/newproject", "Brugse Poort"]),
        (sofie, ["/newgroup"]),
        (jan, ["/newmeeting"]),
        (jan, ["/newmeeting", "Huurdersvergadering"]),
        (jan, ["/action"]),
        (jan, ["/action", "Protest"]),
        (jan, ["/roster", "➕"]),
        (jan, ["/report"]),
        (sofie, ["/categories", "➕"]),
    ]
    for person, steps in flows:
        for step in steps:
            if step.startswith("/") or " " in step or step[0].isalpha():
                await person.send(step)
            else:
                await person.press(step)
        assert await h.rows("SELECT * FROM dialogs"), steps
        labels = person.button_texts()
        assert any(b.startswith("✖") for b in labels), (steps, labels)
        await person.press("✖")
        assert await h.rows("SELECT * FROM dialogs") == [], steps
        assert "Wat wilt u doen?" in person.last_text(), steps


async def test_roster_confirm_changes_any_part(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await jan.send("/roster")
    await jan.press("➕")
    await jan.send("Voedselbedeling")
    await jan.press_data("ro:rule:weekly")
    await jan.press_data("ro:wd:5")
    await jan.press_data("ro:sh:540")
    await jan.press_data("ro:eh:720")
    await jan.send("Buurthuis")
    await jan.press_data("ro:n:4")
    await jan.press("Overslaan")
    labels = jan.button_texts()
    assert {"✏️ Naam", "🗓 Dagen", "🕘 Uur", "📍 Plaats", "👥 Aantal"} <= set(labels), labels
    await jan.press("🕘")
    await jan.send("10:00")
    await jan.send("13:00")
    assert "10:00" in jan.last_text() and "13:00" in jan.last_text()
    await jan.press("👥")
    await jan.press_data("ro:n:2")
    assert "Voedselbedeling" in jan.last_text() and "Buurthuis" in jan.last_text()
    await jan.press("✅")
    rows = await h.rows("SELECT title, start_min, end_min, needed, place FROM roster_tasks")
    assert rows == [("Voedselbedeling", 600, 780, 2, "Buurthuis")]


async def test_late_joiner_gets_meetings_calls_and_shifts(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    lies = h.person("Lies", language_code="nl")
    await lies.send(f"/start {payload}")
    # A meeting tomorrow 19:00, a call for action, a roster — all before Mehmet joins.
    await jan.send("/newmeeting")
    await jan.send("Huurdersvergadering")
    await jan.send("3/3 19:00")
    await jan.press("Eén keer")
    await jan.send("Buurthuis")
    await jan.press("Overslaan")
    await jan.press("Geen limiet")
    await jan.press("✅")
    await jan.send("/action")
    await jan.send("Protest aan het stadhuis")
    await jan.send("10/03 19:00")
    await jan.send("Stadhuis")
    await jan.press("Overslaan")
    await jan.press("Overslaan")
    await jan.press("➡️")
    await jan.press("Huurders Rabot")
    await jan.press("👀")
    await jan.press("📣")
    await jan.send("/roster")
    await jan.press("➕")
    await jan.send("Voedselbedeling")
    for data in ("ro:rule:weekly", "ro:wd:5", "ro:sh:540", "ro:eh:720"):
        await jan.press_data(data)
    await jan.press("Overslaan")
    await jan.press_data("ro:n:4")
    await jan.press("Overslaan")
    await jan.press("✅")

    mehmet = h.person("Mehmet", language_code="en")
    await mehmet.send(f"/start {payload}")
    catch_up = mehmet.last_text()
    assert "Huurders Rabot" in catch_up
    assert "Huurdersvergadering" in catch_up and "Protest aan het stadhuis" in catch_up
    assert "shifts still need volunteers" in catch_up
    assert words(catch_up) <= 80
    await mehmet.press("✅ Huurdersvergadering")
    assert await h.rows(
        "SELECT r.answer FROM meeting_rsvps r JOIN users u ON u.id = r.user_id WHERE u.tg_id = ?",
        (mehmet.id,),
    ) == [("yes",)]
    # The list stays, with his answer marked, so the call is still one tap away.
    assert "Protest aan het stadhuis" in mehmet.last_text() and "✅ Yes" in mehmet.last_text()
    await mehmet.press("✅ Protest")
    assert "I'm coming" in mehmet.last_text()
    rows = await h.rows(
        "SELECT r.answer, a.total FROM action_recipients r JOIN actions a ON a.id = r.action_id"
        " JOIN users u ON u.id = r.user_id WHERE u.tg_id = ?",
        (mehmet.id,),
    )
    assert rows == [("coming", 2)]  # Jan's count includes him (Lies and Mehmet)
    await mehmet.press("🙋 Take a shift")
    assert "volunteer" in mehmet.last_text().lower()
    # A forged answer to a call of a group he is not in is refused.
    outsider = h.person("Olga", language_code="en")
    await outsider.send("/start")
    aid = (await h.rows("SELECT id FROM actions"))[0][0]
    await outsider.press_data(f"home:ca:{aid}:y")
    mid = (await h.rows("SELECT id FROM meetings"))[0][0]
    await outsider.press_data(f"home:cm:{mid}:y")
    assert (
        await h.rows(
            "SELECT 1 FROM action_recipients r JOIN users u ON u.id = r.user_id WHERE u.tg_id = ?",
            (outsider.id,),
        )
        == []
    )
    assert (
        await h.rows(
            "SELECT 1 FROM meeting_rsvps r JOIN users u ON u.id = r.user_id WHERE u.tg_id = ?",
            (outsider.id,),
        )
        == []
    )


async def test_first_message_is_short_with_privacy_one_tap_away(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    for lang in ("nl", "fr", "en", "ar", "tr"):
        p = h.person(f"New{lang}", language_code=lang)
        await p.send(f"/start {payload}")
        first = p.last_text()
        assert words(first) <= 60, (lang, words(first), first)
        assert first.split("\n\n")[0].count("\n") == 1  # greeting in two lines
        labels = p.button_texts()
        assert set(LANGUAGE_NAMES.values()) <= set(labels)
        assert labels[-1].startswith("🔒")
        await p.press("🔒")
        assert "/mydata" in p.last_text() and words(p.last_text()) > 60  # the full notice
        await p.press(LANGUAGE_NAMES[lang])
        # The welcome stays; its language buttons go, the privacy button stays.
        assert [b for b in p.button_texts(p.messages()[0])] == [labels[-1]]


async def test_command_menu_follows_roles(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    rik = h.person("Rik", language_code="en")
    await rik.send(f"/start {payload}")
    await rik.press("Nederlands")  # not Telegram's language: a menu of his own
    scope = {"type": "chat", "chat_id": rik.id}
    assert h.api.get_commands(scope)
    await rik.send("/language")
    await rik.press("English")
    assert h.api.get_commands(scope) == []  # back to the default menu
    await jan.press("Nederlands")
    jscope = {"type": "chat", "chat_id": jan.id}
    assert any(c["command"] == "newmeeting" for c in h.api.get_commands(jscope))
    await jan.send("/groups")
    await jan.press("Huurders Rabot")
    await jan.press("Ja, eruit")
    assert h.api.get_commands(jscope) == []  # lost his role: his menu goes


async def test_reported_problem_still_found_from_home(h, admin):
    """The resident's 'my reports' from the keyboard lists what she reported."""
    sofie, jan, payload = await setup_world(h, admin)
    fatima = h.person("Fatima", language_code="ar")
    await fatima.send(f"/start {payload}")
    await fatima.press("العربية")
    await file_report(h, fatima)
    await tap(h, fatima, "📋")
    assert "R-2026-0001" in fatima.last_text()


async def test_new_project_confirm_changes_name_and_neighbourhoods(h, admin):
    await admin.send("/newproject")
    await admin.send("Rabbot")
    await admin.send("Rabot")
    await admin.press("✏️")
    await admin.send("Rabot")
    assert "Rabot" in admin.last_text() and "Rabbot" not in admin.last_text()
    await admin.press("🏘")
    await admin.send("Rabot, Blaisantvest")
    assert "Blaisantvest" in admin.last_text()
    await admin.press("✅")
    assert await h.rows("SELECT name FROM projects") == [("Rabot",)]
    hoods = await h.rows("SELECT name FROM neighbourhoods ORDER BY name")
    assert hoods == [("Blaisantvest",), ("Rabot",)]


async def test_meeting_preview_changes_any_part(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await jan.send("/newmeeting")
    await jan.send("Huurdersvergaderin")
    await jan.send("3/3 19:00")
    await jan.press("Eén keer")
    await jan.send("Buurthuis")
    await jan.press("Overslaan")
    await jan.press("Geen limiet")
    labels = jan.button_texts()
    assert {"✏️ Naam", "🕖 Uur wijzigen", "📍 Plaats wijzigen", "👥 Aantal"} <= set(labels), labels
    await jan.press("✏️")
    await jan.send("Huurdersvergadering")
    # Straight back to the preview, the other answers kept.
    assert any(b.startswith("✅") for b in jan.button_texts())
    await jan.press("📍")
    await jan.send("Buurthuis Rabot")
    await jan.press("🕖")
    await jan.send("4/3 19:30")
    await jan.press("Eén keer")
    assert "Buurthuis Rabot" in jan.texts()[-2] and "Huurdersvergadering" in jan.texts()[-2]
    await jan.press("✅ Publiceren")
    rows = await h.rows("SELECT title, place, starts_at FROM meetings")
    assert rows[0][0] == "Huurdersvergadering" and rows[0][1] == "Buurthuis Rabot"
    assert rows[0][2].startswith("2026-03-04T18:30")  # 19:30 in Brussels, stored in UTC


async def test_late_joiner_sees_a_series_once(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await jan.send("/newmeeting")
    await jan.send("Huurdersvergadering")
    await jan.send("3/3 19:00")
    await jan.press("eerste dinsdag")
    await jan.send("Buurthuis")
    await jan.press("Overslaan")
    await jan.press("Geen limiet")
    await jan.press("✅")
    assert len(await h.rows("SELECT id FROM meetings")) >= 2  # the series' coming dates
    karim = h.person("Karim", language_code="fr")
    await karim.send(f"/start {payload}")
    assert karim.last_text().count("Huurdersvergadering") == 1


async def test_answering_a_report_has_a_cancel_button_too(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = h.person("Fatima", language_code="ar")
    await fatima.send(f"/start {payload}")
    await fatima.press("العربية")
    await file_report(h, fatima)
    await sofie.press("💬")
    assert await h.rows("SELECT kind FROM dialogs")
    assert "✖ Stoppen" in sofie.button_texts()
    await sofie.press("✖ Stoppen")
    assert await h.rows("SELECT * FROM dialogs") == []
    assert "📥 Meldingen" in sofie.button_texts()  # her home
