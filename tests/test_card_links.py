"""The worker's card never sinks on a link to the reporter's account (issue 13): Telegram refuses
a whole message whose button links to a user whose privacy settings forbid it
(400 BUTTON_USER_PRIVACY_RESTRICTED). The card links only to a public @username, with consent;
💬 Reply connects them in every case."""

from __future__ import annotations

from tests.e2e_helpers import setup_world
from tests.reports_helpers import file_report, join


def _card(person, ref):
    return [m for m in person.messages() if ref in (m.get("text") or "")][-1]


async def test_card_reaches_the_worker_when_the_reporters_privacy_forbids_links(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")  # no public @username
    h.api.privacy_restricted_users.add(fatima.id)
    await file_report(h, fatima, text="Schimmel in de badkamer", show_name=True)
    ref = (await h.rows("SELECT reference FROM reports"))[0][0]
    assert not [c for c in h.api.calls if "PRIVACY_RESTRICTED" in str(c.response)]
    card = _card(sofie, ref)
    assert "Fatima" in card["text"]  # she agreed to show her name
    labels = sofie.button_texts(card)
    assert any("💬" in b for b in labels) and not any(b.startswith("✉️") for b in labels)
    urls = [b.get("url", "") for row in card["reply_markup"]["inline_keyboard"] for b in row]
    assert not any(u.startswith("tg://") for u in urls)
    # The relay connects them: Sofie's answer reaches Fatima.
    await sofie.press("💬", card)
    await sofie.send("Ik kom donderdag langs")
    assert "Ik kom donderdag langs" in fatima.last_text()


async def test_card_links_to_a_public_username_only_with_consent(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar", username="fatima_rabot")
    await file_report(h, fatima, text="Schimmel", show_name=True)
    mehmet = await join(h, payload, "Mehmet", "tr", username="mehmet_k")
    await file_report(h, mehmet, text="Lift kapot", category="🏠", hood="Rabot", show_name=False)
    refs = [r for (r,) in await h.rows("SELECT reference FROM reports ORDER BY id")]
    fatima_card, mehmet_card = _card(sofie, refs[0]), _card(sofie, refs[-1])
    fatima_urls = [
        b.get("url") for row in fatima_card["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert "https://t.me/fatima_rabot" in fatima_urls
    mehmet_urls = [
        b.get("url") for row in mehmet_card["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert not any(mehmet_urls), mehmet_urls  # anonymous: no link, no name
    assert "Mehmet" not in mehmet_card["text"] and "mehmet_k" not in mehmet_card["text"]
