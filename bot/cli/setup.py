"""`buurtbot setup FILE.toml [--dry-run] [--database PATH] [--new-invites]`: one file sets up an
institute (issue 17): its projects, their neighbourhoods (centre, GeoJSON boundary), categories
(emoji, a name per language), routing rules and groups, and one-time invites for the workers and
organisers it names.

- Idempotent: a second run changes nothing and prints "no changes" (and no invite again unless
  --new-invites asks for fresh ones for people who have not joined yet).
- What leaves the file is hidden, never deleted: reports and answers keep pointing at it.
- An invalid file gets one line per problem (key and line) and exit code 2; nothing changes.
- It works while the bot runs: SQLite in WAL mode, one short write transaction, and the bot
  reads categories and boundaries afresh after another process committed.
- BOT_TOKEN (from the environment or .env) is only used to ask Telegram the bot's username
  (getMe) to print t.me links; without it the invite payloads are printed.

The file is documented in README.md ("Setting up an institute from one file"); a complete
example is docs/examples/institute.toml. Messages are for operators, in plain English."""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import re
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.core.settings import SUPPORTED_LANGUAGES

KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Create or update an institute's projects, neighbourhoods, categories, routing rules "
        "and groups from one TOML file, and print invite links for the people it names."
    )
    parser.add_argument(
        "file", type=Path, help="the set-up file (see docs/examples/institute.toml)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would change; change nothing"
    )
    parser.add_argument("--database", type=Path, help="the bot's database (default: DATABASE_PATH)")
    parser.add_argument(
        "--new-invites",
        action="store_true",
        help="make fresh invite links for the people who have not joined yet",
    )


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_main(args))


# ---------------------------------------------------------------- reading the file


@dataclass
class Hood:
    name: str
    lat: float | None
    lon: float | None
    boundary: str | None  # the stored geometry (GeoJSON text)


@dataclass
class Cat:
    key: str
    emoji: str
    names: dict[str, str]


@dataclass
class GroupSpec:
    key: str
    name: str
    organisers: list[str]


@dataclass
class ProjectSpec:
    key: str
    name: str
    workers: list[str]
    default_worker: str | None
    hoods: list[Hood] | None  # None: the file does not manage them
    cats: list[Cat] | None
    rules: list[tuple[str | None, str | None, str]]  # (hood name, category key, person)
    groups: list[GroupSpec]


@dataclass
class Spec:
    people: dict[str, str] = field(default_factory=dict)  # key -> name
    projects: list[ProjectSpec] = field(default_factory=list)


def key_lines(text: str) -> dict[str, int]:
    """Line number of every table and key, by path ("projects[0].rules[1].worker"): the file
    is TOML, whose parser gives no positions, so its headers and keys are traced here."""
    lines: dict[str, int] = {}
    counts: dict[tuple[str, str], int] = {}
    latest: dict[str, str] = {}  # dotted name -> its resolved path, for nested tables
    current = ""
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip() if not raw.strip().startswith('"') else raw.strip()
        if not line:
            continue
        array = line.startswith("[[")
        if line.startswith("["):
            name = line.strip("[] ").strip()
            parts = [p.strip().strip('"') for p in name.split(".")]
            parent_dotted = ".".join(parts[:-1])
            parent = latest.get(parent_dotted, parent_dotted)
            base = f"{parent}.{parts[-1]}" if parent else parts[-1]
            if array:
                index = counts.get((parent, parts[-1]), 0)
                counts[(parent, parts[-1])] = index + 1
                current = f"{base}[{index}]"
            else:
                current = base
            latest[".".join(parts)] = current
            lines.setdefault(current, no)
            continue
        match = re.match(r'^"?([A-Za-z0-9_\-]+)"?\s*=', line)
        if match:
            lines.setdefault(f"{current}.{match.group(1)}" if current else match.group(1), no)
    return lines


class Problems:
    def __init__(self, lines: dict[str, int]) -> None:
        self.lines = lines
        self.found: list[tuple[int, str, str]] = []

    def add(self, key: str, message: str) -> None:
        probe = key
        while probe and probe not in self.lines:  # the nearest key or table that is there
            if re.search(r"\[\d+\]$", probe):
                probe = re.sub(r"\[\d+\]$", "", probe)
            else:
                probe = probe.rsplit(".", 1)[0] if "." in probe else ""
        self.found.append((self.lines.get(probe, 0), key, message))

    def lines_out(self, path: Path) -> list[str]:
        return [
            f"{path}:{line}: {key}: {message}" if line else f"{path}: {key}: {message}"
            for line, key, message in sorted(self.found)
        ]


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:40]
    return slug or "x"


def _text(p: Problems, at: str, value: Any, limit: int, required: bool = True) -> str | None:
    if value is None:
        if required:
            p.add(at, "missing")
        return None
    if not isinstance(value, str) or not value.strip():
        p.add(at, "must be a non-empty text")
        return None
    if len(value.strip()) > limit:
        p.add(at, f"too long (at most {limit} characters)")
        return None
    if any(ch in value for ch in "<>&"):
        p.add(at, "may not contain < > &")
        return None
    return " ".join(value.split())


def _unknown(p: Problems, at: str, table: dict[str, Any], allowed: set[str]) -> None:
    for k in table:
        if k not in allowed:
            where = f"{at}.{k}" if at else k
            p.add(where, f"unknown key (expected one of: {', '.join(sorted(allowed))})")


def _list(p: Problems, at: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        p.add(at, "must be a list")
        return []
    return value


def _bad_key(value: Any) -> str:
    """The rule for a key, with the key it could be ("Seefhoek 2" -> 'seefhoek-2')."""
    message = "a key is lower-case letters, digits, - and _"
    if isinstance(value, str) and value.strip() and _slug(value) != value:
        return f"{message}, e.g. {_slug(value)!r}"
    return message


def _hint(value: Any, choices: list[str]) -> str:
    """What to write instead of a mistyped name: the nearest one ("did you mean"), else the
    names there are, so that nobody has to go back through the file to find them."""
    if not choices:
        return ""
    if isinstance(value, str):
        folded = {c.casefold(): c for c in choices}
        near = difflib.get_close_matches(value.casefold(), list(folded), n=1, cutoff=0.6)
        if near:
            return f"; did you mean {folded[near[0]]!r}?"
    return f" (there are: {', '.join(repr(c) for c in choices)})"


def _toml_hint(text: str, line: int | None) -> str:
    """A plain word on the two slips a person makes in TOML: a decimal comma, as written in
    Belgium (51,06), and a text whose closing quote is missing."""
    if line is None or not 0 < line <= len(text.splitlines()):
        return ""
    raw = text.splitlines()[line - 1].split("#", 1)[0]
    comma = re.search(r"=\s*(-?\d+),(\d+)\s*$", raw)
    if comma:
        return f"a number takes a decimal point: {comma.group(1)}.{comma.group(2)}"
    if raw.count('"') % 2 == 1:
        return 'a text between quotes needs its closing quote "'
    return ""


def _people_refs(p: Problems, at: str, value: Any, people: dict[str, str]) -> list[str]:
    out = []
    for i, ref in enumerate(_list(p, at, value)):
        if not isinstance(ref, str) or ref not in people:
            p.add(f"{at}[{i}]", f"{ref!r} is not in [people]" + _hint(ref, list(people)))
        elif ref not in out:
            out.append(ref)
    return out


def _boundary(p: Problems, at: str, value: Any, base: Path, name: str) -> str | None:
    from bot.domain.places import BoundaryError, parse_boundary

    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        p.add(at, "must be the path of a GeoJSON file")
        return None
    path = (base / value).resolve()
    if not path.is_file():
        p.add(at, f"no file {value} (paths are relative to the set-up file)")
        return None
    try:
        return parse_boundary(path.read_bytes(), name)
    except BoundaryError as exc:
        p.add(at, f"{value}: {exc}")
        return None


def _coordinate(p: Problems, at: str, value: Any, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        p.add(at, "must be a number")
        return None
    if not low <= value <= high:
        p.add(at, f"must be between {low:g} and {high:g}")
        return None
    return float(value)


def read_spec(path: Path) -> tuple[Spec | None, list[str]]:
    """The file as a Spec, or None and one line per problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{path}: cannot read it ({exc})"]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = f":{found.group(1)}" if found else ""
        hint = _toml_hint(text, int(found.group(1)) if found else None)
        if hint:
            return None, [f"{path}{line}: {hint} (not valid TOML: {exc})"]
        return None, [f"{path}{line}: not valid TOML ({exc})"]
    p = Problems(key_lines(text))
    base = path.resolve().parent
    spec = Spec()
    _unknown(p, "", data, {"people", "projects"})
    people = data.get("people", {})
    if not isinstance(people, dict):
        p.add("people", "must be a table of people: [people.sofie] name = ...")
        people = {}
    for key, person in people.items():
        at = f"people.{key}"
        if not KEY.match(key):
            p.add(at, _bad_key(key))
            continue
        if not isinstance(person, dict):
            p.add(at, 'must be a table: name = "..."')
            continue
        _unknown(p, at, person, {"name"})
        name = _text(p, f"{at}.name", person.get("name"), 80)
        if name:
            spec.people[key] = name
    project_keys: set[str] = set()
    for i, proj in enumerate(_list(p, "projects", data.get("projects"))):
        at = f"projects[{i}]"
        if not isinstance(proj, dict):
            p.add(at, "must be a table ([[projects]])")
            continue
        _unknown(
            p,
            at,
            proj,
            {
                "key",
                "name",
                "workers",
                "default_worker",
                "neighbourhoods",
                "categories",
                "rules",
                "groups",
            },
        )
        name = _text(p, f"{at}.name", proj.get("name"), 80)
        key = proj.get("key", _slug(name) if name else None)
        if not isinstance(key, str) or not KEY.match(key):
            p.add(f"{at}.key", _bad_key(key))
            continue
        if key in project_keys:
            p.add(f"{at}.key", f"another project has the key {key!r}")
        project_keys.add(key)
        workers = _people_refs(p, f"{at}.workers", proj.get("workers"), spec.people)
        default = proj.get("default_worker")
        if default is not None and default not in workers:
            p.add(
                f"{at}.default_worker",
                f"{default!r} is not one of this project's workers" + _hint(default, workers),
            )
            default = None
        hoods: list[Hood] | None = None
        if "neighbourhoods" in proj:
            hoods = []
            seen: set[str] = set()
            for j, hood in enumerate(_list(p, f"{at}.neighbourhoods", proj["neighbourhoods"])):
                hat = f"{at}.neighbourhoods[{j}]"
                if not isinstance(hood, dict):
                    p.add(hat, "must be a table ([[projects.neighbourhoods]])")
                    continue
                _unknown(p, hat, hood, {"name", "lat", "lon", "boundary"})
                hname = _text(p, f"{hat}.name", hood.get("name"), 60)
                if not hname:
                    continue
                if hname.casefold() in seen:
                    p.add(f"{hat}.name", f"{hname!r} is listed twice")
                seen.add(hname.casefold())
                lat = lon = None
                if ("lat" in hood) != ("lon" in hood):
                    p.add(f"{hat}.{'lon' if 'lat' in hood else 'lat'}", "lat and lon go together")
                elif "lat" in hood:
                    lat = _coordinate(p, f"{hat}.lat", hood["lat"], -90, 90)
                    lon = _coordinate(p, f"{hat}.lon", hood["lon"], -180, 180)
                boundary = _boundary(p, f"{hat}.boundary", hood.get("boundary"), base, hname)
                if boundary is not None and lat is None:
                    from bot.domain.places import centroid

                    lat, lon = centroid(boundary)
                hoods.append(Hood(hname, lat, lon, boundary))
        cats: list[Cat] | None = None
        if "categories" in proj:
            cats = []
            seen_keys: set[str] = set()
            for j, cat in enumerate(_list(p, f"{at}.categories", proj["categories"])):
                cat_at = f"{at}.categories[{j}]"
                if not isinstance(cat, dict):
                    p.add(cat_at, "must be a table ([[projects.categories]])")
                    continue
                _unknown(p, cat_at, cat, {"key", "emoji", "name"})
                ckey = cat.get("key")
                if not isinstance(ckey, str) or not KEY.match(ckey):
                    p.add(f"{cat_at}.key", _bad_key(ckey))
                    continue
                if ckey in seen_keys:
                    p.add(f"{cat_at}.key", f"{ckey!r} is listed twice")
                seen_keys.add(ckey)
                emoji = cat.get("emoji")
                if not isinstance(emoji, str) or not 0 < len(emoji) <= 8:
                    p.add(f"{cat_at}.emoji", "must be one emoji")
                    continue
                raw = cat.get("name")
                names: dict[str, str] = {}
                if isinstance(raw, str):
                    one = _text(p, f"{cat_at}.name", raw, 40)
                    names = {lang: one for lang in SUPPORTED_LANGUAGES} if one else {}
                elif isinstance(raw, dict):
                    for lang, value in raw.items():
                        if lang not in SUPPORTED_LANGUAGES:
                            p.add(
                                f"{cat_at}.name.{lang}",
                                f"not a language of Buurtbot ({', '.join(SUPPORTED_LANGUAGES)})",
                            )
                            continue
                        one = _text(p, f"{cat_at}.name", value, 40)
                        if one:
                            names[lang] = one
                else:
                    p.add(f"{cat_at}.name", 'missing: name = { nl = "Wonen", en = "Housing" }')
                if names:
                    cats.append(Cat(ckey, emoji, names))
        hood_names = {h.name.casefold() for h in hoods or []}
        cat_keys = {c.key for c in cats} if cats is not None else None
        rules: list[tuple[str | None, str | None, str]] = []
        seen_rules: set[tuple[str | None, str | None]] = set()
        for j, rule in enumerate(_list(p, f"{at}.rules", proj.get("rules"))):
            rat = f"{at}.rules[{j}]"
            if not isinstance(rule, dict):
                p.add(rat, "must be a table ([[projects.rules]])")
                continue
            _unknown(p, rat, rule, {"neighbourhood", "category", "worker"})
            where = rule.get("neighbourhood", "*")
            what = rule.get("category", "*")
            who = rule.get("worker")
            if where != "*" and (not isinstance(where, str) or where.casefold() not in hood_names):
                p.add(
                    f"{rat}.neighbourhood",
                    f"{where!r} is not a neighbourhood of this project"
                    + _hint(where, [h.name for h in hoods or []]),
                )
                continue
            if what != "*" and (
                not isinstance(what, str)
                or (cat_keys is not None and what not in cat_keys)
                or (cat_keys is None and what not in _default_keys())
            ):
                keys = [c.key for c in cats] if cats is not None else sorted(_default_keys())
                p.add(
                    f"{rat}.category",
                    f"{what!r} is not a category key of this project" + _hint(what, keys),
                )
                continue
            if who not in workers:
                p.add(
                    f"{rat}.worker",
                    f"{who!r} is not one of this project's workers" + _hint(who, workers),
                )
                continue
            pair = (None if where == "*" else where, None if what == "*" else what)
            if pair in seen_rules:
                p.add(rat, "another rule has the same neighbourhood and category")
                continue
            seen_rules.add(pair)
            rules.append((pair[0], pair[1], who))
        groups: list[GroupSpec] = []
        seen_groups: set[str] = set()
        for j, group in enumerate(_list(p, f"{at}.groups", proj.get("groups"))):
            gat = f"{at}.groups[{j}]"
            if not isinstance(group, dict):
                p.add(gat, "must be a table ([[projects.groups]])")
                continue
            _unknown(p, gat, group, {"key", "name", "organisers"})
            gname = _text(p, f"{gat}.name", group.get("name"), 60)
            if not gname:
                continue
            gkey = group.get("key", _slug(gname))
            if not isinstance(gkey, str) or not KEY.match(gkey):
                p.add(f"{gat}.key", _bad_key(gkey))
                continue
            if gkey in seen_groups:
                p.add(f"{gat}.key", f"another group of this project has the key {gkey!r}")
            seen_groups.add(gkey)
            organisers = _people_refs(p, f"{gat}.organisers", group.get("organisers"), spec.people)
            groups.append(GroupSpec(gkey, gname, organisers))
        if name:
            spec.projects.append(
                ProjectSpec(key, name, workers, default, hoods, cats, rules, groups)
            )
    if p.found:
        return None, p.lines_out(path)
    return spec, []


def _default_keys() -> set[str]:
    from storage.repos.reports import DEFAULT_CATEGORIES

    return {k for k, _e, _l in DEFAULT_CATEGORIES}


# ---------------------------------------------------------------- applying it


@dataclass
class Outcome:
    changes: list[str] = field(default_factory=list)
    invites: list[tuple[str, str, str]] = field(default_factory=list)  # name, role, payload
    members: list[tuple[str, str]] = field(default_factory=list)  # group name, member payload
    notes: list[str] = field(default_factory=list)  # said after the changes


async def apply(db: Any, spec: Spec, now: Any, ttl: timedelta, new_invites: bool) -> Outcome:
    """Everything in one transaction on ``db`` (a storage.db.Database)."""
    from bot.domain.onboarding import MEMBER_PREFIX, ORGANISER_PREFIX, WORKER_PREFIX, new_token
    from storage.repos.reports import DEFAULT_CATEGORIES
    from storage.repos.setup import SetupStore, grant_tx
    from storage.timestamps import from_db

    out = Outcome()
    say = out.changes.append
    async with db.transaction(mark=False) as conn:
        store = SetupStore(conn, now)
        known: dict[str, tuple[int | None, str | None]] = {}
        for key, name in spec.people.items():  # first: rules and roles refer to them
            user_id, token, what = await store.person(key, name)
            known[key] = (user_id, token)
            if what:
                say(f"person {name}: {what}")
        grants: dict[str, set[tuple[str, int, int | None]]] = {k: set() for k in spec.people}
        names: dict[tuple[str, int], str] = {}  # ("project"|"group", id) -> name, for the output
        for proj in spec.projects:
            pid, what = await store.project(proj.key, proj.name)
            names[("project", pid)] = proj.name
            if what:
                say(f"project {proj.name}: {what}")
            for person in proj.workers:
                grants[person].add(("worker", pid, None))
            if proj.default_worker:
                grants[proj.default_worker].add(("default", pid, None))
            hood_ids: dict[str, int] = {}
            if proj.hoods is not None:
                for hood in proj.hoods:
                    hid, changes = await store.neighbourhood(
                        pid, hood.name, hood.lat, hood.lon, hood.boundary
                    )
                    hood_ids[hood.name.casefold()] = hid
                    if changes:
                        say(f"neighbourhood {proj.name} / {hood.name}: {', '.join(changes)}")
                for gone in await store.hide_neighbourhoods_except(pid, list(hood_ids.values())):
                    say(f"neighbourhood {proj.name} / {gone}: hidden (not in the file)")
            await store.seed_categories(pid, DEFAULT_CATEGORIES)
            if proj.cats is not None:
                kept = []
                for position, cat in enumerate(proj.cats):
                    label = cat.names.get("en") or next(iter(cat.names.values()))
                    cid, changes = await store.category(
                        pid,
                        cat.key,
                        cat.emoji,
                        json.dumps(cat.names, ensure_ascii=False, sort_keys=True),
                        label,
                        position,
                    )
                    kept.append(cid)
                    if changes:
                        say(f"category {proj.name} / {cat.key}: {', '.join(changes)}")
                for gone in await store.hide_categories_except(pid, kept):
                    say(f"category {proj.name} / {gone}: hidden (not in the file)")
            cat_ids = await store.category_ids(pid)
            rules = {
                (
                    hood_ids[h.casefold()] if h else None,
                    cat_ids[c] if c else None,
                ): person
                for h, c, person in proj.rules
            }
            hood_names = {hood_ids[h.name.casefold()]: h.name for h in proj.hoods or []}
            cat_keys = {cid: c for c, cid in cat_ids.items()}
            for (rule_hood, rule_cat), person, change in await store.set_rules(pid, rules):
                where = (
                    "every neighbourhood"
                    if rule_hood is None
                    else hood_names.get(rule_hood, "a hidden one")
                )
                what = (
                    "every category" if rule_cat is None else cat_keys.get(rule_cat, "a hidden one")
                )
                who = spec.people.get(person, person)
                say(f"routing rule in {proj.name} ({where}, {what} → {who}): {change}")
            group_ids = []
            for group in proj.groups:
                gid, what = await store.group(pid, group.key, group.name, new_token())
                names[("group", gid)] = group.name
                group_ids.append(gid)
                if what:
                    say(f"group {proj.name} / {group.name}: {what}")
                if what == "new":
                    out.members.append((group.name, MEMBER_PREFIX + await store.member_token(gid)))
                for person in group.organisers:
                    grants[person].add(("organiser", pid, gid))
            for gone in await store.hide_groups_except(pid, group_ids):
                say(f"group {proj.name} / {gone}: hidden (not in the file)")
        for gone in await store.hide_projects_except([p.key for p in spec.projects]):
            say(f"project {gone}: hidden (not in the file)")
        for key, name in spec.people.items():
            user_id, token = known[key]
            dropped = await store.set_grants(key, grants[key])
            if dropped is not None:
                say(f"person {name}: roles ({', '.join(_roles(grants[key], names))})")
            if user_id is not None:
                if not await store.routing_in_place(key, user_id):
                    await grant_tx(conn, key, user_id, now)
                    say(f"person {name}: roles and rules given (already joined)")
                if dropped:
                    out.notes.append(
                        f"{name} keeps the roles the file no longer gives "
                        f"({', '.join(sorted(k for k, _p, _g in dropped))}): setup never takes "
                        "a role away"
                    )
                continue
            grant = await store.first_grant(key)
            if grant is None:
                continue
            invite = await store.invite(token) if token else None
            # The invite grants its own role on use: it must still be one the file gives.
            stale = invite is not None and (
                (invite["kind"], invite["project_id"], invite["group_id"]) not in grants[key]
            )
            if token is None or invite is None or new_invites or stale:
                if token is not None:
                    await store.revoke_invite(token)
                token = new_token()
                await store.new_invite(key, token, grant, now + ttl)
                prefix = WORKER_PREFIX if grant[0] == "worker" else ORGANISER_PREFIX
                role = "worker" if grant[0] == "worker" else "organiser"
                out.invites.append((name, role, prefix + token))
                say(f"person {name}: new invite")
            elif from_db(invite["expires_at"]) <= now:
                out.notes.append(
                    f"{name} has not joined and the invite expired: run again with --new-invites"
                )
    return out


def _roles(
    grants: set[tuple[str, int, int | None]], names: dict[tuple[str, int], str]
) -> list[str]:
    """('worker', 3, None) -> 'worker in Kiel'; ('organiser', 3, 7) -> 'organiser of Huurders'."""
    said = []
    for kind, pid, gid in sorted(grants, key=lambda g: (g[1], g[0] != "worker", g[0], g[2] or 0)):
        project = names.get(("project", pid), f"project {pid}")
        if kind == "organiser" and gid is not None:
            said.append(f"organiser of {names.get(('group', gid), f'group {gid}')}")
        elif kind == "default":
            said.append(f"gets what no rule catches in {project}")
        else:
            said.append(f"{kind} in {project}")
    return said or ["none"]


# ---------------------------------------------------------------- the command


async def _username(token: str, base_url: str) -> str | None:
    from bot.cli.init import _check_token

    found = await _check_token(token, base_url)
    return found or None


async def _main(args: argparse.Namespace) -> int:
    from bot.cli import _OFFLINE_TOKEN, load_settings
    from bot.core.clock import SystemClock
    from storage.db import Database

    spec, problems = read_spec(args.file)
    if spec is None:
        for line in problems:
            print(line, file=sys.stderr)
        print(f"buurtbot setup: {len(problems)} problem(s); nothing was changed.", file=sys.stderr)
        return 2
    overrides: dict[str, object] = {}
    if args.database is not None:
        overrides["database_path"] = args.database
    settings = load_settings(offline=True, **overrides)
    path = target = Path(settings.database_path)
    existed = path.exists()
    with tempfile.TemporaryDirectory(prefix="buurtbot-setup-") as scratch:
        if args.dry_run:
            # The real run, on a copy (an online backup, consistent while the bot writes):
            # what it prints is exactly what a run would change, and the database is untouched
            # (not even migrated).
            copy = Path(scratch) / "dry-run.sqlite3"
            if path.exists():
                source = Database(path)
                await source.open()
                try:
                    await source.backup(copy)
                finally:
                    await source.close()
            path = copy
        db = Database(path)
        await db.open()
        try:
            await db.migrate()
            out = await apply(
                db,
                spec,
                SystemClock(settings.tz).now(),
                timedelta(hours=settings.invite_ttl_hours),
                args.new_invites,
            )
        finally:
            await db.close()
    if not out.changes:
        print("no changes")
    for line in out.changes:
        print(("would change: " if args.dry_run else "changed: ") + line)
    for note in out.notes:
        print("note: " + note)
    if args.dry_run:
        _new_database(target, existed, dry_run=True)
        print("dry run: nothing was changed.")
        return 0
    token = settings.bot_token.get_secret_value()
    username = None
    if (out.invites or out.members) and token and token != _OFFLINE_TOKEN:
        username = await _username(token, settings.telegram_api_base_url)
    for name, role, payload in out.invites:
        print(
            f"invite for {name} ({role}; works once, for {settings.invite_ttl_hours} hours): "
            + _link(username, payload)
        )
    for group, payload in out.members:
        print(f"member link of {group} (for the poster): {_link(username, payload)}")
    if (out.invites or out.members) and username is None:
        print(
            "(no t.me links without BOT_TOKEN: these are start payloads; the person sends "
            "/start PAYLOAD to the bot)"
        )
    _new_database(target, existed, dry_run=False)
    return 0


def _new_database(path: Path, existed: bool, dry_run: bool) -> None:
    """Run from another folder than the bot's, DATABASE_PATH (from .env) is not found and a
    fresh database would hold invites the bot never sees: say which file it is, last."""
    if existed:
        return
    print(
        f"note: there was no database at {path.resolve()}: "
        + ("a run would make a new one" if dry_run else "a new one was made")
        + "; the bot must use this same file (DATABASE_PATH in its .env; run setup in the"
        " bot's folder or give --database)"
    )


def _link(username: str | None, payload: str) -> str:
    return f"https://t.me/{username}?start={payload}" if username else payload
