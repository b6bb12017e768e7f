"""One chat strictly in order, other chats at the same time, and no chat starves the others."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.playground.harness import Harness

NOT_UNDERSTOOD = "did not understand"
HELP = "What you can do"


@pytest.fixture
async def slow(tmp_path):
    """The bot against a Bot API that answers every call after 20 ms, 16 chats at a time."""
    harness = Harness(
        tmp_path, api_options={"latency": 0.02}, overrides={"max_concurrent_updates": 16}
    )
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def replies(h: Harness, chat_id: int) -> list[str]:
    return [
        str(c.params.get("text", "")) for c in h.api.calls_of("sendMessage") if c.chat_id == chat_id
    ]


async def wait_replies(h: Harness, chats: dict[int, int], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while any(len(replies(h, c)) < n for c, n in chats.items()):
        assert time.monotonic() < deadline, "replies did not arrive"
        await asyncio.sleep(0.01)


async def test_one_chat_in_order_other_chats_concurrently(slow):
    h = slow
    people = [h.person(f"P{i}", language_code="en") for i in range(8)]
    # Each person alternates two commands with different answers; order must be kept per chat.
    pattern = ["/help", "hello", "hello", "/help", "hello", "/help"]
    processor = h.runtime.processor
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, processor.running)
            await asyncio.sleep(0.002)

    watcher = asyncio.create_task(watch())
    for step in pattern:
        for p in people:
            h.api.push_update(h.api.text_update(p.tg, step))
    await wait_replies(h, {p.id: len(pattern) for p in people})
    watcher.cancel()
    for p in people:
        got = [
            "help" if HELP in t else "text" if NOT_UNDERSTOOD in t else t for t in replies(h, p.id)
        ]
        assert got == ["help" if s == "/help" else "text" for s in pattern], got
    # Several chats were handled at the same time (structural, not wall-clock: CI machines vary;
    # bench/concurrency.py measures the speed-up).
    assert peak >= 4, peak
    await h.settle()
    assert await h.rows("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL") == [(0,)]


async def test_flood_from_one_chat_does_not_starve_others(slow):
    h = slow
    flooder = h.person("Flood", language_code="en")
    quiet = [h.person(f"Q{i}", language_code="en") for i in range(5)]
    for i in range(80):
        h.api.push_update(h.api.text_update(flooder.tg, f"spam {i}"))
    await asyncio.sleep(0.1)  # the flood is being worked on
    for q in quiet:
        h.api.push_update(h.api.text_update(q.tg, "/help"))
    await wait_replies(h, {q.id: 1 for q in quiet}, timeout=5)
    done_flood = len(replies(h, flooder.id))
    # Each quiet person was answered while the flood (one chat, in order) was far from done.
    assert done_flood < 60, done_flood
    await wait_replies(h, {flooder.id: 80}, timeout=30)
    assert all(NOT_UNDERSTOOD in t for t in replies(h, flooder.id))


async def test_concurrency_bound_is_respected(slow):
    h = slow
    processor = h.runtime.processor
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, processor.running)
            await asyncio.sleep(0.002)

    watcher = asyncio.create_task(watch())
    people = [h.person(f"C{i}", language_code="en") for i in range(40)]
    for p in people:
        h.api.push_update(h.api.text_update(p.tg, "/help"))
    await wait_replies(h, {p.id: 1 for p in people})
    watcher.cancel()
    assert 2 <= peak <= processor.concurrency == 16, peak
