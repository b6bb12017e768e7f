"""What people send is kept (issue 13): every voice note, photo captions, a text the Telegram
client split in two, and /report for someone in no group yet — all through the real app."""

from __future__ import annotations

import json

from tests.e2e_helpers import make_project, setup_world
from tests.reports_helpers import join


async def _place(person) -> None:
    """Category chosen: the place comes next, before the description."""
    await person.press("Rabot")
    if any("➡️" in b for b in person.button_texts()):
        await person.press("➡️")


async def _to_where_and_send(h, person) -> str:
    await person.press("✅")  # Done
    await person.press("🙈")
    await person.press("❌")
    summary = person.last_text()
    await person.press("✅")
    return summary


async def test_three_voice_notes_and_a_photo_all_reach_the_worker_and_forget_removes_them(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await fatima.send("/report")
    await fatima.press("🏠")
    await _place(fatima)
    await h.push(h.api.voice_update(fatima.tg, duration=6))
    assert "🎤" in fatima.last_text()  # Arabic: kept, and asked for photos
    await h.push(h.api.voice_update(fatima.tg, duration=4))  # at the photo step: kept
    assert "🎤 2" in fatima.last_text() or "رسالتان" in fatima.last_text()
    await h.push(h.api.photo_update(fatima.tg))
    await h.push(h.api.voice_update(fatima.tg, duration=3))
    summary = await _to_where_and_send(h, fatima)
    assert "3" in summary
    rep = await h.rows("SELECT id, voice_file_id, text FROM reports")
    assert len(rep) == 1 and rep[0][1] and rep[0][2] is None
    extra = await h.rows("SELECT file_id, duration FROM report_voices ORDER BY id")
    assert [d for _f, d in extra] == [4, 3]
    assert (await h.rows("SELECT COUNT(*) FROM report_photos"))[0][0] == 1
    # Sofie gets the card, all three voice notes in order, and the photo.
    voices = [c.params["voice"] for c in h.api.calls_to(sofie.id, "sendVoice")]
    assert voices == [rep[0][1], extra[0][0], extra[1][0]]
    captions = [c.params.get("caption") for c in h.api.calls_to(sofie.id, "sendVoice")]
    assert "3 van 3" in captions[-1]
    photos = [r[0] for r in await h.rows("SELECT file_id FROM report_photos")]
    assert [c.params["photo"] for c in h.api.calls_to(sofie.id, "sendPhoto")][-1:] == photos
    card = h.api.calls_to(sofie.id, "sendMessage")[-1].params["text"]
    assert "3 spraakberichten" in card
    # /mydata counts them; /forget removes them like the first one.
    await fatima.send("/mydata")
    doc = [m for m in fatima.messages() if m.get("document")][-1]
    body = h.api.file_bytes(doc["document"]["file_id"]).decode()
    assert '"voice_notes": 3' in body or '"voice_notes":3' in body
    await fatima.send("/forget")
    await fatima.press("🗑")
    assert await h.rows("SELECT * FROM report_voices") == []
    assert await h.rows("SELECT voice_file_id FROM reports") == [(None,)]


async def test_captioned_photo_is_the_description_and_captions_at_the_photo_step_are_kept(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    mehmet = await join(h, payload, "Mehmet", "tr")
    await mehmet.send("/report")
    await mehmet.press("🏠")
    await _place(mehmet)
    await h.push(h.api.photo_update(mehmet.tg, caption="Banyoda küf var"))
    assert "Saklandı" in mehmet.last_text()  # Turkish: text and photo kept
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "photos"
    await h.push(h.api.photo_update(mehmet.tg, caption="Tavanda da"))
    summary = await _to_where_and_send(h, mehmet)
    assert "Banyoda küf var" in summary and "Tavanda da" in summary
    assert await h.rows("SELECT text FROM reports") == [("Banyoda küf var\nTavanda da",)]
    assert (await h.rows("SELECT COUNT(*) FROM report_photos"))[0][0] == 2
    card = h.api.calls_to(sofie.id, "sendMessage")[-1].params["text"]
    assert "Banyoda küf var" in card and "Tavanda da" in card
    photos = [r[0] for r in await h.rows("SELECT file_id FROM report_photos ORDER BY id")]
    assert [c.params["photo"] for c in h.api.calls_to(sofie.id, "sendPhoto")][-2:] == photos


async def test_a_photo_without_words_at_the_description_step_is_kept(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik", "nl")
    await rik.send("/report")
    await rik.press("🏠")
    await _place(rik)
    await h.push(h.api.photo_update(rik.tg))
    assert "foto bewaard" in rik.last_text()
    await rik.send("Lekkend dak")
    await _to_where_and_send(h, rik)
    assert await h.rows("SELECT text FROM reports") == [("Lekkend dak",)]
    assert (await h.rows("SELECT COUNT(*) FROM report_photos"))[0][0] == 1


def _long_text() -> tuple[str, str]:
    words = "De schimmel in de badkamer komt terug na elke douche en "
    text = (words * 100)[:5000]
    # As a client cuts it: at the last space before 4096, the space dropped.
    cut = text.rfind(" ", 0, 4096)
    return text[:cut], text[cut + 1 :]


async def test_a_long_text_split_by_the_client_is_one_description(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    first, second = _long_text()
    await fatima.send("/report")
    await fatima.press("🏠")
    await _place(fatima)
    a = h.api.text_update(fatima.tg, first)
    b = h.api.text_update(fatima.tg, second)
    b["message"]["date"] = a["message"]["date"] + 1  # sent right after it
    await h.push(a)
    await h.push(b)
    assert "نصّك كاملاً" in fatima.last_text()
    assert (await h.rows("SELECT step FROM dialogs"))[0][0] == "photos"
    await _to_where_and_send(h, fatima)
    stored = (await h.rows("SELECT text FROM reports"))[0][0]
    assert stored == first + " " + second
    # The worker gets every word: the card, then the rest of the text.
    sent = [c.params["text"] for c in h.api.calls_to(sofie.id, "sendMessage")]
    card = next(t for t in sent if t.startswith("📣"))
    rest = [t for t in sent if t.startswith("Melding ") and "gaat verder:" in t]
    assert "gaat verder" in card and rest
    shown = card.split("\n\n", 1)[1] + "".join(t.split("\n\n", 1)[1] for t in rest)
    assert stored[:2900] in shown and stored[-1500:] in shown


async def test_a_text_later_than_the_window_is_added_not_glued(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik", "nl")
    first, _second = _long_text()
    await rik.send("/report")
    await rik.press("🏠")
    await _place(rik)
    a = h.api.text_update(rik.tg, first)
    b = h.api.text_update(rik.tg, "En de ramen ook.")
    b["message"]["date"] = a["message"]["date"] + 30
    await h.push(a)
    await h.push(b)
    assert "Bewaard" in rik.last_text()
    await _to_where_and_send(h, rik)
    assert (await h.rows("SELECT text FROM reports"))[0][0] == first + "\nEn de ramen ook."


async def test_a_split_text_after_changing_the_description_is_joined_at_the_summary(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    rik = await join(h, payload, "Rik", "nl")
    await rik.send("/report")
    await rik.press("🏠")
    await _place(rik)
    await rik.send("Lift kapot")
    await rik.press("✅")
    await rik.press("🙈")
    await rik.press("❌")
    await rik.press("✏️")
    await rik.press_data("rep:edit:what")
    first, second = _long_text()
    a = h.api.text_update(rik.tg, first)
    b = h.api.text_update(rik.tg, second)
    await h.push(a)
    await h.push(b)  # arrives at the summary (same second)
    assert "Klopt dit?" in rik.last_text()
    await rik.press("✅")
    assert (await h.rows("SELECT text FROM reports"))[0][0] == first + " " + second


async def test_someone_in_no_group_may_report_and_is_told_how_to_join(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    stranger = h.person("Ayse", language_code="tr")
    await stranger.send("/start")
    await stranger.send("/report")
    texts = stranger.texts()
    assert any("Henüz bir grupta değilsiniz" in t and "Rabot" in t for t in texts)
    await stranger.press("🏠")
    await _place(stranger)
    await stranger.send("Sokak lambası bozuk")
    await _to_where_and_send(h, stranger)
    assert await h.rows("SELECT group_id, text FROM reports") == [(None, "Sokak lambası bozuk")]
    assert h.api.calls_to(sofie.id, "sendMessage")


async def test_someone_in_no_group_chooses_the_project_when_there_are_several(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await make_project(h, admin, "Brugse Poort", "Muide")
    stranger = h.person("Rik", language_code="nl")
    await stranger.send("/start")
    await stranger.send("/report")
    assert "In welk project ligt uw buurt?" in stranger.last_text()
    assert sorted(stranger.button_texts()) == ["Brugse Poort", "Rabot"]
    await stranger.press_data("rep:sp:999")  # forged: refused, nothing started
    assert await h.rows("SELECT * FROM dialogs WHERE kind = 'report'") == []
    await stranger.press("Brugse Poort")
    assert any("Brugse Poort" in t and "uitnodigingslink" in t for t in stranger.texts())
    pid = (await h.rows("SELECT id FROM projects WHERE name = 'Brugse Poort'"))[0][0]
    dialog = await h.rows("SELECT step, data FROM dialogs WHERE kind = 'report'")
    assert dialog[0][0] == "cat" and json.loads(dialog[0][1])["project_id"] == pid
