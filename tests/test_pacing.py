"""Direct replies and the outbox share one budget under Telegram's limits (bot.core.pacing).

Against the Bot API double enforcing Telegram's limits (30/s overall, 1/s per private chat):
a burst of residents opening the poster link, with a broadcast going out at the same time, draws
no 429 and greets every person exactly once; a 429 pauses the direct replies as well as the
outbox.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.playground.harness import Harness, max_in_window
from tests.test_outbox import queue, wait_until

# The production values, explicitly (the harness turns direct pacing and the flood guard off).
PACED = {
    "outbox_rate": 28.0,
    "outbox_chat_interval": 1.0,
    "pace_direct_replies": True,
    "flood_max_per_minute": 100,
    "flood_quiet_seconds": 60.0,
}


@pytest.fixture
async def limited(tmp_path):
    harness = Harness(tmp_path, overrides=dict(PACED), api_options={"enforce_limits": True})
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def greetings(h: Harness, ids: set[int]) -> Counter[int]:
    return Counter(
        c.chat_id for c in h.api.calls if c.method == "sendMessage" and c.ok and c.chat_id in ids
    )


async def test_poster_burst_and_a_broadcast_draw_no_429_and_greet_everyone_once(limited):
    h = limited
    residents = [h.person(f"Bewoner {i}", language_code="nl") for i in range(200)]
    ids = {p.id for p in residents}
    members = list(range(9_000_001, 9_000_041))
    await queue(h, members, batch="call")  # a broadcast in the outbox meanwhile
    for p in residents:
        h.api.push_update(h.api.text_update(p.tg, "/start"))
    await h.settle(timeout=60)
    await wait_until(lambda: _all_sent(h, len(members)), timeout=30)

    assert h.api.counters["429"] == 0 and h.api.counters["rate_limited"] == 0
    got = greetings(h, ids)
    assert set(got) == ids and set(got.values()) == {1}, "every person greeted exactly once"
    sends = [c.at for c in h.api.calls if c.method == "sendMessage" and c.ok]
    assert max_in_window(sends) <= 28
    pacer = h.services.outbox.pacer
    assert pacer.granted_direct >= len(residents) and pacer.granted_bulk == len(members)
    # Direct replies first: most of the broadcast went out after the greetings, not before.
    last_greeting = max(c.at for c in h.api.calls if c.chat_id in ids)
    bulk_after = [c for c in h.api.calls if c.chat_id in set(members) and c.at > last_greeting]
    assert len(bulk_after) >= len(members) // 2


async def _all_sent(h: Harness, n: int) -> bool:
    rows = await h.rows("SELECT COUNT(*) FROM outbox WHERE state = 'sent'")
    return rows[0][0] >= n


async def test_a_429_to_the_outbox_holds_direct_replies_until_the_pause_ends(limited):
    h = limited
    rita = h.person("Rita")
    await rita.send("/start")
    pacer = h.services.outbox.pacer
    pause_over = asyncio.Event()
    paused_for: list[float] = []

    async def gated_pause(seconds: float) -> None:  # the pause ends when the test says so
        paused_for.append(seconds)
        await pause_over.wait()

    pacer._sleep = gated_pause
    try:
        await _hold_and_release(h, rita, pause_over, paused_for)
    finally:
        pause_over.set()


async def _hold_and_release(h, rita, pause_over, paused_for) -> None:
    pacer = h.services.outbox.pacer
    h.api.clear()
    h.api.fail_next("sendMessage", {"error_code": 429, "retry_after": 7})
    await queue(h, [9_100_001])
    await wait_until(lambda: _true(bool(paused_for)))
    h.api.push_update(h.api.text_update(rita.tg, "/help"))
    await wait_until(lambda: _true(len(pacer._direct) == 1))  # her reply waits in the pacer
    assert not [c for c in h.api.calls if c.chat_id == rita.id]
    assert 0 < paused_for[0] <= 7 and pacer.paused  # waiting out the retry_after of 7 s
    pause_over.set()
    await h.settle()
    await wait_until(lambda: _all_sent(h, 1))
    assert len([c for c in h.api.calls if c.chat_id == rita.id and c.ok]) == 1
    assert [c.status for c in h.api.calls if c.chat_id == 9_100_001] == [429, 200]


async def _true(value: bool) -> bool:
    return value
