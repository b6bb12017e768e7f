"""Dates as people type them, through the real bot in every flow that asks for one: /newmeeting,
changing a meeting's time, /datepoll, /action (and changing a sent call), /roster. The clock is
the harness's Monday 2 March 2026, 09:00 Brussels."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.playground.harness import Harness, Person
from tests.e2e_helpers import make_worker, setup_world

TZ = ZoneInfo("Europe/Brussels")


def choices(person: Person) -> list[str]:
    """The answers a step offers: its buttons without the ✖ Cancel every step has."""
    return [b for b in person.button_texts() if not b.startswith("✖")]


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
    assert choices(jan)[0] == "📍 het buurthuis"
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
    assert "🕗 Toch 07:30" in choices(jan)  # the other reading is one tap away
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
    assert len(choices(jan)) == 2
    await jan.press(choices(jan)[1])  # the Tuesday of next week
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


async def test_change_time_of_a_january_meeting_offers_its_own_days_and_a_time_alone(h, admin):
    _sofie, jan, (member,) = await world(h, admin)
    await start_meeting(jan)
    await jan.send("12/1/2027 19u")  # a Tuesday in January
    await jan.press("Eén keer")
    await finish_meeting(jan)
    await member.press("✅")
    (mid,) = [r[0] for r in await h.rows("SELECT id FROM meetings")]
    await jan.press_data(f"mt:o:{mid}")
    await jan.press("🕖")
    labels = choices(jan)
    # The days around the meeting's own day (📌), and a week later; not the next 7 days.
    assert "📌 di 12 jan" in labels
    assert any("13 jan" in b for b in labels) and any("19 jan" in b for b in labels)
    assert not any("mrt" in b for b in labels)
    await jan.send("19u30")  # a time alone keeps the day
    assert "19:30" in jan.last_text() and "1 vergadering" in jan.last_text()
    assert await h.rows("SELECT starts_at FROM meetings") == [(utc(2027, 1, 12, 19, 30),)]
    assert "19:00 → dinsdag 12 januari 2027 om 19:30" in member.last_text()
    # A weekday is read in the meeting's own week: Wednesday 13 January.
    await jan.press_data(f"mt:o:{mid}")
    await jan.press("🕖")
    await jan.send("woensdag 19u")
    assert await h.rows("SELECT starts_at FROM meetings") == [(utc(2027, 1, 13, 19),)]
    # A day button near the meeting, then the hour.
    await jan.press_data(f"mt:o:{mid}")
    await jan.press("🕖")
    await jan.press("do 14 jan")
    await jan.press("14:00")
    assert await h.rows("SELECT starts_at FROM meetings") == [(utc(2027, 1, 14, 14),)]


async def test_date_poll_takes_typed_dates_like_a_meeting(h, admin):
    _sofie, jan, (member,) = await world(h, admin)
    await jan.send("/datepoll")
    await jan.send("Buurtfeest")
    await jan.send("zaterdagnamiddag 2 uur")
    await jan.press("➕")
    await jan.send("volgende week zaterdag om 14u")
    await jan.press("➕")
    await jan.send("donderdag half 8")
    assert "'s avonds: 19:30" in jan.last_text()
    await jan.press("✅")
    await jan.send("Rabotpark")
    await jan.press_data("mt:sk")
    await jan.press_data("mt:c:0")
    await jan.press_data("mt:pub")
    assert await h.rows("SELECT starts_at FROM date_poll_options ORDER BY starts_at") == [
        (utc(2026, 3, 5, 19, 30),),
        (utc(2026, 3, 7, 14),),
        (utc(2026, 3, 14, 14),),
    ]
    assert "za 7 mrt" in " ".join(choices(member))


async def test_action_call_understands_the_same_words(h, admin):
    sofie, jan, _members = await world(h, admin)
    await jan.send("/action")
    await jan.send("Protest stadhuis")
    await jan.send("volgende week dinsdag om 19u")
    assert "Waar" in jan.last_text()  # on to the place: the date was understood
    await jan.send("Stadhuis")
    await jan.press_data("ac:skip")
    await jan.press_data("ac:skip")
    await jan.press("➡️")
    await jan.press("Huurders Rabot")
    await jan.press("👀")
    await jan.press("📣")
    assert await h.rows("SELECT starts_at FROM actions") == [(utc(2026, 3, 10, 19),)]
    # Changing the sent call: "19u30" alone keeps its day.
    (aid,) = [r[0] for r in await h.rows("SELECT id FROM actions")]
    await jan.press_data(f"ac:ch:{aid}")
    await jan.send("19u30")
    await jan.send("=")
    assert await h.rows("SELECT starts_at FROM actions") == [(utc(2026, 3, 10, 19, 30),)]


async def test_action_asks_what_is_missing_and_which_one(h, admin):
    sofie, jan, _members = await world(h, admin)
    await jan.send("/action")
    await jan.send("Protest")
    await jan.send("dinsdag 19u")  # seen on main: "I do not understand that date"
    assert "Waar" in jan.last_text()
    # A French worker: a weekday alone asks the hour, then a typed time.
    w = await worker_in(h, admin, "fr")
    await w.send("/action")
    await w.send("Manif")
    await w.send("jeudi")
    assert "jeudi 5 mars 2026" in w.last_text()
    await w.send("19h30")
    assert "Où" in w.last_text()
    # An English worker: "next Tuesday" on a Monday is asked.
    e = await worker_in(h, admin, "en")
    await e.send("/action")
    await e.send("Rally")
    await e.send("next Tuesday 7pm")
    assert "this week or the week after" in e.last_text()
    await e.press("10 Mar")
    assert "Where" in e.last_text()
    # A Turkish worker: a time first, then a day button.
    t = await worker_in(h, admin, "tr")
    await t.send("/action")
    await t.send("Eylem")
    await t.send("akşam 7")
    await t.press(choices(t)[2])  # Wednesday 4 March
    assert "Nerede" in t.last_text()


async def test_roster_dates_and_times_typed_as_people_say_them(h, admin):
    _sofie, jan, _members = await world(h, admin)
    await jan.send("/roster")
    await jan.press("➕")
    await jan.send("Buurtfeest")
    await jan.press_data("ro:rule:dates")
    await jan.send("zaterdag 14 maart en zaterdag 21 maart")
    await jan.send("half 8")  # a shift has no likely half of the day: asked
    assert choices(jan) == ["07:30", "19:30"]
    await jan.press("07:30")
    await jan.send("half 1")  # half past twelve
    await jan.send("Rabotpark")
    await jan.press_data("ro:n:4")
    await jan.press_data("ro:skip")
    await jan.press("✅")
    assert await h.rows("SELECT dates, start_min, end_min FROM roster_tasks") == [
        ('["2026-03-14", "2026-03-21"]', 7 * 60 + 30, 12 * 60 + 30)
    ]


async def test_monthly_series_is_one_card_answered_for_every_time_or_one_date(h, admin):
    _sofie, jan, (nl, ar) = await world(h, admin, langs=("nl", "ar"))
    await start_meeting(jan)
    await jan.send("elke eerste dinsdag om 19u in het buurthuis")
    await jan.press("📍")
    await finish_meeting(jan, place=None)
    # The organiser is told it is one series, with its next date; seen on main: "2 meetings".
    told = next(t for t in jan.texts() if "Gepubliceerd" in t)
    assert "één reeks" in told and "elke eerste dinsdag" in told
    assert "dinsdag 3 maart 2026 om 19:00" in told
    first, second = [r[0] for r in await h.rows("SELECT id FROM meetings ORDER BY starts_at")]
    # Each member got one card, with "every time" next to the answers for this date.
    for p, every in ((nl, "🔁 Ja, elke keer"), (ar, "🔁 نعم، في كل مرة")):
        cards = [m for m in p.messages() if "mt:y:" in str(m.get("reply_markup"))]
        assert len(cards) == 1
        assert every in p.button_texts(cards[0])
    # Lid1 (Arabic) answers for the series, Lid0 for the first date only.
    await ar.press("🔁")
    assert "كل مرة" in ar.last_text()
    await nl.press("✅ Ja")
    ids = {r[0]: r[1] for r in await h.rows("SELECT id, first_name FROM users")}
    rsvps = await h.rows("SELECT meeting_id, user_id, answer FROM meeting_rsvps ORDER BY 1, 2")
    assert [(m, ids[u], a) for m, u, a in rsvps] == [
        (first, "Lid0", "yes"),
        (first, "Lid1", "yes"),
        (second, "Lid1", "yes"),
    ]
    # The organiser's names list of the second date shows her.
    await jan.press_data(f"mt:o:{second}")
    assert "✅ Ja (1): Lid1" in jan.last_text()
    # After 3 March the next date (7 April) goes to the one who answers per date; she who said
    # "every time" gets no new card, only the reminder the day before.
    await h.advance_to(datetime(2026, 3, 4, 10, 0, tzinfo=TZ))
    assert sum("7 april 2026" in t for t in nl.texts()) == 1

    def cards(p):
        return [m for m in p.messages() if "mt:y:" in str(m.get("reply_markup"))]

    assert len(cards(nl)) == 2 and len(cards(ar)) == 1
    before = len(ar.texts())
    await h.advance_to(datetime(2026, 4, 6, 19, 30, tzinfo=TZ))
    reminders = ar.texts()[before:]
    assert any("⏰" in t for t in reminders)
    assert not any("⏰" in t for t in nl.texts())  # Lid0 did not answer 7 April
    # The date created later (5 May) carries her Yes without a new question.
    (may,) = [
        r[0] for r in await h.rows("SELECT id FROM meetings WHERE occurrence_day = '2026-05-05'")
    ]
    assert await h.rows("SELECT answer FROM meeting_rsvps WHERE meeting_id = ?", (may,)) == [
        ("yes",)
    ]
    # Back to answering per date: this date's answer stays, the later ones are cleared.
    (april,) = [
        r[0] for r in await h.rows("SELECT id FROM meetings WHERE occurrence_day = '2026-04-07'")
    ]
    await ar.press_data(f"mt:sx:{april}")
    assert await h.rows("SELECT COUNT(*) FROM meeting_series_answers") == [(0,)]
    assert await h.rows("SELECT meeting_id FROM meeting_rsvps WHERE meeting_id >= ?", (april,)) == [
        (april,)
    ]


async def test_every_time_is_only_for_members_and_forget_removes_it(h, admin):
    sofie, jan, (nl,) = await world(h, admin)
    await start_meeting(jan)
    await jan.send("elke dinsdag om 19u")
    await jan.send("Buurthuis")
    await finish_meeting(jan, place=None)
    (first, *_rest) = [r[0] for r in await h.rows("SELECT id FROM meetings ORDER BY starts_at")]
    outsider = h.person("Buiten", language_code="nl")
    await outsider.send("/start")
    await outsider.press_data(f"mt:sy:{first}")
    assert await h.rows("SELECT COUNT(*) FROM meeting_series_answers") == [(0,)]
    await nl.press("🔁")
    assert await h.rows("SELECT COUNT(*) FROM meeting_series_answers") == [(1,)]
    # /mydata shows it; /forget removes it.
    await nl.send("/mydata")
    doc = [m for m in nl.messages() if m.get("document")][-1]
    data = json.loads(h.api.file_bytes(doc["document"]["file_id"]))
    found = json.dumps(data, ensure_ascii=False)
    assert '"rule": "weekly"' in found and '"answer": "yes"' in found
    await nl.send("/forget")
    await nl.press(choices(nl)[0])
    assert await h.rows("SELECT COUNT(*) FROM meeting_series_answers") == [(0,)]


async def test_moving_a_whole_series_to_another_day_says_only_the_hour_changed(h, admin):
    _sofie, jan, (member,) = await world(h, admin)
    await start_meeting(jan)
    await jan.send("elke dinsdag om 19u")
    await finish_meeting(jan)
    await member.press("🔁")
    first = (await h.rows("SELECT id FROM meetings ORDER BY starts_at"))[0][0]
    await jan.press_data(f"mt:o:{first}")
    await jan.press("🕖")
    await jan.press("De hele reeks")
    await jan.send("woensdag 20u")
    assert "alleen het uur is veranderd" in jan.last_text()
    days = await h.rows("SELECT occurrence_day, starts_at FROM meetings ORDER BY starts_at")
    assert [d for d, _ in days] == ["2026-03-03", "2026-03-10", "2026-03-17"]
    assert [s for _, s in days] == [utc(2026, 3, d, 20) for d in (3, 10, 17)]


async def test_next_week_without_a_day_asks_which_day_of_that_week(h, admin):
    _sofie, jan, _members = await world(h, admin)
    await start_meeting(jan)
    await jan.send("volgende week om 19u")
    assert "Welke dag van die week?" in jan.last_text()
    labels = choices(jan)
    assert labels[0] == "ma 9 mrt" and labels[-1] == "zo 15 mrt"
    await jan.press("do 12 mrt")  # the hour was said: straight on
    await jan.press("Eén keer")
    await finish_meeting(jan)
    # A weekday that is not the date's: both are offered.
    await start_meeting(jan, "Extra")
    await jan.send("woensdag 14/3 om 19u")
    assert set(choices(jan)) == {"wo 11 mrt 2026, 19:00", "za 14 mrt 2026, 19:00"}
    await jan.press("za 14 mrt")
    await jan.press("Eén keer")
    await finish_meeting(jan)
    # The same in an action call.
    await jan.send("/action")
    await jan.send("Protest")
    await jan.send("next week at 7pm")
    assert "Welke dag van die week?" in jan.last_text()
    await jan.press("di 10 mrt")
    assert "Waar" in jan.last_text()
    await jan.send("Stadhuis")
    await jan.press_data("ac:skip")
    await jan.press_data("ac:skip")
    await jan.press("➡️")
    await jan.press("Huurders Rabot")
    await jan.press("👀")
    await jan.press("📣")
    assert await h.rows("SELECT starts_at FROM meetings ORDER BY id") == [
        (utc(2026, 3, 12, 19),),
        (utc(2026, 3, 14, 19),),
    ]
    assert await h.rows("SELECT starts_at FROM actions") == [(utc(2026, 3, 10, 19),)]


async def test_other_languages_in_change_time_polls_and_rosters(h, admin):
    _sofie, jan, (member,) = await world(h, admin)
    fr = await worker_in(h, admin, "fr")
    ar = await worker_in(h, admin, "ar")
    tr = await worker_in(h, admin, "tr")
    en = await worker_in(h, admin, "en")
    # French: a meeting on Thursday, then moved with a time alone.
    await start_meeting(fr, "Réunion")
    await fr.send("jeudi 19h")
    await fr.press_data("mt:r:once")
    await finish_meeting(fr)
    (mid,) = [r[0] for r in await h.rows("SELECT id FROM meetings")]
    await fr.press_data(f"mt:o:{mid}")
    await fr.press("🕖")
    assert "📌 jeu. 5 mars" in choices(fr)
    await fr.send("19h30")
    assert await h.rows("SELECT starts_at FROM meetings") == [(utc(2026, 3, 5, 19, 30),)]
    # English date poll with typed dates.
    await en.send("/datepoll")
    await en.send("Street party")
    await en.send("Saturday afternoon at 2")
    await en.press("➕")
    await en.send("Sunday at noon")
    await en.press("✅")
    await en.send("The park")
    await en.press_data("mt:sk")
    await en.press_data("mt:c:0")
    await en.press_data("mt:pub")
    assert await h.rows("SELECT starts_at FROM date_poll_options ORDER BY starts_at") == [
        (utc(2026, 3, 7, 14),),
        (utc(2026, 3, 8, 12),),
    ]
    # Arabic roster: dates and hours in Arabic-Indic digits.
    await ar.send("/roster")
    await ar.press("➕")
    await ar.send("توزيع الطعام")
    await ar.press_data("ro:rule:dates")
    await ar.send("١٤/٣ و ٢١/٣")
    await ar.send("٩:٣٠")
    await ar.send("١٢:٠٠")
    await ar.send("المركز")
    await ar.press_data("ro:n:4")
    await ar.press_data("ro:skip")
    await ar.press_data("ro:ok")
    # Turkish roster: "9'da" and "öğleden sonra 1".
    await tr.send("/roster")
    await tr.press("➕")
    await tr.send("Kafe")
    await tr.press_data("ro:rule:dates")
    await tr.send("14 Mart ve 21 Mart")
    await tr.send("9'da")
    await tr.send("öğleden sonra 1")
    await tr.send("Merkez")
    await tr.press_data("ro:n:2")
    await tr.press_data("ro:skip")
    await tr.press_data("ro:ok")
    assert await h.rows(
        "SELECT title, dates, start_min, end_min FROM roster_tasks ORDER BY id"
    ) == [
        ("توزيع الطعام", '["2026-03-14", "2026-03-21"]', 9 * 60 + 30, 12 * 60),
        ("Kafe", '["2026-03-14", "2026-03-21"]', 9 * 60, 13 * 60),
    ]


async def test_seen_on_main_every_first_tuesday_typed_on_tuesday_1_december(tmp_path):
    # Seen on main on Tuesday 1 December: offered 1 and 8 December, then asked again how often
    # and where.
    h = Harness(tmp_path, admin_ids=[1], start_time=datetime(2026, 12, 1, 9, 0, tzinfo=TZ))
    await h.start()
    try:
        admin = h.person("Ann", language_code="nl", user_id=1)
        _sofie, jan, _members = await world(h, admin)
        await start_meeting(jan)
        await jan.send("elke eerste dinsdag om 19u in het buurthuis")
        text = jan.last_text()
        assert "dinsdag 1 december 2026 om 19:00" in text and "8 december" not in text
        assert "Elke eerste dinsdag van de maand" in text
        assert not any("Eén keer" in b for b in choices(jan))  # not asked again
        await jan.press("📍 het buurthuis")
        await finish_meeting(jan, place=None)
        days = await h.rows("SELECT occurrence_day, place FROM meetings ORDER BY starts_at")
        assert days == [("2026-12-01", "het buurthuis"), ("2027-01-05", "het buurthuis")]
    finally:
        await h.stop()


# ----- walked as Jan (organiser, Flemish, not technical) -----


async def test_maandelijks_and_s_avonds_are_read_and_no_false_place_is_offered(h, admin):
    _sofie, jan, _members = await world(h, admin)
    await start_meeting(jan)
    await jan.send("maandelijks op de eerste dinsdag om 7 uur 's avonds")
    text = jan.last_text()
    # Seen: no repeat (asked again), and "📍 de eerste" offered as the place.
    assert "dinsdag 3 maart 2026" in text and "19:00" in text
    assert "Elke eerste dinsdag van de maand" in text and "Herhaalt" not in text
    assert not [b for b in choices(jan) if b.startswith("📍")]
    await finish_meeting(jan, place="Buurthuis")
    assert await h.rows("SELECT rule, local_time, place FROM meeting_series") == [
        ("monthly:1", "19:00", "Buurthuis")
    ]
    # "'s avonds" after a space left "'s" behind, offered as a place ("📍 's").
    await start_meeting(jan, "Bestuur")
    await jan.send("donderdag om 7 uur 's avonds")
    assert "donderdag 5 maart 2026" in jan.last_text() and "19:00" in jan.last_text()
    assert not [b for b in choices(jan) if b.startswith("📍")]


async def test_jan_plans_from_the_meetings_button_and_moves_one_date_to_another_evening(h, admin):
    _sofie, jan, (member,) = await world(h, admin)
    await jan.press("Nederlands")  # the welcome's language question: the menu follows
    await jan.press("📅 Vergaderingen")
    # Seen: an organiser's empty list had no way to plan one without knowing /newmeeting.
    assert "geen vergaderingen" in jan.last_text()
    await jan.press("➕ Vergadering plannen")
    assert "Hoe heet de vergadering" in jan.last_text()
    await jan.send("Huurdersvergadering")
    await jan.send("elke eerste dinsdag om 19u in het buurthuis")
    await jan.press("📍 het buurthuis")
    await finish_meeting(jan, place=None)
    await member.press("🔁")  # every time
    # April's room is taken: Jan moves that one date to the Wednesday evening.
    await jan.send("/meetings")
    await jan.press("di 7 apr")
    await jan.press("🕖 Dag of uur wijzigen")  # was "Uur wijzigen": he wants another day
    await jan.press("Alleen deze")
    await jan.press("wo 8 apr")
    # The hour is asked, its own hour marked: one tap, not retyped.
    assert choices(jan) == ["10:00", "14:00", "📌 19:00"]
    await jan.press("📌 19:00")
    assert "woensdag 8 april 2026 om 19:00" in jan.last_text()
    assert await h.rows("SELECT occurrence_day, starts_at FROM meetings ORDER BY id") == [
        ("2026-03-03", utc(2026, 3, 3, 19)),
        ("2026-04-07", utc(2026, 4, 8, 19)),
    ]
    assert "8 april 2026" in member.last_text() and "19:00" in member.last_text()
    # Seen: the moved date's card said "🔁 Elke eerste woensdag van de maand".
    await jan.send("/meetings")
    await jan.press("wo 8 apr")
    assert "🔁 Elke eerste dinsdag van de maand" in jan.last_text()
    assert "woensdag van de maand" not in jan.last_text()
    # The list offers a date poll too.
    await jan.send("/meetings")
    assert "🗳 Laat de groep een datum kiezen" in choices(jan)


async def test_the_place_said_with_an_action_date_is_one_tap_not_asked_again(h, admin):
    _sofie, jan, (member,) = await world(h, admin)
    await jan.send("/action")
    await jan.send("Protest huurprijzen")
    await jan.send("volgende week dinsdag 's avonds aan het stadhuis")
    # He said the evening: the evening's hours, not fourteen buttons from 08:00.
    assert choices(jan) == ["17:00", "18:00", "19:00", "20:00", "21:00"]
    await jan.press("19:00")
    # Seen: "Waar?" although he had just said it.
    assert "het stadhuis" in jan.last_text()
    await jan.press("📍 het stadhuis")
    await jan.press_data("ac:skip")
    await jan.press_data("ac:skip")
    await jan.press("➡️")
    await jan.press("Huurders Rabot")
    await jan.press("👀")
    await jan.press("📣")
    assert await h.rows("SELECT starts_at, place FROM actions") == [
        (utc(2026, 3, 10, 19), "het stadhuis")
    ]
    assert "het stadhuis" in member.last_text()
    # A place typed instead of tapped wins.
    await jan.send("/action")
    await jan.send("Tweede protest")
    await jan.send("donderdag 19u op het Sint-Pietersplein")
    await jan.send("Stadhuis, Botermarkt 1")
    await jan.press_data("ac:skip")
    await jan.press_data("ac:skip")
    await jan.press("➡️")
    await jan.press("Huurders Rabot")
    await jan.press("👀")
    await jan.press("📣")
    assert (await h.rows("SELECT place FROM actions ORDER BY id"))[-1] == (
        "Stadhuis, Botermarkt 1",
    )


# ----- walked as Fatima (member, Arabic, Arabic-Indic digits) -----


async def test_arabic_indic_times_with_the_arabic_decimal_sign_and_a_spaced_half(h, admin):
    _sofie, _jan, (fatima,) = await world(h, admin, langs=("ar",))
    w = await worker_in(h, admin, "ar")
    # Seen: "٧٫٣٠" (the Arabic keyboard's decimal sign) read as 30 April at 7.
    await start_meeting(w, "اجتماع الحي")
    await w.send("الخميس ٧٫٣٠ مساء")
    assert "الخميس 5 مارس 2026" in w.last_text() and "19:30" in w.last_text()
    await w.press_data("mt:r:once")
    await finish_meeting(w, place="المركز")
    # Seen: "٧ و نص" (and a half, with a space) lost its half: 07:00 or 19:00 asked.
    await start_meeting(w, "اجتماع ثاني")
    await w.send("الجمعة ٧ و نص")
    assert "الجمعة 6 مارس 2026" in w.last_text() and "19:30" in w.last_text()
    await w.press_data("mt:r:once")
    await finish_meeting(w, place="المركز")
    assert await h.rows("SELECT starts_at FROM meetings ORDER BY id") == [
        (utc(2026, 3, 5, 19, 30),),
        (utc(2026, 3, 6, 19, 30),),
    ]
    # Fatima reads both in her language and answers with a tap.
    cards = [t for t in fatima.texts() if "اجتماع الحي" in t]
    assert "الخميس 5 مارس 2026" in cards[0] and "19:30" in cards[0]  # one 24-hour time
    await fatima.press("✅", fatima.messages()[-2])
    assert await h.rows("SELECT meeting_id, answer FROM meeting_rsvps") == [(1, "yes")]


# ----- walked as Sofie (project worker, French today) -----


async def test_sofie_sets_up_a_date_poll_in_french_and_members_see_what_it_is_about(h, admin):
    sofie, _jan, (mehmet, fatima) = await world(h, admin, langs=("tr", "ar"))
    await sofie.send("/language")
    await sofie.press("Français")
    await sofie.send("/datepoll")
    await sofie.send("Soirée de quartier")
    await sofie.send("vendredi 20 mars à 19h")
    await sofie.press("➕")
    await sofie.send("samedi 21 mars vers 18h30")
    await sofie.press("➕")
    # Seen: "le vendredi d'après" silently read as this Friday, 6 March.
    await sofie.send("le vendredi d'après à 19h")
    assert len(choices(sofie)) == 2 and "13 mars" in choices(sofie)[1]
    await sofie.press("13 mars")
    assert "ven. 13 mars 2026, 19:00" in sofie.last_text()
    await sofie.press("✅")
    await sofie.send("salle du Rabot")
    await sofie.send("repas et musique")
    await sofie.press_data("mt:c:0")
    # Seen: the preview and the members' card left out what the evening is about.
    assert "📝 repas et musique" in sofie.texts()[-2]
    await sofie.press("✅ Publier")
    assert "sondage" in sofie.last_text()
    for member, word in ((mehmet, "Ne zaman"), (fatima, "متى")):
        assert "📝 repas et musique" in member.last_text() and word in member.last_text()
    await mehmet.press("13 Mar")
    assert await h.rows(
        "SELECT o.starts_at FROM date_poll_votes v JOIN date_poll_options o ON o.id = v.option_id"
    ) == [(utc(2026, 3, 13, 19),)]


async def test_dinsdag_over_8_dagen_is_next_weeks_tuesday_in_an_action_call(h, admin):
    _sofie, jan, (member,) = await world(h, admin)
    await jan.send("/action")
    await jan.send("Protest huurprijzen")
    # Seen: read as tomorrow (Tuesday 3 March): the "over 8 dagen" was dropped.
    await jan.send("dinsdag over 8 dagen om 7 uur 's avonds aan het stadhuis")
    assert "Waar is het" in jan.last_text()
    await jan.press("📍 het stadhuis")
    await jan.press_data("ac:skip")
    await jan.press_data("ac:skip")
    await jan.press("➡️")
    await jan.press("Huurders Rabot")
    await jan.press("👀")
    await jan.press("📣")
    assert await h.rows("SELECT starts_at, place FROM actions") == [
        (utc(2026, 3, 10, 19), "het stadhuis")
    ]
    assert "10 mrt" in member.last_text()


async def test_a_day_said_with_its_part_offers_that_parts_hours(h, admin):
    _sofie, jan, _members = await world(h, admin)
    await start_meeting(jan)
    await jan.send("zaterdagvoormiddag")
    assert "zaterdag 7 maart 2026" in jan.last_text()
    assert choices(jan) == ["07:00", "08:00", "09:00", "10:00", "11:00", "12:00"]
    await jan.press("10:00")
    await jan.press("Eén keer")
    await finish_meeting(jan)
    assert await h.rows("SELECT starts_at FROM meetings") == [(utc(2026, 3, 7, 10),)]
    # A plain day keeps the usual three.
    await start_meeting(jan, "Bestuur")
    await jan.send("donderdag")
    assert choices(jan) == ["10:00", "14:00", "19:00"]


async def test_the_place_in_the_action_s_name_is_offered_when_where_is_asked(h, admin):
    _sofie, jan, (member,) = await world(h, admin)
    await jan.send("/action")
    assert "Protest aan het stadhuis" in jan.last_text()  # the bot's own example
    await jan.send("Protest aan het stadhuis")
    await jan.send("dinsdag over 8 dagen om 19u")
    # Seen: "Waar?" although the name said it.
    assert choices(jan) == ["📍 het stadhuis"]
    await jan.press("📍 het stadhuis")
    await jan.press_data("ac:skip")
    await jan.press_data("ac:skip")
    await jan.press("➡️")
    await jan.press("Huurders Rabot")
    await jan.press("👀")
    await jan.press("📣")
    assert await h.rows("SELECT what, place FROM actions") == [
        ("Protest aan het stadhuis", "het stadhuis")
    ]


async def test_january_dates_typed_in_december_are_next_year_s(tmp_path):
    # Walked on Tuesday 1 December: "dinsdag 5 januari" was "that date has passed" (5 January
    # 2026, a Monday), "5/1" asked whether next year was meant.
    h = Harness(tmp_path, admin_ids=[1], start_time=datetime(2026, 12, 1, 9, 0, tzinfo=TZ))
    await h.start()
    try:
        admin = h.person("Ann", language_code="nl", user_id=1)
        _sofie, jan, (member,) = await world(h, admin)
        await start_meeting(jan, "Nieuwjaarsvergadering")
        await jan.send("dinsdag 5 januari om 19u")
        assert "dinsdag 5 januari 2027 om 19:00" in jan.last_text()
        await jan.press("Eén keer")
        await finish_meeting(jan)
        await jan.send("/action")
        await jan.send("Nieuwjaarsactie")
        await jan.send("12/1 om 19u aan het stadhuis")
        await jan.press("📍 het stadhuis")
        await jan.press_data("ac:skip")
        await jan.press_data("ac:skip")
        await jan.press("➡️")
        await jan.press("Huurders Rabot")
        await jan.press("👀")
        await jan.press("📣")
        assert await h.rows("SELECT starts_at FROM meetings") == [(utc(2027, 1, 5, 19),)]
        assert await h.rows("SELECT starts_at FROM actions") == [(utc(2027, 1, 12, 19),)]
        # "de eerste dinsdag van januari": that one date, not "this week or the next".
        await start_meeting(jan, "Kern")
        await jan.send("de eerste dinsdag van januari om 19u")
        assert "dinsdag 5 januari 2027 om 19:00" in jan.last_text()
        await jan.send("/cancel")
        # A date just gone is still asked: likely a typo.
        await start_meeting(jan, "Bestuur")
        await jan.send("20/11 om 19u")
        assert "voorbij" in jan.last_text()
    finally:
        await h.stop()


async def test_an_answer_typed_to_a_meeting_card_is_told_where_to_tap(h, admin):
    _sofie, jan, (fatima, mehmet) = await world(h, admin, langs=("ar", "tr"))
    await start_meeting(jan)
    await jan.send("elke eerste dinsdag om 19u in het buurthuis")
    await jan.press("📍 het buurthuis")
    await finish_meeting(jan, place=None)
    card = fatima.last()
    # Seen: "لم أفهم ذلك" and a Help button, nothing about the card's buttons.
    await fatima.send("نعم")
    assert "✅" in fatima.last_text() and "اجتماع" in fatima.last_text()
    await mehmet.send("her seferinde geleceğim")
    assert "toplantıya" in mehmet.last_text()
    await mehmet.press("📅")  # the list of meetings, his own answer to tap
    assert "Salı 3 Mar" in mehmet.last_text() or "3 Mar" in mehmet.last_text()
    await mehmet.press("🔁", [m for m in mehmet.messages() if "🔁" in str(m)][0])
    await fatima.press("✅", card)
    await fatima.send("نعم")  # nothing waits for her now: the plain answer
    assert "اجتماع" not in fatima.last_text()
    assert len(await h.rows("SELECT user_id FROM meeting_series_answers")) == 1
