"""People's flows that survive lost replies and SIGKILLs: shared by tests/test_busy_day.py and
tests/killtest_flows.py. They work with bot.playground.harness.Harness and
tests.killtest_flows.RemoteHarness (anything with .push(update) and .api)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from bot.playground.harness import Person

DEBUG = False
OWN_REF = re.compile(r"(?<!• )R-20\d\d-\d{4}")  # "• R-…" lines list others' similar reports


async def attempt(
    person: Person, flow, stats: Counter, tries: int = 5, label: str = "flow"
) -> bool:
    """Run a button flow; when a lost reply leaves the person without the next button, they
    send /cancel and start again (as people do)."""
    for _ in range(tries):
        try:
            await flow()
            return True
        except (AssertionError, IndexError) as exc:  # IndexError: no buttons at all
            stats["flows restarted"] += 1
            if DEBUG:
                print(label, exc)
            await person.send("/cancel")
    stats[f"{label} flows given up"] += 1
    return False


async def report(h: Any, p: Person, kind: int) -> None:
    """tests/reports_helpers.file_report, for someone who may have an unfinished report after a
    lost reply: they answer "start again" when asked."""
    await p.send("/report")
    if any("🆕" in b for b in p.button_texts(p.last())):
        await p.press("🆕", p.last())
    await p.press("🏠", p.last())
    await p.press("Rabot", p.last())
    if any("➡️" in b for b in p.button_texts(p.last())):
        await p.press("➡️", p.last())
    if kind == 1:
        await h.push(h.api.voice_update(p.tg, duration=5))
    else:
        await p.send(f"Schimmel in kamer {p.id}")
    for _ in range(2 if kind == 2 else 0):
        await h.push(h.api.photo_update(p.tg))
    await p.press("✅", p.last())
    await p.press("🙈", p.last())
    await p.press("❌", p.last())
    await p.press("✅", p.last())
    # They look for their reference number; without it (a reply lost, or a stale button pressed
    # after a lost edit) they try again. A report whose confirmation was lost is then filed twice
    # by its author: counted by the tests as such, not as a duplicate update.
    # (Other messages, e.g. a meeting invitation, may have come in after it.)
    assert any(OWN_REF.search(t) for t in p.texts()), "no reference received"


def with_data(person: Person, prefix: str, needle: str = "") -> tuple[dict, str] | None:
    """The newest message to `person` with a button whose data starts with `prefix`."""
    for m in reversed(person.messages()):
        if needle and needle not in str(m.get("text", "")):
            continue
        for row in (m.get("reply_markup") or {}).get("inline_keyboard", []):
            for b in row:
                if str(b.get("callback_data", "")).startswith(prefix):
                    return m, b["callback_data"]
    return None
