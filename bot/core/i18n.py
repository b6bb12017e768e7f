"""Translations (gettext catalogues from locales/) and dates in the recipient's language.

The language of the person being answered is held in a ContextVar, set per update by the
handlers' pre-step; messages for others (broadcasts, digests, reminders) are rendered inside
``use_locale(recipient_language)``. Source strings are English; every shipped language has a
complete catalogue (tests/test_i18n.py fails otherwise).

Catalogues may be split per feature (``locales/<lang>/LC_MESSAGES/<feature>.po``); all files of a
language are merged into one.
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.dates import format_time as _babel_format_time
from babel.dates import format_timedelta as _babel_format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.core.languages import SUPPORTED_LANGUAGES

log = logging.getLogger(__name__)

LANGUAGE_NAMES: dict[str, str] = {
    "nl": "Nederlands",
    "fr": "Français",
    "en": "English",
    "ar": "العربية",
    "tr": "Türkçe",
}
RTL_LANGUAGES = frozenset({"ar"})
RLM = "\u200f"  # RIGHT-TO-LEFT MARK: a strong RTL character that shows nothing
_DIRECTION_MARKS = ("\u200f", "\u200e", "\u061c", "\u2067", "\u2066", "\u2068", "\u202b")

_current: ContextVar[str] = ContextVar("buurtbot_language", default="nl")
_default_language = "nl"
_tz: tzinfo | None = None
_catalogues: dict[str, NullTranslations] = {}


def locales_dir() -> Path:
    """locales/ of a checkout, or the copy that the wheel carries as bot/locales."""
    package = Path(__file__).resolve().parent.parent  # bot/
    for candidate in (package.parent / "locales", package / "locales"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("no locales directory found")


def _load_file(po_path: Path) -> Translations:
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        with mo_path.open("rb") as fh:
            return Translations(fh, domain=po_path.stem)
    # No fresh compiled catalogue (a plain checkout, or the .po changed): compile it, and keep
    # the result next to it when the folder is writable, so the next process start (the bot's,
    # an export's child) reads it instead of compiling again (about 0.15 s for all catalogues).
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=po_path.parent.parent.name)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    _keep_compiled(mo_path, buf.getvalue())
    buf.seek(0)
    return Translations(buf, domain=po_path.stem)


def _keep_compiled(mo_path: Path, data: bytes) -> None:
    """Write the compiled catalogue atomically (two processes may compile at once); a folder
    that cannot be written (an installed package) just means compiling at each start."""
    tmp = mo_path.with_name(f".{mo_path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, mo_path)
    except OSError:
        with suppress(OSError):
            tmp.unlink()


def load(default_language: str = "nl", tz: tzinfo | None = None) -> None:
    """Load every shipped catalogue; called once by the application factory."""
    global _default_language, _tz
    _default_language = default_language
    _tz = tz
    _current.set(default_language)
    root = locales_dir()
    for lang in SUPPORTED_LANGUAGES:
        merged: Translations | None = None
        for po_path in sorted((root / lang / "LC_MESSAGES").glob("*.po")):
            part = _load_file(po_path)
            if merged is None:
                merged = part
            else:
                merged.merge(part)
        _catalogues[lang] = merged if merged is not None else NullTranslations()


def _catalogue(lang: str | None = None) -> NullTranslations:
    if not _catalogues:
        load(_default_language, _tz)
    return _catalogues.get(lang or _current.get()) or NullTranslations()


# A count formatted into a message without plural forms ("Send to 1 members") is a bug that
# the catalogues cannot show. With ``check_counts(True)`` (the test suite turns it on) a
# translated message remembers that it is singular-only, and formatting a whole number into it
# is recorded in ``count_misuses``; tests/conftest.py fails the test that did it. Numbers that
# are no counts (a year, an hour of the day) are named so.
NOT_COUNTS = frozenset({"year", "hour", "minute", "day", "month", "weekday", "id", "ref", "code"})
count_misuses: list[str] = []
_check_counts = False


def check_counts(on: bool) -> None:
    global _check_counts
    _check_counts = on


class _SingularOnly(str):
    """A translated text that has no plural forms; ``format`` refuses counts (when checking)."""

    __slots__ = ()

    def format(self, *args: object, **kwargs: object) -> str:
        for name, value in kwargs.items():
            if type(value) is int and name not in NOT_COUNTS:
                count_misuses.append(f"{{{name}}}={value} in {str(self)!r}")
        return str.format(self, *args, **kwargs)


def _singular(text: str) -> str:
    return _SingularOnly(text) if _check_counts else text


def _(message: str) -> str:
    """Translate into the current person's language."""
    return _singular(_catalogue().gettext(message))


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalogue().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction; translated later, where the recipient is known."""
    return message


def gettext_for(lang: str, message: str) -> str:
    return _singular(_catalogue(lang).gettext(message))


def current_language() -> str:
    return _current.get()


def set_language(lang: str) -> None:
    _current.set(lang if lang in SUPPORTED_LANGUAGES else _default_language)


@contextmanager
def use_locale(lang: str | None) -> Iterator[str]:
    """Render for someone else (a broadcast or digest recipient)."""
    chosen = lang if lang in SUPPORTED_LANGUAGES else _default_language
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def resolve_language(
    chosen: str | None, telegram_code: str | None, default: str | None = None
) -> str:
    """Stored choice, then Telegram's language_code (e.g. 'ar', 'nl-BE'), then the default."""
    if chosen in SUPPORTED_LANGUAGES:
        return chosen
    if telegram_code:
        base = telegram_code.split("-")[0].lower()
        if base in SUPPORTED_LANGUAGES:
            return base
    return default or _default_language


def is_rtl(lang: str | None = None) -> bool:
    return (lang or _current.get()) in RTL_LANGUAGES


def comma() -> str:
    """The list comma of the reader's script: "، " in Arabic (also between a date and a time)."""
    return "، " if is_rtl() else ", "


def directed(text: str, lang: str | None = None) -> str:
    """A message for a right-to-left reader, laid out right to left on every line.

    Telegram gives each line the direction of its first strong letter, so an Arabic line that
    starts with a reference ("R-2026-0001 …"), a command or a Dutch group name would be laid out
    left to right, and a Latin-only line (a task's title) would sit on the left. A RIGHT-TO-LEFT
    MARK at the start of every line makes each one right to left; inside the line the Latin run
    keeps its own order (Unicode bidi). Preformatted blocks (<pre>) are left alone. Idempotent.
    Applied once, where a message leaves for its recipient (bot/runtime/http.py), not per text.
    """
    if not text or not is_rtl(lang):
        return text
    out: list[str] = []
    in_pre = False
    for line in text.split("\n"):
        opens, closes = line.count("<pre"), line.count("</pre>")
        if not in_pre and line.strip() and not line.startswith(_DIRECTION_MARKS):
            line = RLM + line
        in_pre = (in_pre or opens > 0) and not (closes >= opens + (1 if in_pre else 0))
        out.append(line)
    return "\n".join(out)


_TEXT_FIELDS = ("text", "caption")


def _starts_latin_in_arabic(label: str) -> bool:
    """A button label (one line, centred by Telegram) needs a mark only when it holds Arabic
    but begins with a Latin letter ("Huurders Rabot: مغادرة"); a Latin-only label (a
    language's own name) stays as it is."""
    first = next((c for c in label if c.isalpha()), "")
    has_arabic = any("\u0600" <= c <= "\u06ff" for c in label)
    return has_arabic and bool(first) and not ("\u0600" <= first <= "\u06ff")


def directed_fields(params: dict[str, str], lang: str | None = None) -> dict[str, str]:
    """A Bot API request's JSON-encoded fields for a right-to-left reader: the text or caption
    and the inline buttons' labels get their direction marks (see ``directed``)."""
    if not is_rtl(lang):
        return params
    fixed = dict(params)
    for key in _TEXT_FIELDS:
        value = fixed.get(key)
        if isinstance(value, str):
            fixed[key] = directed(value, lang)
    markup = fixed.get("reply_markup")
    if isinstance(markup, str) and '"inline_keyboard"' in markup:
        try:
            decoded = json.loads(markup)
            for row in decoded.get("inline_keyboard", []):
                for button in row:
                    label = button.get("text")
                    if isinstance(label, str) and _starts_latin_in_arabic(label):
                        button["text"] = RLM + label
            fixed["reply_markup"] = json.dumps(decoded, ensure_ascii=False)
        except (ValueError, AttributeError, TypeError):
            pass  # not ours to judge: sent as it came
    return fixed


def _locale() -> Locale:
    lang = _current.get()
    # Belgian conventions for nl/fr (the organisation's home); plain locales otherwise.
    return Locale.parse({"nl": "nl_BE", "fr": "fr_BE"}.get(lang, lang))


def _local(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    return dt.astimezone(_tz) if _tz else dt


# Arabic: the clock as the questions ask for it and people type it ("19:30"), not "7:30 م":
# one time format on every card, reminder and question.
_TIME_PATTERN = {"ar": "HH:mm"}


def format_datetime(dt: datetime) -> str:
    """e.g. 'di 3 mrt. 2026, 19:00' / 'Tue, Mar 3, 2026, 7:00 PM' / 'الثلاثاء 3 مارس 2026، 19:00',
    in the configured zone."""
    loc = _locale()
    local = _local(dt)
    return _babel_format_date(local, "EEE d MMM y", locale=loc) + comma() + format_time(dt)


def format_date(d: date | datetime) -> str:
    if isinstance(d, datetime):
        d = _local(d)
    return _babel_format_date(d, "EEEE d MMMM y", locale=_locale())


def format_short_date(d: date | datetime) -> str:
    if isinstance(d, datetime):
        d = _local(d)
    return _babel_format_date(d, "EEE d MMM", locale=_locale())


def format_time(dt: datetime) -> str:
    pattern = _TIME_PATTERN.get(_current.get(), "short")
    return _babel_format_time(_local(dt), pattern, locale=_locale())


def format_timestamp(dt: datetime) -> str:
    return _babel_format_datetime(_local(dt), "medium", locale=_locale())


def format_ago(then: datetime, now: datetime) -> str:
    """How long ago, in the reader's language: '3 dagen geleden', 'قبل 3 أيام'. Something of
    this very minute reads '1 minute ago', never 'in 0 seconds'."""
    delta = min(then - now, -timedelta(minutes=1))
    return _babel_format_timedelta(
        delta, add_direction=True, granularity="minute", locale=_locale()
    )


def join_list(parts: list[str]) -> str:
    """Items one after the other, with the reader's comma (Arabic writes '،')."""
    return ("، " if _current.get() == "ar" else ", ").join(parts)


def language_name(code: str | None) -> str:
    """A language's name in the reader's language ('Arabisch' for a Dutch reader, 'الهولندية'
    for an Arabic one): people do not read the other language's own name in its script."""
    if not code or code == "auto":
        return "?"
    return _locale().languages.get(code) or LANGUAGE_NAMES.get(code, code.upper())


def language_both(code: str | None) -> str:
    """The reader's name for the language and its own name: 'Arabisch (العربية)'."""
    name = language_name(code)
    own = LANGUAGE_NAMES.get(code or "")
    return f"{name} ({own})" if own and own != name else name


def lower_first(text: str) -> str:
    """A translated text with a small first letter, for use inside a sentence ("every first
    Tuesday of the month"): one msgid per text, so translators translate it once."""
    if not text:
        return text
    first = text[0]
    if current_language() == "tr":  # Turkish dotted and dotless i
        first = {"I": "ı", "İ": "i"}.get(first, first.lower())
    else:
        first = first.lower()
    return first + text[1:]
