"""Publishing a meeting to a 600-member group: everything is queued in ONE transaction.

Prints the time to publish (render 600 messages in each member's language + 600 outbox rows),
the time of the reminder tick for 600 yes-answers, and the ratio against queueing the same rows
one transaction per member. Run: python bench/meetings_publish.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.outbox import Outbox  # noqa: E402
from bot.core.ui import text_message  # noqa: E402
from bot.domain.meetings import Draft  # noqa: E402
from bot.playground.harness import Harness  # noqa: E402
from storage.timestamps import to_db  # noqa: E402

N = 600
TZ = ZoneInfo("Europe/Brussels")


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        h = Harness(Path(tmp))
        await h.start()
        s = h.services
        s.outbox._stopping = True  # measure queueing, not the paced sending
        now = s.clock.now()
        async with s.db.transaction(mark=False) as conn:
            await conn.execute(
                "INSERT INTO projects (name, created_at) VALUES ('P', ?)", (to_db(now),)
            )
            await conn.execute(
                "INSERT INTO groups (project_id, name, member_token, created_at)"
                " VALUES (1, 'G', 't', ?)",
                (to_db(now),),
            )
            for i in range(N):
                lang = ("nl", "fr", "ar", "tr", "en")[i % 5]
                cur = await conn.execute(
                    "INSERT INTO users (tg_id, first_name, tg_language, created_at, last_seen_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (10_000 + i, f"U{i}", lang, to_db(now), to_db(now)),
                )
                await conn.execute(
                    "INSERT INTO memberships (group_id, user_id, role, joined_at)"
                    " VALUES (1, ?, 'member', ?)",
                    (cur.lastrowid, to_db(now)),
                )
        svc = s.meetings
        start = datetime(2026, 3, 5, 19, tzinfo=TZ)
        t0 = time.perf_counter()
        (mid,) = await svc.publish(Draft(1, "Bench", start, "Buurthuis"), 1)
        one_tx = time.perf_counter() - t0
        rows = await s.db.fetchval(
            "SELECT COUNT(*) FROM outbox WHERE batch = ?", (f"meeting:{mid}",)
        )
        t0 = time.perf_counter()
        async with s.db.transaction(mark=False) as conn:
            for i in range(N):
                await Outbox.enqueue_tx(
                    conn,
                    10_000 + i,
                    "sendMessage",
                    text_message(10_000 + i, "x"),
                    dedupe_key=f"a:{i}",
                )
        bare_one = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in range(N):
            async with s.db.transaction(mark=False) as conn:
                await Outbox.enqueue_tx(
                    conn,
                    10_000 + i,
                    "sendMessage",
                    text_message(10_000 + i, "x"),
                    dedupe_key=f"b:{i}",
                )
        per_member = time.perf_counter() - t0
        async with s.db.transaction(mark=False) as conn:
            for uid in range(1, N + 1):
                await svc.repo.set_rsvp_tx(conn, mid, uid, "yes", now)
        t0 = time.perf_counter()
        sent = await svc.send_reminders(start - timedelta(days=1))
        remind = time.perf_counter() - t0
        again = await svc.send_reminders(start - timedelta(days=1) + timedelta(minutes=1))
        print(
            f"publish to {N} members (one transaction): {one_tx * 1000:.0f} ms, {rows} outbox rows"
        )
        print(
            f"600 bare rows: one transaction {bare_one * 1000:.0f} ms,"
            f" one per member {per_member * 1000:.0f} ms "
            f"(ratio {per_member / bare_one:.1f}x; and one transaction is all-or-nothing)"
        )
        print(
            f"day-before reminder tick for {N} yes: {remind * 1000:.0f} ms, {sent} queued;"
            f" next tick queues {again}"
        )
        await h.stop()


if __name__ == "__main__":
    asyncio.run(main())
