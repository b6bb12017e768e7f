"""Typed dates and times in the organiser's language: "dinsdag 19u", "mardi 19h",
"next Tuesday 7pm", "12/3 19:00", "الثلاثاء 19:00", "salı 19:00".

Belgium writes numeric dates day first (12/3 = 12 March). The parser never guesses silently:
a date in the past, a bare hour that could be morning or evening ("7"), or a weekday that may
mean today or next week comes back as a question with the candidates to choose from.

Why our own small parser and not dateparser/parsedatetime: those are month-first by default,
do not know Belgian "19u", and resolve ambiguity silently; we need the ambiguity as a question.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS: dict[str, list[str]] = {  # Monday first
    "nl": [
        "maandag ma",
        "dinsdag di",
        "woensdag wo",
        "donderdag do",
        "vrijdag vr",
        "zaterdag za",
        "zondag zo",
    ],
    "fr": [
        "lundi lun",
        "mardi mar",
        "mercredi mer",
        "jeudi jeu",
        "vendredi ven",
        "samedi sam",
        "dimanche dim",
    ],
    "en": [
        "monday mon",
        "tuesday tue tues",
        "wednesday wed",
        "thursday thu thur thurs",
        "friday fri",
        "saturday sat",
        "sunday sun",
    ],
    "ar": [
        "الاثنين الإثنين اثنين",
        "الثلاثاء ثلاثاء",
        "الأربعاء الاربعاء أربعاء اربعاء",
        "الخميس خميس",
        "الجمعة جمعة",
        "السبت سبت",
        "الأحد الاحد أحد احد",
    ],
    "tr": [
        "pazartesi pzt",
        "salı sali",
        "çarşamba carsamba çarş",
        "perşembe persembe perş",
        "cuma",
        "cumartesi cmt",
        "pazar",
    ],
}
MONTHS: dict[str, list[str]] = {
    "nl": [
        "januari jan",
        "februari feb",
        "maart mrt",
        "april apr",
        "mei",
        "juni jun",
        "juli jul",
        "augustus aug",
        "september sep sept",
        "oktober okt",
        "november nov",
        "december dec",
    ],
    "fr": [
        "janvier janv",
        "février fevrier févr fevr",
        "mars",
        "avril avr",
        "mai",
        "juin",
        "juillet juil",
        "août aout",
        "septembre sept",
        "octobre oct",
        "novembre nov",
        "décembre decembre déc dec",
    ],
    "en": [
        "january jan",
        "february feb",
        "march mar",
        "april apr",
        "may",
        "june jun",
        "july jul",
        "august aug",
        "september sep sept",
        "october oct",
        "november nov",
        "december dec",
    ],
    "ar": [
        "يناير كانون الثاني جانفي",
        "فبراير شباط فيفري",
        "مارس آذار اذار",
        "أبريل ابريل نيسان أفريل",
        "مايو أيار ايار ماي",
        "يونيو حزيران جوان",
        "يوليو تموز جويلية",
        "أغسطس اغسطس آب اب أوت",
        "سبتمبر أيلول ايلول",
        "أكتوبر اكتوبر تشرين الأول",
        "نوفمبر تشرين الثاني",
        "ديسمبر كانون الأول",
    ],
    "tr": [
        "ocak",
        "şubat subat",
        "mart",
        "nisan",
        "mayıs mayis",
        "haziran",
        "temmuz",
        "ağustos agustos",
        "eylül eylul",
        "ekim",
        "kasım kasim",
        "aralık aralik",
    ],
}
TODAY = {
    "nl": "vandaag",
    "fr": "aujourd'hui aujourdhui",
    "en": "today",
    "ar": "اليوم",
    "tr": "bugün bugun",
}
TOMORROW = {
    "nl": "morgen",
    "fr": "demain",
    "en": "tomorrow",
    "ar": "غدا غداً غدًا بكرة بكره",
    "tr": "yarın yarin",
}
AFTER_TOMORROW = [
    "overmorgen",
    "après-demain",
    "apres-demain",
    "day after tomorrow",
    "بعد غد",
    "بعد بكرة",
    "öbür gün",
    "obur gun",
    "öbürgün",
    "yarından sonra",
]
NEXT = {
    "nl": "volgende volgend",
    "fr": "prochain prochaine",
    "en": "next",
    "ar": "القادم القادمة المقبل المقبلة الجاي",
    "tr": "gelecek önümüzdeki onumuzdeki haftaya",
}
# Words that make an hour afternoon/evening (pm) or morning (am).
PM = {
    "nl": "avond namiddag 's avonds savonds",
    "fr": "soir après-midi",
    "en": "pm p.m. evening",
    "ar": "مساء مساءً مساءا م العصر",
    "tr": "akşam aksam öğleden ogleden",
}
AM = {
    "nl": "ochtend voormiddag 's morgens smorgens",
    "fr": "matin",
    "en": "am a.m. morning",
    "ar": "صباحا صباحاً ص",
    "tr": "sabah",
}

_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


@dataclass(frozen=True)
class Parsed:
    """Either ``when`` (a sure, future moment) or a ``problem`` with ``candidates`` to offer.

    problem: 'ambiguous' (pick one of candidates), 'past' (candidates: the next-year date, if
    any), 'no_time' (``day`` is known, ask the hour), 'no_date' (``clock`` is known, ask the
    day), 'unknown' (not understood).
    """

    when: datetime | None = None
    problem: str | None = None
    candidates: tuple[datetime, ...] = ()
    day: date | None = None
    clock: time | None = None


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_ARABIC_DIGITS).lower()
    text = text.replace("\u0640", "")  # Arabic tatweel
    return " ".join(text.replace(",", " ").split())


def _words(table: dict[str, str], lang: str) -> list[str]:
    return [w for code in [lang] + [c for c in table if c != lang] for w in table[code].split()]


def _lookup(table: dict[str, list[str]], lang: str, word: str) -> int | None:
    """Index (0-based) of a weekday/month word; the organiser's language first, then the others."""
    for code in [lang] + [c for c in table if c != lang]:
        for index, names in enumerate(table[code]):
            if word in names.split():
                return index
    return None


def _has(text: str, table: dict[str, str], lang: str) -> bool:
    for code in [lang] + [c for c in table if c != lang]:
        for w in table[code].split():
            if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text):
                return True
    return False


_TIME_PATTERNS = [
    # 19:00, 19.30, 19u, 19u30, 19h, 19h30, 7pm, 7:30 pm, 19'da (Turkish suffix)
    re.compile(
        r"(?<![\d/.\-])(\d{1,2})\s*(?:[:.](\d{2})|([uh])\s*(\d{2})?)(?:\s*(am|pm|a\.m\.|p\.m\.))?(?![\d/\-])"
    ),
    re.compile(r"(?<![\d/.\-])(\d{1,2})()()()\s*(am|pm|a\.m\.|p\.m\.)"),
    re.compile(r"(?<!\w)(?:om|à|a|at|saat|الساعة|ساعة)\s+(\d{1,2})()()()(?:\s*(am|pm))?(?![\d/])"),
    re.compile(r"(?<![\d/.\-])(\d{1,2})()()()\s*['’]?(?:de|da|te|ta|'de|'da)()(?!\w)"),
    # Last resort: a bare hour as the last word ("tuesday 7", "salı akşam 7").
    re.compile(r"(?<![\d/.\-:])(\d{1,2})()()()()$"),
]
_NUM_DATE = re.compile(
    r"(?<![\d:])(\d{1,2})\s*[/\-.]\s*(\d{1,2})(?:\s*[/\-.]\s*(\d{2,4}))?(?![\d:])"
)
_DAY_MONTH = re.compile(
    r"(?<![\d:])(\d{1,2})(?:e|er|ste|de|st|nd|rd|th|\.)?\s+([^\W\d]+(?:\s[^\W\d]+)?)", re.UNICODE
)
_MONTH_DAY = re.compile(r"([^\W\d]+)\s+(\d{1,2})(?:st|nd|rd|th)?(?![\d:])", re.UNICODE)


def _find_time(text: str, lang: str) -> tuple[time | None, bool, str]:
    """(time, ambiguous_am_pm, text without the time)."""
    for pattern in _TIME_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        hour = int(m.group(1))
        minute = int(m.group(2) or m.group(4) or 0)
        marker = (m.group(5) or "").replace(".", "")
        rest = (text[: m.start()] + " " + text[m.end() :]).strip()
        if minute > 59 or hour > 24:
            continue
        pm = marker == "pm" or _has(rest, PM, lang)
        am = marker == "am" or _has(rest, AM, lang)
        if hour == 24:
            hour = 0
        if pm and hour < 12:
            hour += 12
        elif am and hour == 12:
            hour = 0
        ambiguous = not (pm or am) and 1 <= hour <= 7
        return time(hour, minute), ambiguous, rest
    return None, False, text


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _find_date(text: str, lang: str, today: date) -> tuple[list[date], bool, bool]:
    """(candidate days, year_given, weekday_may_be_today)."""
    m = _NUM_DATE.search(text)
    if m:
        day, month = int(m.group(1)), int(m.group(2))
        year = m.group(3)
        if year:
            y = int(year) + (2000 if len(year) == 2 else 0)
            d = _safe_date(y, month, day)
            return ([d] if d else []), True, False
        d = _safe_date(today.year, month, day)
        return ([d] if d else []), False, False
    for m in _DAY_MONTH.finditer(text):
        words = m.group(2).split()
        for candidate in (" ".join(words), words[0]):
            index = _lookup(MONTHS, lang, candidate)
            if index is not None:
                d = _safe_date(today.year, index + 1, int(m.group(1)))
                return ([d] if d else []), False, False
    for m in _MONTH_DAY.finditer(text):
        index = _lookup(MONTHS, lang, m.group(1))
        if index is not None:
            d = _safe_date(today.year, index + 1, int(m.group(2)))
            return ([d] if d else []), False, False
    padded = f" {text} "
    if any(f" {phrase} " in padded for phrase in AFTER_TOMORROW):
        return [today + timedelta(days=2)], False, False
    tokens = text.split()
    if any(t in _words(TOMORROW, lang) for t in tokens):
        return [today + timedelta(days=1)], False, False
    if any(t in _words(TODAY, lang) for t in tokens) or "aujourd'hui" in text:
        return [today], False, False
    has_next = any(t in _words(NEXT, lang) for t in tokens)
    for t in tokens:
        t_clean = t.strip(".")
        # Turkish case suffixes: "salıya", "salı günü"
        index = _lookup(WEEKDAYS, lang, t_clean)
        if index is None and lang == "tr":
            for suffix in ("ya", "ye", "a", "e", "da", "de"):
                if t_clean.endswith(suffix):
                    index = _lookup(WEEKDAYS, lang, t_clean[: -len(suffix)])
                    if index is not None:
                        break
        if index is None:
            continue
        ahead = (index - today.weekday()) % 7
        if ahead == 0:
            if has_next:
                return [today + timedelta(days=7)], False, False
            return [today, today + timedelta(days=7)], False, True
        return [today + timedelta(days=ahead)], False, False
    return [], False, False


def parse(text: str, lang: str, now: datetime) -> Parsed:
    """Parse what an organiser typed; ``now`` is aware and sets the zone of the result."""
    tz = now.tzinfo
    assert isinstance(tz, ZoneInfo)
    norm = _norm(text)
    if not norm:
        return Parsed(problem="unknown")
    clock, ambiguous_hour, rest = _find_time(norm, lang)
    days, year_given, maybe_today = _find_date(rest, lang, now.date())
    if not days:
        if clock is not None and not _has_digits_left(rest):
            return Parsed(problem="no_date", clock=clock)
        return Parsed(problem="unknown")
    if clock is None:
        return Parsed(problem="no_time", day=days[-1] if len(days) == 1 else days[0])
    hours = [clock, time((clock.hour + 12) % 24, clock.minute)] if ambiguous_hour else [clock]
    moments = [datetime.combine(d, h, tzinfo=tz) for d in days for h in hours]
    future = [m for m in moments if m > now]
    if not future:
        if len(days) == 1 and not year_given:
            later = _safe_date(days[0].year + 1, days[0].month, days[0].day)
            if later is not None and days[0] < now.date():
                nxt = tuple(datetime.combine(later, h, tzinfo=tz) for h in hours)
                return Parsed(problem="past", candidates=nxt, day=days[0])
        return Parsed(problem="past", day=days[0])
    if (
        len(future) == 1
        and not ambiguous_hour
        and not (maybe_today and len(moments) > 1 and moments[0] > now)
    ):
        return Parsed(when=future[0])
    if len(future) == 1:
        return (
            Parsed(when=future[0])
            if not ambiguous_hour
            else Parsed(problem="ambiguous", candidates=tuple(future))
        )
    return Parsed(problem="ambiguous", candidates=tuple(sorted(future)))


def _has_digits_left(text: str) -> bool:
    return bool(re.search(r"\d", text))


def parse_time(text: str, lang: str) -> tuple[time | None, bool]:
    """Only a time ("19u30", "7pm"): (time, ambiguous_am_pm)."""
    clock, ambiguous, _rest = _find_time(_norm(text), lang)
    return clock, ambiguous
