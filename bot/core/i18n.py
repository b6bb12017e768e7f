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
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, tzinfo
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.dates import format_time as _babel_format_time
from babel.dates import format_timedelta as _babel_format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.core.settings import SUPPORTED_LANGUAGES

log = logging.getLogger(__name__)

LANGUAGE_NAMES: dict[str, str] = {
    "nl": "Nederlands",
    "fr": "Français",
    "en": "English",
    "ar": "العربية",
    "tr": "Türkçe",
}
RTL_LANGUAGES = frozenset({"ar"})

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
    # No fresh compiled catalogue (a plain checkout): compile in memory.
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=po_path.parent.parent.name)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=po_path.stem)


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


def _(message: str) -> str:
    """Translate into the current person's language."""
    return _catalogue().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalogue().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction; translated later, where the recipient is known."""
    return message


def gettext_for(lang: str, message: str) -> str:
    return _catalogue(lang).gettext(message)


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


def _locale() -> Locale:
    lang = _current.get()
    # Belgian conventions for nl/fr (the organisation's home); plain locales otherwise.
    return Locale.parse({"nl": "nl_BE", "fr": "fr_BE"}.get(lang, lang))


def _local(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    return dt.astimezone(_tz) if _tz else dt


def format_datetime(dt: datetime) -> str:
    """e.g. 'di 3 mrt. 2026, 19:00' / 'Tue, Mar 3, 2026, 7:00 PM', in the configured zone."""
    loc = _locale()
    local = _local(dt)
    return (
        _babel_format_date(local, "EEE d MMM y", locale=loc)
        + ", "
        + _babel_format_time(local, "short", locale=loc)
    )


def format_date(d: date | datetime) -> str:
    if isinstance(d, datetime):
        d = _local(d)
    return _babel_format_date(d, "EEEE d MMMM y", locale=_locale())


def format_short_date(d: date | datetime) -> str:
    if isinstance(d, datetime):
        d = _local(d)
    return _babel_format_date(d, "EEE d MMM", locale=_locale())


def format_time(dt: datetime) -> str:
    return _babel_format_time(_local(dt), "short", locale=_locale())


def format_timestamp(dt: datetime) -> str:
    return _babel_format_datetime(_local(dt), "medium", locale=_locale())


def format_ago(then: datetime, now: datetime) -> str:
    """How long ago, in the reader's language: '3 dagen geleden', 'قبل 3 أيام'."""
    return _babel_format_timedelta(then - now, add_direction=True, locale=_locale())


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
