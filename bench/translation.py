"""Translation and transcription (issue 15): what the text servers cost a conversation.

Against the HTTP doubles of LibreTranslate and an OpenAI-compatible speech-to-text server
(bot/playground/text_doubles.py) on 127.0.0.1, with the real bot and the Bot API double:

1. A meeting published to a 600-member group whose members read 5 languages: translation calls
   per text and language (title, place, agenda into the 4 other languages).
2. The added latency of a report's first card: time from the resident's last tap to the
   worker's card reaching the Bot API, without the text servers and with a translation double
   answering in 500 ms (the card does not wait).
3. With that 500 ms double: the time from the worker's answer to its translation reaching the
   resident (and to the original), over several answers.

Run: python bench/translation.py [--reports 10] [--answers 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.meetings import Draft  # noqa: E402
from bot.playground.harness import Harness  # noqa: E402
from bot.playground.text_doubles import FakeLibreTranslate  # noqa: E402
from storage.timestamps import to_db  # noqa: E402
from tests.e2e_helpers import setup_world  # noqa: E402
from tests.reports_helpers import file_report, join  # noqa: E402

TZ = ZoneInfo("Europe/Brussels")
LANGS = ("nl", "fr", "ar", "tr", "en")
ARABIC = "يوجد عفن في الحمام منذ شهرين"


async def meeting_calls(members: int = 600) -> dict[str, float]:
    lt = await FakeLibreTranslate().start()
    with tempfile.TemporaryDirectory() as tmp:
        h = Harness(Path(tmp), overrides={"translate_url": lt.url})
        await h.start()
        s = h.services
        now = s.clock.now()
        async with s.db.transaction(mark=False) as conn:
            await conn.execute(
                "INSERT INTO projects (name, created_at) VALUES ('P', ?)", (to_db(now),)
            )
            await conn.execute(
                "INSERT INTO groups (project_id, name, member_token, created_at)"
                " VALUES (1, 'G', 't', ?)",
                (to_db(now),),
            )
            for i in range(members):
                cur = await conn.execute(
                    "INSERT INTO users (tg_id, first_name, tg_language, language, created_at,"
                    " last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (10_000 + i, f"U{i}", LANGS[i % 5], LANGS[i % 5], to_db(now), to_db(now)),
                )
                await conn.execute(
                    "INSERT INTO memberships (group_id, user_id, role, joined_at)"
                    " VALUES (1, ?, ?, ?)",
                    (cur.lastrowid, "organiser" if i == 0 else "member", to_db(now)),
                )
        title, place, agenda = "Huurdersvergadering", "Buurthuis Rabot", "Het woonplan"
        # What the organiser's preview does, then what Publish does.
        langs = await s.auto_text.group_languages(1)
        await s.auto_text.prepare_org([title, place, agenda], "nl", langs, 1)
        await s.auto_text.idle()
        draft = Draft(1, title, datetime(2026, 3, 5, 19, tzinfo=TZ), place, agenda)
        t0 = time.perf_counter()
        (mid,) = await s.meetings.publish(draft, 1)
        publish_s = time.perf_counter() - t0
        translated = await s.db.fetchval(
            "SELECT COUNT(*) FROM outbox WHERE batch = ? AND instr(payload, '[nl→') > 0",
            (f"meeting:{mid}",),
        )
        # A second publish of the same texts (next month's meeting) asks for nothing again.
        before = len(lt.translations)
        await s.auto_text.prepare_org([title, place, agenda], "nl", langs, 1)
        await s.auto_text.idle()
        again = len(lt.translations) - before
        await h.stop()
    await lt.stop()
    calls = before
    return {
        "members": members,
        "languages": len(langs),
        "calls": calls,
        "calls_per_text_and_language": calls / (3 * (len(langs) - 1)),
        "member_messages_translated": translated,
        "calls_for_the_next_meeting": again,
        "publish_seconds": publish_s,
    }


async def card_and_answer(reports: int, answers: int, latency: float | None) -> dict[str, float]:
    lt = await FakeLibreTranslate().start()
    if latency is not None:
        lt.set_latency(latency)
    overrides = {"translate_url": lt.url} if latency is not None else {}
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        h = Harness(Path(tmp), admin_ids=[1], overrides=overrides)
        await h.start()
        admin = h.person("Ann", user_id=1)
        sofie, _jan, payload = await setup_world(h, admin)
        await sofie.send("/routing")
        await sofie.press("👤")
        await sofie.press("Sofie")
        fatima = await join(h, payload, "Fatima", "ar")
        lags = []
        for i in range(reports):
            await file_report(h, fatima, text=f"{ARABIC} ({i})")
            # The last tap (confirm) and the card, as the Bot API double saw them.
            tap = [c for c in h.api.calls if c.method == "answerCallbackQuery"][-1].at
            card = [
                c
                for c in h.api.calls_to(sofie.id, "sendMessage")
                if f"({i})" in str(c.params.get("text"))
            ][0].at
            lags.append(card - tap)
        out["card_ms_median"] = statistics.median(lags) * 1000
        if latency is not None:
            card_msg = [m for m in sofie.messages() if "R-2026-0001" in (m.get("text") or "")][0]
            original, translation = [], []
            for i in range(answers):
                await sofie.press("💬", card_msg)
                text = f"Ik kom donderdag langs ({i})"
                update = h.api.text_update(sofie.tg, text)
                t0 = time.monotonic()
                await h.push(update)
                sent = [
                    c for c in h.api.calls_to(fatima.id) if text in str(c.params.get("text") or "")
                ]
                original.append(sent[0].at - t0)
                translation.append(
                    next(c.at for c in sent if "[nl→ar]" in str(c.params.get("text"))) - t0
                )
            out["answer_original_ms_median"] = statistics.median(original) * 1000
            out["answer_translation_ms_median"] = statistics.median(translation) * 1000
            out["answer_translation_ms_max"] = max(translation) * 1000
        await h.stop()
    await lt.stop()
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=10)
    parser.add_argument("--answers", type=int, default=10)
    args = parser.parse_args()
    m = await meeting_calls()
    print(
        f"meeting to {m['members']} members in {m['languages']} languages: {m['calls']} calls "
        f"for 3 texts x {m['languages'] - 1} other languages = "
        f"{m['calls_per_text_and_language']:.2f} per text and language; "
        f"{m['member_messages_translated']} member messages carry a translation; "
        f"next meeting with the same texts: {m['calls_for_the_next_meeting']} calls; "
        f"publish {m['publish_seconds'] * 1000:.0f} ms"
    )
    off = await card_and_answer(args.reports, 0, None)
    on = await card_and_answer(args.reports, args.answers, 0.5)
    print(
        f"report's first card, tap to card (median of {args.reports}): "
        f"{off['card_ms_median']:.1f} ms without text servers, "
        f"{on['card_ms_median']:.1f} ms with a 500 ms translation double: added "
        f"{on['card_ms_median'] - off['card_ms_median']:+.1f} ms"
    )
    print(
        f"worker's answer with a 500 ms double (median of {args.answers}): original after "
        f"{on['answer_original_ms_median']:.0f} ms, translation after "
        f"{on['answer_translation_ms_median']:.0f} ms"
        f" (max {on['answer_translation_ms_max']:.0f} ms)"
    )


if __name__ == "__main__":
    asyncio.run(main())
