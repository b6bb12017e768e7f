"""Issue 13, /forget as people really use it: the copies of a report in the workers' chats (card,
colleague's card, the previous holder's card, the copy from /problems, photos, voice notes,
relayed answers), other people's stored updates, and a forgotten person who comes back."""

from __future__ import annotations

import json

from bot.core.i18n import gettext_for
from tests.e2e_helpers import make_worker, personal_traces, setup_world
from tests.reports_helpers import file_report, join

STORY = "Schimmel in de slaapkamer van mijn zoon, bel me op 0475 12 34 56"
NAMES = ["Fatimaqx", "Elamraniqx", "fatima_qx"]


def _visible(person) -> list[dict]:
    """What a person still has in the chat (deleted messages are gone)."""
    return person.messages()


def _carries_her(msg: dict) -> bool:
    blob = json.dumps(msg, ensure_ascii=False)
    return any(n in blob for n in NAMES) or "0475" in blob or "Schimmel in de slaap" in blob


async def _story(h, admin):
    """Fatima reports with her name shown and a photo; Sofie taps Seen, opens it from /problems,
    Fatima adds a voice note, Sofie hands the report to her colleague Lies."""
    sofie, _jan, payload = await setup_world(h, admin)
    lies = h.person("Lies", language_code="nl")
    await make_worker(h, admin, lies)
    fatima = await join(h, payload, "Fatimaqx", "nl", last_name="Elamraniqx", username="fatima_qx")
    await file_report(h, fatima, text=STORY, photos=1, show_name=True)
    await h.settle()
    card = [m for m in sofie.messages() if "R-2026-0001" in (m.get("text") or "")][-1]
    assert "Fatimaqx" in card["text"]
    await sofie.press("👀", card)
    await sofie.send("/problems")
    await sofie.press("R-2026-0001")
    # Fatima adds a voice note: it is relayed with "from Fatimaqx Elamraniqx".
    await fatima.send("/myreports")
    await fatima.press("R-2026-0001")
    await fatima.press("➕")
    await h.push(h.api.voice_update(fatima.tg, duration=4))
    await h.settle()
    assert any("Fatimaqx" in (m.get("caption") or "") for m in sofie.messages() if m.get("voice"))
    # The report goes to Lies: she gets the handover and the card; Sofie's cards are handed.
    card = [m for m in sofie.messages() if "R-2026-0001" in (m.get("text") or "")][0]
    await sofie.press("👥", card)
    await sofie.press("Lies")
    await h.settle()
    assert any("Fatimaqx" in (m.get("text") or "") for m in lies.messages())
    return sofie, lies, fatima


async def test_forget_reaches_every_copy_in_the_workers_chats(h, admin):
    sofie, lies, fatima = await _story(h, admin)
    media_before = [
        (m["chat"]["id"], m["message_id"])
        for p in (sofie, lies)
        for m in p.messages()
        if m.get("location") or "R-2026-0001" in (m.get("caption") or "")
    ]
    assert len(media_before) >= 4
    await h.advance(hours=2)
    await fatima.send("/forget")
    await fatima.press("🗑")
    await h.settle()
    for person in (sofie, lies):
        left = [m for m in _visible(person) if _carries_her(m)]
        assert left == [], [
            (m["message_id"], m.get("text") or m.get("caption"), m.get("reply_markup"))
            for m in left
        ]
    # Photos, voice notes and the pin are deleted (within Telegram's 48 hours).
    kept = [(c, m) for c, m in media_before if not h.api.is_deleted(c, m)]
    assert kept == [], (
        kept,
        await h.rows("SELECT chat_id, message_id, kind, cleaned_at FROM report_copies"),
    )
    # Lies's card is the anonymised report, without a Reply that promises an answer.
    card = [m for m in lies.messages() if (m.get("text") or "").startswith("📣")][-1]
    assert gettext_for("nl", "anonymous") in card["text"]
    assert (
        gettext_for("nl", "The reporter's data is deleted: you can no longer answer them.")
        in card["text"]
    )
    assert not any("💬" in b for b in lies.button_texts(card))
    # An old Reply button (a copy not edited yet, or a forged press) says she cannot be answered.
    rid = (await h.rows("SELECT id FROM reports"))[0][0]
    await lies.press_data(f"rw:reply:{rid}", card)
    gone = gettext_for("nl", "The reporter's data is deleted: you can no longer answer them.")
    assert h.api.calls_of("answerCallbackQuery")[-1].params.get("text") == gone
    assert await h.rows("SELECT kind FROM dialogs") == []
    # Resolved no longer says "the reporter is told".
    await lies.press("✅", card)
    toast = h.api.calls_of("answerCallbackQuery")[-1].params.get("text") or ""
    assert "R-2026-0001" in toast
    told = gettext_for("nl", "{ref} is now: {status}. The reporter is told.")
    assert told.split("}")[-1].strip() not in toast
    # Nothing of her stays in any table: not in other people's stored updates (Sofie's press
    # under the card that showed her name), not in the outbox, not in the copies.
    assert await personal_traces(h, [*NAMES, STORY, "0475"], [fatima.id]) == []
    kept = await h.rows("SELECT kind, kept FROM report_copies WHERE kept IS NOT NULL")
    assert kept == []


async def test_forget_after_two_days_edits_what_telegram_no_longer_lets_us_delete(h, admin):
    sofie, lies, fatima = await _story(h, admin)
    await h.advance(days=3)
    await fatima.send("/forget")
    await fatima.press("🗑")
    await h.settle()
    for person in (sofie, lies):
        assert [m for m in _visible(person) if _carries_her(m)] == []
    # The photo stays in Telegram (too old to delete), its caption no longer names her; that is
    # recorded, and the privacy notice says so.
    photos = [m for m in sofie.messages() if m.get("photo")]
    assert photos and all("Fatimaqx" not in (m.get("caption") or "") for m in photos)
    kept = await h.rows("SELECT DISTINCT kind FROM report_copies WHERE kept = 'too_old'")
    assert {"photo"} <= {k for (k,) in kept}
    await sofie.send("/privacy")
    assert "48" in sofie.last_text()


async def test_a_forgotten_person_who_taps_an_old_button_starts_as_a_new_person(h, admin):
    sofie, _jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatimaqx", "fr")
    await fatima.send("/start")  # the main menu, with its buttons
    menu = fatima.last()
    await fatima.send("/forget")
    await fatima.press("🗑")
    # Weeks later she taps "Report a problem" on the old menu.
    await h.advance(days=20)
    await fatima.press("📣", menu)
    text = fatima.last_text()
    assert gettext_for("fr", "Send /forget to have it removed.")[:20] in text
    assert "nouvelle personne" in text
    assert await h.rows("SELECT kind FROM dialogs") == []
    # /cancel does not claim a draft was kept.
    await fatima.send("/cancel")
    assert gettext_for("fr", "There is nothing to stop.") in fatima.last_text()
    # Once greeted she is a person like any other: the next tap is answered as usual.
    await fatima.press("📣", menu)
    assert "nouvelle personne" not in fatima.last_text()


async def test_cancel_right_after_report_keeps_no_empty_draft(h, admin):
    sofie, _jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik")
    await rik.send("/report")
    await rik.send("/cancel")
    assert gettext_for("nl", "I kept your report as a draft. Send /report to continue it.") not in (
        rik.last_text()
    )
    assert await h.rows("SELECT COUNT(*) FROM report_drafts") == [(0,)]


async def test_mydata_first_says_in_her_language_what_is_kept_then_sends_the_file(h, admin):
    sofie, _jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatimaqx", "ar")
    await file_report(h, fatima, text="رطوبة في الحمام")
    await fatima.send("/mydata")
    summary, document = fatima.messages()[-2:]
    text = summary["text"]
    assert (
        gettext_for("ar", "<b>What the bot keeps about you</b>")
        .replace("<b>", "")
        .replace("</b>", "")
        in text
    )
    assert "Huurders Rabot" in text and "R-2026-0001" in text
    assert gettext_for("ar", "Housing") in text and gettext_for("ar", "New") in text
    assert "/forget" in text
    assert len(text) < 1500
    assert document.get("document")
    data = json.loads(h.api.file_bytes(document["document"]["file_id"]))
    assert data["reports"]["your_reports"][0]["reference"] == "R-2026-0001"


async def test_a_press_still_waiting_in_the_inbox_keeps_its_data_but_loses_hers(h, admin):
    """An update of someone else that is not processed yet (e.g. received just before a restart)
    is kept so that it is not lost, with her name, link and words cut out."""
    sofie, _jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatimaqx", "nl", last_name="Elamraniqx", username="fatima_qx")
    await file_report(h, fatima, text=STORY, show_name=True)
    await h.settle()
    card = [m for m in sofie.messages() if "R-2026-0001" in (m.get("text") or "")][-1]
    waiting = {"update_id": -5, **h.api.callback_update(sofie.tg, card, "rw:st:1:s")}
    assert "Fatimaqx" in json.dumps(waiting, ensure_ascii=False)
    async with h.db.transaction(mark=False) as conn:
        await conn.execute(
            "INSERT INTO inbox (update_id, chat_key, payload, received_at) VALUES (?, ?, ?, ?)",
            (
                waiting["update_id"],
                f"c{sofie.id}",
                json.dumps(waiting, ensure_ascii=False, separators=(",", ":")),
                "2026-03-02T09:00:00+00:00",
            ),
        )
    # Her /forget runs while Sofie's press still waits (called directly: the harness would
    # otherwise wait for the press to be processed first).
    fid = (await h.rows("SELECT id FROM users WHERE tg_id = ?", (fatima.id,)))[0][0]
    await h.services.privacy.forget(fid)
    rows = await h.rows("SELECT payload FROM inbox WHERE update_id = ?", (waiting["update_id"],))
    kept = json.loads(rows[0][0])
    assert kept["callback_query"]["data"] == "rw:st:1:s"
    assert kept["callback_query"]["from"]["id"] == sofie.id
    blob = json.dumps(kept, ensure_ascii=False)
    assert not any(n in blob for n in NAMES) and "0475" not in blob
    async with h.db.transaction(mark=False) as conn:
        await conn.execute("UPDATE inbox SET processed_at = received_at WHERE update_id = -5")


async def _digest_with_her_words(h, admin):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    sofie, _jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatimaqx", "nl", last_name="Elamraniqx")
    await file_report(h, fatima, text=STORY)
    rik = await join(h, payload, "Rik", "nl")
    await file_report(h, rik, text="Lift kapot sinds maandag", category="⚡")
    await h.advance_to(datetime(2026, 3, 3, 8, 31, tzinfo=ZoneInfo("Europe/Brussels")))
    digest = [m for m in sofie.messages() if "📰" in (m.get("text") or "")][-1]
    assert "Schimmel in de slaap" in digest["text"] and "Lift kapot" in digest["text"]
    return sofie, fatima, digest


async def test_forget_cuts_her_words_out_of_a_recent_digest(h, admin):
    sofie, fatima, digest = await _digest_with_her_words(h, admin)
    await fatima.send("/forget")
    await fatima.press("🗑")
    await h.settle()
    now = h.api.message(sofie.id, digest["message_id"])["text"]
    assert "Schimmel in de slaap" not in now and "0475" not in now
    assert "Lift kapot" in now and "📰" in now  # the rest of the overview stays


async def test_forget_reaches_an_old_digest_too(h, admin):
    sofie, fatima, digest = await _digest_with_her_words(h, admin)
    await h.advance(days=5)  # the kept copy of the digest's text is gone by now
    await fatima.send("/forget")
    await fatima.press("🗑")
    await h.settle()
    now = h.api.message(sofie.id, digest["message_id"])["text"]
    assert "Schimmel in de slaap" not in now
    assert "/digest" in now
