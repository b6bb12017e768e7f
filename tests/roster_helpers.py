"""Set-up for the roster tests, done through the bot as people would."""

from __future__ import annotations

from bot.playground.harness import Harness, Person
from tests.e2e_helpers import setup_world


async def make_food_task(jan: Person, title: str = "Food distribution", needed: int = 4) -> None:
    """Jan: every Saturday 9:00–12:00, community centre, `needed` volunteers, bring gloves."""
    await jan.send("/roster")
    await jan.press("➕")
    await jan.send(title)
    await jan.press_data("ro:rule:weekly")
    await jan.press_data("ro:wd:5")
    await jan.press_data("ro:sh:540")
    await jan.press_data("ro:eh:720")
    await jan.send("Buurthuis Rabot")
    await jan.press_data(f"ro:n:{needed}")
    await jan.send("Bring gloves")
    await jan.press("✅")


async def volunteer(h: Harness, name: str, member_payload: str, lang: str = "en") -> Person:
    p = h.person(name, language_code=lang)
    await p.send(f"/start {member_payload}")
    await p.send("/volunteer")
    await p.press("🙋")
    return p


async def world(h: Harness, admin: Person, needed: int = 4):
    sofie, jan, member_payload = await setup_world(h, admin)
    await make_food_task(jan, needed=needed)
    return sofie, jan, member_payload


async def slot_ids(h: Harness) -> list[int]:
    return [
        r[0]
        for r in await h.rows(
            "SELECT id FROM roster_slots WHERE cancelled_at IS NULL ORDER BY starts_at"
        )
    ]
