"""Words per bot message, per role, over a full story run (issue 14, "words that fit every
reader"): the playground's demo history (stories 1-10: joining, reports, a worker's answer,
the roster, the call for action, the monthly meeting), then a day and a half of the clock
(reminders, the digest, the roster overview), each person's home screen and /help, a newcomer
who scans the poster, and free text.

Counted: every message the bot sent to a person's private chat, in its final form (an edited
message once), words after removing HTML tags. "Exempt" are the full privacy notice and lists
(/help, /problems, digests, rosters: three item lines or more); the rule is no other message
over 80 words. Prints a table; `--json` prints the numbers as JSON.

    python bench/words.py [--json]
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.playground import demo  # noqa: E402
from bot.playground.harness import Harness  # noqa: E402

LIMIT = 80
TAG = re.compile(r"<[^>]+>")


def words(text: str) -> int:
    return len(TAG.sub(" ", text).split())


LIST_MARKS = ("•", "/", "✋", "–", "-", "⚠️", "✅")


def exempt(text: str) -> bool:
    """The full privacy notice, and lists: three lines or more that are items (a bullet, a
    command, a shift), as in /help, /problems, the digest or the roster."""
    if "/mydata" in text and "/forget" in text and words(text) > 40:
        return True
    items = [line for line in text.splitlines() if line.strip().startswith(LIST_MARKS)]
    return len(items) >= 3


def role_of(person: demo.DemoPerson) -> str:
    return "resident" if person.role == "newcomer" else person.role


async def story_run(h: Harness) -> dict[int, demo.DemoPerson]:
    d = await demo.seed(h)
    # Story 1 for a newcomer: the poster, her language, the home screen.
    amina = d[demo.NEWCOMERS[0]]
    await amina.send(f"/start {d.member_payload}")
    await amina.press("العربية")
    # Story 3: Sofie answers the first report.
    sofie = d[demo.SOFIE]
    card = next((m for m in sofie.messages() if any("💬" in b for b in demo._labels(m))), None)
    if card is not None:
        await sofie.press("💬", card)
        await sofie.send("Ik kom donderdag langs.")
    # A day and a half: the digest at 08:30, both meeting reminders, the meeting itself.
    for hours in (1, 6, 12, 23, 24, 30, 34):
        await h.advance_to(demo.START + timedelta(hours=hours))
    for who in demo.PEOPLE:
        p = d[who]
        await p.send("/start")
        await p.send("/help")
        await p.send("ik wil een vergadering plannen")
    return {p.id: p for p in demo.PEOPLE}


async def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        h = Harness(Path(tmp), admin_ids=demo.ADMIN_IDS, start_time=demo.START)
        await h.start()
        try:
            people = await story_run(h)
            per_role: dict[str, list[tuple[int, bool, str]]] = {}
            for uid, person in people.items():
                for m in h.api.sent_messages(uid):
                    text = str(m.get("text") or m.get("caption") or "")
                    if not text:
                        continue
                    per_role.setdefault(role_of(person), []).append(
                        (words(text), exempt(text), text)
                    )
        finally:
            await h.stop()
    result: dict[str, Any] = {}
    for role, items in sorted(per_role.items()):
        counts = [n for n, _e, _t in items]
        plain = [n for n, e, _t in items if not e]
        over = [t for n, e, t in items if not e and n > LIMIT]
        result[role] = {
            "messages": len(counts),
            "median": statistics.median(counts),
            "max": max(counts),
            "max_not_exempt": max(plain) if plain else 0,
            "over_limit": [TAG.sub("", t)[:90].replace("\n", " ") for t in over],
        }
    return result


def main() -> None:
    result = asyncio.run(measure())
    if "--json" in sys.argv:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print(f"{'role':<10} {'messages':>8} {'median':>7} {'max':>5} {'max (not list/privacy)':>23}")
    for role, r in result.items():
        print(
            f"{role:<10} {r['messages']:>8} {r['median']:>7} {r['max']:>5}"
            f" {r['max_not_exempt']:>23}"
        )
        for text in r["over_limit"]:
            print(f"    over {LIMIT}: {text}")


if __name__ == "__main__":
    main()
