"""What the fuzz test forges: callback data shaped like every feature's real buttons, with ids of
real objects that belong to other people, in a world built through the real flows.

`button_shapes()` reads every `cb("prefix", "action", arg, ...)` call in handlers/ and bot/ (all
callback data is made with bot.core.ui.cb), so a new button is fuzzed without touching this file;
`uncovered(patterns)` lists registered CallbackQueryHandler patterns no shape matches (the fuzz
test fails on them).
"""

from __future__ import annotations

import ast
import random
import re
from pathlib import Path

from bot.core.i18n import LANGUAGE_NAMES
from bot.playground.harness import Harness
from tests.world import ROLE_IDS

ROOT = Path(__file__).resolve().parent.parent
ID = "{id}"


def button_shapes() -> dict[str, set[tuple[str, ...]]]:
    """prefix -> shapes; a shape is a tuple of literal parts or ID for a computed argument."""
    shapes: dict[str, set[tuple[str, ...]]] = {}
    for path in sorted([*ROOT.glob("handlers/**/*.py"), *ROOT.glob("bot/**/*.py")]):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "cb"
            ):
                continue
            if not node.args or not isinstance(node.args[0], ast.Constant):
                continue
            parts = tuple(str(a.value) if isinstance(a, ast.Constant) else ID for a in node.args)
            shapes.setdefault(parts[0], set()).add(parts)
    return shapes


def uncovered(patterns: set[str]) -> list[str]:
    shapes = button_shapes()
    samples = [":".join("1" if p == ID else p for p in s) for ss in shapes.values() for s in ss]
    return sorted(p for p in patterns if not any(re.match(p, d) for d in samples))


def registered(app) -> tuple[set[str], set[str]]:
    from tests.test_authz_matrix import registered as authz_registered

    return authz_registered(app)


def forge(rng: random.Random, shapes: dict[str, set[tuple[str, ...]]], ids: list[int]) -> str:
    """Real shape, forged values: other people's real ids, out-of-range and malformed ones."""
    shape = rng.choice(sorted(rng.choice(sorted(shapes.items()))[1]))
    out = []
    for part in shape:
        if part == ID:
            r = rng.random()
            if r < 0.7:
                out.append(str(rng.choice(ids)))
            else:
                out.append(
                    rng.choice(
                        ["0", "-1", "999999", "9" * 25, "abc", "", "nl", "1.5", "s", "x" * 10]
                    )
                )
        else:
            out.append(part)
    r = rng.random()
    if r < 0.05:
        out = out[:-1]  # one part short
    elif r < 0.1:
        out.append("1")  # one part too many
    return ":".join(out)[:64]


async def build_world(workdir: Path) -> tuple[Path, list[int], list[str], set[str], set[str]]:
    """The tests/world.py roles, set up through the real flows, plus a report of the resident,
    a meeting and an action call of the organiser. Returns (database, real ids, start payloads,
    registered commands, registered callback patterns)."""
    from tests.e2e_helpers import make_group, make_project, make_worker
    from tests.reports_helpers import file_report
    from tests.test_actions import make_call
    from tests.test_meetings import plan

    h = Harness(workdir, admin_ids=[ROLE_IDS["admin"]])
    await h.start()
    try:
        p = {
            role: h.person(role.title(), language_code="nl", user_id=tg)
            for role, tg in ROLE_IDS.items()
        }
        await make_project(h, p["admin"], "Rabot", "Rabot")
        await make_worker(h, p["admin"], p["worker"], "Rabot")
        await make_project(h, p["admin"], "Ledeberg", "Ledeberg")
        await make_worker(h, p["admin"], p["other_worker"], "Ledeberg")
        member, organiser = await make_group(h, p["worker"], "Huurders Rabot")
        other_member, _ = await make_group(h, p["other_worker"], "Huurders Ledeberg")
        await p["organiser"].send(f"/start {organiser}")
        await p["resident"].send(f"/start {member}")
        await p["resident"].press(LANGUAGE_NAMES["nl"])
        await file_report(h, p["resident"])
        await plan(h, p["organiser"])
        await make_call(p["organiser"], roles=(("chauffeur", "2"),))
        for person in p.values():
            await person.send("/cancel")
        ids: set[int] = set()
        for table in (
            "projects",
            "groups",
            "users",
            "reports",
            "meetings",
            "actions",
            "action_roles",
        ):
            ids |= {r[0] for r in await h.rows(f"SELECT id FROM {table}")}
        tokens = [member, other_member, organiser]
        commands, patterns = registered(h.app)
    finally:
        await h.stop()
    return workdir / "buurtbot.sqlite3", sorted(ids), tokens, commands, patterns
