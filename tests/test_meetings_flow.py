"""Story 6, the rest: series, group chat, waitlist, reminders (DST, restart), changes, /meetings,
.ics, date polls and attendance — all through the real bot and the injected clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

from tests.test_meetings import plan, world

TZ = ZoneInfo("Europe/Brussels")


def local(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=TZ)


async def meeting_ids(h):
    return [r[0] for r in await h.rows("SELECT id FROM meetings ORDER BY starts_at")]


async def test_monthly_series_created_ahead_each_with_own_rsvps(h, admin):
    sofie, jan, (nl, ar) = await world(h, admin, langs=("nl", "ar"))
    # Tuesday 3 March 2026 is the first Tuesday of the month.
    await plan(h, jan, repeat="Elke eerste dinsdag")
    rows = await h.rows("SELECT starts_at, occurrence_day FROM meetings ORDER BY starts_at")
    assert [r[1] for r in rows] == ["2026-03-03", "2026-04-07"]  # 8 weeks ahead
    # 19:00 local both times, across the DST change of 29 March.
    assert [r[0] for r in rows] == ["2026-03-03T18:00:00+00:00", "2026-04-07T17:00:00+00:00"]
    assert "Elke eerste dinsdag van de maand" in nl.last_text()
    assert "أول الثلاثاء من كل شهر" in ar.last_text()
    # One card for the series (its first date), answered for that date only.
    assert sum("Elke eerste dinsdag" in t for t in nl.texts()) == 1
    await nl.press("✅ Ja")
    first, second = await meeting_ids(h)
    assert await h.rows("SELECT meeting_id, answer FROM meeting_rsvps") == [(first, "yes")]
    # A month later the scheduler adds the next occurrence, once, even across a restart.
    await h.advance_to(local(2026, 3, 20, 12))
    await h.restart()
    await h.advance(hours=1)
    days = [r[0] for r in await h.rows("SELECT occurrence_day FROM meetings ORDER BY starts_at")]
    assert days == ["2026-03-03", "2026-04-07", "2026-05-05"]
    # 3 March is over: the next date, 7 April, is sent once; 5 May waits its turn.
    assert sum("7 april 2026" in t for t in nl.texts()) == 1
    assert not any("5 mei 2026" in t for t in nl.texts())


async def test_skip_one_and_change_whole_series(h, admin):
    sofie, jan, (nl,) = await world(h, admin, langs=("nl",))
    await plan(h, jan, repeat="Elke week")
    ids = await meeting_ids(h)
    assert len(ids) == 3  # 3, 10, 17 March: three weeks ahead
    await nl.press("🔁")  # one card; yes for every time
    assert await h.rows("SELECT COUNT(*) FROM meeting_rsvps WHERE answer = 'yes'") == [(3,)]
    # Skip one occurrence.
    await jan.press_data(f"mt:o:{ids[1]}")
    await jan.press("❌ Vergadering aflassen")
    await jan.press("Alleen deze")
    await jan.press("Ja, aflassen")
    assert "afgelast" in nl.last_text() and "10 maart" in nl.last_text()
    assert await h.rows("SELECT status FROM meetings ORDER BY starts_at") == [
        ("published",),
        ("cancelled",),
        ("published",),
    ]
    # Change the time of the whole series: every future occurrence moves, members are told old
    # → new.
    await jan.press_data(f"mt:o:{ids[2]}")
    await jan.press("🕖 Dag of uur wijzigen")
    await jan.press("De hele reeks")
    await jan.send("dinsdag 20u")
    assert "gewijzigd" in jan.last_text()
    changes = [t for t in nl.texts() if "is gewijzigd" in t]
    assert len(changes) == 2
    assert "om 19:00 → <b>" not in changes[0] and "19:00 → " in changes[0] and "20:00" in changes[0]
    times = [
        r[0]
        for r in await h.rows(
            "SELECT starts_at FROM meetings WHERE status = 'published' ORDER BY starts_at"
        )
    ]
    assert times == ["2026-03-03T19:00:00+00:00", "2026-03-17T19:00:00+00:00"]
    assert await h.rows("SELECT local_time FROM meeting_series") == [("20:00",)]
    # The skipped one is not created again by the scheduler.
    await h.advance(hours=1)
    assert await h.rows("SELECT COUNT(*) FROM meetings WHERE occurrence_day = '2026-03-10'") == [
        (1,)
    ]


async def test_linked_group_chat_gets_the_meeting(h, admin):
    sofie, jan, (nl,) = await world(h, admin, langs=("nl",))
    chat_id = -100777
    await h.push(h.api.group_text_update(jan.tg, chat_id, "/linkchat"))
    msg = h.api.sent_messages(chat_id)[-1]
    data = msg["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    # A member who is no organiser cannot link it.
    await h.push(h.api.callback_update(nl.tg, msg, data))
    assert await h.rows("SELECT chat_id FROM groups") == [(None,)]
    await h.push(h.api.callback_update(jan.tg, msg, data))
    assert await h.rows("SELECT chat_id FROM groups") == [(chat_id,)]
    await plan(h, jan)
    posted = h.api.sent_messages(chat_id)[-1]
    assert "Huurdersvergadering" in posted["text"]
    # A member answers from the group chat.
    yes = posted["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await h.push(h.api.callback_update(nl.tg, posted, yes))
    assert await h.rows("SELECT answer FROM meeting_rsvps") == [("yes",)]


async def test_capacity_waitlist_and_freed_place_with_deadline(h, admin):
    sofie, jan, (a, b, c) = await world(h, admin, langs=("nl", "fr", "tr"))
    await plan(h, jan, capacity="2", day_label=None)
    (mid,) = await meeting_ids(h)
    await a.press("✅")
    await b.press("✅")
    await c.press("✅")
    assert "wachtlijst" not in c.last_text()
    assert "Bekleme listesinde" in c.last_text()
    assert await h.rows("SELECT answer FROM meeting_rsvps ORDER BY answered_at, user_id") == [
        ("yes",),
        ("yes",),
        ("waiting",),
    ]
    # A frees her place: C is offered it with a deadline, and confirms.
    await a.press("❌")
    assert "boşaldı" in c.last_text()
    await c.press("Evet, geliyorum")
    assert await h.rows(
        "SELECT u.first_name, r.answer FROM meeting_rsvps r JOIN users u ON u.id = r.user_id "
        "ORDER BY u.first_name"
    ) == [("Lid0", "no"), ("Lid1", "yes"), ("Lid2", "yes")]
    # B frees a place; A (now waiting again) does not answer in time: it moves on to nobody, A
    # loses it.
    await a.press("✅", a.messages()[0] if False else None)
    assert await h.rows(
        "SELECT answer FROM meeting_rsvps WHERE user_id = (SELECT id FROM users WHERE "
        "first_name='Lid0')"
    ) == [("waiting",)]
    await b.press("❌")
    assert "libre" not in a.last_text() and "vrij" in a.last_text()
    await h.advance(hours=13)
    assert await h.rows(
        "SELECT answer FROM meeting_rsvps WHERE user_id = (SELECT id FROM users WHERE "
        "first_name='Lid0')"
    ) == [("no",)]


async def test_reminders_day_before_and_two_hours_no_loss_no_double_across_restart(h, admin):
    sofie, jan, (nl, ar, fr) = await world(h, admin)
    await plan(h, jan)  # Tuesday 3 March 19:00
    await nl.press("✅")
    await ar.press("🤔")
    await fr.press("❌")
    await h.advance_to(local(2026, 3, 2, 18, 59))
    assert not any("Herinnering" in t for t in nl.texts())
    await h.advance_to(local(2026, 3, 2, 19, 0))
    assert "⏰ Herinnering" in nl.last_text()
    assert "⏰ تذكير" in ar.last_text()
    assert not any("Rappel" in t for t in fr.texts())
    await h.restart()
    await h.advance(minutes=5)
    assert sum("Herinnering" in t for t in nl.texts()) == 1
    # The bot is down across the 2-hours-before moment; after the restart it is sent once.
    await h.runtime.stop()
    h.clock.set(local(2026, 3, 3, 17, 10))
    await h.boot()
    await h.advance(minutes=1)
    await h.advance(minutes=1)
    assert sum("Herinnering" in t for t in nl.texts()) == 2
    assert sum("تذكير" in t for t in ar.texts()) == 2


async def test_reminders_at_local_time_across_both_dst_changes(h, admin):
    sofie, jan, (nl,) = await world(h, admin, langs=("nl",))
    svc = h.services.meetings
    from bot.domain.meetings import Draft

    # Monday 30 March 19:00 CEST: the day-before reminder is Sunday 29 March 19:00 CEST (23 h
    # before).
    group_id = (await h.rows("SELECT id FROM groups"))[0][0]
    jan_id = (await h.rows("SELECT id FROM users WHERE tg_id = ?", (jan.id,)))[0][0]
    (m1,) = await svc.publish(Draft(group_id, "Lente", local(2026, 3, 30, 19), "Buurthuis"), jan_id)
    (m2,) = await svc.publish(
        Draft(group_id, "Herfst", local(2026, 10, 26, 19), "Buurthuis"), jan_id
    )
    await h.settle()
    await nl.press_data(f"mt:y:{m1}")
    await nl.press_data(f"mt:y:{m2}")
    await h.advance_to(local(2026, 3, 29, 18, 59))
    assert not any("Herinnering" in t and "Lente" in t for t in nl.texts())
    await h.advance_to(local(2026, 3, 29, 19, 0))
    assert "Lente" in nl.last_text() and "Herinnering" in nl.last_text()
    await h.advance_to(local(2026, 3, 30, 16, 59))
    assert sum("Lente" in t and "Herinnering" in t for t in nl.texts()) == 1
    await h.advance_to(local(2026, 3, 30, 17, 0))
    assert sum("Lente" in t and "Herinnering" in t for t in nl.texts()) == 2
    # Autumn: Sunday 25 October 19:00 CET is 25 hours before Monday 26 October 19:00.
    await h.advance_to(local(2026, 10, 25, 18, 59))
    assert not any("Herfst" in t and "Herinnering" in t for t in nl.texts())
    await h.advance_to(local(2026, 10, 25, 19, 0))
    assert "Herfst" in nl.last_text() and "Herinnering" in nl.last_text()


async def test_reminder_settings_per_group(h, admin):
    sofie, jan, (nl,) = await world(h, admin, langs=("nl",))
    await jan.send("/meetings")
    await jan.press("⏰")
    await jan.press("De dag ervoor")
    await jan.press("3 u vooraf")
    assert await h.rows("SELECT remind_day, remind_hours FROM meeting_group_settings") == [(0, 3)]
    await plan(h, jan)
    await nl.press("✅")
    await h.advance_to(local(2026, 3, 2, 19, 0))
    assert not any("Herinnering" in t for t in nl.texts())
    await h.advance_to(local(2026, 3, 3, 16, 0))
    assert "Herinnering" in nl.last_text()


async def test_change_place_and_cancel_reach_yes_and_maybe_only(h, admin):
    sofie, jan, (nl, ar, fr) = await world(h, admin)
    await plan(h, jan)
    (mid,) = await meeting_ids(h)
    await nl.press("✅")
    await ar.press("🤔")
    await fr.press("❌")
    await jan.press_data(f"mt:o:{mid}")
    await jan.press("📍 Plaats wijzigen")
    await jan.send("Stadhuis")
    assert (
        "Buurthuis → <b>Stadhuis</b>" in nl.messages()[-1]["text"]
        or "Buurthuis → Stadhuis" in nl.last_text()
    )
    assert (
        "Buurthuis" in ar.last_text() and "Stadhuis" in ar.last_text() and "تغيّر" in ar.last_text()
    )
    assert not any("Stadhuis" in t for t in fr.texts())
    await jan.press_data(f"mt:o:{mid}")
    await jan.press("❌ Vergadering aflassen")
    await jan.press("Ja, aflassen")
    assert "afgelast" in nl.last_text()
    assert "تم إلغاء" in ar.last_text()
    assert not any("annulé" in t for t in fr.texts())


async def test_meetings_list_answers_and_organiser_counts(h, admin):
    sofie, jan, (nl, ar) = await world(h, admin, langs=("nl", "ar"))
    await plan(h, jan)
    await nl.press("✅")
    await nl.send("/meetings")
    assert "Uw antwoord: ✅ Ja" in nl.last_text()
    await nl.press("Huurdersvergadering")
    await nl.press("🤔")
    assert await h.rows("SELECT answer FROM meeting_rsvps") == [("maybe",)]
    await ar.press("✅")
    await sofie.send("/meetings")  # worker of the project, not a member
    assert "✅ 1 · 🤔 1 · ❌ 0" in sofie.last_text()
    await sofie.press("Huurdersvergadering")
    assert "Lid1" in sofie.last_text() and "Lid0" in sofie.last_text()
    await nl.send("/meetings")
    assert "Lid1" not in nl.last_text()


async def test_ics_has_brussels_timezone(h, admin):
    sofie, jan, (nl,) = await world(h, admin, langs=("nl",))
    await plan(h, jan)
    await nl.press("📅")
    doc = h.api.sent_messages(nl.id)[-1]
    assert doc["document"]["file_name"].endswith(".ics")
    data = h.api.file_bytes(doc["document"]["file_id"])
    cal = icalendar.Calendar.from_ical(data)
    assert b"TZID=Europe/Brussels" in data and b"BEGIN:VTIMEZONE" in data
    ev = next(iter(cal.walk("VEVENT")))
    assert ev.decoded("dtstart") == local(2026, 3, 3, 19)
    assert str(ev["location"]) == "Buurthuis"


async def test_date_poll_votes_tally_and_pick(h, admin):
    sofie, jan, (nl, ar) = await world(h, admin, langs=("nl", "ar"))
    await jan.send("/datepoll")
    await jan.send("Buurtfeest")
    await jan.press(jan.button_texts()[0])
    await jan.press("19:00")
    await jan.press("➕")
    await jan.send("donderdag 14u")
    await jan.press("✅ Klaar")
    await jan.send("Buurthuis")
    await jan.press("Overslaan")
    await jan.press("Geen limiet")
    await jan.press("✅ Publiceren")
    assert len(nl.button_texts()) == 2 and nl.button_texts()[0].startswith("⬜")
    await nl.press("di 3 mrt")
    await nl.press("do 5 mrt")
    assert all(b.startswith("☑️") for b in nl.button_texts())
    await ar.press("5")
    await jan.send("/meetings")
    await jan.press("🗳")
    assert "2 stemmen" in jan.last_text() and "1 stem" in jan.last_text()
    await nl.press_data("mp:k:1:2")  # a member cannot pick
    assert await h.rows("SELECT status FROM date_polls") == [("open",)]
    await jan.press("✅ Kies do 5 mrt")
    assert await h.rows("SELECT status FROM date_polls") == [("closed",)]
    assert await h.rows("SELECT title, starts_at FROM meetings") == [
        ("Buurtfeest", "2026-03-05T13:00:00+00:00")
    ]
    assert "Komt u?" in nl.last_text() and "donderdag 5 maart" in nl.last_text()
    await nl.press_data("mp:v:1:1")
    assert await h.rows("SELECT COUNT(*) FROM date_poll_votes") == [(3,)]


async def test_attendance_prefilled_with_yeses_and_history(h, admin):
    sofie, jan, (nl, ar, fr) = await world(h, admin)
    await plan(h, jan)
    (mid,) = await meeting_ids(h)
    await nl.press("✅")
    await ar.press("✅")
    await jan.press_data(f"mt:a:{mid}")  # too early
    assert await h.rows("SELECT attendance_at FROM meetings") == [(None,)]
    await h.advance_to(local(2026, 3, 3, 21, 30))
    assert "Wie was er" in jan.button_texts()[0] or any(
        "Wie was er" in b for b in jan.button_texts()
    )
    await jan.press("✔ Wie was er")
    assert "2 personen waren er" in jan.last_text()
    await jan.press("Lid1")  # Lid1 said yes but did not come
    await jan.press("Lid2")  # Lid2 said no but came
    await jan.press("📝")
    await jan.send("Goede opkomst, huur besproken")
    await nl.press_data(f"mt:at:{mid}:1")  # members cannot change attendance
    names = await h.rows(
        "SELECT u.first_name FROM meeting_attendance a JOIN users u ON u.id = a.user_id ORDER BY 1"
    )
    assert names == [("Lid0",), ("Lid2",)]
    await jan.send("/meetings")
    await jan.press("📜")
    assert "2 personen waren er" in jan.last_text() and "Goede opkomst" in jan.last_text()


async def test_group_picker_and_changing_one_occurrence_only(h, admin):
    from tests.e2e_helpers import make_group

    sofie, jan, (nl,) = await world(h, admin, langs=("nl",))
    await make_group(h, sofie, "Buurtkeuken")
    await sofie.send("/newmeeting")
    assert set(sofie.button_texts()) == {"Huurders Rabot", "Buurtkeuken"}
    await sofie.press("Huurders Rabot")
    await sofie.send("Overleg")
    await sofie.send("mardi 19h")  # the worker types French: still understood
    await sofie.press("Om de twee weken")
    await sofie.send("Buurthuis")
    await sofie.press("Overslaan")
    await sofie.press("Geen limiet")
    await sofie.press("✅ Publiceren")
    ids = await meeting_ids(h)
    assert len(ids) == 2  # 3 and 17 March (four weeks ahead)
    await nl.press("✅ Ja")  # the one card: the first date
    await sofie.press_data(f"mt:o:{ids[0]}")
    await sofie.press("🕖")
    await sofie.press("Alleen deze")
    await sofie.press("wo 4 mrt")
    await sofie.press("14:00")
    assert "gewijzigd" in nl.last_text() and "woensdag 4 maart 2026 om 14:00" in nl.last_text()
    rows = await h.rows("SELECT starts_at FROM meetings ORDER BY id")
    assert rows == [("2026-03-04T13:00:00+00:00",), ("2026-03-17T18:00:00+00:00",)]
    # Answering a cancelled or past meeting is refused kindly.
    await h.advance_to(local(2026, 3, 4, 15))
    await nl.press_data(f"mt:y:{ids[0]}")
    assert "voorbij" in str(h.api.calls_of("answerCallbackQuery")[-1].params.get("text"))


async def test_no_reminder_for_an_answer_given_after_it_was_due(h, admin):
    sofie, jan, (nl, fr) = await world(h, admin, langs=("nl", "fr"))
    await plan(h, jan)  # Tuesday 3 March 19:00
    await nl.press("✅")
    await h.advance_to(local(2026, 3, 3, 17, 30))  # after the 2-hours-before moment
    await fr.press("✅")
    await h.advance(minutes=5)
    # Only the 2-hours one: the day-before one is not sent late, after the next one is due.
    assert sum("Herinnering" in t for t in nl.texts()) == 1
    assert not any("Rappel" in t for t in fr.texts())
