"""The report story walked as the people in it would (Fatima, Arabic, old phone; Mehmet,
Turkish, next door; Sofie and Karim, project workers reading Dutch), through the LibreTranslate
and speech-to-text doubles on 127.0.0.1. Each test follows the path a person takes and checks
what they read at the points where they hesitated."""

from __future__ import annotations

import pytest

from bot.playground.harness import Harness, Person
from bot.playground.text_doubles import FakeLibreTranslate, FakeWhisper
from tests.e2e_helpers import make_worker, setup_world

VOICE_1 = b"OggS-fatima-1"
VOICE_2 = b"OggS-fatima-2"


@pytest.fixture
async def servers():
    lt = await FakeLibreTranslate().start()
    stt = await FakeWhisper().start()
    stt.says(VOICE_1, "في الحمام عفن", "ar")
    stt.says(VOICE_2, "الأطفال يسعلون", "ar")
    try:
        yield lt, stt
    finally:
        await lt.stop()
        await stt.stop()


@pytest.fixture
async def h(tmp_path, servers):
    lt, stt = servers
    harness = Harness(
        tmp_path, admin_ids=[1], overrides={"translate_url": lt.url, "transcribe_url": stt.url}
    )
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
def admin(h):
    return h.person("Ann", language_code="nl", user_id=1)


def _card(person: Person) -> dict:
    return [m for m in person.messages() if "📣" in (m.get("text") or "")][-1]


async def _fatima_reports(h: Harness, payload: str) -> Person:
    """Fatima joins by the group's link, taps her language and the big report button, shares
    her location pin instead of tapping a neighbourhood, speaks two voice notes and sends a
    photo with a caption."""
    fatima = h.person("فاطمة", language_code="ar")
    await fatima.send(f"/start {payload}")
    await fatima.press("العربية")
    await fatima.press("📣")
    await fatima.press("🏠")
    await h.push(h.api.location_update(fatima.tg, 51.0634, 3.7167))
    await fatima.press("Rabot")  # no centre known for the pin: she taps her neighbourhood
    assert "المكان: Rabot، موقع على الخريطة" in fatima.texts()[-2]  # her pin was not replaced
    await h.push(h.api.voice_update(fatima.tg, data=VOICE_1, duration=4))
    await h.push(h.api.voice_update(fatima.tg, data=VOICE_2, duration=3))
    await h.push(h.api.photo_update(fatima.tg, caption="الحمام"))
    kept = fatima.last_text()
    # What was kept, listed with the Arabic comma, not a Latin one.
    assert "،" in kept and ", " not in kept, kept
    await fatima.press("✅")
    await fatima.press("🙈")
    await fatima.press("❌")
    summary = fatima.last_text()
    # Her pin is kept, and the summary says so (not only the neighbourhood she tapped).
    assert "Rabot، موقع على الخريطة" in summary, summary
    await fatima.press("✅")
    assert "R-2026-0001" in fatima.last_text()
    return fatima


async def test_fatima_is_addressed_without_assuming_a_man_and_her_pin_is_kept(h, admin):
    sofie, _jan, payload = await setup_world(h, admin)
    fatima = h.person("فاطمة", language_code="ar")
    await fatima.send(f"/start {payload}")
    await fatima.press("العربية")
    home = fatima.last_text()
    assert "بماذا يمكنني مساعدتك؟" in home and "تريد" not in home
    await fatima.press("📣")
    await fatima.press("🏠")
    # The category message loses its buttons; the next one says what she tapped.
    assert any(t.startswith("\u200f✅ 🏠 السكن") for t in fatima.texts()[-2:]), fatima.texts()[-2:]
    await fatima.press("Rabot")
    await h.push(h.api.voice_update(fatima.tg, data=VOICE_1, duration=4))
    assert "هل تريد" not in fatima.last_text()
    await fatima.press("✅")
    # The anonymous choice is worded for a woman as much as a man.
    assert "🙈 لا، دون اسمي" in fatima.button_texts()


async def test_sofie_reads_which_language_fatima_speaks_in_dutch(h, admin):
    sofie, _jan, payload = await setup_world(h, admin)
    await _fatima_reports(h, payload)
    card = _card(sofie)["text"]
    # Sofie does not read Arabic script: the language is named in Dutch, its own name beside it.
    assert "Taal: Arabisch (العربية)" in card
    assert "(oorspronkelijk: Arabisch)" in card and "Automatisch uitgeschreven (Arabisch)" in card
    assert "[ar→nl] في الحمام عفن" in card and "[ar→nl] الأطفال يسعلون" in card
    # The pin is on the card's place line, the pin itself follows the card.
    assert "Waar: Rabot, locatie op de kaart" in card
    assert h.api.calls_to(sofie.id, "sendLocation")


async def test_fatima_reads_the_answer_in_arabic_also_later_in_her_reports(h, admin):
    sofie, _jan, payload = await setup_world(h, admin)
    fatima = await _fatima_reports(h, payload)
    await sofie.press("💬", _card(sofie))
    await sofie.send("Ik kom donderdag om 10 uur kijken.")
    relayed = fatima.last_text()
    assert "(الأصل: الهولندية)" in relayed  # "from Dutch", in Arabic, not "Nederlands"
    await sofie.press("🔧", _card(sofie))
    # Later she wants to know what happened: her reports, the answer in her language.
    await fatima.press("📋")
    mine = fatima.last_text()
    assert "قيد المعالجة" in mine
    assert "آخر رد: [nl→ar] Ik kom donderdag om 10 uur kijken." in mine, mine


async def test_mehmet_says_me_too_in_turkish_and_sofie_and_karim_read_it_in_dutch(h, admin):
    sofie, _jan, payload = await setup_world(h, admin)
    karim = h.person("Karim", language_code="nl")
    await make_worker(h, admin, karim)
    await _fatima_reports(h, payload)
    await h.advance(minutes=30)
    mehmet = h.person("Mehmet", language_code="tr")
    await mehmet.send(f"/start {payload}")
    await mehmet.press("Türkçe")
    await mehmet.press("📣")
    await mehmet.press("🏠")
    await mehmet.press("Rabot")
    similar = mehmet.last_text()
    assert "30 dakika önce" in similar and "sonra" not in similar, similar  # "ago", not "in"
    await mehmet.press("🙋")
    words = "Benim banyomda da küf var, komşuyum."
    await mehmet.send(words)
    await mehmet.press("✅")
    await mehmet.press("🙈")
    await mehmet.press("❌")
    await mehmet.press("✅")
    told = [t for t in sofie.texts() if "🙋 Melding R-2026-0001" in t][-1]
    # His own words reach Sofie in Dutch, his Turkish one tap away.
    assert f"[tr→nl] {words}" in told and "(oorspronkelijk: Turks)" in told, told
    assert words in told
    # Sofie answers Fatima, then hands the report to Karim before her holiday.
    card = _card(sofie)
    await sofie.press("💬", card)
    await sofie.send("Ik kom donderdag.")
    await sofie.press("👥", card)
    await sofie.press("Karim")
    handed = [t for t in karim.texts() if "R-2026-0001" in t and "overgedragen" in t][-1]
    assert "Sofie antwoordde de melder: “Ik kom donderdag.”" in handed  # what she promised
    # Karim did not get Mehmet's message: the history gives his words in Dutch, marked 🌐.
    assert f"“[tr→nl] {words}” 🌐" in handed, handed
    assert "Taal: Arabisch (العربية)" in _card(karim)["text"]


async def test_after_fatima_forgets_karim_still_reads_who_handed_it_over(h, admin):
    sofie, _jan, payload = await setup_world(h, admin)
    karim = h.person("Karim", language_code="nl")
    await make_worker(h, admin, karim)
    fatima = await _fatima_reports(h, payload)
    card = _card(sofie)
    await sofie.press("💬", card)
    await sofie.send("Ik kom donderdag.")
    await sofie.press("👥", card)
    await sofie.press("Karim")
    await fatima.send("/forget")
    assert "هل نحذف بياناتك؟" in fatima.last_text()  # asked without assuming a man
    await fatima.press("🗑")
    assert "ستكون البداية من جديد" in fatima.last_text()
    assert await h.rows("SELECT reporter_id FROM reports") == [(None,)]
    # The handover message lost her words, not who handed the report over.
    handed = [m for m in karim.messages() if "Tot nu toe" in (m.get("text") or "")][-1]["text"]
    assert handed.startswith("👥 Sofie heeft melding R-2026-0001 aan jou overgedragen."), handed
    assert "Ik kom donderdag" not in handed
    # Sofie's chat: her voice notes and photo are gone (young enough to delete).
    deleted = {mid for chat, mid in h.api.deleted if chat == sofie.id}
    assert len(deleted) >= 3
