"""Who may use which command and which button: every registered command and callback pattern ×
(stranger, resident, organiser, worker of another project, worker, admin).

The test enumerates the handlers of the real application, so a new command or callback pattern
without a row below fails with a list of what is missing. Adding a feature = one line per command
and per callback prefix:

    COMMANDS["report"] = Row(ALL)                                    # everyone may
    CALLBACKS[r"^rep:"] = Row(STAFF_OF_GROUP, "rep:seen:{report}")   # forged data (see below)

Placeholders in callback data: {project}, {group} (the worker's project and the organiser's group),
{other_project}, {other_group} (of the other worker), plus any a feature's `setup` adds.
Outcome: 'ok' for allowed roles; 'refused' (the one refusal text) for everyone else.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram.ext import CallbackQueryHandler, CommandHandler

from tests.e2e_helpers import make_group, make_project, make_worker

ROLES = ("stranger", "resident", "organiser", "other_worker", "worker", "admin")
ALL = frozenset(ROLES)
STAFF = frozenset({"organiser", "worker", "admin"})  # staff of the world's group
WORKERS = frozenset({"worker", "admin"})  # of the world's project
ANY_WORKER = frozenset({"worker", "other_worker", "admin"})
ADMIN = frozenset({"admin"})
STAFF_OF_GROUP = STAFF

REFUSED = "Sorry, you can't do that."
# Features that explain a refusal in their own words.
REFUSALS = (
    REFUSED,
    "Only organisers and project workers can call for action.",
    # An organiser asking for the hours is told who sends them (handlers/rosters/hours.py).
    "You cannot download the hours yourself",
)
EXPIRED = "This button no longer works"


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    data: str = ""  # callback data (with placeholders); unused for commands
    before: tuple[str, ...] = field(default_factory=tuple)  # messages the person sends first
    # What everyone else gets: 'refused', or 'expired' where telling "not yours" from "no such
    # thing" would leak that it exists (e.g. someone else's report).
    denied: str = "refused"
    # Per-role exceptions: ((role, outcome), ...), each with a reason where the row is defined.
    special: tuple[tuple[str, str], ...] = ()


COMMANDS: dict[str, Row] = {
    "start": Row(ALL),
    "help": Row(ALL),
    "language": Row(ALL),
    "privacy": Row(ALL),
    "cancel": Row(ALL),
    "groups": Row(ALL),
    "newgroup": Row(ANY_WORKER),
    "newproject": Row(ADMIN),
    "projects": Row(ANY_WORKER),
    # Problem reports (issue 3)
    "report": Row(ALL),
    "myreports": Row(ALL),
    "problems": Row(ANY_WORKER),
    "routing": Row(ANY_WORKER),
    "digest": Row(frozenset({"worker", "other_worker"})),  # digests are a worker's own
    "categories": Row(ANY_WORKER),
    "neighbourhoods": Row(ANY_WORKER),
    # Volunteer rosters (issue 9)
    "roster": Row(STAFF | {"other_worker"}),
    "volunteer": Row(ALL),
    "shifts": Row(ALL),
    "hours": Row(ANY_WORKER),
    # Meetings (issue 4); /linkchat only works in a group chat (in private it is "unknown").
    "newmeeting": Row(STAFF | {"other_worker"}),
    "datepoll": Row(STAFF | {"other_worker"}),
    "meetings": Row(ALL),
    "linkchat": Row(ALL),
    # Privacy and exports (issue 6)
    "mydata": Row(ALL),
    "forget": Row(ALL),  # asks first; the matrix presses "No" below
    "export": Row(ANY_WORKER),
    "sector": Row(ADMIN),  # the institute's sector dossier (issue 17)
    # Action calls (issue 5)
    "action": Row(frozenset({"organiser", "worker", "other_worker"})),  # admins are not organisers
    "actions": Row(STAFF | {"other_worker"}),
    "settings": Row(ALL),
    "stop": Row(ALL),
    # Assisted mode (issue 17): staff act for residents of their own groups.
    "assist": Row(STAFF | {"other_worker"}),
}

CALLBACKS: dict[str, Row] = {
    r"^lang:": Row(ALL, "lang:set:en"),
    r"^menu:": Row(ALL, "menu:help"),
    r"^home:": Row(ALL, "home:menu"),
    r"^np:": Row(ADMIN, "np:cancel", before=("/newproject",)),
    r"^proj:": Row(ADMIN, "proj:invite:{project}"),
    r"^ng:": Row(WORKERS, "ng:project:{project}"),
    r"^grp:": Row(STAFF, "grp:links:{group}"),
    r"^rep:": Row(frozenset({"resident"}), "rep:my:{report}"),
    r"^rw:": Row(WORKERS, "rw:card:{report}"),
    r"^dg:": Row(frozenset({"worker", "other_worker"}), "dg:set"),
    r"^rcat:": Row(WORKERS, "rcat:p:{project}"),
    r"^nb:": Row(WORKERS, "nb:p:{project}"),
    r"^ro:": Row(STAFF, "ro:new:{group}"),
    r"^sh:": Row(frozenset({"resident", "organiser"}), "sh:join:{group}"),
    r"^tk:": Row(frozenset(), "tk:take:999999", denied="expired"),
    r"^mt:": Row(STAFF, "mt:rd:{group}"),
    r"^mp:": Row(frozenset(), "mp:o:999999", denied="expired"),
    # A period button: workers (one project) are at that step; the admin is first asked for the
    # project, so for them the button is out of step. Forged project ids: tests/test_export*.py.
    r"^ex:": Row(ANY_WORKER, "ex:t:12m", before=("/export",), special=(("admin", "expired"),)),
    # An unknown period, so the matrix does not wait for a dossier to be made: the admin is told
    # the button is out of date, everyone else is refused (the dossier: tests/test_sector.py).
    r"^sx:": Row(ADMIN, "sx:t:xx", before=("/sector",), special=(("admin", "expired"),)),
    r"^pv:": Row(ALL, "pv:no", before=("/forget",)),
    # Someone else's action: forged presses on real calls are in tests/test_actions.py.
    r"^ac:": Row(frozenset(), "ac:m:999999", denied="expired"),
    r"^mute:": Row(frozenset({"resident", "organiser"}), "mute:t:{group}"),
    # Assisted mode: the list of one's persons (the other worker has his own group). Acting for
    # a person of another's group, forged ids and steps: tests/test_assist.py.
    r"^as:": Row(STAFF | {"other_worker"}, "as:list"),
    # Translations at a preview act only on the presser's own open meeting or call conversation;
    # without one (everyone here) the button has expired. With one: tests/test_translate.py.
    r"^tr:": Row(frozenset(), "tr:v", denied="expired"),
}

# Features may register extra world set-up: async fn(h, people, ids) adding placeholders to ids.
SETUP: list[Callable[..., Awaitable[None]]] = []


async def _a_report(h, people, ids) -> None:
    from tests.reports_helpers import file_report

    await file_report(h, people["resident"])
    ids["report"] = (await h.rows("SELECT MAX(id) FROM reports"))[0][0]


SETUP.append(_a_report)


async def _an_assisted_person(h, people, ids) -> None:
    worker = people["worker"]
    await worker.send("/assist")
    await worker.press("➕")
    await worker.send("Maria")
    await worker.press("⏭")
    await worker.press("English")
    await worker.press("✅")
    await worker.send("/assist")
    await worker.press("⏹")
    ids["assisted"] = (await h.rows("SELECT MAX(user_id) FROM assisted_persons"))[0][0]


SETUP.append(_an_assisted_person)


def registered(app) -> tuple[set[str], set[str]]:
    commands: set[str] = set(app.bot_data.registry.commands)
    patterns: set[str] = set()
    for handlers in app.handlers.values():
        for handler in handlers:
            if isinstance(handler, CommandHandler):
                commands |= set(handler.commands)
            elif isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
                pattern = handler.pattern
                patterns.add(pattern.pattern if isinstance(pattern, re.Pattern) else str(pattern))
    return commands, patterns


def outcome(texts: list[str]) -> str:
    if any(r in t for t in texts for r in REFUSALS):
        return "refused"
    if any(EXPIRED in t for t in texts):
        return "expired"
    return "ok"


async def test_every_registered_command_and_pattern_has_a_row(h):
    commands, patterns = registered(h.app)
    missing_c = sorted(commands - set(COMMANDS))
    missing_p = sorted(patterns - set(CALLBACKS))
    assert not (missing_c or missing_p), (
        "add a row to tests/test_authz_matrix.py for each of these — "
        f"commands: {missing_c}; callback patterns: {missing_p}"
    )


async def test_authorisation_matrix(h):
    admin = h.person("Ann", language_code="en", user_id=1)
    people = {role: h.person(role.title(), language_code="en") for role in ROLES if role != "admin"}
    people["admin"] = admin
    project = await make_project(h, admin, "Rabot", "Rabot")
    await make_worker(h, admin, people["worker"], "Rabot")
    other_project = await make_project(h, admin, "Ledeberg", "Ledeberg")
    await make_worker(h, admin, people["other_worker"], "Ledeberg")
    member_payload, organiser_payload = await make_group(h, people["worker"], "Huurders Rabot")
    await people["organiser"].send(f"/start {organiser_payload}")
    await people["resident"].send(f"/start {member_payload}")
    await make_group(h, people["other_worker"], "Huurders Ledeberg")
    groups = dict(await h.rows("SELECT name, id FROM groups"))
    ids = {
        "project": project,
        "other_project": other_project,
        "group": groups["Huurders Rabot"],
        "other_group": groups["Huurders Ledeberg"],
    }
    for fn in SETUP:
        await fn(h, people, ids)
    for p in people.values():
        await p.send("/cancel")

    commands, patterns = registered(h.app)
    wrong: list[str] = []
    cases = [(f"/{c}", COMMANDS[c], False) for c in sorted(commands & set(COMMANDS))]
    cases += [
        (CALLBACKS[p].data.format(**ids), CALLBACKS[p], True)
        for p in sorted(patterns & set(CALLBACKS))
    ]
    for what, row, is_button in cases:
        for role in ROLES:
            person = people[role]
            for text in row.before:
                await person.send(text)
            before = len(h.api.calls)
            if is_button:
                await person.press_data(what)
            else:
                await person.send(what)
            texts = [
                str(c.params.get("text", ""))
                for c in h.api.calls[before:]
                if c.params.get("chat_id") == person.id or c.method == "answerCallbackQuery"
            ]
            got = outcome(texts)
            expected = dict(row.special).get(role) or ("ok" if role in row.allowed else row.denied)
            if got != expected:
                wrong.append(f"{what} as {role}: expected {expected}, got {got} ({texts[:1]})")
            await person.send("/cancel")
    assert not wrong, "\n".join(wrong)
