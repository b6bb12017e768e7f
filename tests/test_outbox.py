"""The outbox against the Bot API double: pacing within Telegram's limits, 429/403/5xx/timeouts."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.playground.harness import Harness, max_in_window

PACED = {"outbox_rate": 28.0, "outbox_chat_interval": 1.0}


@pytest.fixture
async def paced(tmp_path):
    harness = Harness(tmp_path, overrides=dict(PACED), api_options={"enforce_limits": True})
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def queue(h: Harness, chat_ids: list[int], batch: str = "t") -> None:
    async with h.db.transaction() as conn:
        for i, chat in enumerate(chat_ids):
            await h.services.outbox.enqueue_tx(
                conn,
                chat,
                "sendMessage",
                {"text": f"m{i} &lt;ok&gt;", "parse_mode": "HTML"},
                batch=batch,
            )
    h.services.outbox.wake()


async def wait_until(pred, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not await pred():
        assert loop.time() < end, "condition not met in time"
        await asyncio.sleep(0.01)


async def states(h: Harness) -> dict[str, int]:
    return {r[0]: r[1] for r in await h.rows("SELECT state, COUNT(*) FROM outbox GROUP BY state")}


def sends(h: Harness) -> list:
    return [c for c in h.api.calls if c.method == "sendMessage" and c.ok]


async def test_steady_pace_no_burst_and_per_chat_limits(paced):
    h = paced
    h.api.clear()
    chats = list(range(5001, 5041)) + [7777, 7777]  # 40 people, and two messages to one chat
    await queue(h, chats)
    await wait_until(lambda: _done(h, len(chats)))
    ok = sends(h)
    assert len(ok) == len(chats)
    assert h.api.counters["429"] == 0 and h.api.counters["rate_limited"] == 0
    times = [c.at for c in ok]
    # No start-up burst, no 1-second window above the configured rate.
    assert max_in_window(times) <= 28
    # A steady grid: the first 28 take about a second, not a burst of them at once.
    assert times[27] - times[0] >= 27 / 28 - 0.01
    span = times[-1] - times[0]
    assert (len(ok) - 1) / span >= 0.9 * 28 or 7777 in [c.chat_id for c in ok[-1:]]
    same = [c.at for c in ok if c.chat_id == 7777]
    assert same[1] - same[0] >= 1.0


async def _done(h: Harness, n: int) -> bool:
    return (await states(h)).get("sent", 0) >= n


async def test_group_chat_gets_at_most_20_per_minute(paced):
    h = paced
    h.api.clear()
    await queue(h, [-100123, -100123, 5050])
    await asyncio.sleep(1.3)
    group_sends = [c for c in sends(h) if c.chat_id == -100123]
    assert len(group_sends) == 1, "the second group message waits 3 s (60/20)"
    assert any(c.chat_id == 5050 for c in sends(h)), "other chats are not held up"
    ready = h.services.outbox.pacer.chat_ready_at(-100123) - asyncio.get_running_loop().time()
    assert 1.4 < ready <= 3.0


async def test_429_pauses_every_send_then_goes_on(paced):
    h = paced
    h.api.clear()
    h.api.fail_next("sendMessage", {"error_code": 429, "retry_after": 1})
    chats = list(range(6001, 6011))
    await queue(h, chats)
    await wait_until(lambda: _done(h, len(chats)))
    calls = [c for c in h.api.calls if c.method == "sendMessage"]
    first_429 = next(c for c in calls if c.status == 429)
    later = [c for c in calls if c.at > first_429.at + 0.05]
    assert later and min(c.at for c in later) - first_429.at >= 0.95
    per_chat = Counter(c.chat_id for c in sends(h))
    assert all(per_chat[c] == 1 for c in chats), "each message once, the 429'd one again later"
    assert h.services.outbox.rate_limited == 1


async def test_403_marks_unreachable_until_they_write_again(h):
    rik = h.person("Rik")
    await rik.send("/start")
    h.api.clear()
    h.api.blocked_users.add(rik.id)
    await queue(h, [rik.id, rik.id])
    await wait_until(lambda: _count(h, "unreachable", 2))
    [(stamp,)] = await h.rows("SELECT unreachable_at FROM users WHERE tg_id = ?", (rik.id,))
    assert stamp is not None
    blocked_calls = len(
        [c for c in h.api.calls if c.chat_id == rik.id and c.method == "sendMessage"]
    )
    assert blocked_calls == 1, "the second row was not even tried"
    # Later messages are not tried either, until Rik writes again.
    await queue(h, [rik.id])
    await wait_until(lambda: _count(h, "unreachable", 3))
    assert len([c for c in h.api.calls if c.chat_id == rik.id and c.method == "sendMessage"]) == 1
    h.api.blocked_users.discard(rik.id)
    await rik.send("/start")
    [(stamp,)] = await h.rows("SELECT unreachable_at FROM users WHERE tg_id = ?", (rik.id,))
    assert stamp is None
    await queue(h, [rik.id])
    await wait_until(lambda: _count(h, "sent", 1))


async def _count(h: Harness, state: str, n: int) -> bool:
    return (await states(h)).get(state, 0) >= n


@pytest.mark.parametrize("fault", ["500", "502", {"kind": "timeout", "sleep": 0.05}])
async def test_5xx_and_timeouts_retry_with_backoff(tmp_path, fault):
    h = Harness(tmp_path, overrides={"outbox_backoff_seconds": 0.05})
    await h.start()
    try:
        h.api.fail_next("sendMessage", fault, times=2)
        await queue(h, [8001])
        await wait_until(lambda: _count(h, "sent", 1))
        assert len(sends(h)) == 1
        [(attempts,)] = await h.rows("SELECT attempts FROM outbox")
        assert attempts == 2
        failed = [c for c in h.api.calls if c.method == "sendMessage" and not c.ok]
        assert len(failed) == 2
        # Backoff: the retries are spaced (0.05 s, then 0.1 s).
        all_calls = [c.at for c in h.api.calls if c.method == "sendMessage"]
        assert all_calls[2] - all_calls[1] >= 0.09
    finally:
        await h.stop()


async def test_retries_are_bounded(tmp_path):
    h = Harness(tmp_path, overrides={"outbox_backoff_seconds": 0.01, "outbox_max_attempts": 3})
    await h.start()
    try:
        h.api.fail_next("sendMessage", "500", times=10)
        await queue(h, [8002])
        await wait_until(lambda: _count(h, "failed", 1))
        await asyncio.sleep(0.1)
        assert len([c for c in h.api.calls if c.method == "sendMessage"]) == 3
        assert await h.rows("SELECT state, attempts FROM outbox") == [("failed", 3)]
    finally:
        await h.stop()


async def test_priority_rows_overtake_a_bulk_and_coalesce(paced):
    h = paced
    h.api.clear()
    outbox = h.services.outbox
    await queue(h, list(range(9001, 9061)))  # ~3 s of bulk
    await asyncio.sleep(0.2)
    async with h.db.transaction() as conn:
        await outbox.replace_pending_tx(conn, 4242, "sendMessage", {"text": "v1"}, ref="live:1")
        await outbox.replace_pending_tx(conn, 4242, "sendMessage", {"text": "v2"}, ref="live:1")
    outbox.wake()
    await wait_until(lambda: _has_call(h, 4242), timeout=2)
    calls = [c for c in h.api.calls if c.chat_id == 4242]
    assert [c.params["text"] for c in calls] == ["v2"], "one send, with the newest text"
    await wait_until(lambda: _done(h, 61))
    bulk_after = [c for c in sends(h) if c.chat_id != 4242 and c.at > calls[0].at]
    assert len(bulk_after) > 25, "it went before most of the bulk"


async def _has_call(h: Harness, chat: int) -> bool:
    return any(c.chat_id == chat for c in h.api.calls)
