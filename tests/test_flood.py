"""Floods from one person (bot.core.flood, bot.runtime.intake): one calm answer in their
language, then ignored, with nobody else held up and the database hardly growing."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.core import i18n
from bot.core.flood import FloodGuard, Verdict
from bot.playground.harness import Harness

CALM = (
    "You are sending a lot of messages very quickly, so I will not read them for "
    "a while. Wait a minute, then send one message and I will answer it."
)
# The flood guard's production values, explicitly (the harness turns it and direct pacing off);
# the harness's 0-s chat interval stays, so 100 answers to one person take no 100 s.
PRODUCTION = {
    "flood_max_per_minute": 100,
    "flood_quiet_seconds": 60.0,
    "pace_direct_replies": True,
}
TABLES_SQL = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"


@pytest.fixture
async def h(tmp_path):
    harness = Harness(tmp_path, overrides=dict(PRODUCTION))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def total_rows(h: Harness) -> int:
    total = 0
    for (name,) in await h.rows(TABLES_SQL):
        [(n,)] = await h.rows(f'SELECT COUNT(*) FROM "{name}"')
        total += n
    return total


async def test_one_flooder_among_fifty_gets_one_calm_answer_and_fills_nothing(h):
    others = [h.person(f"Buur {i}", language_code="nl") for i in range(50)]
    for p in others:  # they are known already: their second message is what we look at
        await p.send("/start")
    flooder = h.person("Karim", language_code="fr")
    await h.settle()
    before = await total_rows(h)

    # 500 messages from one person, interleaved with one /help from each of the 50 others.
    for i in range(500):
        h.api.push_update(h.api.text_update(flooder.tg, f"spam {i}"))
        if i % 10 == 0:
            p = others[i // 10]
            h.api.push_update(h.api.text_update(p.tg, "/help"))
    await h.settle(timeout=60)

    # Everyone else got their answer, once.
    helps = Counter(
        c.chat_id
        for c in h.api.calls
        if c.method == "sendMessage" and c.ok and c.chat_id in {p.id for p in others}
    )
    assert all(helps[p.id] == 2 for p in others), "the /start greeting and the /help answer"
    # The flooder: what came before the limit was answered as anyone's would be (in a real
    # chat at 1/s, so a dozen or so), then exactly one calm answer in French, then nothing.
    limit = h.app.bot_data.processor.flood.limit
    assert limit == 100
    to_flooder = [c for c in h.api.calls if c.chat_id == flooder.id and c.method == "sendMessage"]
    calm = [c for c in to_flooder if c.params["text"] == i18n.gettext_for("fr", CALM)]
    assert len(calm) == 1 and calm[0].params["text"] != CALM
    assert len(to_flooder) <= limit + 1
    # The database: at most the updates seen before the limit, plus the one outbox row.
    [(stored,)] = await h.rows("SELECT COUNT(*) FROM inbox WHERE chat_key = ?", (f"c{flooder.id}",))
    assert stored <= limit
    # The others' 50 /help updates, the flooder's stored ones (at most the limit), their user
    # row and the calm answer's row; not the 500.
    assert await total_rows(h) - before <= 50 + limit + 2
    assert await h.rows("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL") == [(0,)]
    intake, processor = h.app.bot_data.intake, h.app.bot_data.processor
    assert intake.flood_dropped == 500 - stored
    assert processor.ignored + len(to_flooder) - 1 == stored, "stored: answered or skipped"


async def test_under_the_limit_nothing_is_lost(h):
    rita = h.person("Rita", language_code="nl")
    limit = h.app.bot_data.processor.flood.limit
    for _ in range(limit):
        h.api.push_update(h.api.text_update(rita.tg, "/help"))
    await h.settle(timeout=30)
    assert len(rita.messages()) == limit
    assert h.app.bot_data.intake.flood_dropped == 0


def test_guard_ignores_while_flooding_and_forgives_after_a_quiet_spell():
    g = FloodGuard(limit=3, window=10.0, quiet=60.0)
    assert [g.check(7, t) for t in (0, 1, 2)] == [Verdict.OK] * 3
    assert g.check(8, 2.5) is Verdict.OK, "someone else is not affected"
    assert g.check(7, 3) is Verdict.FLOOD
    assert g.check(7, 50) is Verdict.IGNORE  # still at it: the quiet spell starts again
    assert g.muted(7, 100) and not g.muted(7, 111)
    assert g.check(7, 111) is Verdict.OK, "quiet for a minute: heard again"
    # A steady pace under the limit never trips it.
    assert all(g.check(9, t * 4.0) is Verdict.OK for t in range(100))
