"""The playground server without a browser: the demo world, and every action of the page's
API (send, press, upload, location, clock, files, reset) against the real bot."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.playground import demo
from bot.playground.server import Playground, make_app, next_time_of_day


@pytest.fixture
async def client(tmp_path):
    pg = Playground(tmp_path / "pg" / "playground.sqlite3")
    await pg.start()
    client = TestClient(TestServer(make_app(pg)))
    await client.start_server()
    client.pg = pg  # type: ignore[attr-defined]
    try:
        yield client
    finally:
        await client.close()
        await pg.stop()


async def state(client, *users: int) -> dict:
    resp = await client.get("/api/state", params={"users": ",".join(map(str, users))})
    assert resp.status == 200
    return await resp.json()


async def test_demo_world_is_made_through_the_bot(client):
    pg = client.pg
    h = pg.harness
    assert await h.rows("SELECT name, lat IS NOT NULL FROM neighbourhoods ORDER BY name") == [
        ("Blaisantvest", 1),
        ("Brugse Poort", 1),
        ("Rabot", 1),
    ]
    assert await h.rows("SELECT name FROM groups") == [(demo.GROUP,)]
    roles = dict(
        await h.rows(
            "SELECT u.first_name, m.role FROM memberships m JOIN users u ON u.id = m.user_id"
        )
    )
    assert (
        roles["Jan"] == "organiser"
        and roles["Fatima"] == "member"
        and len(roles) == 1 + len(demo.RESIDENTS)
    )
    assert await h.rows(
        "SELECT u.first_name FROM project_workers w JOIN users u ON u.id = w.user_id"
    ) == [("Sofie",)]
    langs = dict(await h.rows("SELECT first_name, language FROM users"))
    assert langs["Fatima"] == "ar" and langs["Mehmet"] == "tr" and langs["Claire"] == "fr"
    assert h.clock.now() == demo.START
    s = await state(client, demo.RESIDENTS[0].id, demo.SOFIE.id)
    fatima = s["chats"][str(demo.RESIDENTS[0].id)]
    # In message_id order: her /start, the greeting; then what the demo history sent her.
    assert [m["from"] for m in fatima["messages"]][:2] == ["me", "bot"]
    assert fatima["messages"][1]["edited"] and "العربية" in fatima["messages"][1]["text"]
    assert any(c["command"] == "groups" for c in fatima["commands"])
    assert s["posters"] and s["posters"][0]["payload"].startswith("g_")
    config = await (await client.get("/api/config")).json()
    assert {p["name"] for p in config["people"]} >= {"Fatima", "Jan", "Sofie", "Ann", "Amina"}


async def test_page_actions_drive_the_real_bot(client):
    amina = demo.NEWCOMERS[0].id
    poster = (await state(client))["posters"][0]
    resp = await client.post(
        "/api/send", json={"user": amina, "text": f"/start {poster['payload']}"}
    )
    assert resp.status == 200
    msgs = (await state(client, amina))["chats"][str(amina)]["messages"]
    greeting = next(m for m in msgs if m["from"] == "bot")
    assert "Huurders Rabot" in greeting["text"] and greeting["buttons"]
    # She joined after the tenants' meeting and the call were sent: she gets them too.
    assert "Huurdersvergadering" in msgs[-1]["text"] and msgs[-1]["buttons"]
    data = next(
        b["callback_data"] for row in greeting["buttons"] for b in row if b["text"] == "العربية"
    )
    await client.post(
        "/api/press", json={"user": amina, "message_id": greeting["id"], "data": data}
    )
    msgs = (await state(client, amina))["chats"][str(amina)]["messages"]
    # The welcome stays (its language buttons go); the main keyboard and the home follow.
    assert next(m for m in msgs if m["id"] == greeting["id"])["edited"]
    assert "العربية" in msgs[-1]["text"] and msgs[-1]["buttons"]
    assert (await state(client, amina))["chats"][str(amina)]["keyboard"]

    form = {
        "user": str(amina),
        "kind": "photo",
        "caption": "",
        "file": io.BytesIO(b"\x89PNG\r\n\x1a\nfake"),
    }
    assert (await client.post("/api/upload", data=form)).status == 200
    form = {
        "user": str(amina),
        "kind": "voice",
        "duration": "4",
        "file": io.BytesIO(b"OggS\x00\x02"),
    }
    assert (await client.post("/api/upload", data=form)).status == 200
    hood = demo.NEIGHBOURHOODS[1]
    await client.post("/api/location", json={"user": amina, "lat": hood.lat, "lon": hood.lon})
    mine = [
        m
        for m in (await state(client, amina))["chats"][str(amina)]["messages"]
        if m["from"] == "me"
    ]
    assert mine[-3].get("photo") and mine[-2].get("audio") and mine[-2]["duration"] == 4
    assert mine[-1]["location"]["near"] == hood.name

    # The QR poster the worker got can be viewed and downloaded.
    photo = poster["file_id"]
    resp = await client.get(f"/files/{photo}", params={"download": "1"})
    assert resp.status == 200 and (await resp.read()).startswith(b"\x89PNG")
    assert "attachment" in resp.headers["Content-Disposition"]
    assert (await client.get("/files/nope")).status == 404
    assert (await client.post("/api/send", json={"user": 1, "text": "hi"})).status == 404


async def test_clock_and_reset(client):
    pg = client.pg
    for action, expected in (
        ("hour", "2026-03-02T10:00:00+01:00"),
        ("day", "2026-03-03T10:00:00+01:00"),
        ("0830", "2026-03-04T08:30:00+01:00"),
    ):
        body = await (await client.post("/api/clock", json={"action": action})).json()
        assert body["clock"]["iso"] == expected
    assert (await client.post("/api/clock", json={"action": "year"})).status == 400
    await client.post("/api/send", json={"user": demo.NEWCOMERS[1].id, "text": "/start"})
    generation = pg.generation
    assert (await client.post("/api/reset", json={})).status == 200
    s = await state(client, demo.NEWCOMERS[1].id)
    assert s["generation"] == generation + 1 and s["clock"]["iso"] == demo.START.isoformat()
    assert s["chats"][str(demo.NEWCOMERS[1].id)]["messages"] == []


async def test_long_poll_wakes_on_a_bot_message(client):
    import asyncio

    version = (await state(client))["version"]
    waiting = asyncio.create_task(client.get("/api/state", params={"since": version, "wait": "10"}))
    await asyncio.sleep(0.05)
    await client.post("/api/send", json={"user": demo.NEWCOMERS[1].id, "text": "/help"})
    resp = await asyncio.wait_for(waiting, 5)
    assert (await resp.json())["version"] > version


def test_next_0830():
    tz = demo.TZ
    assert next_time_of_day(
        datetime(2026, 3, 2, 8, 0, tzinfo=tz), datetime.min.time().replace(hour=8, minute=30)
    ) == datetime(2026, 3, 2, 8, 30, tzinfo=tz)
    assert next_time_of_day(
        datetime(2026, 3, 2, 8, 30, tzinfo=tz), datetime.min.time().replace(hour=8, minute=30)
    ) == datetime(2026, 3, 3, 8, 30, tzinfo=tz)
    # Across the change to summer time (29 March 2026) it is still 08:30 local.
    assert (
        next_time_of_day(
            datetime(2026, 3, 28, 9, 0, tzinfo=tz), datetime.min.time().replace(hour=8, minute=30)
        ).hour
        == 8
    )


def test_cli_verb_is_registered(capsys):
    from bot.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["playground", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--port" in out and "--no-browser" in out and "--db" in out


async def test_demo_history_has_the_action_call_and_the_roster(client):
    h = client.pg.harness
    # story 7: Jan's call to the tenants, a few answers
    assert await h.rows("SELECT what, place FROM actions") == [
        ("Actie: het woonplan in de gemeenteraad", "Stadhuis, Botermarkt 1")
    ]
    answers = dict(await h.rows("SELECT answer, COUNT(*) FROM action_recipients GROUP BY answer"))
    assert answers["coming"] == 4 and answers["cant"] == 1
    assert await h.rows("SELECT name, needed FROM action_roles") == [("spandoek vasthouden", 3)]
    jan = [m.get("text", "") for m in h.api.sent_messages(demo.JAN.id)]
    assert any("Komen: 4" in t for t in jan)  # his live view, in place
    # story 10: Saturdays 9:00–12:00, Ahmed and Lies
    shifts = await h.rows(
        "SELECT s.day, u.first_name FROM roster_shifts x JOIN roster_slots s ON s.id = x.slot_id"
        " JOIN users u ON u.id = x.user_id WHERE x.state = 'signed' ORDER BY s.day"
    )
    assert shifts == [
        ("2026-03-07", "Ahmed"),
        ("2026-03-14", "Lies"),
        ("2026-03-21", "Ahmed"),
        ("2026-03-28", "Lies"),
    ]
    assert await h.rows("SELECT COUNT(*) FROM outbox WHERE state = 'pending'") == [(0,)]
    assert h.services.outbox.rate == h.settings().outbox_rate  # the page runs at Telegram's pace
