"""Kill-and-restart with the real features (tests/test_kill_restart.py, bench/kill_restart.py).

A world is built in-process through the real flows (project, worker Sofie who gets every report,
group, organiser Jan, residents who joined). Then the real bot runs as a subprocess
(tests/bot_runner.py) on that database with a clock the test moves (CLOCK_FILE). While residents
file problem reports through /report (buttons, text, voice, photos), Jan publishes a meeting
(reminders the day before and two hours before) and sends an action call through /action, and
members answer, the bot is SIGKILLed at random moments and restarted. Then time moves to every
reminder and to the 08:30 digest, with kills continuing. At the end everything is counted.

People are bot.playground.harness.Person driven through RemoteHarness: a push waits until the bot
marked the update processed and its reply arrived. A reply lost at a kill (committed, killed
before the reply) leaves the person without the next button: they /cancel and start again
(tests/resilience_flows.attempt) — that is counted, not a failure.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import signal
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.i18n import LANGUAGE_NAMES
from bot.playground.botapi_double import FakeBotAPI
from bot.playground.harness import Harness, Person
from tests.bot_runner import set_clock_file
from tests.killtest import bot_env, start_bot
from tests.resilience_flows import attempt, report, with_data

BXL = ZoneInfo("Europe/Brussels")
# A reference told to its reporter; "• R-…" lines list other people's similar reports.
REF = re.compile(r"(?<!• )R-2026-\d{4}")
# Bot time for each phase (the world is built at 2026-03-02 09:00 by the harness clock).
FLOWS_AT = datetime(2026, 3, 2, 9, 10, tzinfo=BXL)
LATER = [  # meeting: tomorrow 19:00 → day-before reminder, digest, 2 h reminder; action 10/03 19:00
    datetime(2026, 3, 2, 19, 1, tzinfo=BXL),
    datetime(2026, 3, 3, 8, 31, tzinfo=BXL),
    datetime(2026, 3, 3, 17, 1, tzinfo=BXL),
    datetime(2026, 3, 9, 20, 1, tzinfo=BXL),
    datetime(2026, 3, 10, 17, 1, tzinfo=BXL),
]


@dataclass
class FlowKillReport:
    residents: int
    kills: int = 0
    seconds: float = 0.0
    updates: int = 0
    lost: int = 0  # pushed updates never stored or never processed
    reports: int = 0
    references_told: int = 0
    references_missing: int = 0  # told to the resident but not stored
    reports_twice: int = 0  # a reference stored twice, or a second report nobody filed again
    refiled_after_lost_confirmation: int = 0  # the resident never saw the first one's reference
    outbox_rows: int = 0
    outbox_not_sent: int = 0  # rows not 'sent' at the end
    outbox_not_delivered: int = 0  # sendMessage rows never seen by Telegram
    outbox_delivered_twice: int = 0  # extra deliveries: a row on the wire at a SIGKILL
    meeting_reminders_expected: int = 0
    meeting_reminders: int = 0
    action_reminders_expected: int = 0
    action_reminders: int = 0
    digests: int = 0
    flows_restarted: int = 0  # a reply lost at a kill: the person started the flow again
    integrity: str = ""
    sigterm_exit: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _q(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


class RemoteHarness:
    """What bot.playground.harness.Person needs (.api, .push) for a bot in another process."""

    def __init__(self, api: FakeBotAPI, db_path: Path) -> None:
        self.api = api
        self.db_path = db_path
        self.pushed: list[int] = []

    async def push(
        self, update: dict[str, Any], settle: bool = True, timeout: float = 60.0
    ) -> None:
        body = update.get("message") or update.get("callback_query") or {}
        chat = (body.get("from") or {}).get("id")
        query_id = (update.get("callback_query") or {}).get("id")
        before = len(self.api.calls)
        uid = self.api.push_update(update)["update_id"]
        self.pushed.append(uid)
        deadline = time.monotonic() + timeout
        while not _q(
            self.db_path,
            "SELECT 1 FROM inbox WHERE update_id = ? AND processed_at IS NOT NULL",
            (uid,),
        ):
            if time.monotonic() > deadline:
                raise TimeoutError(f"update {uid} not processed")
            await asyncio.sleep(0.02)

        def answered() -> int:
            return sum(
                1
                for c in self.api.calls[before:]
                if c.chat_id == chat
                or (query_id is not None and c.params.get("callback_query_id") == query_id)
            )

        # The reply comes after the commit: wait for it (it is lost if the bot was killed in
        # between), then until this chat is quiet for 60 ms.
        give_up = time.monotonic() + 2.0
        seen = -1
        while time.monotonic() < give_up:
            n = answered()
            if n and n == seen:
                break
            seen = n
            await asyncio.sleep(0.06)


async def build_world(workdir: Path, residents: int) -> tuple[dict[str, Any], Path]:
    from tests.e2e_helpers import setup_world

    h = Harness(workdir, admin_ids=[1])
    await h.start()
    try:
        admin = h.person("Ann", language_code="nl", user_id=1)
        sofie, jan, payload = await setup_world(h, admin)
        await sofie.send("/routing")
        await sofie.press("👤")
        await sofie.press("Sofie")
        people = []
        for i in range(residents):
            lang = ("nl", "ar", "fr", "tr")[i % 4]
            p = h.person(f"Bewoner{i}", language_code=lang)
            await p.send(f"/start {payload}")
            await p.press(LANGUAGE_NAMES[lang])
            people.append((p.id, f"Bewoner{i}", lang))
        ids = {"sofie": sofie.id, "jan": jan.id, "residents": people}
    finally:
        await h.stop()
    return ids, workdir / "buurtbot.sqlite3"


async def run_flow_kill_test(
    workdir: Path, residents: int = 10, kills: int = 4, seed: int = 3, timeout: float = 150.0
) -> FlowKillReport:
    from tests.test_actions import make_call
    from tests.test_meetings import plan

    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    ids, db_path = await build_world(workdir / "world", residents)
    log_path = workdir / "bot.log"
    clock_file = workdir / "clock.txt"
    set_clock_file(clock_file, FLOWS_AT)
    rep = FlowKillReport(residents=residents)
    stats: Counter = Counter()
    api = FakeBotAPI(latency=0.0)
    await api.start()
    # Telegram's update ids and message ids go on from where the world's left off.
    ((last_update, first_row),) = _q(
        db_path,
        "SELECT (SELECT MAX(update_id) FROM inbox), (SELECT COALESCE(MAX(id), 0) FROM outbox)",
    )
    api._next_update_id = int(last_update) + 1
    t0 = time.monotonic()
    env = bot_env(
        api,
        db_path,
        CLOCK_FILE=str(clock_file),
        ADMIN_IDS="1",
        DEFAULT_LANGUAGE="nl",
        TIMEZONE="Europe/Brussels",
    )
    state: dict[str, Any] = {"proc": start_bot(env, log_path)}
    remote = RemoteHarness(api, db_path)
    jan = Person(remote, api.make_user(ids["jan"], "Jan", language_code="nl"))  # type: ignore[arg-type]
    people = [
        Person(remote, api.make_user(tg, name, language_code=lang))
        for tg, name, lang in ids["residents"]
    ]  # type: ignore[arg-type]
    stop_killing = asyncio.Event()

    started = [time.monotonic()]  # when the current bot process was started

    async def killer() -> None:
        loop = asyncio.get_running_loop()
        while rep.kills < kills and not stop_killing.is_set():
            await asyncio.sleep(rng.uniform(1.0, 4.0))
            proc = state["proc"]
            if proc.poll() is not None:
                raise RuntimeError(f"bot exited ({proc.returncode}); see {log_path}")
            proc.send_signal(signal.SIGKILL)
            await loop.run_in_executor(None, proc.wait)
            rep.kills += 1
            state["proc"] = start_bot(env, log_path)
            started[0] = time.monotonic()

    async def resident_flow(i: int, p: Person) -> None:
        await attempt(p, lambda: report(remote, p, i % 3), stats, tries=8, label="report")

    async def organiser_flow() -> None:
        # Jan checks it went out (he sees it in /meetings, /actions); if not, he does it again.
        async def publish() -> None:
            await plan(remote, jan)
            assert _q(db_path, "SELECT COUNT(*) FROM meetings WHERE status = 'published'")[0][0], (
                "not published"
            )

        async def call() -> None:
            await make_call(jan, roles=())
            assert _q(db_path, "SELECT COUNT(*) FROM actions WHERE state = 'sent'")[0][0], (
                "not sent"
            )

        assert await attempt(jan, publish, stats, label="meeting")
        assert await attempt(jan, call, stats, label="action")

    async def answers() -> None:
        for i, p in enumerate(people):
            invite = with_data(p, f"mt:{'ym'[i % 2]}:")
            if invite:
                await p.press_data(invite[1], invite[0])
            call = with_data(p, "ac:y:")
            if call:
                await p.press_data(call[1], call[0])

    snapshot: dict[int, tuple[int, str, str]] = {}  # outbox id -> (chat, method, text), before
    # retention (RETENTION_DAYS) empties the payloads of old sent rows as the clock moves on

    def take_snapshot() -> None:
        for rid, chat, method, payload in _q(
            db_path,
            "SELECT id, chat_id, method, payload FROM outbox WHERE id > ? AND payload != '{}'",
            (first_row,),
        ):
            snapshot.setdefault(rid, (chat, method, str(json.loads(payload).get("text", ""))))

    async def wait_quiet(what: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not done in time; see {log_path}")
            if not api.pending_updates():
                ((unprocessed, open_rows),) = _q(
                    db_path,
                    "SELECT (SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL),"
                    " (SELECT COUNT(*) FROM outbox WHERE state IN ('pending','sending'))",
                )
                if unprocessed == 0 and open_rows == 0:
                    take_snapshot()
                    return
            await asyncio.sleep(0.1)

    kill_task = asyncio.create_task(killer())
    try:
        await asyncio.gather(organiser_flow(), *(resident_flow(i, p) for i, p in enumerate(people)))
        await wait_quiet("flows")
        await answers()
        await wait_quiet("answers")
        for when in LATER:
            set_clock_file(clock_file, when)
            moved = time.monotonic()
            # A scheduler tick (every second, and at start-up) must see the new time before
            # "quiet" means done: also when a SIGKILL came just then.
            while time.monotonic() - moved < 1.5 or time.monotonic() - started[0] < 4.0:
                await asyncio.sleep(0.1)
            await wait_quiet(f"time {when:%d/%m %H:%M}")
        stop_killing.set()
        await kill_task
        await asyncio.sleep(1.5)  # a tick after the last restart (missed reminders are caught up)
        await wait_quiet("end")
        proc = state["proc"]
        proc.send_signal(signal.SIGTERM)
        rep.sigterm_exit = await asyncio.get_running_loop().run_in_executor(
            None, lambda: proc.wait(timeout=30)
        )
        rep.seconds = time.monotonic() - t0
        _count(rep, api, db_path, remote, people, stats, first_row, snapshot)
    finally:
        stop_killing.set()
        if not kill_task.done():
            kill_task.cancel()
        if state["proc"].poll() is None:
            state["proc"].kill()
        await api.stop()
    return rep


def _count(
    rep: FlowKillReport,
    api: FakeBotAPI,
    db_path: Path,
    remote: RemoteHarness,
    people: list[Person],
    stats: Counter,
    first_row: int,
    snapshot: dict[int, tuple[int, str, str]],
) -> None:
    def q(sql: str, params: tuple = ()) -> list[tuple]:
        return _q(db_path, sql, params)

    rep.updates = len(remote.pushed)
    processed = dict(q("SELECT update_id, processed_at FROM inbox"))
    rep.lost = sum(1 for u in remote.pushed if processed.get(u) is None)
    reports = q("SELECT r.reference, u.tg_id FROM reports r JOIN users u ON u.id = r.reporter_id")
    rep.reports = len(reports)
    told = {(ref, p.id) for p in people for t in p.texts() for ref in REF.findall(t)}
    stored = Counter(reports)
    rep.references_told = len(told)
    rep.references_missing = sum(1 for x in told if stored[x] == 0)
    per_resident = Counter(tg for _, tg in reports)
    untold = Counter(tg for ref, tg in reports if (ref, tg) not in told)
    rep.refiled_after_lost_confirmation = sum(untold.values())
    rep.reports_twice = sum(max(0, n - 1 - untold[tg]) for tg, n in per_resident.items()) + sum(
        n - 1 for n in Counter(ref for ref, _ in reports).values() if n > 1
    )
    outbox = q("SELECT id, method, state, dedupe_key FROM outbox WHERE id > ?", (first_row,))
    rep.outbox_rows = len(outbox)
    rep.outbox_not_sent = sum(1 for r in outbox if r[2] != "sent")
    want: Counter = Counter()
    rep.extra["rows without a snapshot"] = sum(1 for r in outbox if r[0] not in snapshot)
    for chat, method, text in snapshot.values():
        if method == "sendMessage":
            want[(chat, str(text).replace("\u200f", ""))] += 1
    got: Counter = Counter()
    for c in api.calls:
        if c.ok and c.method == "sendMessage":
            # Arabic readers' lines get a right-to-left mark when sent (bot/core/i18n.directed).
            key = (c.chat_id, str(c.params.get("text", "")).replace("\u200f", ""))
            if key in want:
                got[key] += 1
    rep.outbox_not_delivered = sum(max(0, n - got[k]) for k, n in want.items())
    rep.extra["not delivered"] = [(k[0], k[1][:60]) for k, n in want.items() if got[k] < n][:5]
    rep.extra["residents without a report"] = [p.id for p in people if p.id not in per_resident]
    rep.outbox_delivered_twice = sum(max(0, got[k] - n) for k, n in want.items())
    # Reminders: every yes/maybe to the meeting gets both, every "coming" to the action both.
    keys = {r[3]: r[2] for r in outbox if r[3]}
    coming = q("SELECT user_id FROM meeting_rsvps WHERE answer IN ('yes', 'maybe')")
    rep.meeting_reminders_expected = 2 * len(coming)
    rep.meeting_reminders = sum(
        1 for k, s in keys.items() if k.startswith("mt:rem:") and s == "sent"
    )
    acting = q("SELECT user_id FROM action_recipients WHERE answer = 'coming'")
    rep.action_reminders_expected = 2 * len(acting)
    rep.action_reminders = sum(
        1 for k, s in keys.items() if k.startswith("ac:rem:") and s == "sent"
    )
    rep.digests = sum(1 for k, s in keys.items() if k.startswith("digest:") and s == "sent")
    rep.flows_restarted = stats["flows restarted"]
    rep.extra.update({k: v for k, v in stats.items() if k != "flows restarted"})
    rep.extra["rsvps"] = q("SELECT answer, COUNT(*) FROM meeting_rsvps GROUP BY answer")
    rep.integrity = q("PRAGMA integrity_check")[0][0]
