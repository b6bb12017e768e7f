"""Every user-facing text exists in every shipped language, with the same placeholders and tags."""

from __future__ import annotations

from bot.core import i18n
from bot.core.settings import SUPPORTED_LANGUAGES
from bot.tools.i18n_tool import extract, problems


def test_catalogues_complete_with_same_placeholders():
    found = problems()
    assert not found, "\n".join(found[:50]) + (
        f"\n… {len(found) - 50} more" if len(found) > 50 else ""
    )


def test_messages_are_extracted():
    assert len(extract()) > 50


def test_each_language_really_translates():
    i18n.load("nl")
    sample = "What can I do here?"
    seen = {lang: i18n.gettext_for(lang, sample) for lang in SUPPORTED_LANGUAGES}
    assert len(set(seen.values())) == len(SUPPORTED_LANGUAGES), seen


def test_language_resolution():
    assert i18n.resolve_language(None, "ar", "nl") == "ar"
    assert i18n.resolve_language(None, "nl-BE", "fr") == "nl"
    assert i18n.resolve_language(None, "pl", "nl") == "nl"
    assert i18n.resolve_language("tr", "ar", "nl") == "tr"


def test_no_msgids_differ_only_in_case():
    """One text, one msgid: "Every first {weekday}…" and "every first {weekday}…" would be
    translated twice (and drift apart)."""
    seen: dict[str, dict[str, str]] = {}
    for message in extract().values():
        for text in (message.msgid, message.plural):
            if text:
                seen.setdefault(text.casefold(), {}).setdefault(text, message.location)
    clashes = [
        " / ".join(f"{text!r} ({where})" for text, where in sorted(texts.items()))
        for texts in seen.values()
        if len(texts) > 1
    ]
    assert not clashes, "\n".join(sorted(clashes))
