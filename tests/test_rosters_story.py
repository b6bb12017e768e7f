"""Story 10 end to end: the Saturday food distribution of the tenants' group."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.roster_helpers import slot_ids, volunteer, world

TZ = ZoneInfo("Europe/Brussels")


async def test_story_10_food_distribution(h, admin):
    # Monday 2 March 2026. Jan (organiser): every Saturday 9:00–12:00, 4 volunteers.
    sofie, jan, member_payload = await world(h, admin, needed=4)
    names = ["Ahmed", "Lies", "Mo", "Els", "Bart", "Nadia"]
    people = {n: await volunteer(h, n, member_payload) for n in names}
    ahmed, lies = people["Ahmed"], people["Lies"]
    slots = await slot_ids(h)
    days = [r[0] for r in await h.rows("SELECT day FROM roster_slots ORDER BY day")]
    assert days[:7] == [
        "2026-03-07",
        "2026-03-14",
        "2026-03-21",
        "2026-03-28",
        "2026-04-04",
        "2026-04-11",
        "2026-04-18",
    ]
    # Ahmed taps /volunteer and takes two Saturdays (7 March and 4 April) with one tap each.
    await ahmed.send("/volunteer")
    await ahmed.press("Mar")
    await ahmed.send("/volunteer")
    await ahmed.press("Apr")
    assert (
        await h.rows(
            "SELECT s.day FROM roster_shifts x JOIN roster_slots s ON s.id = x.slot_id ORDER "
            "BY s.day"
        )
    ) == [("2026-03-07",), ("2026-04-04",)]
    # The others fill the roster (set-up through the service, the same rule a tap runs);
    # 18 April keeps one gap.
    roster = h.services.rosters
    uid = {
        n: (await h.rows("SELECT id FROM users WHERE tg_id = ?", (p.id,)))[0][0]
        for n, p in people.items()
    }
    for name in ("Mo", "Els", "Bart"):
        for sid in slots[:7]:
            assert (await roster.take_slot(sid, uid[name])).code == "ok"
    for sid in (slots[1], slots[2], slots[3], slots[5]):
        assert (await roster.take_slot(sid, uid["Nadia"])).code == "ok"
    await people["Mo"].press_data(f"sh:take:{slots[0]}")  # one more tap: already there
    assert "already" in h.api.calls_of("answerCallbackQuery")[-1].params.get("text", "")

    # Thursday: Ahmed can no longer come and steps back, with a reason.
    await h.advance_to(datetime(2026, 3, 5, 10, 0, tzinfo=TZ))
    await ahmed.send("/shifts")
    await ahmed.press("Step back")
    await ahmed.send("I have to work")
    # The other free volunteers are asked; those already in that Saturday are not.
    assert "Who can take over Saturday 9:00" in lies.last_text()
    assert "Who can take over Saturday 9:00" in people["Nadia"].last_text()
    for name in ("Mo", "Els", "Bart"):
        assert not any("Who can take over" in t for t in people[name].texts())
    await lies.press("✋")
    assert "take over" in lies.last_text()
    assert "already took over" in people["Nadia"].last_text()
    assert "Lies" in jan.last_text() and "Ahmed" in jan.last_text()  # Jan (organiser) is told

    # Saturday noon: Jan confirms who came (pre-filled: all four).
    await h.advance_to(datetime(2026, 3, 7, 12, 10, tzinfo=TZ))
    assert sorted(b[2:] for b in jan.button_texts()[:4]) == ["Bart", "Els", "Lies", "Mo"]
    await jan.press("💾")

    # Monday 9:00: Jan's weekly overview shows one gap, next month (18 April).
    await h.advance_to(datetime(2026, 3, 9, 9, 0, tzinfo=TZ))
    overview = jan.last_text()
    assert overview.count("⚠️") == 1
    gap_line = [line for line in overview.splitlines() if "⚠️" in line][0]
    assert "18 apr" in gap_line
    # One tap calls for a volunteer: those not already in it get the question.
    await jan.press("📣")
    assert "needs a volunteer" in lies.last_text()
    assert not any("needs a volunteer" in t for t in people["Mo"].texts())
    await lies.press("✋")
    assert (
        await h.rows(
            "SELECT COUNT(*) FROM roster_shifts x JOIN roster_slots s ON s.id = x.slot_id"
            " WHERE s.day = '2026-04-18' AND x.state = 'signed'"
        )
    ) == [(4,)]

    # At year's end Sofie exports the volunteer hours for the annual report.
    await h.advance_to(datetime(2026, 12, 31, 16, 0, tzinfo=TZ))
    await sofie.send("/hours")
    await sofie.press("2026")
    doc = [m for m in sofie.messages() if m.get("document")][-1]
    assert doc["document"]["file_name"] == "volunteer-hours-2026.csv"
    data = h.api.file_bytes(doc["document"]["file_id"]).decode("utf-8-sig")
    assert "2026-03-07,Huurders Rabot,Food distribution,Lies,09:00,12:00,aanwezig,3" in data
    assert (
        "Ahmed,09:00,12:00,aanwezig" not in data.split("2026-03-14")[0]
    )  # he stepped back from 7 March
    assert data.startswith("datum,groep,taak,vrijwilliger")  # Sofie's language
    assert ",,,Lies,,,,3" in data and "totaal per taak" in data  # hours per volunteer and per task
    assert "12" in doc["caption"]  # 4 volunteers × 3 hours confirmed
