"""Volunteer rosters, bullet by bullet (issue 9), with the injected clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.e2e_helpers import setup_world
from tests.roster_helpers import make_food_task, slot_ids, volunteer, world

TZ = ZoneInfo("Europe/Brussels")


async def test_organiser_defines_weekly_task_with_buttons(h, admin):
    sofie, jan, member_payload = await setup_world(h, admin)
    await make_food_task(jan)
    rows = await h.rows(
        "SELECT title, rule, weekday, start_min, end_min, place, needed, note FROM roster_tasks"
    )
    assert rows == [
        ("Food distribution", "weekly", 5, 540, 720, "Buurthuis Rabot", 4, "Bring gloves")
    ]
    text = jan.last_text()
    assert "Food distribution" in text and "zaterdag" in text and "9:00–12:00" in text
    slots = await h.rows("SELECT day, starts_at FROM roster_slots ORDER BY day")
    assert slots[0] == ("2026-03-07", "2026-03-07T08:00:00+00:00")  # 9:00 Brussels = 8:00 UTC
    assert (
        "2026-04-04",
        "2026-04-04T07:00:00+00:00",
    ) in slots  # still 9:00 after the clocks moved (DST)
    assert len(slots) >= 6
    assert await h.rows("SELECT * FROM dialogs") == []


async def test_change_and_stop_reach_those_signed_up(h, admin):
    sofie, jan, member_payload = await world(h, admin)
    ahmed = await volunteer(h, "Ahmed", member_payload)
    first = (await slot_ids(h))[0]
    await ahmed.press_data(f"sh:take:{first}")
    # Jan moves the time to 10:00–13:00.
    await jan.send("/roster")
    await jan.press("📋")
    await jan.press("🕘")
    await jan.press_data("ro:sh:600")
    await jan.send("13:00")
    assert "1" in jan.last_text()
    assert "Changed" in ahmed.last_text() and "10:00" in ahmed.last_text()
    assert (await h.rows("SELECT starts_at FROM roster_slots WHERE id = ?", (first,))) == [
        ("2026-03-07T09:00:00+00:00",)
    ]
    # Jan changes the note; then stops the task.
    await jan.press("📋")
    await jan.press("📝")
    await jan.send("Bring a bag")
    assert "Bring a bag" in ahmed.last_text()
    await jan.press("📋")
    await jan.press("🛑")
    task_id = (await h.rows("SELECT id FROM roster_tasks"))[0][0]
    await jan.press_data(f"ro:stopyes:{task_id}")
    assert "stopped" in ahmed.last_text() and "cancelled" in ahmed.last_text()
    assert (
        await h.rows(
            "SELECT COUNT(*) FROM roster_slots WHERE cancelled_at IS NULL AND starts_at > "
            "'2026-03-02'"
        )
    ) == [(0,)]


async def test_volunteer_takes_slot_full_slot_says_so_and_can_stop(h, admin):
    sofie, jan, member_payload = await world(h, admin, needed=1)
    ahmed = await volunteer(h, "Ahmed", member_payload)
    assert "Tap a shift" in ahmed.last_text()
    await ahmed.press("✋")
    assert "Thank you" in ahmed.last_text() and "Food distribution" in ahmed.last_text()
    lies = await volunteer(h, "Lies", member_payload)
    first = (await slot_ids(h))[0]
    assert "full" in lies.last_text()
    await lies.press_data(f"sh:take:{first}")
    answers = [c for c in h.api.calls_of("answerCallbackQuery")]
    assert "full" in answers[-1].params.get("text", "")
    assert (
        await h.rows(
            "SELECT COUNT(*) FROM roster_shifts WHERE slot_id = ? AND state = 'signed'", (first,)
        )
    ) == [(1,)]
    # A member who is not a volunteer cannot take a slot (forged button).
    rik = h.person("Rik", language_code="en")
    await rik.send(f"/start {member_payload}")
    await rik.press_data(f"sh:take:{(await slot_ids(h))[1]}")
    assert "can't" in h.api.calls_of("answerCallbackQuery")[-1].params.get("text", "")
    # Lies stops helping.
    await lies.send("/volunteer")
    await lies.press("🛑")
    assert (await h.rows("SELECT COUNT(*) FROM roster_volunteers")) == [(1,)]


async def test_shifts_and_step_back_until_cutoff(h, admin):
    sofie, jan, member_payload = await world(h, admin)
    ahmed = await volunteer(h, "Ahmed", member_payload)
    first = (await slot_ids(h))[0]
    await ahmed.press_data(f"sh:take:{first}")
    await ahmed.send("/shifts")
    assert "Food distribution" in ahmed.last_text()
    # Saturday 7 March, 9:00: at 21:30 on Friday it is too late (12 hours before).
    await h.advance_to(datetime(2026, 3, 6, 21, 30, tzinfo=TZ))
    await ahmed.send("/shifts")
    assert not [b for b in ahmed.button_texts() if "Step back" in b]
    # Too late to step back in the bot: one tap tells the organiser, by name.
    await ahmed.press("I can't come")
    assert "too late" in ahmed.last_text() and "Jan" in ahmed.last_text()
    before = len(jan.texts())
    await ahmed.press("Tell Jan")
    assert "I told Jan" in ahmed.last_text()
    assert len(jan.texts()) == before + 1
    assert "Ahmed" in jan.last_text() and "kan niet komen" in jan.last_text()
    assert any("📣" in b for b in jan.button_texts())  # he can call for someone else
    shift_id = (await h.rows("SELECT id FROM roster_shifts"))[0][0]
    await ahmed.press_data(f"sh:late:{shift_id}")  # a second tap does not tell him twice
    assert len(jan.texts()) == before + 1
    assert (await h.rows("SELECT state FROM roster_shifts")) == [("signed",)]


async def test_reminder_day_before_in_their_language_once_across_restart(h, admin):
    sofie, jan, member_payload = await world(h, admin)
    ahmed = await volunteer(h, "Ahmed", member_payload, lang="ar")
    lies = await volunteer(h, "Lies", member_payload, lang="nl")
    first = (await slot_ids(h))[0]
    await ahmed.press_data(f"sh:take:{first}")
    await lies.press_data(f"sh:take:{first}")
    before = len(ahmed.texts())
    await h.advance_to(datetime(2026, 3, 6, 8, 0, tzinfo=TZ))  # 25 h before: not yet
    assert len(ahmed.texts()) == before
    await h.advance_to(datetime(2026, 3, 6, 9, 30, tzinfo=TZ))
    assert "⏰" in ahmed.last_text() and "Food distribution" in ahmed.last_text()
    assert "Reminder" not in ahmed.last_text()  # Arabic
    assert "⏰" in lies.last_text()
    await h.restart()
    await h.advance(minutes=30)
    await h.restart()
    await h.advance(hours=2)
    reminders = [t for t in ahmed.texts() if t.lstrip("\u200f").startswith("⏰")]
    assert len(reminders) == 1
    assert len([t for t in lies.texts() if t.startswith("⏰")]) == 1


async def test_reminder_due_while_down_is_sent_after_restart(h, admin):
    sofie, jan, member_payload = await world(h, admin)
    ahmed = await volunteer(h, "Ahmed", member_payload)
    await ahmed.press_data(f"sh:take:{(await slot_ids(h))[0]}")
    await h.restart()
    h.clock.set(datetime(2026, 3, 6, 18, 0, tzinfo=TZ))  # the bot was down when it became due
    await h.restart()
    await h.advance(minutes=1)
    assert len([t for t in ahmed.texts() if t.startswith("⏰")]) == 1


async def _ahmed_steps_back(h, admin):
    sofie, jan, member_payload = await world(h, admin)
    ahmed = await volunteer(h, "Ahmed", member_payload)
    lies = await volunteer(h, "Lies", member_payload)
    mo = await volunteer(h, "Mo", member_payload)
    els = await volunteer(h, "Els", member_payload)
    first, second = (await slot_ids(h))[:2]
    await ahmed.press_data(f"sh:take:{first}")
    await els.press_data(f"sh:take:{first}")
    # Thursday: Ahmed can no longer come.
    await h.advance_to(datetime(2026, 3, 5, 10, 0, tzinfo=TZ))
    await ahmed.send("/shifts")
    await ahmed.press("↩️")
    await ahmed.send("My mother is in hospital")
    return sofie, jan, ahmed, lies, mo, els, first


async def test_take_over_first_tap_wins_others_see_it_taken_organiser_told(h, admin):
    sofie, jan, ahmed, lies, mo, els, first = await _ahmed_steps_back(h, admin)
    assert "stepped back" in ahmed.last_text()
    assert (
        await h.rows(
            "SELECT state, reason FROM roster_shifts WHERE slot_id = ? ORDER BY id", (first,)
        )
    )[0] == ("stepped_back", "My mother is in hospital")
    # Lies and Mo are free; Els is already in that slot, Ahmed stepped back: not asked.
    assert "Who can take over Saturday 9:00" in lies.last_text()
    assert "Who can take over Saturday 9:00" in mo.last_text()
    assert not any("Who can take over" in t for t in els.texts() + ahmed.texts())
    assert "Ahmed" in jan.last_text() and "hospital" in jan.last_text()
    await lies.press("✋")
    assert "take over" in lies.last_text()
    # Mo's question was edited to say it is taken; a tap on it now says so too.
    assert "already took over" in mo.last_text()
    tk = (await h.rows("SELECT id FROM roster_takeovers"))[0][0]
    await mo.press_data(f"tk:take:{tk}")
    assert "already took" in h.api.calls_of("answerCallbackQuery")[-1].params.get("text", "")
    assert "Lies" in jan.last_text() and "Ahmed" in jan.last_text()
    signed = await h.rows(
        "SELECT u.first_name FROM roster_shifts x JOIN users u ON u.id = x.user_id"
        " WHERE x.slot_id = ? AND x.state = 'signed' ORDER BY u.first_name",
        (first,),
    )
    assert signed == [("Els",), ("Lies",)]
    # A forged take-over tap from someone who is not a volunteer of the group is refused.
    stranger = h.person("Zoe", language_code="en")
    await stranger.press_data(f"tk:take:{tk}")
    assert "can't" in h.api.calls_of("answerCallbackQuery")[-1].params.get("text", "")


async def test_take_over_nobody_in_time_organiser_told_once(h, admin):
    sofie, jan, ahmed, lies, mo, els, first = await _ahmed_steps_back(h, admin)
    before = len(jan.texts())
    await h.advance(hours=23)
    assert len(jan.texts()) == before
    await h.advance(hours=2)
    assert "Niemand nam over" in jan.last_text() and "Ahmed" in jan.last_text()
    await h.restart()
    await h.advance(hours=1)
    assert len([t for t in jan.texts() if "Niemand nam over" in t]) == 1
    # The call button under it asks the free volunteers once more.
    await jan.press("📣")
    assert "needs a volunteer" in mo.last_text()


async def test_take_over_question_skips_volunteer_in_overlapping_shift(h, admin):
    sofie, jan, member_payload = await world(h, admin)
    # A second task at the same time: Mo works there.
    await jan.send("/roster")
    await jan.press("➕")
    await jan.send("Homework help")
    await jan.press_data("ro:rule:weekly")
    await jan.press_data("ro:wd:5")
    await jan.press_data("ro:sh:600")
    await jan.press_data("ro:eh:660")
    await jan.press_data("ro:skip")
    await jan.press_data("ro:n:2")
    await jan.press_data("ro:skip")
    await jan.press_data("ro:ok")
    ahmed = await volunteer(h, "Ahmed", member_payload)
    mo = await volunteer(h, "Mo", member_payload)
    food = (
        await h.rows(
            "SELECT s.id FROM roster_slots s JOIN roster_tasks t ON t.id = s.task_id WHERE "
            "t.title = 'Food distribution' ORDER BY s.day"
        )
    )[0][0]
    homework = (
        await h.rows(
            "SELECT s.id FROM roster_slots s JOIN roster_tasks t ON t.id = s.task_id WHERE "
            "t.title = 'Homework help' ORDER BY s.day"
        )
    )[0][0]
    await ahmed.press_data(f"sh:take:{food}")
    await mo.press_data(f"sh:take:{homework}")
    await ahmed.send("/shifts")
    await ahmed.press("↩️")
    await ahmed.press_data(ahmed.find_button("🤒")[1])
    assert not any("Who can take over" in t for t in mo.texts())
    assert "0" in jan.last_text()


async def test_weekly_overview_marks_gaps_and_one_tap_calls(h, admin):
    sofie, jan, member_payload = await world(h, admin, needed=1)
    ahmed = await volunteer(h, "Ahmed", member_payload)
    lies = await volunteer(h, "Lies", member_payload)
    slots = await slot_ids(h)
    for sid in slots[:6]:
        await ahmed.press_data(f"sh:take:{sid}")
    await h.advance_to(datetime(2026, 3, 9, 8, 59, tzinfo=TZ))
    assert not any("Roster of" in t for t in jan.texts())
    await h.advance_to(datetime(2026, 3, 9, 9, 0, tzinfo=TZ))
    overview = jan.last_text()
    assert "Roster of Huurders Rabot" in overview or "Huurders Rabot" in overview
    assert overview.count("⚠️") == 1  # 14 Mar – 18 Apr: only 18 April has nobody
    await h.restart()
    await h.advance(hours=3)
    assert len([t for t in jan.texts() if "Huurders Rabot" in t and "⚠️" in t]) == 1
    await jan.press("📣")
    assert "needs a volunteer" in lies.last_text()
    assert "needs a volunteer" in ahmed.last_text()  # free on 18 April too
    await lies.press("✋")
    await ahmed.press("✋")
    assert "full" in h.api.calls_of("answerCallbackQuery")[-1].params.get("text", "")
    gap = await h.rows(
        "SELECT slot_id FROM roster_shifts x JOIN users u ON u.id = x.user_id WHERE "
        "u.first_name = 'Lies'"
    )
    assert len(gap) == 1
    # Forged: a volunteer cannot call for volunteers or see the overview.
    await lies.press_data(f"ro:call:{slots[0]}")
    assert "can't" in h.api.calls_of("answerCallbackQuery")[-1].params.get("text", "")


async def test_attendance_toggle_hours_in_shifts_and_csv_export(h, admin):
    sofie, jan, member_payload = await world(h, admin)
    ahmed = await volunteer(h, "Ahmed", member_payload)
    lies = await volunteer(h, "Lies", member_payload)
    first = (await slot_ids(h))[0]
    await ahmed.press_data(f"sh:take:{first}")
    await lies.press_data(f"sh:take:{first}")
    await h.advance_to(datetime(2026, 3, 7, 12, 5, tzinfo=TZ))
    assert "Ahmed" in str(jan.button_texts()) and "Lies" in str(jan.button_texts())
    assert all(b.startswith("✅") for b in jan.button_texts()[:2])  # pre-filled
    await jan.press("Lies")  # Lies did not come
    assert any(b.startswith("❌") and "Lies" in b for b in jan.button_texts())
    await jan.press("💾")
    assert (await h.rows("SELECT attended FROM roster_shifts ORDER BY id")) == [(1,), (0,)]
    await ahmed.send("/shifts")
    assert "3" in ahmed.last_text() and "💪" in ahmed.last_text()
    # Forged toggle by a volunteer.
    shift = (await h.rows("SELECT id FROM roster_shifts ORDER BY id"))[0][0]
    await lies.press_data(f"ro:tog:{shift}")
    assert (await h.rows("SELECT attended FROM roster_shifts ORDER BY id")) == [(1,), (0,)]
    # Sofie exports the hours; Jan (organiser, not a worker) may not.
    await sofie.send("/hours")
    await sofie.press("2026")
    doc = [m for m in sofie.messages() if m.get("document")][-1]
    data = h.api.file_bytes(doc["document"]["file_id"]).decode("utf-8-sig")
    assert "Ahmed" in data and "aanwezig" in data and "afwezig" in data
    assert "2026-03-07,Huurders Rabot,Food distribution,Ahmed,09:00,12:00,aanwezig,3" in data
    assert "3" in doc["caption"]
    await jan.send("/hours")
    assert "niet" in jan.last_text().lower() or "can't" in jan.last_text()
    await jan.press_data("ro:hours:1:2026")
    assert not [m for m in jan.messages() if m.get("document")]


async def test_roster_refused_for_members_and_forged_buttons(h, admin):
    sofie, jan, member_payload = await world(h, admin)
    rik = h.person("Rik", language_code="en")
    await rik.send(f"/start {member_payload}")
    await rik.send("/roster")
    assert "can't" in rik.last_text()
    task_id = (await h.rows("SELECT id FROM roster_tasks"))[0][0]
    for data in (
        f"ro:task:{task_id}",
        f"ro:stopyes:{task_id}",
        f"ro:edit:{task_id}:title",
        "ro:new:1",
        "ro:ok",
        "ro:att:1",
        "ro:attok:1",
    ):
        await rik.press_data(data)
    assert (await h.rows("SELECT stopped_at FROM roster_tasks")) == [(None,)]
    assert await h.rows("SELECT * FROM dialogs") == []
    # Sofie (worker of the project) manages it too.
    await sofie.send("/roster")
    assert "Food distribution" in sofie.last_text()


async def test_monthly_first_saturday_and_chosen_dates_with_typed_answers(h, admin):
    sofie, jan, member_payload = await setup_world(h, admin)
    await jan.send("/roster")
    await jan.press("➕")
    await jan.send("Repair café")
    await jan.press_data("ro:rule:monthly")
    await jan.press_data("ro:nth:1")
    await jan.press_data("ro:wd:5")
    await jan.send("9.30")
    await jan.send("9")  # before the start: asked again
    assert "9:30" in jan.last_text()
    await jan.send("12u")
    await jan.press_data("ro:skip")
    await jan.send("3")
    await jan.press_data("ro:skip")
    assert "eerste zaterdag" in jan.last_text()
    await jan.press("✅")
    days = [r[0] for r in await h.rows("SELECT day FROM roster_slots ORDER BY day")]
    assert days[:2] == ["2026-03-07", "2026-04-04"]
    # Chosen dates, typed.
    await jan.send("/roster")
    await jan.press("➕")
    await jan.send("Neighbourhood party")
    await jan.press_data("ro:rule:dates")
    await jan.send("20/6 and 21/6, 1/3")  # 1 March has passed: next year's
    await jan.press_data("ro:sh:840")
    await jan.press_data("ro:eh:1080")
    await jan.send("Rabotpark")
    await jan.press_data("ro:n:6")
    await jan.send("Bring a cake")
    await jan.press("✅")
    task = (await h.rows("SELECT dates FROM roster_tasks WHERE title = 'Neighbourhood party'"))[0][
        0
    ]
    assert task == '["2026-06-20", "2026-06-21", "2027-03-01"]'
    # Slots are written a few weeks ahead: June is not there yet, but appears when it comes near.
    assert (
        await h.rows(
            "SELECT s.day FROM roster_slots s JOIN roster_tasks t ON t.id = s.task_id WHERE "
            "t.title = 'Neighbourhood party'"
        )
        == []
    )
    await h.advance_to(datetime(2026, 5, 20, 10, 0, tzinfo=TZ))
    got = await h.rows(
        "SELECT s.day FROM roster_slots s JOIN roster_tasks t ON t.id = s.task_id WHERE "
        "t.title = 'Neighbourhood party' ORDER BY s.day"
    )
    assert got == [("2026-06-20",), ("2026-06-21",)]


async def test_two_simultaneous_take_over_taps_one_wins(h, admin):
    sofie, jan, ahmed, lies, mo, els, first = await _ahmed_steps_back(h, admin)
    tk = (await h.rows("SELECT id FROM roster_takeovers"))[0][0]
    _, data = lies.find_button("✋")
    h.api.push_update(h.api.callback_update(lies.tg, lies.last(), data))
    h.api.push_update(h.api.callback_update(mo.tg, mo.last(), data))
    await h.settle()
    rows = await h.rows("SELECT taken_by FROM roster_takeovers WHERE id = ?", (tk,))
    assert rows[0][0] is not None
    signed = await h.rows(
        "SELECT COUNT(*) FROM roster_shifts WHERE slot_id = ? AND state = 'signed'", (first,)
    )
    assert signed == [(2,)]  # Els + exactly one of Lies and Mo
    winners = [
        p for p in (lies, mo) if "take over" in p.last_text() and "already" not in p.last_text()
    ]
    assert len(winners) == 1
    assert len([t for t in jan.texts() if "neemt over" in t]) == 1


async def test_change_days_drops_shifts_and_tells_who_signed_up(h, admin):
    sofie, jan, member_payload = await world(h, admin)
    ahmed = await volunteer(h, "Ahmed", member_payload)
    first, second = (await slot_ids(h))[:2]
    await ahmed.press_data(f"sh:take:{second}")  # Saturday 14 March
    # Jan: from now on every other Saturday (from 7 March: 7, 21 March, ...).
    await jan.send("/roster")
    await jan.press("📋")
    await jan.press("🗓")
    await jan.press_data("ro:rule:biweekly")
    await jan.press_data("ro:wd:5")
    assert "1" in jan.last_text()
    text = ahmed.last_text()
    assert (
        "Changed" in text
        and "every other Saturday" in text
        and "cancelled" in text
        and "14 Mar" in text
    )
    days = [
        r[0]
        for r in await h.rows(
            "SELECT day FROM roster_slots WHERE cancelled_at IS NULL ORDER BY day"
        )
    ]
    assert days[:3] == ["2026-03-07", "2026-03-21", "2026-04-04"]
    assert await h.rows("SELECT * FROM roster_shifts") == []
    # Back to weekly: 14 March comes back, empty.
    await jan.press("📋")
    await jan.press("🗓")
    await jan.press_data("ro:rule:weekly")
    await jan.press_data("ro:wd:5")
    days = [
        r[0]
        for r in await h.rows(
            "SELECT day FROM roster_slots WHERE cancelled_at IS NULL ORDER BY day"
        )
    ]
    assert days[:3] == ["2026-03-07", "2026-03-14", "2026-03-21"]


def test_recurrence_rules():
    from datetime import date

    from bot.domain.rosters import occurrences, parse_dates, parse_time
    from storage.repos.rosters import Task

    def task(rule, weekday=None, nth=None, start="2026-03-02", dates=None):
        return Task(
            1, 1, "t", rule, weekday, nth, dates, start, 540, 720, "", 1, None, None, "", None
        )

    frm, to = date(2026, 3, 2), date(2026, 5, 31)
    assert occurrences(task("monthly", 5, -1), frm, to) == [
        date(2026, 3, 28),
        date(2026, 4, 25),
        date(2026, 5, 30),
    ]
    assert occurrences(task("monthly", 1, 1), frm, to) == [
        date(2026, 3, 3),
        date(2026, 4, 7),
        date(2026, 5, 5),
    ]
    assert occurrences(task("biweekly", 5, start="2026-03-07"), frm, date(2026, 4, 5)) == [
        date(2026, 3, 7),
        date(2026, 3, 21),
        date(2026, 4, 4),
    ]
    # Later windows keep the same fortnight rhythm.
    assert occurrences(
        task("biweekly", 5, start="2026-03-07"), date(2026, 3, 22), date(2026, 4, 5)
    ) == [date(2026, 4, 4)]
    assert occurrences(task("dates", dates='["2026-03-01", "2026-04-01"]'), frm, to) == [
        date(2026, 4, 1)
    ]
    assert [parse_time(t) for t in ("9", "9:30", "09.30", "14u", "19h", "25:00", "abc")] == [
        540,
        570,
        570,
        840,
        1140,
        None,
        None,
    ]
    assert parse_dates("31/2", date(2026, 3, 2)) is None
    assert parse_dates("5/3/27, 4-3", date(2026, 3, 2)) == [date(2026, 3, 4), date(2027, 3, 5)]
