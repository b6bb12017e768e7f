"""Assisted mode (issue 17): a worker or organiser acts for a resident without Telegram.

Sofie (worker, Dutch) enters Maria (no phone, Arabic) and reports her mould with a photo; the card
says who entered it for whom; news for Maria reaches Sofie as "📞 Tell Maria: …"; Maria answers a
meeting and takes a shift through Sofie; Sofie removes Maria's data for her. Who may /assist.
"""

from __future__ import annotations

import json

from bot.core.i18n import gettext_for
from bot.playground.harness import Harness, Person
from storage.repos.assist import ASSIST_TG_BASE
from tests.e2e_helpers import setup_world
from tests.reports_helpers import join


async def enter_maria(h: Harness, sofie: Person, phone: str | None = None) -> int:
    await sofie.send("/assist")
    await sofie.press("➕")
    await sofie.send("Maria")
    if phone:
        await sofie.send(phone)
    else:
        await sofie.press("⏭")
    await sofie.press("العربية")
    return (await h.rows("SELECT COUNT(*) FROM users"))[0][0]


async def route_to(sofie: Person) -> None:
    await sofie.send("/routing")
    await sofie.press("👤")
    await sofie.press("Sofie")


async def test_sofie_assists_maria_to_report_mould_with_a_photo(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await route_to(sofie)
    await enter_maria(h, sofie)
    consent = sofie.last_text()
    assert "Maria" in consent and "العربية" in consent
    assert "توافق" in consent or "موافق" in consent  # the sentence to read out, in Arabic
    assert await h.rows("SELECT * FROM assisted_persons") == []  # nothing before consent
    await sofie.press("✅")
    rows = await h.rows(
        "SELECT u.first_name, u.tg_id, a.phone, a.language, a.entered_by FROM users u"
        " JOIN assisted_persons a ON a.user_id = u.id"
    )
    assert len(rows) == 1
    name, tg_id, phone, lang, entered_by = rows[0]
    assert (name, phone, lang) == ("Maria", None, "ar")
    assert tg_id >= ASSIST_TG_BASE
    assert "Maria" in sofie.last_text()
    # Maria's own menu: report a problem (the same flow, Sofie's phone as the camera).
    await sofie.press("📣")
    assert "Maria" in sofie.last_text()  # the banner: for whom
    own_keyboard = h.api.reply_keyboards.get(sofie.id)
    await sofie.press("🏠")
    # The place, asked in words: no "send my location" (that would be Sofie's phone), and
    # Sofie's own keyboard stays hers.
    assert "📎" in sofie.last_text() and "Rabot" in sofie.button_texts()
    assert h.api.reply_keyboards.get(sofie.id) == own_keyboard
    await sofie.press("Rabot")
    assert "Rabot" in sofie.last_text() and "Voor Maria" in sofie.last_text()
    if any("➡️" in b for b in sofie.button_texts()):
        await sofie.press("➡️")
    await sofie.send("Schimmel in de slaapkamer, het kind hoest")
    await h.push(h.api.photo_update(sofie.tg))
    await sofie.press("✅")
    assert h.api.reply_keyboards.get(sofie.id) == own_keyboard
    await sofie.press("✅")  # the worker may see her name
    await sofie.press("❌")  # no quotes
    await sofie.press("✅")
    maria_id = (await h.rows("SELECT user_id FROM assisted_persons"))[0][0]
    reports = await h.rows("SELECT reference, reporter_id, status FROM reports")
    assert [(r[1], r[2]) for r in reports] == [(maria_id, "new")]
    ref = reports[0][0]
    assert len(await h.rows("SELECT * FROM report_photos")) == 1
    card = [m for m in sofie.messages() if ref in (m.get("text") or "") and "Sofie" in m["text"]]
    assert card, sofie.texts()[-6:]
    assert "ingevoerd door Sofie voor Maria" in card[-1]["text"]
    # Sofie taps Seen on the card: the news for Maria comes to Sofie, in Dutch.
    before = len(sofie.messages())
    await sofie.press("👀", card[-1])
    told = [m.get("text") or "" for m in sofie.messages()[before:]]
    assert any("Zeg aan Maria" in t for t in told), told
    assert len([t for t in told if "Zeg aan Maria" in t]) == 1  # one message per change
    news = await h.rows("SELECT summary FROM assist_news")
    assert len(news) == 1
    # The next morning Sofie's digest lists what she passed on to Maria.
    await h.advance(hours=24)
    digest = [t for t in sofie.texts() if "Je overzicht" in t or "📰" in t]
    assert digest, sofie.texts()[-3:]
    assert "Nieuws voor bewoners zonder Telegram" in digest[-1]
    assert "• Maria: " in digest[-1]
    # Nothing was ever sent to a chat that does not exist.
    assert not [c for c in h.api.calls if (c.params.get("chat_id") or 0) >= ASSIST_TG_BASE]


async def maria_entered(h: Harness, admin: Person):
    sofie, jan, payload = await setup_world(h, admin)
    await enter_maria(h, sofie, phone="0470 12 34 56")
    await sofie.press("✅")
    maria_id = (await h.rows("SELECT user_id FROM assisted_persons"))[0][0]
    return sofie, jan, payload, maria_id


async def test_maria_answers_a_meeting_through_sofie(h, admin):
    from tests.test_meetings import plan

    sofie, jan, payload, maria_id = await maria_entered(h, admin)
    await sofie.press("⏹")  # Sofie stops acting for Maria
    assert "niet meer voor Maria" in sofie.last_text()
    await plan(h, jan)
    invite = [m for m in sofie.messages() if "Zeg aan Maria" in (m.get("text") or "")]
    assert invite and "Huurdersvergadering" in invite[-1]["text"]
    assert "0470 12 34 56" in invite[-1]["text"]  # so she can call her
    assert "✅ Ja" in sofie.button_texts(invite[-1])
    # Sofie taps Yes on the "tell Maria" message: the answer is Maria's, not Sofie's.
    await sofie.press("✅ Ja", invite[-1])
    assert await h.rows("SELECT user_id, answer FROM meeting_rsvps") == [(maria_id, "yes")]
    assert "Maria" in sofie.last_text()
    # Jan sees her among those who come, like anyone else, with who reaches her.
    await jan.send("/meetings")
    await jan.press("Huurdersvergadering")
    assert "Maria (📞 Sofie)" in jan.last_text(), jan.last_text()
    # Sofie's own answer is untouched: she is not even invited (not a member).
    sofie_id = (await h.rows("SELECT id FROM users WHERE tg_id = ?", (sofie.id,)))[0][0]
    assert sofie_id not in [r[0] for r in await h.rows("SELECT user_id FROM meeting_rsvps")]


async def test_maria_takes_a_shift_through_sofie(h, admin):
    from tests.roster_helpers import make_food_task

    sofie, jan, payload, maria_id = await maria_entered(h, admin)
    await make_food_task(jan)
    await sofie.send("/volunteer")  # still acting for Maria
    assert "Maria" in sofie.last_text()
    await sofie.press("🙋")
    await sofie.send("/volunteer")
    await sofie.press("7 mrt")
    rows = await h.rows("SELECT user_id FROM roster_shifts")
    assert rows == [(maria_id,)]
    sofie_id = (await h.rows("SELECT id FROM users WHERE tg_id = ?", (sofie.id,)))[0][0]
    assert sofie_id not in [r[0] for r in await h.rows("SELECT user_id FROM roster_volunteers")]
    # Sofie stops; a button on a screen she was shown for Maria still acts for Maria, never
    # for Sofie herself.
    screen = [m for m in sofie.messages() if any("14 mrt" in b for b in sofie.button_texts(m))]
    await sofie.send("/assist")
    await sofie.press("⏹")
    await sofie.press("14 mrt", screen[-1])
    days = await h.rows(
        "SELECT x.user_id, s.day FROM roster_shifts x JOIN roster_slots s ON s.id = x.slot_id"
        " ORDER BY s.day"
    )
    assert days == [(maria_id, "2026-03-07"), (maria_id, "2026-03-14")]
    edited = [m for m in sofie.messages() if m["message_id"] == screen[-1]["message_id"]]
    assert "Voor Maria" in edited[0]["text"]


async def test_sofie_runs_mydata_and_forget_for_maria(h, admin):
    from tests.e2e_helpers import personal_traces

    sofie, jan, payload, maria_id = await maria_entered(h, admin)
    # While she acts for Maria, a worker's command is checked against Maria's rights too.
    await sofie.send("/routing")
    assert "Voor Maria" in sofie.last_text() and "mag u niet" in sofie.last_text()
    await sofie.send("/assist")
    await sofie.press("⏹")
    await route_to(sofie)
    await sofie.send("/assist")
    await sofie.press("👤 Maria")
    await sofie.press("📣")
    await sofie.press("🏠")
    await sofie.press("Rabot")
    if any("➡️" in b for b in sofie.button_texts()):
        await sofie.press("➡️")
    await sofie.send("Vocht in de kelder")
    await sofie.press("✅")
    await sofie.press("🙈")  # Maria stays anonymous for the worker
    await sofie.press("❌")
    await sofie.press("✅")
    ref = (await h.rows("SELECT reference FROM reports"))[0][0]
    card = [m for m in sofie.messages() if ref in (m.get("text") or "") and "📣" in m["text"]]
    assert "ingevoerd door Sofie voor een bewoner" in card[-1]["text"]
    assert "Maria" not in card[-1]["text"].split("Status")[0]
    # /mydata for Maria: her first name, phone number and consent, sent to Sofie's chat.
    await sofie.send("/mydata")
    docs = [m for m in sofie.messages() if m.get("document")]
    body = h.api.file_bytes(docs[-1]["document"]["file_id"]).decode()
    assert "Maria" in body and "0470 12 34 56" in body and "consent_at" in body
    assert "Sofie" in body  # who entered her
    # /forget for Maria: asked first, then everything personal of hers is gone.
    await sofie.send("/forget")
    await sofie.press("🗑")
    tg = (await h.rows("SELECT tg_id FROM users WHERE id = ?", (maria_id,)))[0][0]
    assert tg is None
    assert await h.rows("SELECT * FROM assist_sessions") == []
    traces = await personal_traces(
        h, ["Maria", "0470 12 34 56", "Vocht in de kelder"], [ASSIST_TG_BASE + maria_id]
    )
    assert traces == [], traces
    # Her report stays in the statistics; Sofie acts for herself again.
    assert await h.rows("SELECT COUNT(*) FROM reports") == [(1,)]
    await sofie.send("/digest")
    assert "Voor Maria" not in sofie.last_text()
    # She is no longer in Sofie's list.
    await sofie.send("/assist")
    assert "👤 Maria" not in sofie.button_texts()
    # A button on a screen made for Maria does nothing any more, and nothing for Sofie.
    old_screen = [m for m in sofie.messages() if "Voor Maria" in (m.get("text") or "")][0]
    before = await h.rows("SELECT COUNT(*) FROM dialogs")
    await sofie.press_data("menu:report", old_screen)
    assert "mag u niet" in h.api.calls_of("answerCallbackQuery")[-1].params.get("text", "")
    assert await h.rows("SELECT COUNT(*) FROM dialogs") == before


async def test_a_resident_and_a_stranger_cannot_assist(h, admin):
    sofie, jan, payload, maria_id = await maria_entered(h, admin)
    fatima = await join(h, payload, "Fatima", "nl")
    stranger = h.person("Piet", language_code="nl")
    for person in (fatima, stranger):
        await person.send("/assist")
        assert "mag u niet" in person.last_text()
        for forged in (f"as:pick:{maria_id}", "as:new", "as:lang:nl", "as:yes", "as:stop"):
            await person.press_data(forged)
            answer = h.api.calls_of("answerCallbackQuery")[-1].params.get("text", "")
            assert "mag u niet" in answer, (forged, answer)
    assert await h.rows(
        "SELECT COUNT(*) FROM assist_sessions WHERE worker_id != (SELECT"
        " entered_by FROM assisted_persons)"
    ) == [(0,)]
    assert await h.rows("SELECT COUNT(*) FROM assisted_persons") == [(1,)]


async def test_an_organiser_assists_only_in_his_own_groups(h, admin):
    from tests.e2e_helpers import make_group

    sofie, jan, payload, maria_id = await maria_entered(h, admin)
    await sofie.send("/assist")
    await sofie.press("⏹")
    await make_group(h, sofie, "Buurtgroep Sluizeken")
    await sofie.send("/assist")
    await sofie.press("➕")
    await sofie.send("Ahmed")
    await sofie.press("⏭")
    await sofie.press("Türkçe")
    assert (
        "Huurders Rabot" in sofie.button_texts() and "Buurtgroep Sluizeken" in sofie.button_texts()
    )
    await sofie.press("Buurtgroep Sluizeken")
    assert "Kabul ediyor musunuz?" in sofie.last_text()  # read out in Turkish
    await sofie.press("✅")
    ahmed_id = (
        await h.rows("SELECT user_id FROM assisted_persons WHERE user_id != ?", (maria_id,))
    )[0][0]
    await sofie.send("/assist")
    await sofie.press("⏹")
    # Jan organises Huurders Rabot only: he sees Maria, not Ahmed.
    await jan.send("/assist")
    labels = jan.button_texts()
    assert any("Maria" in b for b in labels) and not any("Ahmed" in b for b in labels)
    await jan.press_data(f"as:pick:{ahmed_id}")
    assert "mag u niet" in h.api.calls_of("answerCallbackQuery")[-1].params.get("text", "")
    assert await h.rows("SELECT * FROM assist_sessions") == []
    # A new person of Jan's is in his one group (no group question); a forged group is not his.
    await jan.press("➕")
    await jan.send("Lies")
    await jan.press("⏭")
    await jan.press("Nederlands")
    assert "Ga je akkoord?" in jan.last_text()
    g2 = (await h.rows("SELECT id FROM groups WHERE name = 'Buurtgroep Sluizeken'"))[0][0]
    await jan.press_data(f"as:grp:{g2}")
    assert "werkt niet meer" in h.api.calls_of("answerCallbackQuery")[-1].params.get("text", "")
    await jan.press("✅")
    rows = await h.rows(
        "SELECT g.name FROM assisted_persons a JOIN groups g ON g.id = a.group_id"
        " JOIN users u ON u.id = a.user_id WHERE u.first_name = 'Lies'"
    )
    assert rows == [("Huurders Rabot",)]
    # Jan may act for Maria (his group); she cannot be in two hands at once.
    await jan.send("/assist")
    await jan.press("👥")
    await jan.press("👤 Maria")
    assert "Maria" in jan.last_text()
    await sofie.send("/assist")
    await sofie.press("👤 Maria")
    answer = h.api.calls_of("answerCallbackQuery")[-1].params.get("text", "")
    assert "Jan" in answer and "Maria" in answer
    # A worker of another project cannot act for Maria.
    other = h.person("Kim", language_code="nl")
    from tests.e2e_helpers import make_project, make_worker

    await make_project(h, admin, "Ledeberg", "Ledeberg")
    await make_worker(h, admin, other, "Ledeberg")
    await other.press_data(f"as:pick:{maria_id}")
    assert "mag u niet" in h.api.calls_of("answerCallbackQuery")[-1].params.get("text", "")


async def test_maria_answers_a_call_for_action_through_sofie(h, admin):
    from tests.test_actions import make_call

    sofie, jan, payload, maria_id = await maria_entered(h, admin)
    await sofie.send("/assist")
    await sofie.press("⏹")
    await make_call(jan)
    call = [m for m in sofie.messages() if "Zeg aan Maria" in (m.get("text") or "")]
    assert call and "Botermarkt" in call[-1]["text"]
    coming = next(b for b in sofie.button_texts(call[-1]) if "kom" in b.lower())
    await sofie.press(coming, call[-1])
    answers = await h.rows("SELECT user_id, answer FROM action_recipients WHERE answer IS NOT NULL")
    assert answers == [(maria_id, "coming")]
    assert "Voor Maria" in sofie.last_text()


async def test_acting_ends_by_itself_and_the_workers_own_cards_stay_hers(h, admin):
    from datetime import timedelta

    sofie, jan, payload, maria_id = await maria_entered(h, admin)
    await sofie.send("/assist")
    await sofie.press("⏹")
    await route_to(sofie)
    fatima = await join(h, payload, "Fatima", "nl")
    from tests.reports_helpers import file_report

    await file_report(h, fatima)
    card = [m for m in sofie.messages() if "📣" in (m.get("text") or "")][-1]
    await sofie.send("/assist")
    await sofie.press("👤 Maria")
    # A card button while acting for Maria is Sofie's own (a worker's button on her card).
    await sofie.press("👀", card)
    assert await h.rows("SELECT status FROM reports") == [("seen",)]
    # Half an hour without anything: acting ends by itself, and Sofie is told.
    await h.advance(timedelta(minutes=31))
    await sofie.send("/routing")
    texts = sofie.texts()[-2:]
    assert any("niet meer voor Maria" in t for t in texts), texts
    assert "Voor Maria" not in sofie.last_text()
    assert await h.rows("SELECT * FROM assist_sessions") == []


async def test_retention_forgets_a_person_nobody_acted_for_in_two_years(h, admin):
    sofie, jan, payload, maria_id = await maria_entered(h, admin)
    await sofie.send("/assist")
    await sofie.press("⏹")
    await h.advance(days=700)
    assert await h.rows("SELECT first_name FROM users WHERE id = ?", (maria_id,)) == [("Maria",)]
    await h.advance(days=31)
    rows = await h.rows(
        "SELECT u.first_name, u.tg_id, a.phone FROM users u"
        " JOIN assisted_persons a ON a.user_id = u.id"
    )
    assert rows == [(None, None, None)]
    assert await h.rows("SELECT summary FROM assist_news WHERE summary != ''") == []


async def test_what_workers_really_type_when_entering_someone(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await sofie.send("/assist")
    await sofie.press("➕")
    await sofie.send("/report")  # a command is not a name: the report flow (her own) starts
    await sofie.send("/cancel")
    await sofie.send("/assist")
    await sofie.press("➕")
    await sofie.send("12345")
    assert "voornaam" in sofie.last_text()
    await sofie.send("  maria  ")
    await sofie.send("weet ik niet")
    assert "telefoonnummer" in sofie.last_text() and "⏭" in sofie.button_texts()[0]
    await sofie.send("0470/12.34.56")
    assert "Welke taal" in sofie.last_text()
    await sofie.send("Arabisch")
    assert "knoppen" in sofie.last_text()
    await sofie.send("/cancel")
    assert "niets bewaard" in sofie.last_text()
    # What was typed about her is not kept in the raw updates either.
    assert await h.rows("SELECT COUNT(*) FROM inbox WHERE instr(payload, '0470/12.34.56')") == [
        (0,)
    ]
    assert await h.rows("SELECT COUNT(*) FROM assisted_persons") == [(0,)]
    await sofie.send("/assist")
    await sofie.press("➕")
    await sofie.send("Maria")
    await sofie.send("geen")
    assert "Welke taal" in sofie.last_text()


async def test_a_link_opened_while_acting_is_the_workers_own(h, admin):
    from tests.e2e_helpers import links_in

    sofie, jan, payload, maria_id = await maria_entered(h, admin)
    await admin.send("/projects")
    await admin.press("Rabot")
    invite = links_in(admin.last_text())[-1]  # a one-time worker invite
    await sofie.send(f"/start {invite}")  # still acting for Maria
    assert "Voor Maria" not in sofie.last_text()
    workers = await h.rows("SELECT user_id FROM project_workers")
    assert maria_id not in [r[0] for r in workers]
    # Typing goes on for Maria.
    await sofie.send("/myreports")
    assert "Voor Maria" in sofie.last_text()


async def test_maria_says_me_too_through_sofie_and_counts_as_a_household(h, admin):
    from tests.reports_helpers import file_report

    sofie, jan, payload, maria_id = await maria_entered(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text="Schimmel", hood="Rabot")
    await h.settle()  # Fatima's card has reached Sofie
    ref = (await h.rows("SELECT reference FROM reports"))[0][0]
    await sofie.press("📣")  # Maria's menu, Sofie still acting for her
    await sofie.press("🏠")
    await sofie.press("Rabot")  # the similar reports come before any description
    screen, _data = sofie.find_button("🙋")  # the flow's screen (Fatima's card came after it)
    assert ref in screen["text"] and "Voor Maria" in screen["text"]
    assert "Schimmel" not in screen["text"]  # not Fatima's words
    await sofie.press("🙋")
    after = [m for m in sofie.messages() if m["message_id"] == screen["message_id"]][-1]
    assert "Voor Maria" in after["text"] and "meegeteld" in after["text"]
    assert await h.rows("SELECT user_id FROM report_me_too") == [(maria_id,)]
    await sofie.press("✅")  # that is all
    assert (await h.rows("SELECT COUNT(*) FROM reports"))[0][0] == 1
    # Sofie herself is not counted, and nothing was sent to Maria's synthetic chat.
    sofie_id = (await h.rows("SELECT id FROM users WHERE tg_id = ?", (sofie.id,)))[0][0]
    assert sofie_id not in [r[0] for r in await h.rows("SELECT user_id FROM report_me_too")]
    assert not [c for c in h.api.calls if (c.params.get("chat_id") or 0) >= ASSIST_TG_BASE]


async def maria_joins_with_her_story(h: Harness, admin: Person):
    """Kim handles the reports of Rabot; Fatima reported mould; Sofie enters Maria and, for her,
    says "me too" and tells Maria's situation with a photo, Maria's name shown."""
    from tests.e2e_helpers import make_worker
    from tests.reports_helpers import file_report

    sofie, jan, payload = await setup_world(h, admin)
    kim = h.person("Kim", language_code="nl")
    await make_worker(h, admin, kim, "Rabot")
    await sofie.send("/routing")
    await sofie.press("👤")
    await sofie.press("Kim")
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text="رطوبة في الحمام", hood="Rabot")
    await enter_maria(h, sofie, phone="0470 12 34 56")
    await sofie.press("✅")
    maria_id = (await h.rows("SELECT user_id FROM assisted_persons"))[0][0]
    await sofie.press("📣")
    await sofie.press("🏠")
    await sofie.press("Rabot")
    await sofie.press("🙋")
    await sofie.send("Zwarte schimmel achter Maria haar kast")
    await h.push(h.api.photo_update(sofie.tg))
    await sofie.press("✅")  # done with photos
    await sofie.press("✅")  # Kim may see her name
    await sofie.press("❌")  # not quoted
    assert "Voor Maria" in sofie.last_text() and "Zwarte schimmel" in sofie.last_text()
    await sofie.press("✅")
    await h.settle()
    return sofie, kim, fatima, maria_id


async def test_maria_follows_the_report_she_joined_through_sofie(h, admin):
    """Maria's 'me too' through Sofie: Kim gets her words and photo marked as entered by Sofie
    for Maria; Maria follows the report in /myreports; Kim's status changes reach Sofie as
    'Zeg aan Maria'."""
    sofie, kim, fatima, maria_id = await maria_joins_with_her_story(h, admin)
    ref = "R-2026-0001"
    assert await h.rows("SELECT user_id, text, show_name, quote_ok FROM report_me_too") == [
        (maria_id, "Zwarte schimmel achter Maria haar kast", 1, 0)
    ]
    assert await h.rows("SELECT COUNT(*) FROM reports") == [(1,)]
    got = [m for m in kim.messages() if ref in (m.get("text") or m.get("caption") or "")]
    words = [m for m in got if "Zwarte schimmel" in (m.get("text") or "")]
    assert words and "ingevoerd door Sofie voor Maria" in words[-1]["text"], got
    photos = [m for m in got if m.get("photo")]
    assert photos and "ingevoerd door Sofie voor Maria" in photos[-1]["caption"]
    # In the report's history Kim sees that Sofie typed the household's words.
    await kim.send("/problems")
    await kim.press(ref)
    await h.settle()
    history = [t for t in kim.texts() if t.startswith("Tot nu toe")][-1]
    assert "Zwarte schimmel" in history and "ingevoerd door Sofie voor een bewoner" in history
    assert "Maria" not in history.replace("Maria haar kast", "")  # households stay unnamed
    # Sofie is not the worker of the report: she got none of it herself.
    assert not any((m.get("text") or "").startswith("🙋") for m in sofie.messages())
    # Maria follows it: /myreports (for Maria) lists it, view only.
    await sofie.send("/myreports")
    assert ref in sofie.last_text() and "Voor Maria" in sofie.last_text()
    await sofie.press(ref)
    assert ref in sofie.last_text()
    assert not any("↩️" in b for b in sofie.button_texts())
    await sofie.send("/assist")
    await sofie.press("⏹")  # Sofie stops acting; the news still finds her
    # Kim's status changes reach Maria, through Sofie, one message each.
    for button, status in (("🔧", "In progress"), ("✅", "Resolved")):
        card = [m for m in kim.messages() if (m.get("text") or "").startswith("📣")][-1]
        before = len(sofie.messages())
        await kim.press(button, card)
        await h.settle()
        told = [m.get("text") or "" for m in sofie.messages()[before:]]
        tell = [t for t in told if "Zeg aan Maria" in t]
        assert len(tell) == 1, told
        assert ref in tell[0] and gettext_for("nl", status) in tell[0]
        assert "0470 12 34 56" in tell[0]
    assert len(await h.rows("SELECT * FROM assist_news WHERE person_id = ?", (maria_id,))) == 2
    # The button on the news opens Maria's reports (for Maria), though Sofie stopped acting.
    news = [m for m in sofie.messages() if "Zeg aan Maria" in (m.get("text") or "")][-1]
    await sofie.press("📋", news)
    assert ref in sofie.last_text() and "Voor Maria" in sofie.last_text()
    assert not [c for c in h.api.calls if (c.params.get("chat_id") or 0) >= ASSIST_TG_BASE]


async def test_forget_for_maria_removes_her_me_too_part_and_its_copies(h, admin):
    from tests.e2e_helpers import personal_traces

    sofie, kim, fatima, maria_id = await maria_joins_with_her_story(h, admin)
    copies = await h.rows("SELECT chat_id, kind FROM report_copies WHERE user_id = ?", (maria_id,))
    assert sorted({k for _c, k in copies}) == ["relay_photo", "relay_text"], copies
    assert {c for c, _k in copies} == {kim.id}
    # /mydata for Maria holds what she told for the report she joined.
    await sofie.send("/mydata")
    doc = [m for m in sofie.messages() if m.get("document")][-1]
    data = json.loads(h.api.file_bytes(doc["document"]["file_id"]))
    joined = data["reports"]["me_too_you_said"]
    assert [(j["reference"], j["your_words"]) for j in joined] == [
        ("R-2026-0001", "Zwarte schimmel achter Maria haar kast")
    ]
    assert len(joined[0]["you_sent"]) == 2  # her words and her photo
    card = [m for m in kim.messages() if (m.get("text") or "").startswith("📣")][-1]
    await kim.press("👀", card)  # the news reaches Sofie: "Zeg aan Maria: ☎️ 0470 12 34 56"
    await h.settle()
    assert any("0470 12 34 56" in (m.get("text") or "") for m in sofie.messages())
    await sofie.send("/forget")  # still acting for Maria
    await sofie.press("🗑")
    await h.settle()
    # The news in Sofie's chat no longer names her or gives her number.
    tell = [m for m in sofie.messages() if "R-2026-0001" in (m.get("text") or "")]
    assert tell and not any("0470 12 34 56" in (m.get("text") or "") for m in sofie.messages())
    assert not any("Zeg aan Maria" in (m.get("text") or "") for m in sofie.messages())
    # Her words and photo are gone from Kim's chat; Fatima's report stays, without Maria.
    assert not any("Zwarte schimmel" in (m.get("text") or "") for m in kim.messages())
    assert not any("Maria" in (m.get("caption") or "") for m in kim.messages() if m.get("photo"))
    assert await h.rows("SELECT text FROM reports") == [("رطوبة في الحمام",)]
    assert await h.rows("SELECT COUNT(*), MAX(text) FROM report_me_too") == [(1, None)]
    assert await h.rows(
        "SELECT COUNT(*) FROM report_copies WHERE user_id = ? AND cleaned_at IS NULL",
        (maria_id,),
    ) == [(0,)]
    traces = await personal_traces(
        h, ["Maria", "0470 12 34 56", "Zwarte schimmel"], [ASSIST_TG_BASE + maria_id]
    )
    assert traces == [], traces
    # Kim's later status changes tell nobody about Maria any more.
    card = [m for m in kim.messages() if (m.get("text") or "").startswith("📣")][-1]
    before = len(sofie.messages())
    await kim.press("🔧", card)
    await h.settle()
    assert not any("Zeg aan" in (m.get("text") or "") for m in sofie.messages()[before:])


async def test_when_the_entering_worker_leaves_her_news_goes_to_a_colleague(h, admin):
    from tests.e2e_helpers import make_worker
    from tests.test_meetings import plan

    sofie, jan, payload, maria_id = await maria_entered(h, admin)
    kim = h.person("Kim", language_code="en")
    await make_worker(h, admin, kim, "Rabot")
    await sofie.send("/assist")
    await sofie.press("⏹")
    await sofie.send("/forget")
    await sofie.press("🗑")
    await plan(h, jan)
    told = [m for m in kim.messages() if "Tell Maria" in (m.get("text") or "")]
    assert told and "Huurdersvergadering" in told[-1]["text"]
    # Kim's button on it answers for Maria.
    yes = next(b for b in kim.button_texts(told[-1]) if b.startswith("✅"))
    await kim.press(yes, told[-1])
    assert await h.rows("SELECT user_id, answer FROM meeting_rsvps") == [(maria_id, "yes")]


async def test_many_persons_are_found_by_first_name(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    group = (await h.rows("SELECT id FROM groups"))[0][0]
    worker = await h.services.users.by_tg(sofie.id)
    for i in range(35):  # entered over the months (the same service the consent button runs)
        await h.services.assist.create(
            worker,
            first_name=f"Persoon{i:02d}",
            phone=None,
            language="nl",
            group_id=group,
            worker_language="nl",
        )
    await h.services.assist.create(
        worker, first_name="Zohra", phone=None, language="ar", group_id=group, worker_language="nl"
    )
    await sofie.send("/assist")
    assert len(sofie.button_texts()) == 31  # 30 persons and "someone new"
    assert "/assist Maria" in sofie.last_text()
    await sofie.send("/assist zo")
    assert sofie.button_texts()[0] == "👤 Zohra"
    await sofie.send("/assist Xavier")
    assert "Xavier" in sofie.last_text() and len(sofie.button_texts()) == 1


async def test_maria_hears_through_sofie_when_the_reporter_withdraws(h, admin):
    sofie, kim, fatima, maria_id = await maria_joins_with_her_story(h, admin)
    await fatima.send("/myreports")
    await fatima.press("R-2026-0001")
    await fatima.press("↩️")
    before = len(sofie.messages())
    await fatima.press("✅")
    await h.settle()
    told = [m.get("text") or "" for m in sofie.messages()[before:]]
    tell = [t for t in told if "Zeg aan Maria" in t]
    assert len(tell) == 1 and "R-2026-0001" in tell[0], told
    assert gettext_for("nl", "Withdrawn") in tell[0]


async def test_retention_forgets_what_maria_told_for_a_report_she_joined(h, admin):
    sofie, kim, fatima, maria_id = await maria_joins_with_her_story(h, admin)
    await sofie.send("/assist")
    await sofie.press("⏹")
    await h.advance(days=731)
    assert await h.rows("SELECT first_name FROM users WHERE id = ?", (maria_id,)) == [(None,)]
    assert await h.rows("SELECT text FROM report_me_too") == [(None,)]
    assert await h.rows("SELECT COUNT(*) FROM report_copies WHERE user_id = ?", (maria_id,)) == [
        (0,)
    ]
    assert not any("Zwarte schimmel" in (m.get("text") or "") for m in kim.messages())


async def test_forget_for_maria_reaches_a_voice_answer_passed_on_to_her(h, admin):
    """Sofie files Maria's report, answers it by voice as its worker: the voice note comes back
    to her as "Zeg aan Maria: ☎️ …"; after /forget for Maria its caption names nobody."""
    sofie, jan, payload = await setup_world(h, admin)
    await route_to(sofie)
    await enter_maria(h, sofie, phone="0470 12 34 56")
    await sofie.press("✅")
    await sofie.press("📣")
    await sofie.press("🏠")
    await sofie.press("Rabot")
    await sofie.send("Vocht in de kelder")
    await sofie.press("✅")  # no photos
    await sofie.press("🙈")
    await sofie.press("❌")
    await sofie.press("✅")
    await h.settle()
    await sofie.send("/assist")
    await sofie.press("⏹")  # her own answer, as the report's worker
    card = [m for m in sofie.messages() if (m.get("text") or "").startswith("📣")][-1]
    await sofie.press("💬", card)
    await h.push(h.api.voice_update(sofie.tg, duration=6))
    await h.settle()
    told = [m for m in sofie.messages() if m.get("voice") and "Maria" in (m.get("caption") or "")]
    assert told and "0470 12 34 56" in told[-1]["caption"]
    await sofie.send("/assist")
    await sofie.press("👤 Maria")
    await sofie.send("/forget")
    await sofie.press("🗑")
    await h.settle()
    voice = [m for m in sofie.messages() if m["message_id"] == told[-1]["message_id"]][-1]
    assert "0470" not in voice["caption"] and "Maria" not in voice["caption"]


async def test_sofie_types_marias_story_at_the_similar_reports_and_then_joins(h, admin):
    """At a desk Sofie types what Maria says before tapping anything: the words are kept, the
    similar reports stay offered; 🙋 then adds them to that report (photos, consents, send)."""
    from tests.reports_helpers import file_report

    sofie, jan, payload, maria_id = await maria_entered(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text="Schimmel", hood="Rabot")
    await h.settle()
    await sofie.send("/report")  # typed, still acting for Maria
    await sofie.press("🏠")
    await sofie.press("Rabot")
    await sofie.send("Bij Maria ook schimmel, in de badkamer")
    screen, _data = sofie.find_button("🙋")
    assert "Voor Maria" in screen["text"] and "R-2026-0001" in screen["text"]
    assert gettext_for("nl", "✍️ your text") in screen["text"]  # "✅ Bewaard: ✍️ uw tekst."
    await h.push(h.api.voice_update(sofie.tg, duration=3))  # and a voice note: kept too
    await sofie.press("🙋")
    await h.push(h.api.photo_update(sofie.tg))
    await sofie.press("✅")  # done with photos
    await sofie.press("✅")  # her name may be shown
    await sofie.press("✅")  # may be quoted
    await sofie.press("✅")
    await h.settle()
    assert await h.rows("SELECT COUNT(*) FROM reports") == [(1,)]
    assert await h.rows("SELECT user_id, text, show_name FROM report_me_too") == [
        (maria_id, "Bij Maria ook schimmel, in de badkamer", 1)
    ]
    sent = await h.rows(
        "SELECT text IS NOT NULL, voice_file_id IS NOT NULL, photo_file_id IS NOT NULL"
        " FROM report_messages WHERE sender_id = ? ORDER BY id",
        (maria_id,),
    )
    assert sent == [(1, 0, 0), (0, 1, 0), (0, 0, 1)]
    relayed = [m for m in sofie.messages() if "Bij Maria ook schimmel" in (m.get("text") or "")]
    assert "ingevoerd door Sofie voor Maria" in relayed[-1]["text"]
