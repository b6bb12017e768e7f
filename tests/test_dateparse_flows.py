"""Dates as people type them, through the real bot in every flow that asks for one: /newmeeting,
changing a meeting's time, /datepoll, /action (and changing a sent call), /roster. The clock is
the harness's Monday 2 March 2026, 09:00 Brussels."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.playground.harness import Harness, Person
from tests.e2e_helpers import make_worker, setup_world

TZ = ZoneInfo("Europe/Brussels")


def utc(y, mo, d, h, mi=0) -> str:
    return datetime(y, mo, d, h, mi, tzinfo=TZ).astimezone(ZoneInfo("UTC")).isoformat()


async def world(h: Harness, admin: Person, langs=("nl",)):
    sofie, jan, payload = await setup_world(h, admin)
    members = []
    for i, lang in enumerate(langs):
        p = h.person(f"Lid{i}", language_code=lang)
        await p.send(f"/start {payload}")
        members.append(p)
    return sofie, jan, members


async def worker_in(h: Harness, admin: Person, lang: str) -> Person:
    """A project worker who speaks ``lang``: workers may plan for every group of the project."""
    w = h.person(f"Worker{lang}", language_code=lang)
    await make_worker(h, admin, w)
    return w


async def start_meeting(p: Person, title="Huurdersvergadering") -> None:
    await p.send("/newmeeting")
    await p.send(title)


async def finish_meeting(p: Person, place: str | None = "Buurthuis") -> None:
    """From the place question on: place, skip the agenda, no limit, publish."""
    if place is not None:
        await p.send(place)
    await p.press_data("mt:sk")
    await p.press_data("mt:c:0")
    await p.press_data("mt:pub")


async def test_one_sentence_fills_in_repeat_and_proposes_the_place(h, admin):
    _sofie, jan, (member,) = await world(h, admin)
    await start_meeting(jan)
    await jan.send("elke eerste dinsdag om 19u in het buurthuis")
    text = jan.last_text()
    # The first occurrence is a first Tuesday, the repeat is said, not asked again.
    assert "dinsdag 3 maart 2026" in text and "19:00" in text
    assert "Elke eerste dinsdag van de maand" in text
    assert "Herhaalt" not in text
    assert jan.button_texts()[0] == "📍 het buurthuis"
    await jan.press("📍 het buurthuis")
    await finish_meeting(jan, place=None)
    assert await h.rows("SELECT rule, local_time, first_day, place FROM meeting_series") == [
        ("monthly:1", "19:00", "2026-03-03", "het buurthuis")
    ]
    days = await h.rows("SELECT occurrence_day FROM meetings ORDER BY starts_at")
    assert [d[0] for d in days] == ["2026-03-03", "2026-04-07"]


async def test_half_8_is_half_past_seven_in_the_evening_and_the_bot_says_so(h, admin):
    _sofie, jan, _members = await world(h, admin)
    await start_meeting(jan)
    await jan.send("donderdag half 8")
    assert "'s avonds: 19:30" in jan.last_text()
    assert "🕗 Toch 07:30" in jan.button_texts()  # the other reading is one tap away
    await jan.press("Eén keer")
    await finish_meeting(jan)
    assert await h.rows("SELECT starts_at FROM meetings") == [(utc(2026, 3, 5, 19, 30),)]


async def test_morning_instead_of_the_assumed_evening(h, admin):
    _sofie, jan, _members = await world(h, admin)
    await start_meeting(jan)
    await jan.send("donderdag half 8")
    await jan.press("🕗 Toch 07:30")
    assert "07:30" in jan.last_text() and "'s avonds" not in jan.last_text()
    await jan.press("Eén keer")
    await finish_meeting(jan)
    assert await h.rows("SELECT starts_at FROM meetings") == [(utc(2026, 3, 5, 7, 30),)]


async def test_next_tuesday_on_a_monday_is_asked_with_the_rule_named(h, admin):
    _sofie, jan, _members = await world(h, admin)
    await start_meeting(jan)
    await jan.send("volgende dinsdag 19u")
    assert "deze week of de week erna" in jan.last_text()
    assert len(jan.button_texts()) == 2
    await jan.press(jan.button_texts()[1])  # the Tuesday of next week
    assert "10 maart" in jan.last_text()
    await jan.press("Eén keer")
    await finish_meeting(jan)
    assert await h.rows("SELECT starts_at FROM meetings") == [(utc(2026, 3, 10, 19),)]


async def test_next_week_tuesday_and_tuesday_in_a_week_mean_the_10th(h, admin):
    _sofie, jan, _members = await world(h, admin)
    for typed in ("volgende week dinsdag om 19u", "dinsdag over een week", "dinsdagavond 19u"):
        await start_meeting(jan)
        await jan.send(typed)
        if typed == "dinsdag over een week":
            await jan.press("19:00")  # the day is known; the hour is asked
        await jan.press("Eén keer")
        await finish_meeting(jan)
    assert await h.rows("SELECT starts_at FROM meetings ORDER BY id") == [
        (utc(2026, 3, 10, 19),),
        (utc(2026, 3, 10, 19),),
        (utc(2026, 3, 3, 19),),
    ]


async def test_workers_plan_in_their_own_language(h, admin):
    _sofie, _jan, _members = await world(h, admin)
    month = {"fr": "mars", "en": "March", "ar": "مارس", "tr": "Mart"}
    typed = {
        "fr": ("mardi soir à 7h", utc(2026, 3, 3, 19)),
        "en": ("next week Tuesday 7pm", utc(2026, 3, 10, 19)),
        "ar": ("الثلاثاء 7 مساء", utc(2026, 3, 3, 19)),
        "tr": ("perşembe akşam 7 buçuk", utc(2026, 3, 5, 19, 30)),
    }
    for lang, (text, _want) in typed.items():
        w = await worker_in(h, admin, lang)
        await start_meeting(w, f"Meeting {lang}")
        await w.send(text)
        assert month[lang] in w.last_text()  # the reading, in their language
        # The repeat question (first button: only once).
        await w.press_data("mt:r:once")
        await finish_meeting(w)
    rows = dict(await h.rows("SELECT title, starts_at FROM meetings"))
    assert rows == {f"Meeting {lang}": want for lang, (_t, want) in typed.items()}
