"""Issue 13, the worker's side, each along the path people take: the first digest, reports filed
before the project had a worker, forward-only status and the handover, the reporter's language,
/problems, and the status toast."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.i18n import gettext_for
from tests.e2e_helpers import make_group, make_project, make_worker, setup_world
from tests.reports_helpers import file_report, join

BXL = ZoneInfo("Europe/Brussels")


def _digests(person) -> list[str]:
    return [t for t in person.texts() if "📰" in t]


async def _rid(h) -> int:
    return (await h.rows("SELECT id FROM reports"))[0][0]


async def test_first_digest_covers_everything_since_joining(h, admin):
    sofie, jan, payload = await setup_world(h, admin)  # Monday 09:00
    # Her first 08:30 comes with nothing to say: nothing is sent and the window stays open.
    await h.advance_to(datetime(2026, 3, 3, 8, 31, tzinfo=BXL))
    assert _digests(sofie) == []
    assert await h.rows("SELECT last_sent_at FROM digest_settings") == [(None,)]
    await sofie.send("/digest")
    assert gettext_for("nl", "Nothing new since you became a project worker.") in (
        sofie.last_text()
    )
    assert gettext_for("nl", "Nothing new since your last digest.") not in sofie.last_text()
    # A report after that empty run is in the first digest really sent.
    rik = await join(h, payload, "Rik")
    await file_report(h, rik, text="Schimmel")
    await h.advance_to(datetime(2026, 3, 4, 8, 31, tzinfo=BXL))
    digests = _digests(sofie)
    assert len(digests) == 1 and "R-2026-0001" in digests[0]
    assert (await h.rows("SELECT last_sent_at FROM digest_settings"))[0][0] is not None
    await sofie.send("/digest")
    assert gettext_for("nl", "Nothing new since your last digest.") in sofie.last_text()


async def test_report_before_any_worker_goes_to_the_first_worker_who_joins(h, admin):
    await make_project(h, admin)
    payload, _organiser = await make_group(h, admin)  # the admin starts the group
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text="رطوبة في الحمام")
    # Honest: the admins have it for now, not "the project worker".
    told = fatima.last_text()
    assert "R-2026-0001" in told
    assert "مديرو البوت" in told
    admin_card = [m for m in admin.messages() if "R-2026-0001" in (m.get("text") or "")][-1]
    assert await h.rows("SELECT assigned_to FROM reports") == [(None,)]

    sofie = h.person("Sofie", language_code="nl")
    await make_worker(h, admin, sofie)
    await h.settle()
    sofie_id = (await h.rows("SELECT id FROM users WHERE tg_id = ?", (sofie.id,)))[0][0]
    assert await h.rows("SELECT assigned_to FROM reports") == [(sofie_id,)]
    assert any("1 melding wachtte" in t for t in sofie.texts())
    card = [m for m in sofie.messages() if "📣" in (m.get("text") or "")]
    assert card and "R-2026-0001" in card[-1]["text"]
    assert any("👀" in b for b in sofie.button_texts(card[-1]))
    assert "R-2026-0001" in fatima.last_text() and "عامل مشروع" in fatima.last_text()
    # The admin's copy says who has it now, without buttons.
    edited = h.api.message(admin.id, admin_card["message_id"])
    assert "Sofie" in edited["text"] and not sofie.button_texts(edited)
    # And it is in her first digest.
    await h.advance_to(datetime(2026, 3, 3, 8, 31, tzinfo=BXL))
    assert any("R-2026-0001" in d for d in _digests(sofie))
    # A second worker finds nothing waiting.
    piet = h.person("Piet", language_code="nl")
    await make_worker(h, admin, piet)
    assert not any("R-2026" in t for t in piet.texts())


async def test_status_moves_forward_and_handover_carries_history(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    piet = h.person("Piet", language_code="nl")
    await make_worker(h, admin, piet)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text="Schimmel")
    rid = await _rid(h)
    card = [m for m in sofie.messages() if "📣" in (m.get("text") or "")][-1]
    await sofie.press("💬", card)
    await sofie.send("Ik kom donderdag om 14:00 langs")
    await sofie.press("🔧", card)
    assert await h.rows("SELECT status FROM reports") == [("in_progress",)]
    told = len(fatima.messages())
    await sofie.press("👥", card)
    await sofie.press("Piet")
    await h.settle()
    # The old card: handed to Piet, no buttons; its old Seen button moves nothing back.
    edited = h.api.message(sofie.id, card["message_id"])
    assert "Piet" in edited["text"] and not sofie.button_texts(edited)
    assert "Schimmel" not in edited["text"]
    await sofie.press_data(f"rw:st:{rid}:s", card)
    assert await h.rows("SELECT status FROM reports") == [("in_progress",)]
    assert len(fatima.messages()) == told
    # Piet is told who handed it over and what was promised, then gets the card.
    handover = [t for t in piet.texts() if "👥" in t and "R-2026-0001" in t][0]
    assert "Sofie" in handover and "donderdag om 14:00" in handover
    assert gettext_for("nl", "In progress") in handover
    piet_card = [m for m in piet.messages() if "📣" in (m.get("text") or "")][-1]
    assert not any("👀" in b for b in piet.button_texts(piet_card))  # no way back offered
    await piet.press_data(f"rw:st:{rid}:s", piet_card)  # forged: refused
    assert await h.rows("SELECT status FROM reports") == [("in_progress",)]
    assert "R-2026-0001" in str(h.api.last_call("answerCallbackQuery").params.get("text"))
    # Resolved, then the explicit way back.
    await piet.press("✅ ", piet_card)
    await piet.press("🔁", piet_card)
    assert await h.rows("SELECT status, reopened_count FROM reports") == [("in_progress", 1)]


async def test_card_shows_reporters_language(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text="Schimmel")
    card = [m for m in sofie.messages() if "📣" in (m.get("text") or "")][-1]
    assert "Taal: Arabisch (العربية)" in card["text"]  # her language, named so Sofie reads it


async def test_problems_says_who_holds_it_and_resends_everything(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik")
    await file_report(h, rik, voice=True, photos=2, location=(51.0612, 3.7123))
    await sofie.press("💬")
    await sofie.send("Ik kom langs")
    await sofie.send("/problems")
    assert "bij Sofie" in sofie.last_text()
    before = {m: len(h.api.calls_to(sofie.id, m)) for m in ("sendVoice", "sendPhoto")}
    before["sendLocation"] = len(h.api.calls_to(sofie.id, "sendLocation"))
    await sofie.press("R-2026-0001")
    await h.settle()
    assert len(h.api.calls_to(sofie.id, "sendVoice")) == before["sendVoice"] + 1
    assert len(h.api.calls_to(sofie.id, "sendPhoto")) == before["sendPhoto"] + 2
    assert len(h.api.calls_to(sofie.id, "sendLocation")) == before["sendLocation"] + 1
    assert "Ik kom langs" in sofie.last_text()


async def test_status_tap_is_a_toast_and_first_answer_means_seen(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik")
    await file_report(h, rik, text="Schimmel")
    card = [m for m in sofie.messages() if "📣" in (m.get("text") or "")][-1]
    assert not any(line.startswith("0 ") for line in card["text"].split("\n"))
    # The first answer makes a new report "seen" (card and stored status).
    await sofie.press("💬", card)
    await sofie.send("Ik kom langs")
    await h.settle()
    assert await h.rows("SELECT status FROM reports") == [("seen",)]
    assert gettext_for("nl", "Seen") in h.api.message(sofie.id, card["message_id"])["text"]
    sent = len(h.api.calls_to(sofie.id, "sendMessage"))
    await sofie.press("🔧", card)
    await h.settle()
    assert len(h.api.calls_to(sofie.id, "sendMessage")) == sent  # no message on top
    toast = h.api.last_call("answerCallbackQuery").params.get("text")
    assert "R-2026-0001" in str(toast)
    assert gettext_for("nl", "In progress") in h.api.message(sofie.id, card["message_id"])["text"]
