"""Story 7 end to end: Jan calls for action, members answer in their language, Jan sees it live,
reminders, changes, cancellation, follow-up, mute, /stop, permissions."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.playground.harness import Harness, Person
from tests.e2e_helpers import make_group, setup_world

BXL = ZoneInfo("Europe/Brussels")
START = datetime(2026, 3, 10, 19, 0, tzinfo=BXL)


def last_alert(h: Harness) -> str:
    call = h.api.last_call("answerCallbackQuery")
    return str(call.params.get("text", "")) if call else ""


async def world(h: Harness, admin: Person, members: int = 3, langs=("nl", "fr", "ar", "tr", "en")):
    sofie, jan, payload = await setup_world(h, admin)
    people = []
    for i in range(members):
        p = h.person(f"Lid{i}", language_code=langs[i % len(langs)])
        await p.send(f"/start {payload}")
        people.append(p)
    return sofie, jan, payload, people


async def make_call(
    jan: Person,
    *,
    why: str | None = "Het woonplan",
    bring: str = "Spandoeken & <fluitjes>",
    roles=(("spandoek vasthouden", "3"), ("chauffeur", "2")),
    groups=("Huurders Rabot",),
    send: bool = True,
) -> None:
    await jan.send("/action")
    await jan.send("Protest <stadhuis>")
    await jan.send("10/03 19:00")
    await jan.send("Stadhuis, Botermarkt 1")
    if why is None:
        await jan.press_data("ac:skip")
    else:
        await jan.send(why)
    await jan.send(bring)
    for name, n in roles:
        await jan.press("➕")
        await jan.send(name)
        await jan.press(n)
    await jan.press("➡️")
    for g in groups:
        await jan.press(g)
    await jan.press("👀")
    if send:
        await jan.press("📣")


def call_of(p: Person) -> dict:
    for m in reversed(p.messages()):
        if "Botermarkt" in str(m.get("text", "")) and any(
            "ac:y:" in b.get("callback_data", "")
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        ):
            return m
    raise AssertionError(f"no call for {p.id}: {p.texts()[-3:]}")


async def test_call_reaches_members_in_their_language_with_buttons(h, admin):
    _sofie, jan, _payload, (nl, fr, ar) = await world(h, admin, 3)
    await make_call(jan, send=False)
    preview = [m for m in jan.messages() if "Botermarkt" in str(m.get("text", ""))][-1]
    # Escaped user text, shown as typed.
    assert "Protest <stadhuis>" in preview["text"] and "Spandoeken & <fluitjes>" in preview["text"]
    assert "3" in jan.last_text()  # reach: three members
    await jan.press("📣")
    for p in (nl, fr, ar):
        msg = call_of(p)
        assert "Protest <stadhuis>" in msg["text"]
    assert msg["text"].replace("ac:y", "") and True
    nl_msg, fr_msg, ar_msg = call_of(nl), call_of(fr), call_of(ar)
    # The preview is exactly what a Dutch member sees.
    assert nl_msg["text"] == preview["text"]
    assert "Wanneer" in nl_msg["text"] and "Quand" in fr_msg["text"] and "متى" in ar_msg["text"]
    labels = Person.button_texts(nl, nl_msg)
    assert any("kom" in b.lower() for b in labels) and any(
        "spandoek vasthouden" in b for b in labels
    )
    assert any("chauffeur" in b for b in labels) and any("🔕" in b for b in labels)
    rows = await h.rows("SELECT COUNT(*) FROM action_recipients")
    assert rows == [(3,)]
    assert await h.rows(
        "SELECT state, COUNT(*) FROM outbox WHERE batch = 'action:1' GROUP BY state"
    ) == [("sent", 3)]


async def test_answers_roles_full_change_and_live_view(h, admin):
    _sofie, jan, _payload, people = await world(h, admin, 4)
    await make_call(jan, roles=(("spandoek vasthouden", "1"),))
    a, b, c, d = people
    await a.press("spandoek", call_of(a))
    assert "spandoek" in a.last_text()  # their answer is shown on their message
    await b.press("spandoek", call_of(b))
    assert last_alert(h)  # full: told so
    [(b_answer,)] = await h.rows(
        "SELECT answer FROM action_recipients r JOIN users u ON u.id = r.user_id WHERE u.tg_id = ?",
        (b.id,),
    )
    assert b_answer is None
    assert any("⛔" in t for t in b.button_texts(b.messages()[-1]))
    await b.press("✅", call_of(b))
    await c.press("❌", call_of(c))
    await c.press("✅", call_of(c))  # changed their mind
    status = [m for m in h.api.sent_messages(jan.id) if "⚙️" in str(m.get("reply_markup"))][-1]
    text = status["text"]
    assert "3" in text and "1" in text  # coming 3, banner 1 of 1
    assert "4" in text  # sent to 4
    edits = [x for x in h.api.calls if x.method == "editMessageText" and x.chat_id == jan.id]
    assert edits, "the live view is edited in place"
    await jan.send("/actions")
    assert "Protest" in jan.last_text()


async def test_reminders_day_before_and_two_hours_survive_restart(h, admin):
    _sofie, jan, _payload, (a, b, c) = await world(h, admin, 3)
    await make_call(jan, roles=())
    await a.press("✅", call_of(a))
    await b.press("❌", call_of(b))
    n_a, n_b = len(a.messages()), len(b.messages())
    await h.advance_to(START - timedelta(hours=23))
    assert len(a.messages()) == n_a + 1 and "⏰" in a.last_text()
    assert len(b.messages()) == n_b
    await h.restart()
    await h.advance(minutes=30)
    assert len(a.messages()) == n_a + 1, "not twice, also after a restart"
    await h.advance_to(START - timedelta(hours=5))
    await c.press("✅", call_of(c))  # says yes late: no "day before" reminder any more
    n_c = len(c.messages())
    await h.advance(minutes=20)
    assert len(c.messages()) == n_c
    await h.advance_to(START - timedelta(hours=1, minutes=50))
    assert len(a.messages()) == n_a + 2 and "⏰" in a.last_text()
    assert len(c.messages()) == n_c + 1 and "⏰" in c.last_text()
    await h.advance(minutes=10)
    assert len(a.messages()) == n_a + 2


async def test_change_and_cancel_reach_everyone_coming(h, admin):
    _sofie, jan, _payload, (a, b, c) = await world(h, admin, 3)
    await make_call(jan, roles=())
    await a.press("✅", call_of(a))
    await c.press("✅", call_of(c))
    n_b = len(b.messages())
    await jan.send("/actions")
    await jan.press("⚙️")
    await jan.press("✏️")
    await jan.send("11/03 20:00")
    await jan.send("Sint-Pietersplein")
    assert "2" in jan.last_text()
    assert "Sint-Pietersplein" in a.last_text() and "✏️" in a.last_text()
    assert "Sint-Pietersplein" in c.last_text()
    await jan.send("/actions")
    await jan.press("⚙️")
    await jan.press("🛑")
    await jan.press("🛑")
    assert "🛑" in a.last_text() and "🛑" in c.last_text()
    assert len(b.messages()) == n_b, "b never said yes"
    await a.press("✅", call_of(a))
    assert last_alert(h)  # closed


async def test_follow_up_once_to_those_who_came(h, admin):
    _sofie, jan, _payload, (a, b, c) = await world(h, admin, 3)
    await make_call(jan, roles=())
    await a.press("✅", call_of(a))
    await h.advance_to(START + timedelta(hours=3))
    assert "💬" in str(jan.messages()[-1].get("reply_markup"))
    await jan.press("💬")
    await jan.send("Dank u! Volgende stap: de gemeenteraad op 20/03.")
    assert "gemeenteraad" in a.last_text()
    assert all("gemeenteraad" not in t for t in b.texts())
    await jan.press_data("ac:f:1")
    assert "gemeenteraad" not in jan.last_text()
    assert len([t for t in a.texts() if "gemeenteraad" in t]) == 1


async def test_mute_settings_and_stop(h, admin):
    _sofie, jan, _payload, (a, b, c) = await world(h, admin, 3)
    await make_call(jan, roles=())
    await a.press("🔕", call_of(a))
    await b.send("/stop")
    await make_call(jan, roles=(), send=False)
    assert "1" in jan.last_text() and "3" not in jan.last_text()  # only c is reached
    await jan.press("📣")
    assert len([m for m in a.messages() if "Botermarkt" in str(m.get("text"))]) == 1
    # Unmute via /settings; /start again resumes.
    await a.send("/settings")
    await a.press("🔕")
    assert await h.rows("SELECT * FROM action_mutes") == []
    await b.send("/start")
    await b.send("/help")  # any message keeps it resumed
    [(stopped,)] = await h.rows("SELECT stopped_at FROM users WHERE tg_id = ?", (b.id,))
    assert stopped is None
    await make_call(jan, roles=(), send=False)
    assert "3" in jan.last_text()


async def test_stop_is_not_undone_by_just_writing(h, admin):
    _sofie, jan, _payload, (a,) = await world(h, admin, 1)
    await a.send("/stop")
    await a.send("/help")
    [(stopped,)] = await h.rows("SELECT stopped_at FROM users WHERE tg_id = ?", (a.id,))
    assert stopped is not None


async def test_permissions_refused(h, admin):
    sofie, jan, _payload, (a,) = await world(h, admin, 1)
    await a.send("/action")
    assert "organis" in a.last_text().lower() or "opbouw" in a.last_text().lower()
    assert await h.rows("SELECT * FROM dialogs") == []
    for forged in ("ac:g:1", "ac:send", "ac:m:1", "ac:cy:1", "ac:p:1"):
        await a.press_data(forged)
        assert last_alert(h), forged
    # Jan organises only Huurders Rabot: another group of the project is not his to call.
    await make_group(h, sofie, "Buurtcomité")
    await jan.send("/action")
    await jan.send("X")
    await jan.send("10/03 19:00")
    await jan.send("Y")
    await jan.press_data("ac:skip")
    await jan.press_data("ac:skip")
    await jan.press("➡️")
    assert not any("Buurtcomité" in t for t in jan.button_texts())
    other = (await h.rows("SELECT id FROM groups WHERE name = 'Buurtcomité'"))[0][0]
    await jan.press_data(f"ac:g:{other}")
    await jan.press_data("ac:p:1")  # the whole project: workers only
    assert await h.rows("SELECT * FROM actions") == []
    # Sofie (worker) sees every group and the whole project.
    await sofie.send("/action")
    await sofie.send("X")
    await sofie.send("10/03 19:00")
    await sofie.send("Y")
    await sofie.press_data("ac:skip")
    await sofie.press_data("ac:skip")
    await sofie.press("➡️")
    assert any("Buurtcomité" in t for t in sofie.button_texts()) and any(
        "🌍" in t for t in sofie.button_texts()
    )
    # A member who did not get call 1 cannot answer it.
    await sofie.press("🌍")
    await sofie.press("👀")
    await sofie.press("📣")
    stranger = h.person("Zoë")
    await stranger.send("/start")
    await stranger.press_data("ac:y:1")
    assert last_alert(h)
    assert await h.rows("SELECT COUNT(*) FROM action_recipients WHERE answer IS NOT NULL") == [(0,)]


async def test_too_long_call_is_refused_with_how_much_to_cut(h, admin):
    _sofie, jan, _payload, (a,) = await world(h, admin, 1)
    await jan.send("/action")
    await jan.send("X")
    await jan.send("10/03 19:00")
    await jan.send("Y")
    await jan.send("w" * 3000)
    await jan.send("b" * 2000)
    await jan.press("➡️")
    await jan.press("Huurders")
    await jan.press("👀")
    text = jan.last_text()
    assert any(ch.isdigit() for ch in text) and not any("📣" in b for b in jan.button_texts())
    await jan.press_data("ac:send")
    assert await h.rows("SELECT * FROM actions") == []
    await jan.press_data("ac:e:bring")
    await jan.send("b")
    assert any("📣" in b for b in jan.button_texts())


async def test_broadcast_with_429_and_blocked_member(h, admin):
    _sofie, jan, _payload, people = await world(h, admin, 5)
    blocked = people[1]
    h.api.blocked_users.add(blocked.id)
    await make_call(jan, roles=(), send=False)
    h.api.fail_next("sendMessage", {"error_code": 429, "retry_after": 1})
    await jan.press("📣")
    import asyncio

    for _ in range(300):
        states = dict(
            await h.rows(
                "SELECT state, COUNT(*) FROM outbox WHERE batch = 'action:1' GROUP BY state"
            )
        )
        if states.get("sent", 0) + states.get("unreachable", 0) == 5:
            break
        await asyncio.sleep(0.01)
    await h.settle()
    assert states == {"sent": 4, "unreachable": 1}
    for p in people:
        if p is not blocked:
            assert len([m for m in p.messages() if "Botermarkt" in str(m.get("text"))]) == 1
    [(stamp,)] = await h.rows("SELECT unreachable_at FROM users WHERE tg_id = ?", (blocked.id,))
    assert stamp is not None
    status = [m for m in h.api.sent_messages(jan.id) if "⚙️" in str(m.get("reply_markup"))][-1]
    assert "4" in status["text"] and "1" in status["text"]
    assert "5" in status["text"] and "…" not in status["text"], "the final tally"
    assert h.api.counters["429"] == 1


async def test_progress_is_one_message_edited_in_place_then_a_final_tally(h, admin):
    _sofie, jan, _payload, people = await world(h, admin, 30)
    await make_call(jan, roles=())
    statuses = [m for m in h.api.sent_messages(jan.id) if "⚙️" in str(m.get("reply_markup"))]
    assert len(statuses) == 1, "one status message, not one per step"
    edits = [
        c
        for c in h.api.calls
        if c.method == "editMessageText"
        and c.chat_id == jan.id
        and c.params.get("message_id") == statuses[0]["message_id"]
    ]
    assert 2 <= len(edits) <= 12, "throttled: every 10 % or 3 s"
    assert any("…" in c.params["text"] for c in edits[:-1])
    final = statuses[0]["text"]
    assert "30" in final and "…" not in final


async def test_when_by_day_and_hour_buttons(h, admin):
    _sofie, jan, _payload, (a,) = await world(h, admin, 1)
    await jan.send("/action")
    await jan.send("Buurtfeest")
    assert len(jan.button_texts()) == 9  # today and the next seven days + Cancel
    await jan.press_data("ac:d:20260302")  # today
    await jan.press("08:00")  # already past at 09:00
    assert "voorbij" in last_alert(h)
    await jan.press("20:00")
    assert "Waar" in jan.last_text()
    await jan.send("Buurthuis")
    await jan.press_data("ac:skip")
    await jan.press_data("ac:skip")
    await jan.press("➡️")
    await jan.press("Huurders")
    await jan.press("👀")
    await jan.press("📣")
    [(starts,)] = await h.rows("SELECT starts_at FROM actions")
    assert starts.startswith("2026-03-02T19:00")  # 20:00 in Brussels
    assert any("Buurtfeest" in t and "20:00" in t for t in a.texts())
