"""Privacy, core tables: /mydata, /forget, inbox/outbox retention, the privacy notice, logs."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e_helpers import personal_traces, setup_world

ZAINAB_TG = 987654321
SECRET = "Schimmel in de badkamer achter de kast"


async def _resident(h, member_payload):
    zainab = h.person(
        "Zainabqx", language_code="nl", user_id=ZAINAB_TG, last_name="Elqadiri", username="zainab_q"
    )
    await zainab.send(f"/start {member_payload}")
    await zainab.send(SECRET)  # not understood, but stored in the inbox
    return zainab


def _document(h, person):
    docs = [m for m in person.messages() if m.get("document")]
    assert docs, "a document was sent"
    doc = docs[-1]
    return doc, h.api.file_bytes(doc["document"]["file_id"])


async def test_mydata_sends_everything_as_json(h, admin):
    sofie, jan, member_payload = await setup_world(h, admin)
    zainab = await _resident(h, member_payload)
    await zainab.send("/mydata")
    doc, body = _document(h, zainab)
    assert doc["document"]["file_name"].endswith(".json")
    data = json.loads(body)
    assert data["you"]["first_name"] == "Zainabqx"
    assert data["you"]["username"] == "zainab_q"
    assert data["you"]["telegram_id"] == ZAINAB_TG
    assert "id" not in data["you"]  # internal ids mean nothing to the person
    assert data["memberships"] == [
        {
            "group_name": "Huurders Rabot",
            "project": "Rabot",
            "role": "member",
            "joined_at": data["memberships"][0]["joined_at"],
        }
    ]
    sent = json.dumps(data["messages_you_sent_recently"], ensure_ascii=False)
    assert SECRET in sent
    assert (
        any("Huurders Rabot" in (m["text"] or "") for m in data["messages_to_you"])
        or data["messages_to_you"] == []
    )
    assert "/forget" in (doc.get("caption") or "")
    # A worker sees their worker role and what they created.
    await sofie.send("/mydata")
    _doc, body = _document(h, sofie)
    data = json.loads(body)
    assert [p["project"] for p in data["project_worker_of"]] == ["Rabot"]
    assert data["roles"] == {
        "admin": False,
        "project_worker": ["Rabot"],
        "organiser_of": [],
        "member_of": [],
    }
    assert [g["name"] for g in data["created_by_you"]["groups"]] == ["Huurders Rabot"]


async def test_forget_asks_first_and_no_keeps_everything(h, admin):
    sofie, jan, member_payload = await setup_world(h, admin)
    zainab = await _resident(h, member_payload)
    await zainab.send("/forget")
    assert "statistiek" in zainab.last_text().lower()
    await zainab.press("✖")
    assert await h.rows("SELECT first_name FROM users WHERE tg_id = ?", (ZAINAB_TG,)) == [
        ("Zainabqx",)
    ]
    # The old button again, or a forged one without a question: nothing is deleted.
    await zainab.press_data("pv:yes")
    await zainab.press_data("pv:zap")
    assert await h.rows("SELECT first_name FROM users WHERE tg_id = ?", (ZAINAB_TG,)) == [
        ("Zainabqx",)
    ]
    assert len(await h.rows("SELECT * FROM memberships")) == 2  # jan (organiser) + zainab


async def test_forget_leaves_no_personal_data_in_any_table(h, admin):
    sofie, jan, member_payload = await setup_world(h, admin)
    zainab = await _resident(h, member_payload)
    await zainab.send("/mydata")
    before = await personal_traces(h, ["Zainabqx", "Elqadiri", "zainab_q", SECRET], [ZAINAB_TG])
    assert before, "the scan finds the person before /forget"
    await zainab.send("/forget")
    await zainab.press("🗑")
    assert "verwijderd" in zainab.last_text().lower()
    assert await personal_traces(h, ["Zainabqx", "Elqadiri", "zainab_q", SECRET], [ZAINAB_TG]) == []
    shell = await h.rows(
        "SELECT tg_id, first_name, language, forgotten_at FROM users WHERE forgotten_at IS NOT NULL"
    )
    assert len(shell) == 1 and shell[0][:3] == (None, None, None)
    # Others are untouched.
    assert await h.rows("SELECT COUNT(*) FROM memberships") == [(1,)]
    assert await h.rows("SELECT COUNT(*) FROM project_workers") == [(1,)]


async def test_after_forget_the_same_account_is_a_new_empty_person(h, admin):
    sofie, jan, member_payload = await setup_world(h, admin)
    zainab = await _resident(h, member_payload)
    await zainab.send("/forget")
    await zainab.press("🗑")
    await zainab.send("/start")
    rows = await h.rows(
        "SELECT id, first_name, privacy_seen_at FROM users WHERE tg_id = ?", (ZAINAB_TG,)
    )
    assert len(rows) == 1 and rows[0][1] == "Zainabqx"
    assert await h.rows("SELECT COUNT(*) FROM memberships WHERE user_id = ?", (rows[0][0],)) == [
        (0,)
    ]
    assert "/forget" in zainab.last_text()  # a new person sees the privacy notice again
    await zainab.send("/mydata")
    _doc, body = _document(h, zainab)
    data = json.loads(body)
    assert data["memberships"] == []
    assert SECRET not in json.dumps(data, ensure_ascii=False)


async def test_worker_forgets_themselves(h, admin):
    sofie, jan, member_payload = await setup_world(h, admin)
    await sofie.send("/forget")
    await sofie.press("🗑")
    assert await h.rows("SELECT COUNT(*) FROM project_workers") == [(0,)]
    assert await h.rows("SELECT created_by FROM groups") == [(None,)]
    assert await personal_traces(h, ["Sofie"], [sofie.id]) == []


async def test_inbox_is_pruned_after_a_few_days_keeping_the_newest(h, admin):
    sofie, jan, member_payload = await setup_world(h, admin)
    zainab = await _resident(h, member_payload)
    newest = (await h.rows("SELECT MAX(update_id) FROM inbox"))[0][0]
    count = (await h.rows("SELECT COUNT(*) FROM inbox"))[0][0]
    assert count > 5
    # Not yet: within the retention period nothing goes.
    await h.advance(hours=1)
    assert (await h.rows("SELECT COUNT(*) FROM inbox"))[0][0] == count
    # Received-at is wall-clock time; move the injected clock well past it.
    await h.advance_to(datetime.now(ZoneInfo("Europe/Brussels")) + timedelta(days=4))
    assert await h.rows("SELECT update_id, payload FROM inbox") == [
        (newest, json.dumps({"update_id": newest}, separators=(",", ":")))
    ]
    assert await personal_traces(h, [SECRET], []) == []
    # Idempotent, and the bot still works and does not see old updates again.
    await h.advance(hours=1)
    await zainab.send("/help")
    assert "/forget" in zainab.last_text()


async def test_privacy_notice_in_every_language(h):
    for lang, word in (
        ("nl", "/forget"),
        ("fr", "/forget"),
        ("en", "/forget"),
        ("ar", "/forget"),
        ("tr", "/forget"),
    ):
        p = h.person("P", language_code=lang)
        await p.send("/privacy")
        assert "/mydata" in p.last_text() and word in p.last_text()


async def test_logs_hold_no_texts_or_names_at_info(h, admin, caplog):
    caplog.set_level(logging.INFO)
    sofie, jan, member_payload = await setup_world(h, admin)
    zainab = await _resident(h, member_payload)
    await zainab.send("/mydata")
    await zainab.send("/forget")
    await zainab.press("🗑")
    await h.advance_to(datetime.now(ZoneInfo("Europe/Brussels")) + timedelta(days=4))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged  # something was logged
    for needle in (
        "Zainabqx",
        "Elqadiri",
        "zainab_q",
        SECRET,
        "Sofie",
        "Huurders Rabot",
        str(ZAINAB_TG),
    ):
        assert needle not in logged
