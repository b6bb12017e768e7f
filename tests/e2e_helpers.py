"""Set-up steps shared by end-to-end tests, done through the bot as people would do them."""

from __future__ import annotations

import re

from bot.harness import Harness, Person

LINK = re.compile(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]+)")


def links_in(text: str) -> list[str]:
    return LINK.findall(text)


async def make_project(h: Harness, admin: Person, name: str = "Rabot", hoods: str = "Rabot, Blaisantvest") -> int:
    await admin.send("/newproject")
    await admin.send(name)
    await admin.send(hoods)
    await admin.press("✅")
    rows = await h.rows("SELECT id FROM projects WHERE name = ?", (name,))
    return rows[-1][0]


async def make_worker(h: Harness, admin: Person, worker: Person, project_name: str = "Rabot") -> None:
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
