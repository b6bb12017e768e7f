"""A busy day with the Bot API failing 10% of sends and edits (429 with retry_after, 5xx,
timeouts, 403): residents join, organisers broadcast through the outbox, and nothing is lost."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from bot.core.outbox import Outbox
from bot.playground.harness import Harness
from tests.e2e_helpers import setup_world


@pytest.fixture
async def flaky(tmp_path):
    harness = Harness(tmp_path, admin_ids=[1], api_options={"timeout_sleep": 0.2})
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def wait_outbox_done(h: Harness, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while await h.services.outbox.backlog():
        assert time.monotonic() < deadline, await h.rows(
            "SELECT state, attempts, error FROM outbox WHERE state IN ('pending','sending')"
        )
        h.services.outbox.wake()
        await asyncio.sleep(0.05)


async def test_busy_day_with_ten_percent_faults_loses_nothing(flaky):
    h = flaky
    admin = h.person("Ann", language_code="nl", user_id=1)
    sofie, jan, member_payload = await setup_world(h, admin)  # set up before the faults start
    h.api.set_fault_rate(0.1, kinds=("429", "500", "timeout", "403"), seed=5)
    residents = [
        h.person(f"R{i}", language_code=("nl", "ar", "fr", "tr")[i % 4]) for i in range(60)
    ]
    for r in residents:
        h.api.push_update(h.api.text_update(r.tg, f"/start {member_payload}"))
        h.api.push_update(h.api.text_update(r.tg, "/help"))
    await h.settle(timeout=30)
    group_id = (await h.rows("SELECT id FROM groups"))[0][0]
    members = await h.rows(
        "SELECT u.tg_id FROM memberships m JOIN users u ON u.id = m.user_id"
        " WHERE m.group_id = ? AND m.role = 'member'",
        (group_id,),
    )
    assert {r[0] for r in members} == {r.id for r in residents}
    # Jan broadcasts three times to the group (what the broadcast feature enqueues).
    for n in range(3):
        async with h.db.transaction(mark=False) as conn:
            for (tg,) in members:
                await Outbox.enqueue_tx(
                    conn,
                    tg,
                    "sendMessage",
                    {"text": f"Bericht {n} voor {tg}"},
                    batch=f"bcast:{n}",
                    dedupe_key=f"bcast:{n}:{tg}",
                )
        h.services.outbox.wake()
    await wait_outbox_done(h)

    # Every update processed once.
    assert await h.rows("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL") == [(0,)]
    # Every outbox row ended sent, or unreachable because Telegram said 403 (the person is
    # marked unreachable and gets messages again once they write); none failed, none pending.
    states = Counter(dict(await h.rows("SELECT state, COUNT(*) FROM outbox GROUP BY state")))
    assert set(states) <= {"sent", "unreachable"}, states
    broadcast = Counter(
        dict(
            await h.rows(
                "SELECT state, COUNT(*) FROM outbox WHERE batch LIKE 'bcast:%' GROUP BY state"
            )
        )
    )
    # (Other rows: e.g. Sofie told that Jan joined as organiser.)
    assert broadcast["sent"] + broadcast["unreachable"] == 3 * len(members)
    unreachable_chats = {
        r[0]
        for r in await h.rows("SELECT DISTINCT chat_id FROM outbox WHERE state = 'unreachable'")
    }
    marked = {
        r[0] for r in await h.rows("SELECT tg_id FROM users WHERE unreachable_at IS NOT NULL")
    }
    assert unreachable_chats <= marked
    # Each sent row reached Telegram exactly once (timeouts here do not deliver).
    delivered = Counter(
        str(m.get("text")).lstrip("\u200f")  # an Arabic reader's copy is marked right to left
        for r in residents
        for m in h.api.sent_messages(r.id)
        if str(m.get("text", "")).lstrip("\u200f").startswith("Bericht")
    )
    sent_texts = [
        r[0]
        for r in await h.rows(
            "SELECT json_extract(payload, '$.text') FROM outbox"
            " WHERE state = 'sent' AND batch LIKE 'bcast:%'"
        )
    ]
    assert all(delivered[t] >= 1 for t in sent_texts), [t for t in sent_texts if not delivered[t]][
        :5
    ]
    assert h.api.counters["429"] and h.api.counters["5xx"] and h.api.counters["timeout"]
    assert (await h.db.integrity_check()) == "ok"
    # No fault here delivers a message and then fails, so nothing may arrive twice.
    twice = [t for t in sent_texts if delivered[t] > 1]
    assert not twice, f"sent twice: {twice[:5]}"
