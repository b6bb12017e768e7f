"""Everyone reads everyone (issue 15): reports, voice notes and relayed answers reach each reader
in their language, through HTTP doubles of LibreTranslate and an OpenAI-compatible
speech-to-text server on 127.0.0.1, without ever holding up the conversation."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from bot.core.settings import Settings, off_host_urls
from bot.playground.harness import Harness
from bot.playground.text_doubles import FakeLibreTranslate, FakeWhisper
from tests.e2e_helpers import setup_world
from tests.reports_helpers import file_report, join

ARABIC = "يوجد عفن في الحمام منذ شهرين"
ARABIC_VOICE = b"OggS-fatima-mould"


@pytest.fixture
async def servers():
    lt = await FakeLibreTranslate(api_key="k3y").start()
    stt = await FakeWhisper(api_key="s3cret").start()
    stt.says(ARABIC_VOICE, "الرطوبة في غرفة النوم", "ar")
    try:
        yield lt, stt
    finally:
        await lt.stop()
        await stt.stop()


@pytest.fixture
async def h(tmp_path, servers):
    lt, stt = servers
    harness = Harness(
        tmp_path,
        admin_ids=[1],
        overrides={
            "translate_url": lt.url,
            "translate_api_key": "k3y",
            "transcribe_url": stt.url,
            "transcribe_api_key": "s3cret",
            "auto_text_retry_seconds": 30,
            "auto_text_give_up_minutes": 60,
        },
    )
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
def admin(h):
    return h.person("Ann", language_code="nl", user_id=1)


async def _world(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await sofie.send("/routing")
    await sofie.press("👤")
    await sofie.press("Sofie")
    return sofie, payload


def _entity_text(text: str, entity: dict) -> str:
    """Entity offsets count UTF-16 code units, as Telegram's do."""
    units = text.encode("utf-16-le")
    start, end = 2 * entity["offset"], 2 * (entity["offset"] + entity["length"])
    return units[start:end].decode("utf-16-le")


def _card(h, sofie) -> dict:
    return [m for m in sofie.messages() if "R-2026-0001" in (m.get("text") or "")][0]


async def test_arabic_report_reaches_dutch_worker_with_translation_after_server_comes_back(
    h, admin, servers
):
    lt, _stt = servers
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    lt.set_down()
    await file_report(h, fatima, text=ARABIC)
    # The card went out at once, with the original and a note; nothing waited on the server.
    card = _card(h, sofie)
    assert ARABIC in card["text"] and "Een vertaling volgt." in card["text"]
    assert "R-2026-0001" in fatima.last_text()  # Fatima got her reference
    job = await h.rows("SELECT kind, state, attempts FROM enrichments")
    assert job == [("card", "pending", 1)]
    # The server is back; the scheduler's next try (after the backoff) edits the card.
    lt.set_down(False)
    await h.advance(seconds=31)
    card = _card(h, sofie)
    assert "Automatische vertaling" in card["text"]
    assert f"[ar→nl] {ARABIC}" in card["text"] and ARABIC in card["text"]  # original kept
    body = lt.translations[-1]["body"]
    # One text per request, source 'auto' (people may write in another language than theirs).
    assert body == {
        "q": ARABIC,
        "source": "auto",
        "target": "nl",
        "format": "text",
        "api_key": "k3y",
    }
    assert "(oorspronkelijk: Arabisch)" in card["text"]  # the language the server found
    assert await h.rows("SELECT state FROM enrichments") == [("done",)]
    # Stored once: a status change re-renders the card from the store, no new call.
    calls = len(lt.translations)
    await sofie.press("👀")
    assert "Automatische vertaling" in _card(h, sofie)["text"]
    assert len(lt.translations) == calls


async def test_dutch_report_to_dutch_worker_makes_no_call(h, admin, servers):
    lt, _stt = servers
    sofie, payload = await _world(h, admin)
    jef = await join(h, payload, "Jef", "nl")
    await file_report(h, jef, text="Schimmel in de badkamer")
    assert "vertaling" not in _card(h, sofie)["text"].lower()
    assert lt.translations == [] and await h.rows("SELECT * FROM enrichments") == []


async def test_voice_report_gets_transcript_and_translation_voice_still_attached(h, admin, servers):
    _lt, stt = servers
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await fatima.send("/report")
    await fatima.press("🏠")
    await fatima.press("Rabot")  # category and place first, then the story
    await h.push(h.api.voice_update(fatima.tg, data=ARABIC_VOICE, duration=5))
    await fatima.press("✅")
    await fatima.press("🙈")
    await fatima.press("❌")
    await fatima.press("✅")
    card = _card(h, sofie)["text"]
    assert "Automatisch uitgeschreven (Arabisch)" in card and "الرطوبة في غرفة النوم" in card
    assert "[ar→nl] الرطوبة في غرفة النوم" in card
    assert h.api.calls_to(sofie.id, "sendVoice")  # the voice note is still there
    call = stt.transcriptions[-1]
    assert call["filename"] == "voice.ogg" and call["content_type"] == "audio/ogg"
    assert call["fields"]["model"] == "Systran/faster-whisper-small"
    assert call["fields"]["response_format"] == "verbose_json"
    assert call["authorization"] == "Bearer s3cret"
    assert await h.rows("SELECT text, language FROM transcripts") == [
        ("الرطوبة في غرفة النوم", "ar")
    ]


async def test_answers_both_ways_in_the_readers_language_with_the_original_one_tap_away(
    h, admin, servers
):
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text=ARABIC)
    await sofie.press("💬")
    await sofie.send("Ik kom donderdag langs")
    answer = fatima.last()
    assert "[nl→ar] Ik kom donderdag langs" in answer["text"]
    quotes = [e for e in answer.get("entities", []) if e["type"] == "expandable_blockquote"]
    assert quotes, answer
    q = quotes[0]
    assert _entity_text(answer["text"], q) == "Ik kom donderdag langs"
    assert fatima.find_button("💬")  # she can still answer
    # The original went out at once with a note; the edit came once.
    sent = h.api.calls_to(fatima.id, "sendMessage")[-1].params["text"]
    edits = [
        c for c in h.api.calls_to(fatima.id, "editMessageText") if "donderdag" in c.params["text"]
    ]
    assert "Ik kom donderdag langs" in sent
    assert len(edits) <= 1  # none when the translation came before the message left
    await fatima.press("💬")
    await fatima.send("شكرا، سأكون في المنزل")
    back = sofie.last()
    assert "[ar→nl] شكرا، سأكون في المنزل" in back["text"]
    assert any(e["type"] == "expandable_blockquote" for e in back.get("entities", []))
    assert await h.rows("SELECT state FROM enrichments WHERE kind = 'message'") == [
        ("done",),
        ("done",),
    ]


async def test_voice_answer_of_resident_is_written_out_for_the_worker(h, admin, servers):
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text=ARABIC)
    await sofie.press("💬")
    await sofie.send("Wanneer bent u thuis?")
    await fatima.press("💬")
    await h.push(h.api.voice_update(fatima.tg, data=ARABIC_VOICE, duration=4))
    voice = [m for m in sofie.messages() if m.get("voice")][-1]
    assert "[ar→nl] الرطوبة في غرفة النوم" in voice["caption"]
    assert len(voice["caption"]) <= 1024


async def test_gives_up_after_the_configured_time_and_says_so(h, admin, servers):
    lt, _stt = servers
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    lt.fail_next(1000, 503)
    await file_report(h, fatima, text=ARABIC)
    await sofie.press("💬")
    await sofie.send("Ik kom donderdag langs")
    assert "Ik kom donderdag langs" in fatima.last_text()
    assert "ترجمة" in fatima.last_text()  # "a translation follows", in Arabic
    tries = []
    for _ in range(8):
        await h.advance(minutes=10)
        tries.append(len(lt.translations))
    assert tries[-1] == tries[-2]  # stopped trying
    assert await h.rows("SELECT DISTINCT state FROM enrichments") == [("gave_up",)]
    assert "Geen automatische vertaling" in _card(h, sofie)["text"]
    assert "Ik kom donderdag langs" in fatima.last_text()


@pytest.mark.parametrize("kind", ["empty", "html", "json", "huge"])
async def test_garbage_answers_are_retried_never_shown(h, admin, servers, kind):
    lt, _stt = servers
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    lt.garbage(kind)
    await file_report(h, fatima, text=ARABIC)
    card = _card(h, sofie)["text"]
    assert "Een vertaling volgt." in card and "<html" not in card and "aaaa" not in card
    lt.garbage(None)
    await h.advance(seconds=31)
    assert f"[ar→nl] {ARABIC}" in _card(h, sofie)["text"]


async def test_long_texts_are_cut_at_the_char_limit_and_clipped_to_telegrams_limit(
    h, admin, servers
):
    lt, _stt = servers
    lt.char_limit = 400
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text=ARABIC)
    await sofie.press("💬")
    long = ("Ik kom donderdag langs met de aannemer. " * 50).strip()  # 2,000 characters
    await sofie.send(long)
    pieces = [c["body"]["q"] for c in lt.translations if c["body"]["target"] == "ar"]
    assert len(pieces) > 4 and all(len(p) <= 400 for p in pieces)
    answer = fatima.last()["text"]
    assert len(answer) <= 4096 and "…" in answer  # clipped visibly, sent all the same
    assert "[nl→ar] Ik kom donderdag langs" in answer


async def test_restart_with_work_pending_loses_nothing_and_edits_once(h, admin, servers):
    lt, _stt = servers
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text=ARABIC)
    lt.set_down()
    await sofie.press("💬")
    await sofie.send("Ik kom donderdag langs")
    await h.restart()
    lt.set_down(False)
    await h.advance(seconds=31)
    await h.advance(seconds=120)  # a second tick finds nothing to do again
    assert "[nl→ar] Ik kom donderdag langs" in fatima.last_text()
    edits = [
        c for c in h.api.calls_to(fatima.id, "editMessageText") if "donderdag" in c.params["text"]
    ]
    assert len(edits) == 1


async def test_mydata_and_forget_cover_transcripts_and_translations(h, admin, servers):
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text=ARABIC)
    await sofie.press("💬")
    await sofie.send("Ik kom donderdag langs")
    await fatima.send("/mydata")
    doc = [m for m in fatima.messages() if m.get("document")][-1]
    data = json.loads(h.api.file_bytes(doc["document"]["file_id"]))
    texts = [t["text"] for t in data["translations"]["automatic_translations"]]
    assert f"[ar→nl] {ARABIC}" in texts and "[nl→ar] Ik kom donderdag langs" in texts
    await fatima.send("/forget")
    await fatima.press("🗑")
    assert await h.rows("SELECT COUNT(*) FROM translations") == [(0,)]
    assert await h.rows("SELECT COUNT(*) FROM enrichments") == [(0,)]
    # No copy of the translation stays in the outbox either.
    left = await h.rows("SELECT COUNT(*) FROM outbox WHERE instr(payload, ?) > 0", ("[ar→nl]",))
    assert left == [(0,)]


async def test_texts_are_not_logged_at_info(h, admin, servers, caplog):
    caplog.set_level(logging.INFO)
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text=ARABIC)
    assert ARABIC not in caplog.text and "[ar→nl]" not in caplog.text


def test_off_host_urls_are_named_once(tmp_path, caplog):
    base = {"bot_token": "123:abc", "database_path": tmp_path / "db.sqlite3"}
    local = Settings(
        _env_file=None,  # type: ignore[call-arg]
        translate_url="http://127.0.0.1:5000",
        transcribe_url="http://whisper:8000",
        **base,
    )
    assert off_host_urls(local) == []
    lan = Settings(_env_file=None, translate_url="http://192.168.1.20:5000/", **base)  # type: ignore[call-arg]
    assert off_host_urls(lan) == [] and lan.translate_url == "http://192.168.1.20:5000"
    public = Settings(
        _env_file=None,  # type: ignore[call-arg]
        translate_url="https://libretranslate.com",
        transcribe_url="https://api.openai.com",
        **base,
    )
    assert off_host_urls(public) == [
        "TRANSLATE_URL=https://libretranslate.com",
        "TRANSCRIBE_URL=https://api.openai.com",
    ]
    from bot.runtime.app import build_application

    with caplog.at_level(logging.WARNING):
        build_application(public)
    warnings = [r for r in caplog.records if "TRANSLATE_URL" in r.getMessage()]
    assert len(warnings) == 1


async def test_a_slow_server_does_not_hold_up_the_card(tmp_path, servers):
    """Even a slow server (500 ms) does not hold up the card: the handler's reply and the card
    come before the translation."""
    lt, _stt = servers
    lt.set_latency(0.5)
    harness = Harness(tmp_path, admin_ids=[1], overrides={"translate_url": lt.url})
    await harness.start()
    try:
        admin = harness.person("Ann", language_code="nl", user_id=1)
        sofie, payload = await _world(harness, admin)
        fatima = await join(harness, payload, "Fatima", "ar")
        await file_report(harness, fatima, text=ARABIC)
        sends = harness.api.calls_to(sofie.id, "sendMessage")
        edits = harness.api.calls_to(sofie.id, "editMessageText")
        assert edits and sends[-1].at < edits[-1].at - 0.4
    finally:
        await harness.stop()


async def test_settings_unset_means_everything_as_before(tmp_path):
    harness = Harness(tmp_path, admin_ids=[1])
    await harness.start()
    try:
        admin = harness.person("Ann", language_code="nl", user_id=1)
        sofie, payload = await _world(harness, admin)
        fatima = await join(harness, payload, "Fatima", "ar")
        await file_report(harness, fatima, text=ARABIC)
        card = _card(harness, sofie)["text"]
        assert ARABIC in card and "vertaling" not in card.lower()
        assert await harness.rows("SELECT COUNT(*) FROM enrichments") == [(0,)]
    finally:
        await harness.stop()


_ = timedelta


async def test_meeting_reaches_each_member_in_their_language_once_per_text_and_language(
    h, admin, servers
):
    lt, _stt = servers
    sofie, jan, payload = await setup_world(h, admin)
    members = {}
    for i, lang in enumerate(["ar", "ar", "tr", "fr", "nl"]):
        p = h.person(f"Lid{i}", language_code=lang)
        await p.send(f"/start {payload}")
        members.setdefault(lang, []).append(p)
    await jan.send("/newmeeting")
    await jan.send("Huurdersvergadering")
    await jan.press(jan.button_texts()[0])
    await jan.press("19:00")
    await jan.press("Eén keer")
    await jan.send("Buurthuis")
    await jan.send("Plan voor de renovatie")
    await jan.press("Geen limiet")
    # The preview offers the other languages; the translations are made in the background.
    assert "العربية" in jan.texts()[-2] and "Türkçe" in jan.texts()[-2]
    await jan.press("🌐")
    versions = jan.last_text()
    assert "[nl→ar] Huurdersvergadering" in versions and "[nl→tr] Buurthuis" in versions
    assert "[nl→fr] Plan voor de renovatie" in versions
    # Jan corrects the Arabic title.
    await jan.press("✏️ العربية 📅")
    await jan.send("اجتماع المستأجرين")
    assert "اجتماع المستأجرين" in jan.last_text()
    await jan.press("✅")  # Publish
    ar_text = members["ar"][0].messages()[-1]["text"]
    assert "اجتماع المستأجرين" in ar_text and "[nl→ar] Buurthuis" in ar_text
    assert "[nl→tr] Huurdersvergadering" in members["tr"][0].last_text()
    assert "Huurdersvergadering" in members["nl"][0].last_text()
    assert "[nl→" not in members["nl"][0].last_text()
    # 3 texts x 3 other languages, each asked once (not per member).
    assert len(lt.translations) == 9
    assert all(c["body"]["source"] == "nl" for c in lt.translations)
    # The member taps Yes: the message is re-rendered, still in her language.
    await members["tr"][0].press("✅")
    assert "[nl→tr] Huurdersvergadering" in members["tr"][0].last_text()
    assert len(lt.translations) == 9
    # A cancellation reaches those who said yes in their language.
    mid = (await h.rows("SELECT id FROM meetings"))[0][0]
    await jan.press_data(f"mt:o:{mid}")
    await jan.press("❌")
    if any("Ja" in b for b in jan.button_texts()):
        await jan.press("Ja")
    assert "[nl→tr] Huurdersvergadering" in members["tr"][0].last_text()


async def test_forged_translation_buttons_are_refused(h, admin, servers):
    sofie, jan, payload = await setup_world(h, admin)
    mallory = h.person("Mallory", language_code="nl")
    await mallory.send(f"/start {payload}")
    seen = len(mallory.messages())
    await mallory.press_data("tr:v")
    await mallory.press_data("tr:e:ar:title")
    assert len(mallory.messages()) == seen  # no versions shown, nothing to correct
    answers = h.api.calls_of("answerCallbackQuery")[-2:]
    assert len(answers) == 2 and all(a.params.get("text") for a in answers)
    assert await h.rows("SELECT COUNT(*) FROM translations") == [(0,)]


async def test_dossier_quotes_a_consented_voice_story_from_its_transcript(h, admin, servers):
    from datetime import datetime

    from bot.domain.dossier import build_export_sync
    from storage.repos.exports import ExportFilter

    _lt, stt = servers
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, voice=True, quote=True)  # consents to be quoted
    stt.default_text = "Niemand mag dit horen"
    jef = await join(h, payload, "Jef", "nl")
    await file_report(h, jef, voice=True, quote=False)
    assert len(await h.rows("SELECT * FROM transcripts")) == 2
    tz = h.settings().tz
    f = ExportFilter(datetime(2026, 1, 1, tzinfo=tz), datetime(2027, 1, 1, tzinfo=tz))
    html = build_export_sync(h.db.path, f, tz, "nl", "Dossier", formats=("html",)).html
    assert html is not None
    body = html.decode()
    assert "🎤 Uitgeschreven uit een spraakbericht: Er is schimmel in de badkamer." in body
    assert "Niemand mag dit horen" not in body


async def test_call_for_action_and_its_tasks_reach_members_in_their_language(h, admin, servers):
    from tests.test_actions import make_call

    lt, _stt = servers
    sofie, jan, payload = await setup_world(h, admin)
    people = {}
    for i, lang in enumerate(["tr", "ar", "nl", "tr"]):
        p = h.person(f"Lid{i}", language_code=lang)
        await p.send(f"/start {payload}")
        people.setdefault(lang, []).append(p)
    await make_call(jan, send=False)
    assert "Türkçe" in jan.texts()[-2]
    await jan.press("🌐")
    assert "[nl→tr] spandoek vasthouden" in jan.last_text()
    await jan.press("✏️ Türkçe 🙋")  # the first task
    await jan.send("pankart tutmak")
    await jan.press("📣")
    mehmet = people["tr"][0]
    call = mehmet.last()
    assert "[nl→tr] Protest <stadhuis>" in call["text"] and "pankart tutmak" in call["text"]
    assert "Otomatik çevrildi" in call["text"]
    assert any("pankart tutmak" in b for b in mehmet.button_texts(call))
    assert "spandoek vasthouden" in people["nl"][0].last_text()
    # what, where, why, bring and two tasks, into two languages: 12 texts, each asked once.
    assert len(lt.translations) == 12
    await mehmet.press("pankart tutmak")
    assert "pankart tutmak" in mehmet.last_text()


def test_the_dialog_kinds_named_in_translations_are_those_of_the_features():
    from handlers import actions, translations
    from handlers.meetings import shared

    assert translations.MEETING == shared.KIND and translations.ACTION == actions.KIND


async def test_roster_name_place_and_note_reach_a_later_volunteer_in_her_language(
    h, admin, servers
):
    from tests.roster_helpers import make_food_task, volunteer

    lt, _stt = servers
    sofie, jan, payload = await setup_world(h, admin)
    await make_food_task(jan, title="Voedselbedeling")
    assert lt.translations == []  # nobody in the group reads another language yet
    ahmed = await volunteer(h, "Ahmed", payload, "ar")
    # The first look shows it as written and has it translated; from then on it is in Arabic.
    await ahmed.send("/volunteer")
    text = ahmed.last_text()
    assert "[nl→ar] Voedselbedeling" in text or "Voedselbedeling" in text
    await ahmed.send("/volunteer")
    text = ahmed.last_text()
    assert "[nl→ar] Voedselbedeling" in text, text
    asked = [(c["body"]["q"], c["body"]["target"]) for c in lt.translations]
    assert len(asked) == len(set(asked))  # once per text and language
    assert all(target == "ar" for _q, target in asked)


async def test_retention_removes_translations_and_transcripts_with_the_report(h, admin, servers):
    _lt, stt = servers
    stt.default_text, stt.default_language = ARABIC, "ar"
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, voice=True)
    await sofie.press("Opgelost", _card(h, sofie))
    assert await h.rows("SELECT COUNT(*) FROM transcripts") == [(1,)]
    assert (await h.rows("SELECT COUNT(*) FROM translations"))[0][0] >= 1
    await h.advance(days=731)
    assert await h.rows("SELECT anonymised_at IS NOT NULL FROM reports") == [(1,)]
    assert await h.rows("SELECT COUNT(*) FROM transcripts") == [(0,)]
    assert await h.rows("SELECT COUNT(*) FROM translations") == [(0,)]
    assert await h.rows("SELECT COUNT(*) FROM enrichments") == [(0,)]


async def test_a_very_long_arabic_report_still_fits_its_card(h, admin, servers):
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await fatima.send("/report")
    await fatima.press("🏠")
    await fatima.press("Rabot")  # category and place first, then the story
    long = ("الرطوبة في كل الغرف والأطفال مرضى. " * 100).strip()  # 3,500 characters
    await fatima.send(long)
    await fatima.press("✅")
    await fatima.press("🙈")
    await fatima.press("❌")
    await fatima.press("✅")
    card = _card(h, sofie)["text"]
    assert len(card) <= 4096 and "Automatische vertaling" in card and "…" in card
    assert await h.rows("SELECT state FROM enrichments") == [("done",)]


async def test_a_photo_with_an_arabic_caption_reaches_the_worker_translated(h, admin, servers):
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text=ARABIC)
    await fatima.send("/myreports")
    await fatima.press("R-2026-0001")
    await fatima.press("➕")  # add information
    await h.push(h.api.photo_update(fatima.tg, caption="هذا هو الجدار"))
    photo = [m for m in sofie.messages() if m.get("photo")][-1]
    assert "[ar→nl] هذا هو الجدار" in photo["caption"] and "هذا هو الجدار" in photo["caption"]
    assert len(photo["caption"]) <= 1024


async def test_a_resident_who_writes_in_the_workers_language_gets_no_translation_shown(
    h, admin, servers
):
    lt, _stt = servers
    sofie, payload = await _world(h, admin)
    mehmet = await join(h, payload, "Mehmet", "tr")  # reads the bot in Turkish, writes Dutch
    await file_report(h, mehmet, text="Er is schimmel in de badkamer van de flat")
    card = _card(h, sofie)["text"]
    assert "Automatische vertaling" not in card and "volgt" not in card
    assert [c["body"]["source"] for c in lt.translations] == ["auto"]
    assert await h.rows("SELECT detected FROM translations") == [("nl",)]


async def test_a_changed_place_reaches_those_coming_in_their_language(h, admin, servers):
    lt, _stt = servers
    sofie, jan, payload = await setup_world(h, admin)
    amina = h.person("Amina", language_code="ar")
    await amina.send(f"/start {payload}")
    await jan.send("/newmeeting")
    await jan.send("Huurdersvergadering")
    await jan.press(jan.button_texts()[0])
    await jan.press("19:00")
    await jan.press("Eén keer")
    await jan.send("Buurthuis")
    await jan.press("Overslaan")
    await jan.press("Geen limiet")
    await jan.press("✅")
    await amina.press("✅")
    mid = (await h.rows("SELECT id FROM meetings"))[0][0]
    lt.set_latency(0.3)  # the notice does not wait for it
    await jan.press_data(f"mt:o:{mid}")
    await jan.press("📍 Plaats wijzigen")
    await jan.send("Stadhuis")
    notice = amina.last_text()
    assert "📍 [nl→ar] Buurthuis ← [nl→ar] Stadhuis" in notice, notice  # Arabic reads ←
    assert "مترجم آليًا" in notice
    changes = [
        c
        for c in h.api.calls_to(amina.id)
        if c.method in ("sendMessage", "editMessageText") and "Stadhuis" in c.params["text"]
    ]
    assert len([c for c in changes if "[nl→ar] Stadhuis" in c.params["text"]]) == 1
    asked = [(c["body"]["q"], c["body"]["target"]) for c in lt.translations]
    assert asked.count(("Stadhuis", "ar")) == 1


async def test_finished_relay_jobs_do_not_keep_a_copy_of_the_message(h, admin, servers):
    sofie, payload = await _world(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text=ARABIC)
    await sofie.press("💬")
    await sofie.send("Ik kom donderdag langs")
    assert await h.rows("SELECT kind, state FROM enrichments ORDER BY id") == [
        ("card", "done"),
        ("message", "done"),
    ]
    await h.advance(days=4)  # INBOX_RETENTION_DAYS (3) later
    assert await h.rows("SELECT kind FROM enrichments") == [("card",)]
