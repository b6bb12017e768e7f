"""Assisted mode (issue 17): a worker or organiser acts for a resident without Telegram.

Sofie (worker, Dutch) enters Maria (no phone, Arabic) and reports her mould with a photo; the card
says who entered it for whom; news for Maria reaches Sofie as "📞 Tell Maria: …"; Maria answers a
meeting and takes a shift through Sofie; Sofie removes Maria's data for her. Who may /assist.
"""

from __future__ import annotations

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
    await sofie.press("🏠")
    await sofie.send("Schimmel in de slaapkamer, het kind hoest")
    await h.push(h.api.photo_update(sofie.tg))
    await sofie.press("✅")
    await sofie.press("Rabot")
    if any("➡️" in b for b in sofie.button_texts()):
        await sofie.press("➡️")
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
    news = await h.rows("SELECT summary FROM assist_news")
    assert len(news) == 1
    # Nothing was ever sent to a chat that does not exist.
    assert not [c for c in h.api.calls if (c.params.get("chat_id") or 0) >= ASSIST_TG_BASE]
