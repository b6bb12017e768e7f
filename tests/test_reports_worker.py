"""Problem reports, worker side: routing, buttons and their permissions, relaying both ways,
403 re-routing, /problems, the "is it solved?" question, digests and escalation."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e_helpers import setup_world
from tests.reports_helpers import file_report, join

BXL = ZoneInfo("Europe/Brussels")


async def _uid(h, person) -> int:
    return (await h.rows("SELECT id FROM users WHERE tg_id = ?", (person.id,)))[0][0]


async def _world_with_default(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    await sofie.send("/routing")
    await sofie.press("👤")
    await sofie.press("Sofie")
    return sofie, jan, payload


async def test_no_rule_and_no_default_goes_to_admins(h, admin):
    sofie, jan, payload = await setup_world(h, admin)
    pid = (await h.rows("SELECT id FROM projects"))[0][0]
    await h.services.projects.set_default_worker(pid, None)  # the first worker became default
    rik = await join(h, payload, "Rik")
    await file_report(h, rik)
    assert any("R-2026-0001" in t for t in admin.texts())
    assert await h.rows("SELECT kind FROM report_events WHERE kind = 'to_admins'") == [
        ("to_admins",)
    ]


async def test_rule_on_neighbourhood_and_category_wins(h, admin):
    sofie, jan, payload = await _world_with_default(h, admin)
    piet = h.person("Piet")
    from tests.e2e_helpers import make_worker

    await make_worker(h, admin, piet)
    await sofie.send("/routing")
    await sofie.press("➕")
    await sofie.press("Blaisantvest")
    await sofie.press("⚡")
    await sofie.press("Piet")
    assert "Piet" in sofie.last_text()
    rik = await join(h, payload, "Rik")
    await file_report(h, rik, category="⚡", hood="Blaisantvest")
    await file_report(h, rik, category="🏠", hood="Blaisantvest")
    rows = await h.rows("SELECT reference, assigned_to FROM reports ORDER BY id")
    assert rows == [("R-2026-0001", await _uid(h, piet)), ("R-2026-0002", await _uid(h, sofie))]
    assert any("R-2026-0001" in t for t in piet.texts())
    assert not any("R-2026-0001" in t for t in sofie.texts())


async def test_seen_reply_and_answer_relay_anonymously(h, admin):
    sofie, jan, payload = await _world_with_default(h, admin)
    fatima = await join(h, payload, "Fatima", "ar")
    await file_report(h, fatima, text="Schimmel")
    card = sofie.last_text()
    assert "Fatima" not in card
    await sofie.press("👀")
    assert await h.rows("SELECT status FROM reports") == [("seen",)]
    assert "R-2026-0001" in fatima.last_text()
    await sofie.press("💬")
    await sofie.send("Ik kom donderdag langs")
    relayed = fatima.last_text()
    assert "Ik kom donderdag langs" in relayed and "Sofie" not in relayed
    await fatima.press("💬")
    await h.push(h.api.voice_update(fatima.tg, duration=4))
    voice = h.api.calls_to(sofie.id, "sendVoice")
    assert voice and "Fatima" not in str(voice[-1].params.get("caption"))
    assert await h.rows("SELECT direction FROM report_messages ORDER BY id") == [
        ("to_reporter",),
        ("to_worker",),
    ]


async def test_buttons_refused_for_non_workers_and_other_projects(h, admin):
    sofie, jan, payload = await _world_with_default(h, admin)
    rik = await join(h, payload, "Rik")
    await file_report(h, rik)
    rid = (await h.rows("SELECT id FROM reports"))[0][0]
    for forged in (f"rw:st:{rid}:r", f"rw:reply:{rid}", f"rw:ra:{rid}", "rw:rn:1", "rw:pl:a:-:0:0"):
        await jan.press_data(forged)
        await rik.press_data(forged)
    assert await h.rows("SELECT status FROM reports") == [("new",)]
    assert await h.rows("SELECT COUNT(*) FROM routing_rules") == [(0,)]
    # Someone else's report cannot be withdrawn either.
    await jan.press_data(f"rep:wdy:{rid}")
    assert await h.rows("SELECT status FROM reports") == [("new",)]


async def test_not_for_us_asks_reason_and_tells_reporter(h, admin):
    sofie, jan, payload = await _world_with_default(h, admin)
    rik = await join(h, payload, "Rik")
    await file_report(h, rik)
    await sofie.press("🚫")
    await sofie.send("Dit is voor de woonmaatschappij")
    assert await h.rows("SELECT status, status_reason FROM reports") == [
        ("not_for_us", "Dit is voor de woonmaatschappij")
    ]
    assert "woonmaatschappij" in rik.last_text()


async def test_blocked_worker_report_goes_to_others_and_admins(h, admin):
    sofie, jan, payload = await _world_with_default(h, admin)
    h.api.blocked_users.add(sofie.id)
    rik = await join(h, payload, "Rik")
    await file_report(h, rik)
    await h.settle()
    assert any("R-2026-0001" in t for t in admin.texts())
    kinds = [k for (k,) in await h.rows("SELECT kind FROM report_events ORDER BY id")]
    assert "undeliverable" in kinds and "rerouted" in kinds


async def test_solved_question_and_reopen(h, admin):
    sofie, jan, payload = await _world_with_default(h, admin)
    rik = await join(h, payload, "Rik")
    await file_report(h, rik)
    await sofie.press("✅ ")
    assert await h.rows("SELECT status FROM reports") == [("resolved",)]
    await h.advance(days=2)
    assert not any("👎" in b for b in rik.button_texts())
    await h.advance(days=1, hours=1)
    await rik.press("👎")
    await rik.send("Nog altijd schimmel")
    assert await h.rows("SELECT status, reopened_count FROM reports") == [("in_progress", 1)]
    assert "Nog altijd schimmel" in sofie.last_text()
    # Asked once only.
    await h.advance(days=5)
    assert sum("👎" in b for m in rik.messages() for b in rik.button_texts(m)) == 1


async def test_problems_list_filters_and_pages(h, admin):
    sofie, jan, payload = await _world_with_default(h, admin)
    rik = await join(h, payload, "Rik")
    for i in range(8):
        await file_report(h, rik, text=f"Probleem {i}")
    await file_report(h, rik, category="⚡", text="Stroom")
    await sofie.send("/problems")
    assert "(9)" in sofie.last_text()
    assert "R-2026-0009" in sofie.last_text() and "R-2026-0001" not in sofie.last_text()
    await sofie.press("▶️")
    assert "R-2026-0001" in sofie.last_text()
    await sofie.press("▾", sofie.last())  # status filter is the first ▾
    await sofie.press("🆕")
    assert "(9)" in sofie.last_text()
    await sofie.send("/problems")
    msg = sofie.last()
    await sofie.press_data(
        sofie.button_texts()
        and [
            b["callback_data"]
            for r in msg["reply_markup"]["inline_keyboard"]
            for b in r
            if b["callback_data"].startswith("rw:fc")
        ][0],
        msg,
    )
    await sofie.press("⚡")
    assert "(1)" in sofie.last_text()


async def test_daily_digest_once_and_missed_digest_after_restart(h, admin):
    sofie, jan, payload = await _world_with_default(h, admin)
    rik = await join(h, payload, "Rik")
    await file_report(h, rik, text="Schimmel")
    await h.advance_to(datetime(2026, 3, 3, 8, 31, tzinfo=BXL))
    digests = [t for t in sofie.texts() if "📰" in t]
    assert len(digests) == 1 and "R-2026-0001" in digests[0]
    await h.advance(minutes=30)
    assert len([t for t in sofie.texts() if "📰" in t]) == 1
    # Next day nothing new but the report waits for a first answer > 2 days only on day 3.
    await h.advance_to(datetime(2026, 3, 4, 8, 31, tzinfo=BXL))
    assert len([t for t in sofie.texts() if "📰" in t]) == 1  # empty digest not sent
    # Bot down over the 08:30 slot: sent once after start-up.
    await h.restart()
    h.clock.set(datetime(2026, 3, 5, 10, 0, tzinfo=BXL))
    await h.advance(minutes=1)
    await h.advance(minutes=1)
    digests = [t for t in sofie.texts() if "📰" in t]
    assert len(digests) == 2 and "R-2026-0001" in digests[-1]  # waiting for a first answer
    assert "⚠️" in digests[-1]  # not seen for 3 days: flagged
    # Escalated to the admins once.
    assert sum("⚠️" in t and "R-2026-0001" in t for t in admin.texts()) == 1
    await h.advance(hours=3)
    assert sum("⚠️" in t and "R-2026-0001" in t for t in admin.texts()) == 1


async def test_digest_settings_and_digest_now(h, admin):
    sofie, jan, payload = await _world_with_default(h, admin)
    await sofie.send("/digest")
    assert "08:30" in sofie.last_text()
    await sofie.press("17:00")
    await sofie.press_data("dg:f:weekly")
    assert await h.rows("SELECT frequency, time_local FROM digest_settings") == [
        ("weekly", "17:00")
    ]
    rik = await join(h, payload, "Rik")
    await file_report(h, rik)
    await h.advance_to(datetime(2026, 3, 2, 16, 0, tzinfo=BXL))  # Monday, before 17:00
    assert not any("📰" in t for t in sofie.texts())
    await sofie.send("/digest")
    assert "📰" in sofie.last_text() and "R-2026-0001" in sofie.last_text()
    await sofie.press_data("dg:f:off")
    await h.advance(days=8)
    assert (
        sum("📰" in t for t in sofie.texts()) == 0
    )  # the /digest message was edited into settings
    await rik.send("/digest")
    assert "R-2026" not in rik.last_text()


async def test_reassign_sends_card_to_new_worker(h, admin):
    sofie, jan, payload = await _world_with_default(h, admin)
    piet = h.person("Piet")
    from tests.e2e_helpers import make_worker

    await make_worker(h, admin, piet)
    rik = await join(h, payload, "Rik")
    await file_report(h, rik)
    await sofie.press("👥")
    await sofie.press("Piet")
    assert await h.rows("SELECT assigned_to FROM reports") == [(await _uid(h, piet),)]
    assert any("R-2026-0001" in t for t in piet.texts())
    assert h.services.clock.now() < h.services.clock.now() + timedelta(seconds=1)
