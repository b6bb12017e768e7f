"""Catalogue checks and upkeep: `python -m bot.tools.i18n_tool check|missing|pot`.

- check:   every message in the code is translated in every shipped language, placeholders equal
- missing: list what a language still lacks (to fill in the feature's .po file)
- pot:     write locales/messages.pot from the code
- add DOMAIN FILE.py: merge translations from FILE.py (which defines
  T = {msgid: {"nl": ..., "fr": ..., "ar": ..., "tr": ...},
       (singular, plural): {"nl": (one, other), ...}})
  into locales/<lang>/LC_MESSAGES/DOMAIN.po; English is the msgid itself
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.core.settings import SUPPORTED_LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("bot", "handlers")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "gettext_for": (2,)}
_PLACEHOLDER = re.compile(r"\{[a-zA-Z_][a-zA-Z0-9_]*\}")
_TAG = re.compile(r"</?([a-z\-]+)")


@dataclass(frozen=True)
class Message:
    msgid: str
    plural: str | None
    location: str


def extract() -> dict[str, Message]:
    found: dict[str, Message] = {}
    for folder in SOURCE_DIRS:
        base = ROOT / folder
        for filename, lineno, message, _comments, _ctx in extract_from_dir(
            base, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, tuple):
                msgid, plural = message[0], message[1] if len(message) > 1 else None
            else:
                msgid, plural = message, None
            if not msgid:
                continue
            found.setdefault(msgid, Message(msgid, plural, f"{folder}/{filename}:{lineno}"))
    return found


def load_language(lang: str) -> dict[str, object]:
    merged: dict[str, object] = {}
    for po in sorted((ROOT / "locales" / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        for m in catalog:
            if m.id:
                key = m.id[0] if isinstance(m.id, (tuple, list)) else m.id
                if not m.fuzzy:
                    merged[key] = m.string
    return merged


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def tags(text: str) -> list[str]:
    return sorted(_TAG.findall(text))


def problems() -> list[str]:
    messages = extract()
    out: list[str] = []
    for lang in SUPPORTED_LANGUAGES:
        catalog = load_language(lang)
        for msgid, info in messages.items():
            if msgid not in catalog:
                out.append(f"{lang}: missing {msgid!r} ({info.location})")
                continue
            value = catalog[msgid]
            forms = list(value) if isinstance(value, (tuple, list)) else [value]
            if not forms or any(not f for f in forms):
                out.append(f"{lang}: empty translation for {msgid!r}")
                continue
            wanted = placeholders(msgid) | (placeholders(info.plural) if info.plural else set())
            for form in forms:
                got = placeholders(str(form))
                # A plural form may leave out {n} (e.g. Arabic's "one" form says it in words).
                if got != wanted and not (
                    info.plural and got <= wanted and got >= wanted - {"{n}"}
                ):
                    out.append(
                        f"{lang}: placeholders differ for {msgid!r}: "
                        f"{sorted(got)} vs {sorted(wanted)}"
                    )
                if tags(str(form)) != tags(msgid):
                    out.append(f"{lang}: HTML tags differ for {msgid!r}")
    return out


def missing(lang: str) -> list[Message]:
    catalog = load_language(lang)
    return [m for m in extract().values() if m.msgid not in catalog]


def write_pot(path: Path) -> None:
    catalog = Catalog(project="buurtbot")
    for m in extract().values():
        catalog.add((m.msgid, m.plural) if m.plural else m.msgid, locations=[(m.location, 0)])
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100)


def add(domain: str, source: Path) -> None:
    import runpy

    table = runpy.run_path(str(source))["T"]
    for lang in SUPPORTED_LANGUAGES:
        path = ROOT / "locales" / lang / "LC_MESSAGES" / f"{domain}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
        else:
            catalog = Catalog(locale=lang, project="buurtbot", domain=domain)
        n = catalog.num_plurals
        for key, tr in table.items():
            if isinstance(key, tuple):
                forms = list(key if lang == "en" else tr.get(lang) or ())
                if not forms:
                    continue
                # Pad to the language's number of plural forms (fr 3, ar 6).
                while len(forms) < n:
                    forms.append(forms[-1])
                catalog.add(key, tuple(forms[:n]))
            else:
                value = key if lang == "en" else tr.get(lang)
                if value:
                    catalog.add(key, value)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, sort_output=False)


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "check"
    if cmd == "check":
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    if cmd == "missing":
        langs = argv[1:] or list(SUPPORTED_LANGUAGES)
        for lang in langs:
            for m in missing(lang):
                print(
                    f"{lang}\t{m.location}\t{m.msgid!r}" + (f"\t{m.plural!r}" if m.plural else "")
                )
        return 0
    if cmd == "add":
        add(argv[1], Path(argv[2]))
        return 0
    if cmd == "pot":
        write_pot(ROOT / "locales" / "messages.pot")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
