"""A person back after /forget is a new person: the first thing they see is the greeting with
the privacy notice, also when their first tap is an old button in their chat; that button does
nothing else, and /cancel has nothing to stop (issue 13)."""

from __future__ import annotations

from tests.e2e_helpers import setup_world
from tests.reports_helpers import file_report, join


async def test_old_button_after_forget_shows_the_notice_and_does_nothing_else(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text="Schimmel")
    confirmation = fatima.messages()[-1]  # "Thank you … your reference", with 📋 My reports
    menu = next(m for m in fatima.messages() if any("📣" in b for b in fatima.button_texts(m)))
    await fatima.send("/forget")
    await fatima.press("🗑")

    # Weeks later she taps "📣 Report a problem" on an old message in her chat.
    await fatima.press("📣", menu)
    toast = h.api.calls_of("answerCallbackQuery")[-1].params.get("text", "")
    assert toast == "هذا الزر قديم. ابدأ من هنا."
    welcome = fatima.last_text()
    assert "Fatima" in welcome and "/mydata" in welcome  # greeting and privacy notice
    assert any("العربية" in b for b in fatima.button_texts())  # language buttons
    assert await h.rows("SELECT COUNT(*) FROM dialogs") == [(0,)]  # no report started
    # Another old button (her report list) cannot show the forgotten reports either.
    await fatima.press("📋", confirmation)
    assert "R-2026-0001" not in fatima.last_text()
    await fatima.send("/cancel")
    assert "R-2026-0001" not in fatima.last_text()
    assert await h.rows("SELECT COUNT(*) FROM report_drafts") == [(0,)]

    # She has seen the notice once; the next message is answered as usual.
    def welcomes() -> int:
        return sum(any("العربية" in b for b in fatima.button_texts(m)) for m in fatima.messages())

    before = welcomes()
    await fatima.send("/help")
    assert welcomes() == before  # no second welcome
    assert "/report" in fatima.last_text()


async def test_a_first_message_without_start_gets_the_notice_first(h, admin):
    await setup_world(h, admin)
    karim = h.person("Karim", language_code="fr")
    await karim.send("bonjour")  # a chat whose /start is long gone (or a bot database reset)
    texts = karim.texts()
    assert any("Karim" in t and "/mydata" in t for t in texts)
    assert (
        await h.rows("SELECT privacy_seen_at IS NOT NULL FROM users WHERE tg_id = ?", (karim.id,))
    ) == [(1,)]
