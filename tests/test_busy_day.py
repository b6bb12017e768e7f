"""A busy day through the real features with the Bot API double failing 10% of sends and edits
(429 with retry_after, 5xx, timeouts, 403):

residents join and report problems (text, voice, photos), the worker looks, answers and solves,
Jan publishes a meeting (members answer, reminders the day before and two hours before), Jan
calls for action (members answer, reminders), the 08:30 digest runs, days pass.

At the end nothing is lost: every report stored once (and every reference a resident was told
is stored), every outbox row sent or unreachable (403) — none stuck or failed — every update
processed, every reminder sent once, integrity_check ok.

Direct replies (handler → reply) go through handlers.common.with_retry: a 429/5xx/timeout is
tried again, a 403 is not. Where a reply is lost anyway the person is stuck in a flow; they do what
people do: /cancel and start again. The test counts those (lost replies, restarted flows) and
prints them; the stored state must be complete regardless.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.i18n import LANGUAGE_NAMES
from bot.playground.harness import Harness, Person
from handlers import common
from tests.e2e_helpers import setup_world
from tests.resilience_flows import attempt, report, with_data
from tests.test_actions import make_call
from tests.test_meetings import plan

BXL = ZoneInfo("Europe/Brussels")
# A reference told to its reporter; "• R-…" lines list other people's similar reports.
REF = re.compile(r"(?<!• )R-2026-\d{4}")
RESIDENTS = 16


@pytest.fixture
async def flaky(tmp_path, monkeypatch):
    async def quick_sleep(seconds: float) -> None:  # a 429's retry_after, 20× faster
        await asyncio.sleep(seconds / 20)

    monkeypatch.setattr(common, "_sleep", quick_sleep)
    harness = Harness(
        tmp_path,
        admin_ids=[1],
        api_options={"timeout_sleep": 0.05},
        overrides={"outbox_backoff_seconds": 0.05},
    )
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def drain(h: Harness, timeout: float = 60.0) -> None:
    """Until every update is processed and no outbox row waits (backoffs and retry_after pass)."""
    deadline = time.monotonic() + timeout
    while True:
        await h.settle(timeout=30)
        if not await h.services.outbox.backlog():
            return
        assert time.monotonic() < deadline, await h.rows(
            "SELECT state, attempts, error FROM outbox WHERE state IN ('pending','sending')"
        )
        h.services.outbox.wake()
        await asyncio.sleep(0.05)


async def test_busy_day_with_ten_percent_faults(flaky):
    h = flaky
    stats: Counter = Counter()
    admin = h.person("Ann", language_code="nl", user_id=1)
    sofie, jan, payload = await setup_world(h, admin)  # set up before the faults start
    await sofie.send("/routing")
    await sofie.press("👤")
    await sofie.press("Sofie")  # Sofie gets every report
    h.api.set_fault_rate(0.1, kinds=("429", "500", "timeout", "403"), seed=7)

    # Morning: residents join and report problems (text, voice, photos).
    residents: list[Person] = []
    for i in range(RESIDENTS):
        lang = ("nl", "ar", "fr", "tr")[i % 4]
        p = h.person(f"Bewoner{i}", language_code=lang)

        tried: list[int] = []

        async def joining(p=p, lang=lang, tried=tried) -> None:
            # Once they are in, /start again only greets them: they choose via /language.
            await p.send("/language" if tried else f"/start {payload}")
            tried.append(1)
            await p.press(LANGUAGE_NAMES[lang], p.last())

        await attempt(p, joining, stats, label="join")
        residents.append(p)
    for i, p in enumerate(residents):
        kind = i % 3
        await attempt(p, lambda p=p, kind=kind: report(h, p, kind), stats, label="report")
    await drain(h)

    reports = await h.rows(
        "SELECT r.reference, u.tg_id, r.source_update_id, r.id"
        " FROM reports r JOIN users u ON u.id = r.reporter_id"
    )
    # Every reference a resident was told is stored, once; nobody's report is stored twice.
    told = {(ref, p.id) for p in residents for t in p.texts() for ref in REF.findall(t)}
    stored = Counter((ref, tg) for ref, tg, *_ in reports)
    assert all(stored[x] == 1 for x in told), (
        told - set(stored),
        reports,
        [
            t[:80]
            for p in residents
            for t in p.texts()
            if "R-20" in t and p.id in {x[1] for x in told - set(stored)}
        ],
    )
    per_resident = Counter(tg for _, tg, *_ in reports)
    untold = Counter(tg for ref, tg, *_ in reports if (ref, tg) not in told)
    # A second report only from someone who never saw the first one's reference (and tried again).
    assert all(n - 1 <= untold[tg] for tg, n in per_resident.items()), (per_resident, untold)
    assert len({src for _, _, src, _ in reports}) == len(reports)  # source_update_id unique
    stats["reports stored"] = len(reports)
    stats["reports whose reference reply was lost"] = len({(r, tg) for r, tg, *_ in reports} - told)

    # The worker looks at every report, answers half of them and solves a third.
    acted: dict[str, str] = {}
    for n, (ref, _tg, _, rid) in enumerate(sorted(reports)):

        async def work(ref=ref, n=n, rid=rid) -> None:
            card = with_data(sofie, "rw:st:", ref)
            if card is None:  # the card did not reach her (403): she opens it from /problems
                stats["cards opened from /problems"] += 1
                await sofie.press_data(f"rw:card:{rid}")
                card = with_data(sofie, "rw:st:", ref)
                assert card is not None
            msg = card[0]
            await sofie.press("👀", msg)
            acted[ref] = "seen"
            if n % 2 == 0:
                await sofie.press("💬", with_data(sofie, "rw:st:", ref)[0])
                await sofie.send(f"Ik kom langs (antwoord {n})")  # no reference: `told` reads them
            if n % 3 == 0:
                await sofie.press("✅ ", with_data(sofie, "rw:st:", ref)[0])
                acted[ref] = "resolved"

        await attempt(sofie, work, stats, label="worker")
    await drain(h)
    statuses = dict(await h.rows("SELECT reference, status FROM reports"))
    for ref, want in acted.items():
        assert statuses[ref] == want if want == "resolved" else statuses[ref] != "new", (
            ref,
            statuses[ref],
        )

    # Jan publishes a meeting for tomorrow 19:00 and calls for action on 10 March 19:00.
    assert await attempt(jan, lambda: plan(h, jan), stats)
    assert await attempt(jan, lambda: make_call(jan, roles=()), stats)
    await drain(h)
    [(mid,)] = await h.rows("SELECT id FROM meetings")
    [(aid,)] = await h.rows("SELECT id FROM actions")
    for i, p in enumerate(residents):
        invite = with_data(p, f"mt:{'ymn'[i % 3]}:")
        if invite:
            await p.press_data(invite[1], invite[0])
        call = with_data(p, f"ac:{'yn'[i % 2]}:")
        if call:
            await p.press_data(call[1], call[0])
    await drain(h)
    rsvps = await h.rows(
        "SELECT u.tg_id, r.answer FROM meeting_rsvps r JOIN users u ON u.id = r.user_id"
        " WHERE r.meeting_id = ?",
        (mid,),
    )
    stats["meeting answers"] = len(rsvps)
    coming = await h.rows(
        "SELECT COUNT(*) FROM action_recipients WHERE action_id = ? AND answer IS NOT NULL", (aid,)
    )
    stats["action answers"] = coming[0][0]

    # The day passes: meeting reminders (day before, 2 h before), the 08:30 digest, the action's.
    for when in (
        datetime(2026, 3, 2, 19, 1),
        datetime(2026, 3, 3, 8, 31),
        datetime(2026, 3, 3, 17, 1),
        datetime(2026, 3, 9, 20, 1),
        datetime(2026, 3, 10, 17, 1),
        datetime(2026, 3, 10, 23, 0),
    ):
        h.clock.set(when.replace(tzinfo=BXL))
        await h.services.scheduler.run_due()
        await drain(h)

    # Nothing lost: every update processed, every outbox row sent or unreachable.
    assert await h.rows("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL") == [(0,)]
    states = Counter(dict(await h.rows("SELECT state, COUNT(*) FROM outbox GROUP BY state")))
    assert set(states) <= {"sent", "unreachable"}, states
    unreachable = {
        r[0]
        for r in await h.rows("SELECT DISTINCT chat_id FROM outbox WHERE state = 'unreachable'")
    }
    marked = {
        r[0] for r in await h.rows("SELECT tg_id FROM users WHERE unreachable_at IS NOT NULL")
    }
    # Reminders: one per person coming (yes/maybe) and kind, for everyone Telegram let us reach.
    reminders = Counter(
        k.split(":")[4]
        for (k,) in await h.rows("SELECT dedupe_key FROM outbox WHERE dedupe_key LIKE 'mt:rem:%'")
    )
    coming_tg = {tg for tg, a in rsvps if a in ("yes", "maybe")}
    reachable_coming = {tg for tg in coming_tg if tg not in unreachable and tg not in marked}
    for kind, n in reminders.items():
        assert reachable_coming and len(reachable_coming) <= n <= len(coming_tg), (
            kind,
            n,
            coming_tg,
        )
    assert len(reminders) == 2, reminders
    rem_keys = [
        k for (k,) in await h.rows("SELECT dedupe_key FROM outbox WHERE dedupe_key LIKE 'ac:rem:%'")
    ]
    assert len(rem_keys) == len(set(rem_keys)) and rem_keys
    digests = await h.rows("SELECT state FROM outbox WHERE dedupe_key LIKE 'digest:%'")
    assert digests, "the 08:30 digest"
    # Each sent row reached Telegram exactly once (injected faults never deliver and then fail).
    delivered: Counter = Counter()
    for c in h.api.calls:
        if c.ok and c.method in ("sendMessage", "editMessageText"):
            # As sent, an Arabic reader's text carries direction marks (i18n.directed).
            text = str(c.params.get("text", "")).replace("\u200f", "")
            delivered[(c.params.get("chat_id"), text)] += 1
    rows = await h.rows("SELECT chat_id, method, payload FROM outbox WHERE state = 'sent'")
    missing = []
    outbox_texts = set()
    for chat, method, payload in rows:
        text = str(json.loads(payload).get("text", ""))
        outbox_texts.add((chat, text))
        if method in ("sendMessage", "editMessageText") and text and delivered[(chat, text)] == 0:
            missing.append(text[:40])
    assert not missing, missing[:3]
    assert (await h.db.integrity_check()) == "ok"

    # Direct replies: failed calls never followed by the same message in the same chat.
    last_error: dict = {}
    for c in h.api.calls:
        if not c.ok and c.method in ("sendMessage", "editMessageText"):
            key = (c.params.get("chat_id"), str(c.params.get("text", "")))
            if key not in outbox_texts and delivered[key] == 0:
                last_error[key] = str(c.response.get("error_code"))
    lost = Counter(last_error.values())
    stats["direct replies lost (by error)"] = dict(lost)  # type: ignore[assignment]
    stats["faults injected"] = dict(h.api.counters)  # type: ignore[assignment]
    stats["outbox rows"] = dict(states)  # type: ignore[assignment]
    bad = [
        (c.method, c.response.get("description"))
        for c in h.api.calls
        if c.response.get("error_code") == 400
    ]
    stats["400 answers"] = Counter(bad)  # type: ignore[assignment]
    print("\nbusy day:", dict(stats))
    assert h.api.counters["429"] and h.api.counters["5xx"] and h.api.counters["timeout"]
