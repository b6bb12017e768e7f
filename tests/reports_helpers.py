"""Steps shared by the problem-report tests, done through the bot as people would do them."""

from __future__ import annotations

from bot.core.i18n import LANGUAGE_NAMES
from bot.playground.harness import Harness, Person


async def join(h: Harness, payload: str, name: str, lang: str = "nl", **kw: str) -> Person:
    person = h.person(name, language_code=lang, **kw)
    await person.send(f"/start {payload}")
    await person.press(LANGUAGE_NAMES[lang])  # confirms the language; shows the main menu
    return person


async def file_report(
    h: Harness,
    person: Person,
    *,
    category: str = "🏠",
    text: str | None = "Schimmel in de badkamer",
    voice: bool = False,
    photos: int = 0,
    hood: str | None = "Rabot",
    location: tuple[float, float] | None = None,
    show_name: bool = False,
    quote: bool = False,
) -> None:
    await person.send("/report")
    await person.press(category)
    # Category and place first; then the open similar reports ("me too"), then the story.
    if location is not None:
        await h.push(h.api.location_update(person.tg, *location))
        # No boundary or centre holds the pin: the resident picks the neighbourhood.
        if hood and any(hood in b for b in person.button_texts()):
            await person.press(hood)
    else:
        await person.press(hood or "Rabot")
    if any("➡️" in b for b in person.button_texts()):
        await person.press("➡️")
    if voice:
        await h.push(h.api.voice_update(person.tg, duration=5))
    else:
        await person.send(text or "")
    for _ in range(photos):
        await h.push(h.api.photo_update(person.tg))
    await person.press("✅")
    await person.press("✅" if show_name else "🙈")
    await person.press("✅" if quote else "❌")
    await person.press("✅")
