"""The demo world of the playground, made the way people would make it: through the bot's own
conversations (admin → project and its neighbourhoods on the map → worker → group → organiser →
residents).

Each feature (reports, meetings, ...) adds its demo history through ``FEATURE_STEPS``; a step
that fails is logged and skipped, so the playground always starts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bot.playground.harness import Harness, Person

log = logging.getLogger(__name__)

TZ = ZoneInfo("Europe/Brussels")
# Monday morning; the first Tuesday of the month is tomorrow (story 6's tenants' meeting).
START = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
PROJECT = "Rabot"
GROUP = "Huurders Rabot"
LINK = re.compile(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Hood:
    name: str
    lat: float
    lon: float


# Around Ghent's Rabot towers (51.06, 3.71).
NEIGHBOURHOODS = [
    Hood("Rabot", 51.0627, 3.7120),
    Hood("Blaisantvest", 51.0648, 3.7205),
    Hood("Brugse Poort", 51.0580, 3.7045),
]


@dataclass(frozen=True)
class DemoPerson:
    id: int
    name: str
    lang: str  # Telegram's language_code (and the language the person confirms)
    role: str  # admin | worker | organiser | resident | newcomer
    hood: str = "Rabot"

    @property
    def label(self) -> str:
        what = {
            "admin": "admin",
            "worker": "project worker",
            "organiser": "organiser",
            "resident": "resident",
            "newcomer": "not joined yet",
        }[self.role]
        return f"{self.name} – {what} ({self.lang})"


ANN = DemoPerson(7001, "Ann", "nl", "admin")
SOFIE = DemoPerson(7002, "Sofie", "nl", "worker")
JAN = DemoPerson(7003, "Jan", "nl", "organiser")
RESIDENTS = [
    DemoPerson(7101, "Fatima", "ar", "resident", "Rabot"),
    DemoPerson(7102, "Mehmet", "tr", "resident", "Rabot"),
    DemoPerson(7103, "Claire", "fr", "resident", "Blaisantvest"),
    DemoPerson(7104, "Lies", "nl", "resident", "Brugse Poort"),
    DemoPerson(7105, "Ahmed", "ar", "resident", "Rabot"),
    DemoPerson(7106, "John", "en", "resident", "Blaisantvest"),
    DemoPerson(7107, "Ayşe", "tr", "resident", "Brugse Poort"),
    DemoPerson(7108, "Karim", "ar", "resident", "Rabot"),
    DemoPerson(7109, "Marie", "fr", "resident", "Rabot"),
    DemoPerson(7110, "Els", "nl", "resident", "Blaisantvest"),
    DemoPerson(7111, "Yusuf", "tr", "resident", "Brugse Poort"),
    DemoPerson(7112, "Priya", "en", "resident", "Rabot"),
]
# People who have not met the bot yet: to try story 1 (scan the poster, pick a language).
NEWCOMERS = [
    DemoPerson(7201, "Amina", "ar", "newcomer"),
    DemoPerson(7202, "Piet", "nl", "newcomer"),
]
PEOPLE = [ANN, SOFIE, JAN, *RESIDENTS, *NEWCOMERS]
ADMIN_IDS = [ANN.id]

# What the playground's translation double answers for the demo's texts (anything else comes
# back as "[nl→ar] text", visibly a stand-in), and what its speech-to-text double hears.
_P = {
    "Huurdersvergadering": {
        "ar": "اجتماع المستأجرين", "tr": "Kiracılar toplantısı",
        "fr": "Réunion des locataires", "en": "Tenants' meeting",
    },
    "Buurthuis Rabot": {
        "ar": "المركز المجتمعي رابوت", "tr": "Rabot mahalle evi",
        "fr": "Maison de quartier Rabot", "en": "Rabot community centre",
    },
    "Actie: het woonplan in de gemeenteraad": {
        "ar": "تحرك: خطة السكن في مجلس المدينة", "tr": "Eylem: belediye meclisinde konut planı",
        "fr": "Action : le plan logement au conseil communal",
        "en": "Action: the housing plan in the city council",
    },
    "spandoek vasthouden": {
        "ar": "حمل اللافتة", "tr": "pankart tutmak",
        "fr": "tenir la banderole", "en": "hold the banner",
    },
    "Stadhuis, Botermarkt 1": {
        "ar": "دار البلدية، Botermarkt 1", "tr": "Belediye binası, Botermarkt 1",
        "fr": "Hôtel de ville, Botermarkt 1", "en": "City hall, Botermarkt 1",
    },
    "De gemeenteraad bespreekt het woonplan. Wij vragen betaalbare woningen zonder schimmel.": {
        "ar": "يناقش مجلس المدينة خطة السكن. نطالب بمساكن بأسعار معقولة وخالية من العفن.",
        "tr": "Belediye meclisi konut planını görüşüyor. Uygun fiyatlı ve küfsüz konutlar"
        " istiyoruz.",
        "fr": "Le conseil communal discute du plan logement. Nous demandons des logements"
        " abordables sans moisissure.",
        "en": "The city council discusses the housing plan. We ask for affordable homes"
        " without mould.",
    },
    "Een spandoek of een bord": {
        "ar": "لافتة أو لوحة", "tr": "Bir pankart ya da bir tabela",
        "fr": "Une banderole ou une pancarte", "en": "A banner or a sign",
    },
    "Voedselbedeling": {
        "ar": "توزيع الطعام", "tr": "Gıda dağıtımı",
        "fr": "Distribution alimentaire", "en": "Food distribution",
    },
    "Breng handschoenen mee.": {
        "ar": "أحضروا القفازات.", "tr": "Eldiven getirin.",
        "fr": "Apportez des gants.", "en": "Bring gloves.",
    },
    "يوجد عفن في الحمام وابني يسعل كثيرا": {
        "nl": "Er is schimmel in de badkamer en mijn zoon hoest veel",
        "en": "There is mould in the bathroom and my son coughs a lot",
        "fr": "Il y a de la moisissure dans la salle de bain et mon fils tousse beaucoup",
        "tr": "Banyoda küf var ve oğlum çok öksürüyor",
    },
}  # fmt: skip
PHRASES = {(text, lang): out for text, langs in _P.items() for lang, out in langs.items()}
SPOKEN = ("يوجد عفن في الحمام وابني يسعل كثيرا", "ar")


def person_by_id(user_id: int) -> DemoPerson | None:
    return next((p for p in PEOPLE if p.id == user_id), None)


def payloads(text: str) -> list[str]:
    return LINK.findall(text)


class Demo:
    """Handles on the demo people (as harness Persons) while seeding."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.people: dict[int, Person] = {
            p.id: h.person(p.name, language_code=p.lang, user_id=p.id) for p in PEOPLE
        }
        self.project_id: int | None = None
        self.member_payload: str | None = None

    def __getitem__(self, who: DemoPerson) -> Person:
        return self.people[who.id]

    async def at(self, when: datetime) -> None:
        """Move the clock (only forward) and run what became due, as time passes in a week."""
        if when > self.h.clock.now():
            await self.h.advance_to(when)


async def press_any(person: Person, *labels: str) -> str:
    """Tap the first button whose text contains one of ``labels`` (feature steps use it, so
    a renamed button is tried under its other names)."""
    for label in labels:
        try:
            await person.press(label)
            return label
        except AssertionError:
            continue
    raise AssertionError(f"none of the buttons {labels!r}; have {person.button_texts()!r}")


FeatureStep = Callable[[Demo], Awaitable[None]]
# (feature name, step); in the order they run, after the core world.
FEATURE_STEPS: list[tuple[str, FeatureStep]] = []


async def seed(h: Harness) -> Demo:
    """Make the demo world; the clock ends at START."""
    outbox = h.services.outbox
    pace = outbox.rate
    # The history is written in an instant: Telegram's pace (30/s) would make the ~80 messages
    # of the demo's past cost seconds of start-up. The page then runs at the real pace.
    outbox.set_rate(5000.0)
    try:
        return await _seed(h)
    finally:
        outbox.set_rate(pace)


async def _seed(h: Harness) -> Demo:
    d = Demo(h)
    h.clock.set(START - timedelta(days=14))
    ann, sofie, jan = d[ANN], d[SOFIE], d[JAN]

    # Ann (admin) makes the project and invites Sofie as its worker.
    await ann.send("/start")
    await ann.press("Nederlands")
    await ann.send("/newproject")
    await ann.send(PROJECT)
    await ann.send(", ".join(n.name for n in NEIGHBOURHOODS))
    await ann.press("✅")
    rows = await h.rows("SELECT id FROM projects WHERE name = ?", (PROJECT,))
    d.project_id = int(rows[-1][0])
    await ann.press("➕")
    worker_payload = payloads(ann.last_text())[-1]
    # She puts each neighbourhood on the map (/neighbourhoods: tap it, type its coordinates).
    for hood in NEIGHBOURHOODS:
        await ann.send("/neighbourhoods")
        await ann.press(hood.name)
        await ann.send(f"{hood.lat}, {hood.lon}")

    await d.at(START - timedelta(days=13, hours=-1))
    await sofie.send(f"/start {worker_payload}")
    await sofie.press("Nederlands")
    await sofie.send("/newgroup")
    await sofie.send(GROUP)
    d.member_payload = [p for t in sofie.texts() for p in payloads(t) if p.startswith("g_")][-1]
    await sofie.press("➕")
    organiser_payload = payloads(sofie.last_text())[-1]

    await d.at(START - timedelta(days=12))
    await jan.send(f"/start {organiser_payload}")
    await jan.press("Nederlands")

    # Residents scan the poster over the following days and confirm their language.
    from bot.core.i18n import LANGUAGE_NAMES

    for i, who in enumerate(RESIDENTS):
        await d.at(START - timedelta(days=11 - i // 2, hours=-(i % 5)))
        p = d[who]
        await p.send(f"/start {d.member_payload}")
        await p.press(LANGUAGE_NAMES[who.lang])

    await d.at(START - timedelta(days=2))
    await sofie.send("/groups")
    await jan.send("/help")

    for name, step in FEATURE_STEPS:
        try:
            await step(d)
        except Exception:  # a demo step must never stop the playground
            log.warning("playground: demo step for %s failed; skipped", name, exc_info=True)
    await d.at(START)
    return d


# ------------------------------------------------------------------ feature demo history
# These drive the features' own buttons by their English or Dutch labels; a step whose label
# differs is logged and skipped.


def _labels(message: dict) -> list[str]:
    from bot.playground.harness import buttons_of

    return [b.get("text", "") for row in buttons_of(message) for b in row]


async def _report(d: Demo, p: Person, category: str, text: str, hood: str) -> None:
    """One report through the real flow: category, neighbourhood, (my own), text, no photos,
    name hidden, quote allowed, send."""
    await p.send("/report")
    if any("🆕" in b for b in p.button_texts()):  # an old draft is offered: start again
        await p.press("🆕")
    await p.press(category)
    await p.press(hood)
    if any("➡️" in b for b in p.button_texts()):  # similar reports shown: send my own
        await p.press("➡️")
    await p.send(text)
    await p.press("✅")  # no (more) photos
    await p.press("🙈")
    await p.press("✅")
    await p.press("✅")


async def _reports_history(d: Demo) -> None:
    h = d.h
    stories = (
        (RESIDENTS[1], "🏠", "Er is schimmel in de badkamer.", "Rabot"),
        (RESIDENTS[3], "🏠", "De lift is al twee weken kapot.", "Rabot"),
        (RESIDENTS[5], "🧹", "Sluikstort naast de glasbak.", "Blaisantvest"),
    )
    for who, category, text, hood in stories:
        await d.at(h.clock.now() + timedelta(hours=3))
        await _report(d, d[who], category, text, hood)
    # Sofie has seen the first one; the other two are new for the demo.
    sofie = d[SOFIE]
    await d.at(h.clock.now() + timedelta(hours=2))
    card = next(m for m in sofie.messages() if any("👀" in b for b in _labels(m)))
    await sofie.press("👀", card)


async def _meetings_history(d: Demo) -> None:
    """Story 6's monthly tenants' meeting: every first Tuesday, 19:00, in the community centre."""
    jan = d[JAN]
    await d.at(START - timedelta(hours=14))  # Sunday evening
    await jan.send("/newmeeting")
    await jan.send("Huurdersvergadering")
    await jan.send("3/3 19:00")
    await press_any(jan, "eerste dinsdag", "Eén keer")
    await jan.send("Buurthuis Rabot")
    await jan.press("Overslaan")
    await jan.press("Geen limiet")
    await jan.press("✅")


def _call_of(p: Person) -> dict:
    """The newest action call this person got (the message with the ✅ answer button)."""
    return next(
        m
        for m in reversed(p.messages())
        if any(
            str(b.get("callback_data", "")).startswith("ac:y:")
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        )
    )


async def _actions_history(d: Demo) -> None:
    """Story 7: the council discusses the housing plan; Jan calls the tenants to city hall on
    Tuesday 10 March, 19:00, with 3 people to hold banners. A few residents answer."""
    jan = d[JAN]
    await d.at(START - timedelta(hours=20))  # Sunday, after lunch
    await jan.send("/action")
    await jan.send("Actie: het woonplan in de gemeenteraad")
    await jan.send("10/03 19:00")
    await jan.send("Stadhuis, Botermarkt 1")
    await jan.send(
        "De gemeenteraad bespreekt het woonplan. Wij vragen betaalbare woningen zonder schimmel."
    )
    await jan.send("Een spandoek of een bord")
    await jan.press("➕")
    await jan.send("spandoek vasthouden")
    await jan.press("3")
    await jan.press("➡️")
    await jan.press(GROUP)
    await jan.press("👀")
    await jan.press("📣")
    answers = (
        (RESIDENTS[1], "✅"),
        (RESIDENTS[2], "🙋"),
        (RESIDENTS[7], "🙋"),
        (RESIDENTS[8], "❌"),
        (RESIDENTS[9], "✅"),
    )
    for i, (who, label) in enumerate(answers):
        await d.at(START - timedelta(hours=19 - i))
        p = d[who]
        await p.press(label, _call_of(p))


async def _rosters_history(d: Demo) -> None:
    """Story 10: the food distribution every Saturday 9:00–12:00 with 4 volunteers; Ahmed and
    Lies volunteer and each take Saturdays (not the same ones)."""
    h, jan = d.h, d[JAN]
    await d.at(START - timedelta(hours=23))  # Sunday morning
    await jan.send("/roster")
    await jan.press("➕")
    await jan.send("Voedselbedeling")
    await jan.press_data("ro:rule:weekly")
    await jan.press_data("ro:wd:5")
    await jan.press_data("ro:sh:540")
    await jan.press_data("ro:eh:720")
    await jan.send("Buurthuis Rabot")
    await jan.press_data("ro:n:4")
    await jan.send("Breng handschoenen mee.")
    await jan.press("✅")
    slots = [
        r[0]
        for r in await h.rows(
            "SELECT id FROM roster_slots WHERE cancelled_at IS NULL ORDER BY starts_at LIMIT 4"
        )
    ]
    for who, picks in ((RESIDENTS[4], (0, 2)), (RESIDENTS[3], (1, 3))):  # Ahmed, Lies
        await d.at(h.clock.now() + timedelta(minutes=40))
        p = d[who]
        await p.send("/volunteer")
        await p.press("🙋")
        for i in picks:
            await p.send("/volunteer")
            await p.press_data(f"sh:take:{slots[i]}")


async def _monday_morning(d: Demo) -> None:
    """Monday 09:00: Jan's weekly roster overview arrives, and he checks who comes to city hall."""
    await d.at(START)
    await d[JAN].send("/actions")


# In time order: Saturday's reports, Sunday's roster, action call and meeting, Monday morning.
FEATURE_STEPS.extend(
    [
        ("reports", _reports_history),
        ("rosters", _rosters_history),
        ("actions", _actions_history),
        ("meetings", _meetings_history),
        ("actions", _monday_morning),
    ]
)
