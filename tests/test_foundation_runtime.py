"""Foundation plumbing end to end: command menus, the error handler, durable intake, restart."""

from __future__ import annotations

import json
import logging

from tests.e2e_helpers import setup_world


async def test_command_menu_set_per_language_and_per_role(h, admin):
    calls = [c for c in h.api.calls if c.method == "setMyCommands"]
    langs = {c.params.get("language_code") for c in calls}
    assert {"nl", "fr", "en", "ar", "tr"} <= langs
    by_lang = {c.params.get("language_code"): c.params["commands"] for c in calls}
    ar_commands = by_lang["ar"] if isinstance(by_lang["ar"], list) else json.loads(by_lang["ar"])
    assert {"start", "help", "language", "groups", "cancel"} <= {c["command"] for c in ar_commands}
    assert "newproject" not in {c["command"] for c in ar_commands}
    assert any("مساعد" in c["description"] or "ماذا" in c["description"] for c in ar_commands)
    # Staff get a personal menu (chat scope) with their commands once their role is known.
    sofie, jan, _payload = await setup_world(h, admin)
    scoped = [
        c
        for c in h.api.calls
        if c.method == "setMyCommands" and "chat" in json.dumps(c.params.get("scope", ""))
    ]
    chats = {}
    for c in scoped:
        scope = (
            c.params["scope"]
            if isinstance(c.params["scope"], dict)
            else json.loads(c.params["scope"])
        )
        cmds = (
            c.params["commands"]
            if isinstance(c.params["commands"], list)
            else json.loads(c.params["commands"])
        )
        chats[scope["chat_id"]] = {x["command"] for x in cmds}
    assert "newgroup" in chats[sofie.id]
    assert "newproject" in chats[admin.id]


async def test_error_handler_tells_user_nothing_is_lost(h, caplog):
    p = h.person("Rik", language_code="en")
    h.api.fail_next("sendMessage", "400")
    with caplog.at_level(logging.ERROR, logger="buurtbot.errors"):
        await p.send("/help")
    assert "Nothing you sent is lost" in p.last_text()
    records = [r for r in caplog.records if r.name == "buurtbot.errors"]
    assert records and getattr(records[-1], "update_id", None) is not None


async def test_updates_are_committed_before_confirmation_and_survive_restart(h, admin):
    sofie, jan, member_payload = await setup_world(h, admin)
    # Every update seen is in the inbox and processed.
    rows = await h.rows("SELECT COUNT(*), SUM(processed_at IS NULL) FROM inbox")
    assert rows[0][0] > 5 and rows[0][1] == 0
    assert h.api.confirmed_offset > max(r[0] for r in await h.rows("SELECT update_id FROM inbox"))
    await h.restart()
    rik = h.person("Rik", language_code="en")
    await rik.send(f"/start {member_payload}")
    assert "Huurders Rabot" in rik.last_text()
    assert len(await h.rows("SELECT * FROM groups")) == 1


async def test_unprocessed_inbox_rows_are_processed_at_start(h, admin):
    sofie, jan, member_payload = await setup_world(h, admin)
    rik = h.person("Rik", language_code="en")
    raw = h.api.text_update(rik.tg, f"/start {member_payload}")
    raw["update_id"] = 77_777
    await h.runtime.stop()
    # As if the process died right after committing the update to the inbox.
    from bot.runtime.intake import chat_key
    from storage.db import Database

    db = Database(h.workdir / "buurtbot.sqlite3")
    await db.open()
    await db.execute(
        "INSERT INTO inbox (update_id, chat_key, payload, received_at)"
        " VALUES (?, ?, ?, '2026-03-02T08:00:00+00:00')",
        (77_777, chat_key(raw), json.dumps(raw)),
    )
    await db.close()
    await h.boot()
    await h.settle()
    assert "Huurders Rabot" in rik.last_text()
    assert await h.rows("SELECT processed_at IS NOT NULL FROM inbox WHERE update_id = 77777") == [
        (1,)
    ]


async def test_outbox_403_marks_unreachable_and_429_pauses(h):
    from bot.core.ui import text_message

    p = h.person("Rik", language_code="en")
    await p.send("/start")
    outbox = h.services.outbox
    h.api.fail_next("sendMessage", {"error_code": 429, "retry_after": 1})
    await outbox.enqueue(p.id, "sendMessage", text_message(p.id, "one"))
    await h.settle()
    assert p.last_text() == "one"
    assert outbox.rate_limited == 1
    h.api.blocked_users.add(p.id)
    await outbox.enqueue(p.id, "sendMessage", text_message(p.id, "two"))
    await h.settle()
    assert await h.rows(
        "SELECT unreachable_at IS NOT NULL FROM users WHERE tg_id = ?", (p.id,)
    ) == [(1,)]
    assert await h.rows("SELECT state FROM outbox ORDER BY id") == [("sent",), ("unreachable",)]
    # Writing again makes them reachable again.
    h.api.blocked_users.discard(p.id)
    await p.send("/help")
    assert await h.rows("SELECT unreachable_at IS NULL FROM users WHERE tg_id = ?", (p.id,)) == [
        (1,)
    ]
