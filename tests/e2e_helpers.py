"""Set-up steps shared by end-to-end tests, done through the bot as people would do them."""

from __future__ import annotations

import re

from bot.playground.harness import Harness, Person

LINK = re.compile(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]+)")


def links_in(text: str) -> list[str]:
    return LINK.findall(text)


async def make_project(
    h: Harness, admin: Person, name: str = "Rabot", hoods: str = "Rabot, Blaisantvest"
) -> int:
    await admin.send("/newproject")
    await admin.send(name)
    await admin.send(hoods)
    await admin.press("✅")
    rows = await h.rows("SELECT id FROM projects WHERE name = ?", (name,))
    return rows[-1][0]


async def make_worker(
    h: Harness, admin: Person, worker: Person, project_name: str = "Rabot"
) -> None:
    await admin.send("/projects")
    await admin.press(project_name)
    payload = links_in(admin.last_text())[-1]
    await worker.send(f"/start {payload}")


async def make_group(h: Harness, worker: Person, name: str = "Huurders Rabot") -> tuple[str, str]:
    """Returns (member payload, organiser payload)."""
    await worker.send("/newgroup")
    await worker.send(name)
    member_payload = [p for m in worker.texts() for p in links_in(m) if p.startswith("g_")][-1]
    await worker.press("➕")
    organiser_payload = links_in(worker.last_text())[-1]
    return member_payload, organiser_payload


async def setup_world(h: Harness, admin: Person):
    """Project Rabot, worker Sofie, group Huurders Rabot, organiser Jan."""
    sofie = h.person("Sofie", language_code="nl")
    jan = h.person("Jan", language_code="nl")
    await make_project(h, admin)
    await make_worker(h, admin, sofie)
    member_payload, organiser_payload = await make_group(h, sofie)
    await jan.send(f"/start {organiser_payload}")
    return sofie, jan, member_payload


async def personal_traces(
    h: Harness, texts: list[str], numbers: list[int]
) -> list[tuple[str, str, object]]:
    """Every (table, column, value) in the whole database that holds one of ``texts`` (as a
    substring, case-insensitive) or one of ``numbers`` (as a value, or inside a text)."""
    found: list[tuple[str, str, object]] = []
    tables = [
        r[0]
        for r in await h.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    for table in tables:
        columns = [r[1] for r in await h.rows(f"PRAGMA table_info({table})")]
        for column in columns:
            for value in [r[0] for r in await h.rows(f'SELECT "{column}" FROM "{table}"')]:
                if value is None:
                    continue
                if isinstance(value, int) and value in numbers:
                    found.append((table, column, value))
                elif isinstance(value, (str, bytes)):
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                    low = text.lower()
                    if any(t.lower() in low for t in texts if t) or any(
                        str(n) in text for n in numbers
                    ):
                        found.append((table, column, text[:120]))
    return found
