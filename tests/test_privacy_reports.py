"""Privacy for problem reports: /mydata and /forget through the registry, retention job.
Reports are written straight into SQLite (the report conversation lives on feature/reports)."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.e2e_helpers import personal_traces, setup_world
from tests.report_rows import add_report, hood_id, user_id

TG = 987650001
STORY = "De muren van mijn flat zitten vol schimmel, bel me op 0475 12 34 56"
QUOTE = "Ik ben Zainabqx en mijn kinderen hoesten door de schimmel"
REASON = "Nee, de schimmel is terug sinds gisteren"


async def _world(h, admin):
    sofie, jan, member_payload = await setup_world(h, admin)
    z = h.person(
        "Zainabqx", language_code="nl", user_id=TG, last_name="Elqadiri", username="zainab_q"
    )
    await z.send(f"/start {member_payload}")
    pid = (await h.rows("SELECT id FROM projects"))[0][0]
    zid = await user_id(h, TG)
    sid = await user_id(h, sofie.id)
    return sofie, z, pid, zid, sid


async def test_mydata_includes_reports(h, admin):
    sofie, z, pid, zid, sid = await _world(h, admin)
    now = h.clock.now()
    await add_report(
        h,
        pid,
        zid,
        created=now - timedelta(days=3),
        text=STORY,
        lat=51.0612345,
        lon=3.7123456,
        photos=["PHOTO1"],
    )
    await z.send("/mydata")
    doc = [m for m in z.messages() if m.get("document")][-1]
    data = json.loads(h.api.file_bytes(doc["document"]["file_id"]))
    assert data["reports"]["your_reports"][0]["text"] == STORY
    assert data["reports"]["your_reports"][0]["photos"] == 1


async def test_forget_anonymises_reports_and_tells_the_worker(h, admin):
    sofie, z, pid, zid, sid = await _world(h, admin)
    now = h.clock.now()
    other = h.person("Karimqx", language_code="fr")
    await other.send("/start")
    kid = await user_id(h, other.id)
    hood = await hood_id(h, pid, "Rabot")
    open_id = await add_report(
        h,
        pid,
        zid,
        created=now - timedelta(days=3),
        text=STORY,
        voice="VOICE-ZAINAB",
        lat=51.0612345,
        lon=3.7123456,
        address="Rabotstraat 12",
        show_name=1,
        status="seen",
        assigned_to=sid,
        first_answer=timedelta(hours=5),
        me_too=[kid],
        photos=["PHOTO-ZAINAB"],
        messages=[
            ("to_worker", "Ik ben thuis na 17u"),
            ("to_reporter", "Ik kom donderdag, Zainabqx"),
        ],
    )
    quoted_id = await add_report(
        h,
        pid,
        zid,
        created=now - timedelta(days=30),
        text=QUOTE,
        hood=hood,
        quote_ok=1,
        status="resolved",
        assigned_to=sid,
        first_answer=timedelta(hours=2),
        resolved=timedelta(days=5),
    )
    # Zainab also said "me too" on Karim's report and reopened with a reason.
    karims = await add_report(h, pid, kid, created=now - timedelta(days=2), me_too=[zid])
    async with h.db.transaction(mark=False) as conn:
        await conn.execute(
            "INSERT INTO report_events (report_id, kind, actor_id, reason, created_at) VALUES "
            "(?, 'reopened', ?, ?, ?)",
            (quoted_id, zid, REASON, "2026-02-20T10:00:00+00:00"),
        )
        await conn.execute(
            "INSERT INTO report_drafts (user_id, step, data, updated_at) VALUES (?, 'text', ?, ?)",
            (zid, json.dumps({"text": "half verhaal"}), "2026-03-01T10:00:00+00:00"),
        )
    await z.send("/forget")
    await z.press("🗑")
    # The worker of the open report is told, in her language, without any name.
    told = sofie.last_text()
    assert "R-" in told and "melder" in told.lower() and "Zainabqx" not in told
    # The reports stay, anonymised.
    rows = await h.rows(
        "SELECT id, reporter_id, text, voice_file_id, address, lat, lon, show_name, "
        "anonymised_at FROM reports WHERE id IN (?, ?) ORDER BY id",
        (open_id, quoted_id),
    )
    assert rows[0][1:8] == (None, None, None, None, 51.061, 3.712, 0)
    assert rows[0][8] is not None
    assert (
        rows[1][1] is None and rows[1][2] == "Ik ben […] en mijn kinderen hoesten door de schimmel"
    )
    assert await h.rows("SELECT COUNT(*) FROM report_photos") == [(0,)]
    assert await h.rows("SELECT COUNT(*) FROM report_messages") == [(0,)]
    assert await h.rows("SELECT COUNT(*) FROM report_me_too WHERE report_id = ?", (karims,)) == [
        (1,)
    ]  # still counted
    assert await h.rows("SELECT COUNT(*) FROM report_me_too WHERE report_id = ?", (open_id,)) == [
        (1,)
    ]
    assert await h.rows("SELECT COUNT(*) FROM reports") == [(3,)]
    assert (
        await personal_traces(
            h,
            [
                "Zainabqx",
                "Elqadiri",
                "zainab_q",
                STORY,
                "VOICE-ZAINAB",
                "PHOTO-ZAINAB",
                "Rabotstraat",
                "Ik ben thuis",
                REASON,
                "half verhaal",
                "0475",
            ],
            [TG],
        )
        == []
    )


async def test_retention_anonymises_old_closed_reports_once(h, admin):
    sofie, z, pid, zid, sid = await _world(h, admin)
    now = h.clock.now()
    old = await add_report(
        h,
        pid,
        zid,
        created=now - timedelta(days=800),
        text=STORY,
        voice="V1",
        status="resolved",
        assigned_to=sid,
        first_answer=timedelta(hours=1),
        resolved=timedelta(days=10),
        photos=["P1"],
    )
    recent = await add_report(
        h,
        pid,
        zid,
        created=now - timedelta(days=100),
        text=STORY,
        status="resolved",
        assigned_to=sid,
        first_answer=timedelta(hours=1),
        resolved=timedelta(days=10),
    )
    still_open = await add_report(
        h,
        pid,
        zid,
        created=now - timedelta(days=900),
        text=STORY,
        status="seen",
        assigned_to=sid,
        first_answer=timedelta(hours=1),
    )
    await h.advance(minutes=1)
    rows = dict(
        (r[0], r[1:])
        for r in await h.rows(
            "SELECT id, reporter_id, text, voice_file_id, anonymised_at FROM reports"
        )
    )
    assert rows[old][:3] == (None, None, None) and rows[old][3] is not None
    assert rows[recent][:2] == (zid, STORY)
    assert rows[still_open][:2] == (zid, STORY)
    assert await h.rows("SELECT COUNT(*) FROM report_photos") == [(0,)]
    first = rows[old][3]
    await h.advance(days=1)  # idempotent: the stamp does not move, nothing else changes
    again = dict(
        (r[0], r[1:])
        for r in await h.rows(
            "SELECT id, reporter_id, text, voice_file_id, anonymised_at FROM reports"
        )
    )
    assert again[old][3] == first and again[recent][:2] == (zid, STORY)
    # Configurable: a shorter period takes the recent one too.
    h.services.settings.retention_days = 30
    await h.advance(minutes=1)
    assert (await h.rows("SELECT reporter_id FROM reports WHERE id = ?", (recent,))) == [(None,)]
