"""Typed dates and times the way people say them, one understanding for every flow (meetings,
changing a meeting, action calls, rosters, date polls): "dinsdag 19u", "donderdag half 8",
"volgende week dinsdag om 19u", "zaterdagvoormiddag 10u", "mardi soir 19h", "next Tuesday 7pm",
"12/3 19:00", "الثلاثاء 7 مساء", "salı akşamı 7'de", "elke eerste dinsdag om 19u in het buurthuis".

Rules (each visible in tests/test_dateparse_table.py):
- Numeric dates are day first, as in Belgium (12/3 = 12 March).
- Nothing is guessed silently. A date in the past, a bare hour that could be morning or evening
  ("dinsdag 7u") or a weekday that may mean today or next week comes back as a question with the
  candidates. Where one reading is clearly the likely one it is taken and *named* in ``notes``
  so the flow can say so: "half 8" for a meeting is 19:30 (``evening``).
- "next Tuesday" said in the week that still has a Tuesday ahead (on a Monday: tomorrow, or the
  Tuesday after) is a question (``next_weekday``); said after this week's Tuesday it is the
  coming one. "next week Tuesday", "Tuesday next week", "dinsdag over een week" are the Tuesday
  of the next calendar week (Monday 2 March → 10 March).
- A recurrence in the sentence ("elke eerste dinsdag", "every other Friday", "her salı") comes
  back as ``rule`` (the meetings' rule: weekly | biweekly | monthly:N) and the first day is the
  first that fits it; words left over after a place word ("in het buurthuis") come back as
  ``place`` so the flow can propose it.

Why our own parser and not dateparser: measured on the phrase table's 217 sure readings,
dateparser 1.5 (DATE_ORDER=DMY, PREFER_DATES_FROM=future, the same "now") gets 75 right: nl 2 of
48, fr 12/45, en 25/41, ar 22/40, tr 14/43. It does not know "19u", "half 8", "volgende week
dinsdag", "dinsdagavond", and it resolves ambiguity silently, where we need it as a question; it
has no recurrence or place. See tests/test_dateparse_table.py.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LANGS = ("nl", "fr", "en", "ar", "tr")

WEEKDAYS: dict[str, list[str]] = {  # Monday first
    "nl": [
        "maandag ma maandagen",
        "dinsdag di dinsdagen",
        "woensdag wo woensdagen",
        "donderdag do donderdagen",
        "vrijdag vr vrijdagen",
        "zaterdag za zaterdagen",
        "zondag zo zondagen",
    ],
    "fr": [
        "lundi lun lundis",
        "mardi mar mardis",
        "mercredi mer mercredis",
        "jeudi jeu jeudis",
        "vendredi ven vendredis",
        "samedi sam samedis",
        "dimanche dim dimanches",
    ],
    "en": [
        "monday mon mondays",
        "tuesday tue tues tuesdays",
        "wednesday wed wednesdays",
        "thursday thu thur thurs thursdays",
        "friday fri fridays",
        "saturday sat saturdays",
        "sunday sun sundays",
    ],
    "ar": [
        "الاثنين الإثنين اثنين إثنين",
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
        "يناير جانفي",
        "فبراير شباط فيفري",
        "مارس آذار اذار",
        "أبريل ابريل نيسان أفريل افريل",
        "مايو أيار ايار ماي",
        "يونيو حزيران جوان",
        "يوليو تموز جويلية",
        "أغسطس اغسطس آب أوت",
        "سبتمبر أيلول ايلول",
        "أكتوبر اكتوبر",
        "نوفمبر",
        "ديسمبر",
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
# Two-word Levantine month names, folded to one token before anything else.
_AR_MONTH_PAIRS = {
    "كانون الثاني": "يناير",
    "تشرين الأول": "أكتوبر",
    "تشرين الاول": "أكتوبر",
    "تشرين الثاني": "نوفمبر",
    "كانون الأول": "ديسمبر",
    "كانون الاول": "ديسمبر",
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
    "ar": "غدا غد بكرة بكره",
    "tr": "yarın yarin",
}
AFTER_TOMORROW = [
    "overmorgen",
    "après-demain",
    "apres-demain",
    "après demain",
    "day after tomorrow",
    "the day after tomorrow",
    "بعد غد",
    "بعد غدا",
    "بعد بكرة",
    "بعد بكره",
    "öbür gün",
    "obur gun",
    "öbürgün",
    "yarından sonra",
    "yarindan sonra",
    "yarın sonra",
    "yarin sonra",
]
NEXT = {  # also "the Friday after" ("de vrijdag erna", "le vendredi d'après"): asked the same way
    "nl": "volgende volgend erna daarna",
    "fr": "prochain prochaine d'après d'apres suivant suivante",
    "en": "next",
    "ar": "القادم القادمة المقبل المقبلة الجاي الجاية التالي التالية",
    "tr": "gelecek önümüzdeki onumuzdeki sonraki",
}
WEEK = {
    "nl": "week",
    "fr": "semaine",
    "en": "week",
    "ar": "الأسبوع الاسبوع أسبوع اسبوع",
    "tr": "hafta haftaya",
}
# Words that make an hour afternoon/evening (pm) or morning (am).
PM = {
    "nl": "avond avonds namiddag middag middags namiddags",
    "fr": "soir soirée après-midi aprem",
    "en": "pm p.m. evening afternoon night tonight",
    "ar": "مساء المساء م العصر عصرا بالليل ليلا الليل ظهرا الظهر",
    "tr": "akşam aksam öğleden ogleden akşamüstü",
}
AM = {
    "nl": "ochtend voormiddag morgens ochtends voormiddags",
    "fr": "matin matinée",
    "en": "am a.m. morning",
    "ar": "صباحا الصباح صباح ص",
    "tr": "sabah",
}
# Number words people write for an hour or a count ("zeven uur", "sept heures", "iki hafta").
NUMBERS = {
    "nl": "een twee drie vier vijf zes zeven acht negen tien elf twaalf",
    "fr": "une deux trois quatre cinq six sept huit neuf dix onze douze",
    "en": "one two three four five six seven eight nine ten eleven twelve",
    "ar": "الواحدة الثانية الثالثة الرابعة الخامسة السادسة السابعة الثامنة التاسعة العاشرة"
    " الحادية_عشرة الثانية_عشرة",
    "tr": "bir iki üç dört beş altı yedi sekiz dokuz on onbir oniki",
}
ORDINALS = {  # for "every first Tuesday"; -1 = last
    1: "eerste 1e 1ste premier première 1er 1ère first 1st أول الأول اول ilk birinci",
    2: "tweede 2e 2de deuxième second seconde 2ème 2nd ثاني الثاني ikinci",
    3: "derde 3e 3de troisième 3ème third 3rd ثالث الثالث üçüncü",
    4: "vierde 4e 4de quatrième 4ème fourth 4th رابع الرابع dördüncü",
    -1: "laatste dernier dernière last آخر اخر الأخير الاخير son",
}
EVERY = "elke iedere ieder alle chaque tous toutes every each كل her"
# Words that open a place: "in het buurthuis", "au centre", "at the library", "في المركز".
PLACE_WORDS = {
    "nl": "in op bij aan",
    "fr": "à a au aux chez dans",
    "en": "in at",
    "ar": "في بـ",
    "tr": "",
}

_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")  # tanween, harakat, tatweel
_W = r"(?<![\w'])"  # a word starts here
_E = r"(?![\w])"  # a word ends here


@dataclass(frozen=True)
class Parsed:
    """Either ``when`` (a sure, future moment) or a ``problem`` with ``candidates`` to offer.

    problem: 'ambiguous' (pick one of candidates), 'past' (candidates: the next-year date, if
    any), 'no_time' (``day`` is known, ask the hour), 'no_date' (``clock`` is known, ask the
    day), 'week' ("volgende week": ``day`` is that week's Monday, ask which day; ``clock`` if
    said), 'unknown' (not understood).
    notes: what was assumed, for the flow to say: 'evening' ("half 8" read as 19:30; the
    morning reading is in candidates), 'next_weekday' ("next Tuesday" could be either).
    'weekday_mismatch' ("woensdag 14/3" when the 14th is a Saturday: both are candidates).
    rule: a recurrence found in the text (weekly | biweekly | monthly:N); place: the words after
    a place word, as typed.
    """

    when: datetime | None = None
    problem: str | None = None
    candidates: tuple[datetime, ...] = ()
    day: date | None = None
    clock: time | None = None
    notes: tuple[str, ...] = ()
    rule: str | None = None
    place: str | None = None


def _all(table: dict[str, str], lang: str) -> list[str]:
    order = [lang] + [c for c in table if c != lang]
    return [w for code in order for w in table[code].split()]


def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _index(table: dict[str, list[str]], lang: str, word: str) -> int | None:
    """Index (0-based) of a weekday/month word; the person's language first, then the others."""
    for code in [lang] + [c for c in table if c != lang]:
        for index, names in enumerate(table[code]):
            if word in names.split():
                return index
    return None


_WEEKDAY_WORDS = [w for names in WEEKDAYS.values() for n in names for w in n.split()]
_MONTH_WORDS = [w for names in MONTHS.values() for n in names for w in n.split()]
_NUMBER_VALUE = {
    w.replace("_", " "): i + 1 for names in NUMBERS.values() for i, w in enumerate(names.split())
}
_NUMBER_VALUE.update({"een": 1, "één": 1, "a": 1, "an": 1, "un": 1})

# Dutch compounds: "dinsdagavond", "zaterdagvoormiddag", "morgenavond", "vanavond".
_NL_DAYS = "maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|morgen|overmorgen"
_NL_PARTS = "voormiddag|namiddag|avond|ochtend|morgen|middag|nacht|vroeg"
_NL_COMPOUND = re.compile(rf"{_W}({_NL_DAYS})({_NL_PARTS}){_E}")
_PHRASES = [  # (pattern, replacement), applied in order after lower-casing
    # "'s avonds" after a space: \b does not sit between a space and the apostrophe.
    (r"(?<!\w)'?s\s*'?\s*(avonds|morgens|middags|nachts|ochtends|voormiddags|namiddags)\b", r"\1"),
    (r"\bvanavond\b", "vandaag avond"),
    (r"\bvannacht\b", "vandaag nacht"),
    (r"\bvanmiddag\b", "vandaag middag"),
    (r"\bvannamiddag\b", "vandaag namiddag"),
    (r"\bvan(ochtend|morgen|voormiddag)\b", r"vandaag \1"),
    (r"\bce soir\b", "aujourd'hui soir"),
    (r"\bce matin\b", "aujourd'hui matin"),
    (r"\bcet (après-midi|aprem)\b", r"aujourd'hui \1"),
    (r"\bthis (evening|afternoon|morning)\b", r"today \1"),
    (r"\btonight\b", "today evening"),
    (r"\bo'?clock\b", "uur"),
    (r"\bbu (akşam|aksam|sabah|öğleden|ogleden)", r"bugün \1"),
    ("هذا المساء", "اليوم مساء"),
    ("الليلة", "اليوم مساء"),
    (r"(?<!\w)(\d{1,2})\s*(?:حتى|إلى|الى)\s*\d{1,2}", r"\1"),  # "من 7 الى 9": the start
    (r"(\d)(م|ص)(?!\w)", r"\1 \2"),  # "7م" = 7 pm
    (r"(\d[uh:.]?\d*)\s*-\s*(\d{1,2}\s*[uh:])", r"\1 tot \2"),  # "14u-16u": a range
    (r"\ben quinze\b", "over 2 weken"),
]
# Turkish suffixes on a known stem: "salıya", "salı günü", "akşamı", "martta", "19'da".
_TR_STEMS = sorted(
    {w for n in WEEKDAYS["tr"] + MONTHS["tr"] for w in n.split()}
    | {"akşam", "aksam", "sabah", "yarın", "yarin", "bugün", "bugun"},
    key=len,
    reverse=True,
)
_TR_SUFFIX = re.compile(
    r"^(?:ya|ye|a|e|ı|i|u|ü|sı|si|da|de|ta|te|dan|den|nın|nin|ın|in|ki|leri|ları|ları|ya kadar)$"
)


# Turkish hour words with the locative ("yedide", "sekizde"); not "bir"/"on" ("birde", "onda"
# are ordinary words).
_TR_HOURS = ["iki", "üç", "dört", "beş", "altı", "yedi", "sekiz", "dokuz"]
_TR_HOUR_WORD = re.compile(rf"^({'|'.join(_TR_HOURS)})'?(?:de|da|te|ta)$")


def _norm(text: str, lang: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_ARABIC_DIGITS)
    text = text.replace("’", "'").replace("`", "'").replace("،", " ").replace("؟", " ")
    # "٧٫٣٠" (the Arabic decimal sign) and "7,30" are a time, not the 30th: before commas go.
    text = re.sub(r"(?<![\d/.-])(\d{1,2})٫([0-5]\d)(?!\d)", r"\1:\2", text)
    text = re.sub(r"(?<![\d/.-])(\d{1,2}),(00|15|30|45)(?![\d/.])", r"\1:\2", text)
    text = _ARABIC_MARKS.sub("", text).lower()
    text = text.replace("i̇", "i")  # Turkish dotted capital İ lower-cased
    text = " ".join(text.replace(",", " ").replace(";", " ").split())
    for pair, month in _AR_MONTH_PAIRS.items():
        text = text.replace(pair, month)
    for pattern, repl in _PHRASES:
        text = re.sub(pattern, repl, text)
    text = _NL_COMPOUND.sub(
        lambda m: m.group(1) + " " + {"morgen": "ochtend", "vroeg": "ochtend"}.get(m[2], m[2]),
        text,
    )
    words = []
    for w in text.split():
        # Arabic "بالمساء", "والنصف", "يوم": a clinging article or "and" comes off a known word.
        for stem in _TR_STEMS:
            if w != stem and w.startswith(stem) and _TR_SUFFIX.match(w[len(stem) :].lstrip("'")):
                w = stem
                break
        if w.startswith("بال") and len(w) > 4:
            w = "ال" + w[3:]
        m = _TR_HOUR_WORD.match(w)
        if m:  # "yedide" = at seven
            w = f"{_TR_HOURS.index(m.group(1)) + 2}'de"
        words.append(w)
    return " ".join(words)


def _cut(text: str, m: re.Match[str]) -> str:
    return " ".join((text[: m.start()] + " " + text[m.end() :]).split())


# ----- recurrence -----

_EVERY = _alt(EVERY.split())
_ORD = {w: n for n, ws in ORDINALS.items() for w in ws.split()}
_WD = _alt(_WEEKDAY_WORDS)
_RULES: list[tuple[re.Pattern[str], str]] = [
    # every first Tuesday (of the month), elke eerste dinsdag, chaque premier mardi,
    # tous les premiers mardis, كل أول ثلاثاء, her ayın ilk salısı
    (
        re.compile(
            rf"{_W}(?:{_EVERY})\s+(?:les\s+|the\s+)?(?:ayın\s+|ayin\s+)?"
            rf"(?P<ord>{_alt(list(_ORD) + ['premiers', 'premières', 'derniers'])})\s+"
            rf"(?:يوم\s+)?(?P<wd>{_WD})(?:\s+(?:van|of|du|de|من)\s+(?:de\s+|the\s+|la\s+)?"
            rf"(?:maand|month|mois|الشهر|chaque\s+mois|elke\s+maand|every\s+month))?{_E}"
        ),
        "monthly",
    ),
    # the first Tuesday of every month, de eerste dinsdag van de maand, le premier mardi du mois
    (
        re.compile(
            rf"{_W}(?:de\s+|the\s+|le\s+|la\s+)?(?P<ord>{_alt(list(_ORD))})\s+(?P<wd>{_WD})\s+"
            rf"(?:van\s+(?:de|elke|iedere)\s+maand|of\s+(?:the|every|each)\s+month|"
            rf"(?:du|de\s+chaque)\s+mois|من\s+كل\s+شهر|من\s+الشهر){_E}"
        ),
        "monthly",
    ),
    # maandelijks op de eerste dinsdag, elke maand de eerste dinsdag, every month on the first
    # Tuesday, tous les mois le premier mardi, chaque mois, her ay ilk salı, شهريا أول ثلاثاء
    (
        re.compile(
            rf"{_W}(?:maandelijks|elke\s+maand|iedere\s+maand|monthly|every\s+month|"
            rf"each\s+month|mensuellement|tous\s+les\s+mois|chaque\s+mois|her\s+ay|aylık|"
            rf"ayl[ıi]k|شهريا|شهرياً|كل\s+شهر)\s*,?\s+(?:op\s+|on\s+|le\s+|la\s+|في\s+)?"
            rf"(?:de\s+|the\s+|le\s+|la\s+)?(?P<ord>{_alt(list(_ORD))})\s+(?:يوم\s+)?"
            rf"(?P<wd>{_WD}){_E}"
        ),
        "monthly",
    ),
    # her ayın ilk salısı (Turkish word order: month first)
    (
        re.compile(rf"{_W}her\s+ay(?:ın|in)\s+(?P<ord>{_alt(list(_ORD))})\s+(?P<wd>{_WD}){_E}"),
        "monthly",
    ),
    # every other Tuesday, om de twee weken, tous les quinze jours, iki haftada bir, كل أسبوعين
    (
        re.compile(
            rf"{_W}(?:(?:every|each)\s+(?:other|second|two\s+weeks\s+on)|"
            rf"om\s+de\s+(?:twee|2)\s+weken|om\s+de\s+(?:14|veertien)\s+dagen|"
            rf"(?:elke|iedere|alle)\s+(?:twee|2)\s+weken|tweewekelijks|"
            rf"toutes\s+les\s+(?:deux|2)\s+semaines|tous\s+les\s+(?:quinze|15|14)\s+jours|"
            rf"une\s+semaine\s+sur\s+deux|every\s+(?:two|2)\s+weeks|fortnightly|biweekly|"
            rf"iki\s+haftada\s+bir|2\s+haftada\s+bir|her\s+iki\s+hafta(?:da)?|"
            rf"كل\s+أسبوعين|كل\s+اسبوعين|مرة\s+كل\s+أسبوعين)"
            rf"(?:\s+(?:op\s+|on\s+|le\s+)?(?P<wd>{_WD}))?{_E}"
        ),
        "biweekly",
    ),
    # every Tuesday, elke dinsdag, tous les mardis, chaque mardi, كل ثلاثاء, her salı
    (re.compile(rf"{_W}(?:{_EVERY})\s+(?:les\s+)?(?:يوم\s+)?(?P<wd>{_WD}){_E}"), "weekly"),
    (
        re.compile(
            rf"{_W}(?:elke\s+week|iedere\s+week|wekelijks|chaque\s+semaine|toutes\s+les\s+semaines|"
            rf"every\s+week|weekly|her\s+hafta|haftalık|كل\s+أسبوع|كل\s+اسبوع|أسبوعيا|اسبوعيا)"
            rf"(?:\s+(?:op\s+|on\s+|le\s+)?(?P<wd>{_WD}))?{_E}"
        ),
        "weekly",
    ),
]


def _find_rule(text: str, lang: str) -> tuple[str | None, int | None, str]:
    """(rule, weekday index, text without it)."""
    for pattern, kind in _RULES:
        m = pattern.search(text)
        if not m:
            continue
        wd_word = m.groupdict().get("wd")
        wd = _index(WEEKDAYS, lang, wd_word) if wd_word else None
        if kind == "monthly":
            word = m.group("ord").rstrip("s")
            n = _ORD.get(word, _ORD.get(m.group("ord"), 1))
            if word in ("premier", "première"):
                n = 1
            if word in ("dernier", "dernière"):
                n = -1
            return f"monthly:{n}", wd, _cut(text, m)
        return kind, wd, _cut(text, m) + (f" {wd_word}" if wd_word else "")
    return None, None, text


# ----- relative weeks and days -----

_COUNT = r"(?P<n>\d{1,2}|" + _alt(list(_NUMBER_VALUE)) + r")"
_NEXT_WEEK = re.compile(
    rf"{_W}(?:volgende\s+week|komende\s+week|next\s+week|la\s+semaine\s+prochaine|"
    rf"semaine\s+prochaine|gelecek\s+hafta|önümüzdeki\s+hafta|onumuzdeki\s+hafta|haftaya|"
    rf"الأسبوع\s+(?:القادم|المقبل|الجاي)|الاسبوع\s+(?:القادم|المقبل|الجاي)|"
    rf"(?:de|of)\s+la\s+semaine\s+prochaine|a\s+week\s+on|en\s+huit|week)(?:\s+(?:op|on|le|de))?{_E}"
)
_THIS_WEEK = re.compile(
    rf"{_W}(?:deze\s+week|this\s+week|cette\s+semaine|bu\s+hafta|هذا\s+الأسبوع|هذا\s+الاسبوع){_E}"
)
_IN_WEEKS = re.compile(
    rf"{_W}(?:over|binnen|in|dans|après|after|بعد)\s+{_COUNT}?\s*"
    rf"(?P<u>weken|week|weeks|semaines|semaine|أسبوعين|اسبوعين|أسابيع|اسابيع|أسبوع|اسبوع|"
    rf"dagen|dag|days|day|jours|jour|أيام|ايام|يومين|يوم){_E}"
    rf"|{_W}{_COUNT.replace('?P<n>', '?P<n2>')}?\s*(?P<u2>hafta|gün|gun)\s+sonra{_E}"
)


def _find_offset(text: str) -> tuple[int | None, int | None, bool, str]:
    """(weeks ahead, days ahead, counted from today, text without it): "over een week"
    (1, None, True), "in 3 days" (None, 3, True), "volgende week" (1, None, False: the next
    calendar week)."""
    m = _IN_WEEKS.search(text)
    if m:
        unit = m.group("u") or m.group("u2") or ""
        raw = m.group("n") or m.group("n2") or ""
        n = int(raw) if raw.isdigit() else _NUMBER_VALUE.get(raw, 1)
        if unit in ("أسبوعين", "اسبوعين", "يومين"):
            n = 2
        weekly = ("أسبوع", "اسبوع", "أسابيع", "اسابيع", "أسبوعين", "اسبوعين")
        if unit.startswith(("we", "sem", "hafta")) or unit in weekly:
            return n, None, True, _cut(text, m)
        return None, n, True, _cut(text, m)
    m = _NEXT_WEEK.search(text)
    if m and (m.group(0).strip() != "week" or re.search(rf"{_W}(?:{_WD})\s+week{_E}", text)):
        return 1, None, False, _cut(text, m)
    m = _THIS_WEEK.search(text)
    if m:
        return 0, None, False, _cut(text, m)
    return None, None, False, text


# ----- time of day -----

_AMPM = r"(?:\s*(?P<ap>am|pm|a\.m\.|p\.m\.))?"
_NUMWORD = _alt([w for w in _NUMBER_VALUE if w not in ("a", "an", "un", "on", "bir")])
_H = rf"(?P<h>\d{{1,2}}|{_NUMWORD})"
# (pattern, kind): kind 'plain' = as written, 'half' = half before the hour (Dutch "half 8"),
# 'past15' / 'past30' / 'to15' = quarter past, half past, quarter to.
_TIME_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"{_W}half\s+{_H}(?:\s+uur)?{_E}"), "half"),
    (re.compile(rf"{_W}kwart\s+over\s+{_H}{_E}"), "past15"),
    (re.compile(rf"{_W}kwart\s+voor\s+{_H}{_E}"), "to15"),
    (re.compile(rf"{_W}(?:half\s+past|half)\s+{_H}{_AMPM}{_E}"), "past30"),
    (re.compile(rf"{_W}quarter\s+past\s+{_H}{_AMPM}{_E}"), "past15"),
    (re.compile(rf"{_W}quarter\s+to\s+{_H}{_AMPM}{_E}"), "to15"),
    (re.compile(rf"{_W}{_H}\s*(?:h|heures?|uur)\s+et\s+demie{_E}"), "past30"),
    (re.compile(rf"{_W}{_H}\s*(?:h|heures?|uur)\s+et\s+quart{_E}"), "past15"),
    (re.compile(rf"{_W}{_H}\s*(?:h|heures?)\s+moins\s+le\s+quart{_E}"), "to15"),
    (re.compile(rf"{_W}{_H}\s+(?:buçuk|bucuk)(?:ta|da|te|de)?{_E}"), "past30"),
    (
        re.compile(rf"{_W}(?:الساعة\s+)?{_H}\s+(?:والنصف|ونص|و\s*نصف|و\s*النصف|و\s*نص){_E}"),
        "past30",
    ),
    (re.compile(rf"{_W}(?:الساعة\s+)?{_H}\s+(?:والربع|وربع|و\s*ربع|و\s*الربع){_E}"), "past15"),
    (re.compile(rf"{_W}(?:الساعة\s+)?{_H}\s+(?:إلا|الا)\s+(?:ربع|الربع){_E}"), "to15"),
    # 19:00, 19.30, 19u, 19u30, 19h, 19h30, 7pm, 7:30 pm, 19'da, 19 uur, 19 heures 30
    (
        re.compile(
            r"(?<![\d/.\-])(?P<h>\d{1,2})\s*(?:[:.](?P<m>\d{2})|(?:uur|heures?|[uh])"
            r"(?:\s*(?P<m2>\d{2}))?)" + _AMPM + r"(?![\d/\-]|\.\d)(?:'?(?:da|de|ta|te))?"
        ),
        "plain",
    ),
    (re.compile(r"(?<![\d/.\-])(?P<h>\d{1,2})\s*(?P<ap>am|pm|a\.m\.|p\.m\.)"), "plain"),
    (
        re.compile(
            rf"{_W}(?:om|à|a|at|vers|rond|omstreeks|around|saat|الساعة|ساعة|عند)\s+"
            rf"(?:de\s+|la\s+)?{_H}{_AMPM}(?![\d/]){_E}"
        ),
        "plain",
    ),
    (re.compile(r"(?<![\d/.\-])(?P<h>\d{1,2})\s*'?(?:de|da|te|ta)(?!\w)"), "plain"),
    (re.compile(rf"{_W}(?P<h>{_NUMWORD})\s+(?:uur|heures?|saatte|saat){_E}"), "plain"),
    (
        re.compile(
            rf"{_W}(?P<h>الواحدة|الثانية|الثالثة|الرابعة|الخامسة|السادسة|السابعة|"
            rf"الثامنة|التاسعة|العاشرة|الحادية عشرة|الثانية عشرة){_E}"
        ),
        "plain",
    ),
]
_PLAIN = next(i for i, (_p, kind) in enumerate(_TIME_PATTERNS) if kind == "plain")
_NOON = re.compile(rf"(?<![\w'-])(?:midi|noon|middernacht|minuit|midnight|الظهر\s+تماما){_E}")
# A bare number that may be the hour ("dinsdag 7", "الثلاثاء 7 مساء"): not part of a date.
_BARE = re.compile(r"(?<![\d/.\-:])(\d{1,2})(?![\d/.\-:])")
_DAY_SUFFIX = r"(?:e|er|ère|ste|de|st|nd|rd|th|ème|\.)"


def _has(text: str, table: dict[str, str], lang: str) -> bool:
    return bool(re.search(rf"{_W}(?:{_alt(_all(table, lang))}){_E}", text))


def _hour_value(raw: str) -> int | None:
    if raw.isdigit():
        return int(raw)
    return _NUMBER_VALUE.get(raw)


def _find_time(text: str, lang: str) -> tuple[time | None, bool, bool, str]:
    """(time, ambiguous_am_pm, evening_assumed, text without the time)."""
    m0 = _NOON.search(text)
    if m0:
        word = m0.group(0)
        hour = 0 if word in ("middernacht", "minuit", "midnight") else 12
        return time(hour, 0), False, False, _cut(text, m0)
    for pattern, kind in _TIME_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        groups = m.groupdict()
        value = _hour_value(groups["h"])
        if value is None:
            continue
        hour = value
        minute = int(groups.get("m") or groups.get("m2") or 0)
        if kind == "half":
            hour, minute = hour - 1, 30
        elif kind == "past15":
            minute = 15
        elif kind == "past30":
            minute = 30
        elif kind == "to15":
            hour, minute = hour - 1, 45
        if kind in ("half", "to15") and hour == 0:
            hour = 12  # "half 1" is half past twelve, on the clock face
        marker = (groups.get("ap") or "").replace(".", "")
        if minute > 59 or not 0 <= hour <= 24:
            continue
        # A second time is the end of a range ("19u30 tot 21u", "14u-16u"): not a day number.
        rest = _TIME_PATTERNS[_PLAIN][0].sub(" ", _cut(text, m))
        return _meridiem(hour, minute, marker, rest, lang, kind != "plain")
    for m in _BARE.finditer(text):
        hour = int(m.group(1))
        before, after = text[: m.start()].split(), text[m.end() :].split()
        nxt = after[0] if after else ""
        prev = before[-1] if before else ""
        if hour > 24 or nxt in _MONTH_WORDS:
            continue
        if prev in _MONTH_WORDS and not (len(before) > 1 and before[-2].isdigit()):
            continue  # "March 12": the day
        if re.match(_DAY_SUFFIX + r"$", text[m.end() : m.end() + 3].split(" ")[0] or "-"):
            continue
        if prev in ("de", "le", "the", "op", "on") or nxt in ("de", "of"):
            continue  # "le 12", "op 12": a day of the month
        return _meridiem(hour, 0, "", _cut(text, m), lang, False)
    return None, False, False, text


def _meridiem(
    hour: int, minute: int, marker: str, rest: str, lang: str, spoken: bool
) -> tuple[time, bool, bool, str]:
    if hour == 24:
        hour = 0
    pm = marker == "pm" or _has(rest, PM, lang)
    am = marker == "am" or _has(rest, AM, lang)
    if pm and hour < 12:
        hour += 12
    elif am and hour == 12:
        hour = 0
    early = not (pm or am) and 1 <= hour <= 7
    # "half 8", "kwart over 7", "7 buçuk": the clock face; for a meeting the evening is likely.
    if early and spoken:
        return time(hour + 12, minute), False, True, rest
    return time(hour, minute), early, False, rest


# ----- the day -----

_NUM_DATE = re.compile(
    r"(?<![\d:])(\d{1,2})\s*[/\-.]\s*(\d{1,2})(?:\s*[/\-.]\s*(\d{2,4}))?\.?(?![\d:])"
)
_MONTH = _alt(_MONTH_WORDS)
_DAY_MONTH = re.compile(
    rf"(?<![\d:])(\d{{1,2}}){_DAY_SUFFIX}?\s+(?:of\s+|de\s+)?({_MONTH})(?:\s+(\d{{4}}))?{_E}"
)
_MONTH_DAY = re.compile(
    rf"{_W}({_MONTH})\s+(?:the\s+)?(\d{{1,2}}){_DAY_SUFFIX}?(?![\d:])(?:\s+(\d{{4}}))?"
)
_DAY_OF_MONTH = re.compile(
    rf"{_W}(?:de|le|the|op|on)\s+(\d{{1,2}}){_DAY_SUFFIX}?(?![\d:/])"
    rf"|(?<![\d:/])(\d{{1,2}})(?:ste|de|e|er|ème|th|st|nd|rd){_E}"
)
_DAY_ONLY = re.compile(
    rf"(?:{_W}(?:de|le|the|op|on)\s+)?(?<![\d:/])(\d{{1,2}}){_DAY_SUFFIX}?(?![\d:/])"
)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _weekday_in(text: str, lang: str) -> int | None:
    for t in text.split():
        index = _index(WEEKDAYS, lang, t.strip("."))
        if index is not None:
            return index
    return None


def weekday_named(text: str, lang: str) -> int | None:
    """The one weekday (0 = Monday) a short answer names: "zaterdag", "za.", "elke zaterdag",
    "Cumartesi", "السبت"; None when it names none or several."""
    found = {
        i
        for t in _norm(text, lang).split()
        if (i := _index(WEEKDAYS, lang, t.strip("."))) is not None
    }
    return found.pop() if len(found) == 1 else None


# "de eerste dinsdag van januari", "le premier mardi de janvier", "the first Tuesday of January"
_ORD_OF_MONTH = re.compile(
    rf"{_W}(?:de\s+|the\s+|le\s+|la\s+)?(?P<ord>{_alt(list(_ORD))})\s+(?P<wd>{_WD})\s+"
    rf"(?:van|of|in|de|du|d')\s*(?P<mon>{_alt(_MONTH_WORDS)}){_E}"
)


def _nth_weekday(year: int, month: int, wd: int, n: int) -> date:
    """The n-th (1..4, or -1: the last) weekday ``wd`` of a month."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(wd - first.weekday()) % 7 + 7 * (n - 1))
    nxt = date(year + month // 12, month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - wd) % 7)


def _find_date(
    text: str,
    lang: str,
    today: date,
    weeks: int | None,
    days_ahead: int | None,
    counted: bool,
    anchor: date | None,
) -> tuple[list[date], bool, str]:
    """(candidate days, year_given, flag). flag: '' | 'maybe_today' (a weekday that is today) |
    'next' ("next Tuesday" in its own week) | 'mismatch' (a weekday that is not the date's) |
    'week' (a week without its day: the days are that week's Monday)."""
    wd = _weekday_in(text, lang)
    found: date | None = None
    year_given = False
    m = _ORD_OF_MONTH.search(text)
    month = _index(MONTHS, lang, m.group("mon")) if m else None
    day_index = _index(WEEKDAYS, lang, m.group("wd")) if m else None
    if m and month is not None and day_index is not None:
        n = _ORD.get(m.group("ord"), 1)
        n = -1 if m.group("ord") in ("dernier", "dernière") else n
        found = _nth_weekday(today.year, month + 1, day_index, n)
        if found < today:
            found = _nth_weekday(today.year + 1, month + 1, day_index, n)
        return [found], False, ""
    m = _NUM_DATE.search(text)
    if m:
        year = m.group(3)
        y = (int(year) + (2000 if len(year) == 2 else 0)) if year else today.year
        found, year_given = _safe_date(y, int(m.group(2)), int(m.group(1))), bool(year)
        if found is None:
            return [], False, ""
    else:
        for pat, d_idx, m_idx in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
            m = pat.search(text)
            index = _index(MONTHS, lang, m.group(m_idx)) if m else None
            if m and index is not None:
                year = m.group(3)
                found = _safe_date(int(year) if year else today.year, index + 1, int(m[d_idx]))
                if found is None:
                    return [], False, ""
                year_given = bool(year)
                break
    if found is not None and not year_given and found < today:
        # "dinsdag 5 januari" or "5/1" typed in December: next year's, said without asking when
        # the weekday fits it or the date is long gone (a date just past is still asked).
        later = _safe_date(found.year + 1, found.month, found.day)
        fits = wd is not None and later is not None and later.weekday() == wd
        if later is not None and (fits or (today - found).days > 60):
            found = later
    if found is not None:
        if wd is not None and found.weekday() != wd:
            # "woensdag 14/3" and 14 March is a Saturday: which of the two?
            same_week = found + timedelta(days=wd - found.weekday())
            return [found, same_week], year_given, "mismatch"
        return [found], year_given, ""
    padded = f" {text} "
    if any(f" {phrase} " in padded for phrase in AFTER_TOMORROW):
        return [today + timedelta(days=2)], False, ""
    tokens = text.split()
    if any(t in _all(TOMORROW, lang) for t in tokens):
        return [today + timedelta(days=1)], False, ""
    if any(t in _all(TODAY, lang) for t in tokens) or "aujourd'hui" in text:
        return [today], False, ""
    if days_ahead is not None and wd is None:
        return [today + timedelta(days=days_ahead)], False, ""
    if wd is None:
        if weeks is not None and counted:
            return [today + timedelta(days=7 * weeks)], False, ""
        if weeks is not None:  # "volgende week": which day of it?
            return [today + timedelta(days=7 * weeks - today.weekday())], False, "week"
        m = _DAY_OF_MONTH.search(text)
        if m:  # "de 14de", "le 12", "the 10th": this month's, or next month's when it is past
            n = int(m.group(1) or m.group(2))
            d = _safe_date(today.year, today.month, n)
            if d is None or d < today:
                nxt = today.replace(day=1) + timedelta(days=32)
                d = _safe_date(nxt.year, nxt.month, n)
            return ([d] if d else []), False, ""
        return [], False, ""
    if days_ahead is not None:  # "dinsdag over 8 dagen": that weekday nearest to the day counted
        target = today + timedelta(days=days_ahead)
        near = [target + timedelta(days=k) for k in range(-3, 4)]
        return [d for d in near if d.weekday() == wd and d > today][:1], False, ""
    if weeks is not None:  # "volgende week dinsdag": that weekday in that calendar week
        monday = today + timedelta(days=7 * weeks - today.weekday())
        return [monday + timedelta(days=wd)], False, ""
    # "dinsdag 10", "mardi 10", "Tuesday the 10th": the next such date that is that weekday.
    m = _DAY_ONLY.search(text)
    if m and 1 <= int(m.group(1)) <= 31:
        probe = today
        for _i in range(400):
            if probe.day == int(m.group(1)) and probe.weekday() == wd:
                return [probe], False, ""
            probe += timedelta(days=1)
    if anchor is not None:  # changing a meeting: the weekday of the meeting's own week
        monday = anchor - timedelta(days=anchor.weekday())
        return [monday + timedelta(days=wd)], False, ""
    ahead = (wd - today.weekday()) % 7
    has_next = any(t in _all(NEXT, lang) for t in tokens)
    if ahead == 0:
        if has_next:
            return [today + timedelta(days=7)], False, ""
        return [today, today + timedelta(days=7)], False, "maybe_today"
    coming = today + timedelta(days=ahead)
    if has_next and wd > today.weekday():
        # "next Tuesday" on a Monday: tomorrow, or the Tuesday of next week? Ask.
        return [coming, coming + timedelta(days=7)], False, "next"
    return [coming], False, ""


def _first_of_rule(rule: str, wd: int | None, day: date | None, today: date) -> date | None:
    """The first day from ``day`` (or today) that fits the rule."""
    start = day or today
    if wd is None:
        return day
    probe = start
    for _i in range(400):
        if probe.weekday() == wd:
            if not rule.startswith("monthly:"):
                return probe
            n = int(rule.split(":")[1])
            nth = (probe.day - 1) // 7 + 1
            last = (probe + timedelta(days=7)).month != probe.month
            if nth == n or (n == -1 and last):
                return probe
        probe += timedelta(days=1)
    return None


_FILLER = {
    "om",
    "op",
    "à",
    "at",
    "on",
    "saat",
    "tot",
    "um",
    "يوم",
    "الساعة",
    "-",
    ":",
    "h",
    "u",
    "uur",
}


def _place(rest: str, original: str, lang: str) -> str | None:
    words = [w for w in rest.split() if w not in _FILLER or w in PLACE_WORDS.get(lang, "").split()]
    openers = set(_all(PLACE_WORDS, lang))
    start = next((i for i, w in enumerate(words) if w in openers or w.startswith("بال")), None)
    if start is None and lang == "tr" and words:
        loc = [i for i, w in enumerate(words) if re.search(r"(?:da|de|ta|te)$", w) and len(w) > 4]
        start = loc[0] if loc else None
        if start is None:
            return None
        found = words[: start + 1] if start < 3 else words[start : start + 1]
    elif start is None:
        return None
    else:
        found = words[start + 1 :]
        while found and found[0] in openers:
            found = found[1:]
    if not found:
        return None
    # The words as typed (capitals kept) where they can be found again.
    pattern = r"\s+".join(re.escape(w) for w in found)
    m = re.search(pattern, unicodedata.normalize("NFC", original), re.IGNORECASE)
    text = m.group(0) if m else " ".join(found)
    return text.strip(" .,;:!?")[:200] or None


def parse(text: str, lang: str, now: datetime, *, anchor: date | None = None) -> Parsed:
    """Parse what a person typed; ``now`` is aware and sets the zone of the result. ``anchor``:
    the day of a meeting being changed (a bare time or weekday is read near it)."""
    tz = now.tzinfo
    assert isinstance(tz, ZoneInfo)
    norm = _norm(text, lang)
    if not norm:
        return Parsed(problem="unknown")
    rule, rule_wd, norm = _find_rule(norm, lang)
    weeks, days_ahead, counted, norm = _find_offset(norm)
    clock, ambiguous_hour, evening, rest = _find_time(norm, lang)
    today = now.date()
    days, year_given, flag = _find_date(rest, lang, today, weeks, days_ahead, counted, anchor)
    maybe_today, next_ambiguous = flag == "maybe_today", flag == "next"
    place = _place(_strip_dates(rest, lang), text, lang)
    if rule is not None:
        wd = rule_wd if rule_wd is not None else (days[0].weekday() if days else None)
        first = _first_of_rule(rule, wd, days[0] if days and not next_ambiguous else None, today)
        if first is not None and clock is not None:
            when = datetime.combine(first, clock, tzinfo=tz)
            if when <= now:
                first = _first_of_rule(rule, wd, first + timedelta(days=1), today)
        days = [first] if first else []
        maybe_today = next_ambiguous = False
    if not days:
        if anchor is not None and clock is not None:
            days = [anchor]
        elif clock is not None and not re.search(r"\d", rest):
            return Parsed(problem="no_date", clock=clock, rule=rule, place=place)
        else:
            return Parsed(problem="unknown")
    notes: tuple[str, ...] = ("evening",) if evening else ()
    if next_ambiguous:
        notes += ("next_weekday",)
    if flag == "mismatch":
        notes += ("weekday_mismatch",)
    if flag == "week" and rule is None:
        return Parsed(problem="week", day=days[0], clock=clock, place=place)
    if clock is None:
        return Parsed(
            problem="no_time",
            day=days[-1] if len(days) == 1 else days[0],
            notes=notes + _part_of_day(rest, lang),
            rule=rule,
            place=place,
        )
    hours = [clock, time((clock.hour + 12) % 24, clock.minute)] if ambiguous_hour else [clock]
    moments = [datetime.combine(d, h, tzinfo=tz) for d in days for h in hours]
    future = [m for m in moments if m > now]
    extra = dict(rule=rule, place=place, notes=notes)
    if not future:
        if len(days) == 1 and not year_given and days[0] < today and weeks is None:
            later = _safe_date(days[0].year + 1, days[0].month, days[0].day)
            if later is not None:
                nxt = tuple(datetime.combine(later, h, tzinfo=tz) for h in hours)
                return Parsed(problem="past", candidates=nxt, day=days[0], **extra)  # type: ignore[arg-type]
        return Parsed(problem="past", day=days[0], **extra)  # type: ignore[arg-type]
    if len(future) == 1 and not (maybe_today and len(moments) > 1 and moments[0] > now):
        if evening:
            morning = datetime.combine(
                future[0].date(), time(clock.hour - 12, clock.minute), tzinfo=tz
            )
            cands = (morning, future[0]) if morning > now else ()
            return Parsed(when=future[0], candidates=cands, **extra)  # type: ignore[arg-type]
        return Parsed(when=future[0], **extra)  # type: ignore[arg-type]
    return Parsed(problem="ambiguous", candidates=tuple(sorted(future)), **extra)  # type: ignore[arg-type]


_EVENING = {"avond", "avonds", "soir", "soirée", "evening", "night", "tonight", "مساء", "المساء"}
_EVENING |= {"بالليل", "ليلا", "الليل", "akşam", "aksam"}


def _part_of_day(text: str, lang: str) -> tuple[str, ...]:
    """A day said with a part of it but no hour ("dinsdagavond", "mardi matin"): the note
    'evening', 'afternoon' or 'morning', for the hour question to offer those hours."""
    words = set(text.split())
    if words & _EVENING:
        return ("part:evening",)
    if words & set(_all(PM, lang)):
        return ("part:afternoon",)
    if words & set(_all(AM, lang)):
        return ("part:morning",)
    return ()


def place_in(text: str, lang: str) -> str | None:
    """The place in a sentence without a date ("Protest aan het stadhuis": "het stadhuis"),
    the words after a place word, as typed; None when there is none."""
    return _place(_strip_dates(_norm(text, lang), lang), text, lang)


def _strip_dates(text: str, lang: str) -> str:
    """What is left when the day words are gone: the place, if any."""
    for pattern in (_NUM_DATE, _DAY_MONTH, _MONTH_DAY):
        text = pattern.sub(" ", text)
    drop = set(_WEEKDAY_WORDS) | set(_all(TODAY, lang)) | set(_all(TOMORROW, lang))
    drop |= set(_all(NEXT, lang)) | set(_all(PM, lang)) | set(_all(AM, lang))
    drop |= {"overmorgen", "après-demain", "yarından", "sonra", "بعد", "يوم"}
    return " ".join(w for w in text.split() if w not in drop)


def parse_time(text: str, lang: str) -> tuple[time | None, bool]:
    """Only a time ("19u30", "half 8", "7pm"): (time, ambiguous_am_pm). A clock-face form
    ("half 8") comes back as the evening, not ambiguous, like in ``parse``."""
    clock, ambiguous, _evening, _rest = _find_time(_norm(text, lang), lang)
    return clock, ambiguous


def time_choices(text: str, lang: str) -> list[time]:
    """A time alone, for flows with no likely half of the day (a roster's shift): [] when not
    understood, [t] when sure, [morning, evening] when it could be either ("7", "half 8")."""
    clock, ambiguous, evening, _rest = _find_time(_norm(text, lang), lang)
    if clock is None:
        return []
    if evening:
        return [time(clock.hour - 12, clock.minute), clock]
    if ambiguous:
        return [clock, time(clock.hour + 12, clock.minute)]
    return [clock]


_LIST_SPLIT = re.compile(r"\s*(?:[,;+&\n]|\s(?:en|and|et|ve|و|ou|or|of)\s)\s*")


def parse_dates(text: str, lang: str, today: date) -> list[date] | None:
    """A list of days ("14/3, 21/3 en 4/4", "zaterdag 14 maart en zaterdag 21 maart",
    "14, 21 en 28 maart"), sorted, none in the past (a day-month without a year that has passed
    is next year's). None when any part is not understood."""
    parts = [p for p in _LIST_SPLIT.split(text.replace("،", ",")) if p.strip()]
    # "14, 21 en 28 maart": the month of the last part applies to bare day numbers before it.
    month_tail = ""
    last = _norm(parts[-1], lang) if parts else ""
    m = re.search(rf"({_MONTH})(?:\s+\d{{4}})?$", last)
    if m:
        month_tail = " " + m.group(0)
    found: list[date] = []
    for part in parts:
        norm = _norm(part, lang)
        if re.fullmatch(r"\d{1,2}" + _DAY_SUFFIX + "?", norm) and month_tail:
            norm += month_tail
        weeks, days_ahead, counted, norm = _find_offset(norm)
        days, year_given, flag = _find_date(norm, lang, today, weeks, days_ahead, counted, None)
        if flag in ("week", "mismatch"):
            return None
        if not days:
            return None
        d = days[0]
        if d < today and not year_given:
            later = _safe_date(d.year + 1, d.month, d.day)
            if later is None:
                return None
            d = later
        if d >= today and d not in found:
            found.append(d)
    return sorted(found) or None
