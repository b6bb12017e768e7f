"""/mydata, /forget and retention for meetings, action calls and volunteer rosters.

Fatima RSVPs (and holds the only place of a full meeting), votes in a date poll, is noted as
present, answers an action call with a role and mutes the group, volunteers, takes shifts (one
done and confirmed, one to come), steps back from a third with a typed reason, and then leaves
with /forget. Everything she did is in /mydata before; nothing of her is anywhere after; the
counts and hours stay; her places go to others by each feature's own rules, and nobody is told
her name.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.meetings import Draft
from tests.e2e_helpers import personal_traces, setup_world
from tests.roster_helpers import make_food_task, volunteer
from tests.test_actions import call_of, make_call

TZ = ZoneInfo("Europe/Brussels")
FTG = 987650202
REASON = "Mijn dochter Amirazq is ziek"
NOTE = "Fatimaqx bracht soep mee"


def local(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=TZ)


async def uid_of(h, person) -> int:
    return (await h.rows("SELECT id FROM users WHERE tg_id = ?", (person.id,)))[0][0]


async def _scene(h, admin):
    s = h.services
    _sofie, jan, payload = await setup_world(h, admin)
    fatima = h.person(
        "Fatimaqx", language_code="nl", user_id=FTG, last_name="Benali", username="fatima_bq"
    )
    await fatima.send(f"/start {payload}")
    karel = h.person("Karel", language_code="nl")
    await karel.send(f"/start {payload}")
    jan_id, fid, kid = await uid_of(h, jan), await uid_of(h, fatima), await uid_of(h, karel)
    gid = (await h.rows("SELECT id FROM groups"))[0][0]
    pid = (await h.rows("SELECT id FROM projects"))[0][0]
    ms = s.meetings
    [past] = await ms.publish(
        Draft(gid, "Huurdersvergadering", local(2026, 3, 3, 19), "Buurthuis"), jan_id
    )
    [full] = await ms.publish(
        Draft(gid, "Bewonersavond", local(2026, 3, 20, 19), "Buurthuis", capacity=1), jan_id
    )
    await fatima.press_data(f"mt:y:{past}")
    await fatima.press_data(f"mt:y:{full}")
    await karel.press_data(f"mt:y:{full}")
    assert await h.rows(
        "SELECT user_id, answer FROM meeting_rsvps WHERE meeting_id = ? ORDER BY user_id", (full,)
    ) == [(fid, "yes"), (kid, "waiting")]
    poll = await ms.publish_poll(
        Draft(gid, "Buurtfeest", local(2026, 5, 1, 14), "Plein"),
        [local(2026, 5, 1, 14), local(2026, 5, 8, 14)],
        jan_id,
    )
    option = (
        await h.rows(
            "SELECT id FROM date_poll_options WHERE poll_id = ? ORDER BY starts_at", (poll,)
        )
    )[0][0]
    await fatima.press_data(f"mp:v:{poll}:{option}")
    # An action call for 10 March with a role; she takes the role and mutes the group.
    await make_call(jan, roles=(("spandoek vasthouden", "2"),))
    await fatima.press("spandoek", call_of(fatima))
    await karel.press("✅", call_of(karel))
    await fatima.press("🔕", call_of(fatima))
    aid = (await h.rows("SELECT id FROM actions"))[0][0]
    # Rosters: she volunteers and takes three Saturdays; Lies is a free volunteer.
    await make_food_task(jan, needed=2)
    await fatima.send("/volunteer")
    await fatima.press("🙋")
    lies = await volunteer(h, "Lies", payload, lang="nl")
    rs = s.rosters
    slots = [r[0] for r in await h.rows("SELECT id FROM roster_slots ORDER BY starts_at")]
    for sid in slots[:3]:
        assert (await rs.take_slot(sid, fid)).code == "ok"
    shift3 = (
        await h.rows(
            "SELECT id FROM roster_shifts WHERE slot_id = ? AND user_id = ?", (slots[2], fid)
        )
    )[0][0]
    assert (await rs.step_back(shift3, await s.users.get(fid), REASON)).code == "ok"
    await h.settle()
    assert "Fatimaqx" in jan.last_text() and REASON in jan.last_text()
    # The meeting of 3 March took place: Jan notes who came, and a note naming her.
    await h.advance_to(local(2026, 3, 3, 22))
    await ms.start_attendance(past)
    await ms.set_notes(past, NOTE)
    # Saturday 7 March: Jan confirms the shift (3 hours).
    await h.advance_to(local(2026, 3, 7, 12, 10))
    await rs.confirm_attendance(slots[0])
    await h.advance_to(local(2026, 3, 11, 10))
    return {
        "jan": jan,
        "fatima": fatima,
        "karel": karel,
        "lies": lies,
        "fid": fid,
        "kid": kid,
        "gid": gid,
        "pid": pid,
        "past": past,
        "full": full,
        "poll": poll,
        "option": option,
        "aid": aid,
        "slots": slots,
    }


async def _numbers(h, w):
    s = h.services
    ms, acts, rs = s.meetings, s.actions, s.rosters
    tally = await acts.repo.tally(w["aid"])
    _csv, summary = await rs.hours_csv(w["pid"], 2026)
    return {
        "attended": await ms.repo.attendance_counts([w["past"]]),
        "action": (tally.total, tally.coming, tally.cant, tally.filled),
        "hours": summary["total"],
        "shifts": summary["shifts"],
    }


async def test_mydata_has_everything_then_forget_leaves_nothing_and_keeps_counts(h, admin):
    w = await _scene(h, admin)
    fatima, jan, karel, lies = w["fatima"], w["jan"], w["karel"], w["lies"]
    before = await _numbers(h, w)
    assert before["attended"] == {w["past"]: 1}
    assert before["action"][1] == 2 and before["hours"] == 3.0

    # /mydata: the JSON holds every trace of the three features.
    await fatima.send("/mydata")
    doc = [m for m in fatima.messages() if m.get("document")][-1]
    data = json.loads(h.api.file_bytes(doc["document"]["file_id"]))
    mt, ac, ro = data["meetings"], data["actions"], data["rosters"]
    assert {(a["title"], a["answer"]) for a in mt["answers"]} == {
        ("Huurdersvergadering", "yes"),
        ("Bewonersavond", "yes"),
    }
    assert [a["title"] for a in mt["attended"]] == ["Huurdersvergadering"]
    assert [v["title"] for v in mt["date_poll_votes"]] == ["Buurtfeest"]
    [call] = ac["calls_you_got"]
    assert call["answer"] == "coming" and call["role"] == "spandoek vasthouden"
    assert [m["group_name"] for m in ac["muted_groups"]] == ["Huurders Rabot"]
    assert [v["group_name"] for v in ro["volunteer_in"]] == ["Huurders Rabot"]
    assert len(ro["shifts"]) == 3 and ro["confirmed_hours"] == 3.0
    assert [x["step_back_reason"] for x in ro["shifts"] if x["state"] == "stepped_back"] == [REASON]
    assert [t["what"] for t in ro["take_overs"]] == ["you stepped back"]

    lies_before, jan_before = len(lies.texts()), len(jan.texts())
    await fatima.send("/forget")
    await fatima.press("🗑")
    await h.settle()

    # Nothing of her anywhere: name, username, Telegram id, her typed reason, the note's name.
    traces = await personal_traces(h, ["Fatimaqx", "Benali", "fatima_bq", "Amirazq"], [FTG])
    assert traces == []
    for table in (
        "meeting_rsvps",
        "meeting_attendance",
        "date_poll_votes",
        "action_recipients",
        "action_mutes",
        "roster_volunteers",
        "roster_takeover_asks",
    ):
        assert await h.rows(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (w["fid"],)) == [
            (0,)
        ], table
    assert await h.rows("SELECT notes FROM meetings WHERE id = ?", (w["past"],)) == [
        ("(removed) bracht soep mee",)
    ]
    assert await h.rows("SELECT COUNT(*) FROM roster_shifts WHERE reason IS NOT NULL") == [(0,)]

    # Counts and hours stay; the hours list shows "(removed)" ("(verwijderd)") instead of her name.
    after = await _numbers(h, w)
    assert after == before
    csv_body, summary = await h.services.rosters.hours_csv(w["pid"], 2026)
    assert "(verwijderd)" in csv_body.decode() and summary["per_person"] == {"(verwijderd)": 3.0}

    # Her place at the full meeting goes to Karel (the waiting list), her shift of 14 March to a
    # take-over call; Jan hears a volunteer can no longer come, without her name.
    assert await h.rows(
        "SELECT user_id, answer FROM meeting_rsvps WHERE meeting_id = ?", (w["full"],)
    ) == [(w["kid"], "offered")]
    assert "plaats" in karel.last_text().lower()
    new_lies = lies.texts()[lies_before:]
    assert any("Wie kan" in t or "take over" in t for t in new_lies), new_lies
    new_jan = jan.texts()[jan_before:]
    assert any("vrijwilliger" in t.lower() for t in new_jan), new_jan
    for t in new_jan + new_lies + karel.texts():
        assert "Fatimaqx" not in t and "Benali" not in t
    await lies.press("✋")
    assert await h.rows(
        "SELECT COUNT(*) FROM roster_shifts WHERE slot_id = ? AND state = 'signed'",
        (w["slots"][1],),
    ) == [(1,)]


async def test_retention_turns_old_answers_into_counts_idempotently(h, admin):
    w = await _scene(h, admin)
    before = await _numbers(h, w)
    # Not yet: the meeting of 3 March is younger than RETENTION_DAYS.
    await h.advance_to(local(2027, 3, 1, 10))
    assert await h.rows(
        "SELECT COUNT(*) FROM meeting_rsvps WHERE meeting_id = ?", (w["past"],)
    ) == [(1,)]
    # Two years after the events.
    await h.advance_to(local(2028, 5, 20, 10))
    for table in ("meeting_attendance", "date_poll_votes", "action_recipients"):
        assert await h.rows(f"SELECT COUNT(*) FROM {table}") == [(0,)], table
    assert await h.rows(
        "SELECT COUNT(*) FROM meeting_rsvps WHERE meeting_id IN (?, ?)", (w["past"], w["full"])
    ) == [(0,)]
    assert await h.rows("SELECT COUNT(*) FROM roster_shifts WHERE reason IS NOT NULL") == [(0,)]
    assert await h.rows("SELECT COUNT(*) FROM roster_takeover_asks") == [(0,)]
    assert await h.rows(
        "SELECT COUNT(*) FROM roster_takeovers WHERE from_user_id IS NOT NULL OR taken_by IS "
        "NOT NULL"
    ) == [(0,)]
    assert await h.rows(
        "SELECT COUNT(*) FROM meetings WHERE anonymised_at IS NULL AND starts_at < '2026-04-01'"
    ) == [(0,)]
    tallies = await h.rows(
        "SELECT kind, label, n FROM anonymous_tallies WHERE kind = 'meeting_rsvp' AND "
        "object_id = ?",
        (w["past"],),
    )
    assert tallies == [("meeting_rsvp", "yes", 1)]
    after = await _numbers(h, w)
    assert after["attended"] == before["attended"] and after["action"] == before["action"]
    # Idempotent: another run (and a restart) changes nothing.
    snapshot = await h.rows("SELECT * FROM anonymous_tallies ORDER BY kind, object_id, label")
    await h.restart()
    await h.advance(days=3)
    assert (
        await h.rows("SELECT * FROM anonymous_tallies ORDER BY kind, object_id, label") == snapshot
    )
    assert await _numbers(h, w) == after
    # She was not forgotten: her account and her volunteer hours keep her name.
    assert await h.rows("SELECT first_name FROM users WHERE tg_id = ?", (FTG,)) == [("Fatimaqx",)]


async def test_forget_before_an_action_frees_her_role_and_updates_the_live_view(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    fatima = h.person(
        "Fatimaqx", language_code="nl", user_id=FTG, last_name="Benali", username="fatima_bq"
    )
    await fatima.send(f"/start {payload}")
    await make_call(jan, roles=(("spandoek vasthouden", "1"),))
    await fatima.press("spandoek", call_of(fatima))
    aid = (await h.rows("SELECT id FROM actions"))[0][0]
    acts = h.services.actions
    assert (await acts.repo.tally(aid)).filled != {}
    edits_before = len(
        [c for c in h.api.calls if c.method == "editMessageText" and c.chat_id == jan.id]
    )
    await fatima.send("/forget")
    await fatima.press("🗑")
    await h.settle()
    tally = await acts.repo.tally(aid)
    assert tally.coming == 0 and tally.filled == {}
    assert await h.rows("SELECT COUNT(*) FROM anonymous_tallies") == [
        (0,)
    ]  # nothing to count: withdrawn
    edits = [c for c in h.api.calls if c.method == "editMessageText" and c.chat_id == jan.id]
    assert len(edits) > edits_before
    assert await personal_traces(h, ["Fatimaqx", "Benali", "fatima_bq"], [FTG]) == []
