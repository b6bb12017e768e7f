"""Every user-facing text exists in every shipped language, with the same placeholders and tags."""

from __future__ import annotations

import re

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


def test_direction_marks_on_every_line_for_arabic_only():
    text = "R-2026-0001 تم الاستلام\n\n<b>Huurders Rabot</b>\n<pre>a\nb</pre>\nz"
    out = i18n.directed(text, "ar")
    assert out.split("\n") == [
        "\u200fR-2026-0001 تم الاستلام",
        "",
        "\u200f<b>Huurders Rabot</b>",
        "\u200f<pre>a",
        "b</pre>",  # preformatted text is left as it is
        "\u200fz",
    ]
    assert i18n.directed(out, "ar") == out  # idempotent
    assert i18n.directed(text, "nl") == text


def test_arabic_dates_use_the_arabic_comma_and_one_24_hour_time():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    i18n.load("nl", ZoneInfo("Europe/Brussels"))
    when = datetime(2026, 3, 3, 18, 30, tzinfo=ZoneInfo("UTC"))
    with i18n.use_locale("ar"):
        assert i18n.format_time(when) == "19:30"  # as the time question asks it
        assert i18n.format_datetime(when).endswith("2026، 19:30")
    with i18n.use_locale("nl"):
        assert i18n.format_datetime(when).endswith("2026, 19:30")


async def test_every_line_an_arabic_reader_gets_reads_right_to_left(h, admin):
    """Fatima (Arabic) joins, volunteers and is asked to take over a shift: direct replies and
    outbox messages alike, each line starts right to left, even a Dutch task title."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.roster_helpers import slot_ids, volunteer, world

    sofie, jan, member_payload = await world(h, admin)
    fatima = await volunteer(h, "Fatima", member_payload, lang="ar")
    ahmed = await volunteer(h, "Ahmed", member_payload, lang="nl")
    first = (await slot_ids(h))[0]
    await ahmed.press_data(f"sh:take:{first}")
    await h.advance_to(datetime(2026, 3, 5, 10, 0, tzinfo=ZoneInfo("Europe/Brussels")))
    await ahmed.send("/shifts")
    await ahmed.press("↩️")
    await ahmed.press("🤒")
    asked = fatima.last_text()
    assert "Food distribution" in asked  # a Latin line inside an Arabic message
    assert "مارس، 09:00" in asked  # the Arabic comma, the 24-hour time of the questions
    assert not re.search(r"\d (ص|م)\b", asked)
    texts = [t for t in fatima.texts() if t]
    assert len(texts) >= 3
    for text in texts:
        for line in text.split("\n"):
            assert not line.strip() or line.startswith("\u200f"), repr(line)
    # Dutch readers get no marks.
    assert not any("\u200f" in t for t in ahmed.texts())


# A placeholder with one of these names holds a count: its message needs plural forms.
COUNT_NAMES = re.compile(
    r"^(n|count|total|sent|failed|done|needed|filled|missing|asked|left|days|hours|minutes|weeks"
    r"|months|people|persons|members|volunteers|shifts|households|photos|replies|answers"
    r"|coming|cant|yes|no|maybe"
    r"|\w+_count|n_\w+|num_\w+|total_\w+)$"
)


def _singular_only_messages():
    """(where, text) of every literal passed to _(), N_() or gettext_for() in the product."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for folder in ("bot", "handlers"):
        for path in sorted((root / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "N_", "gettext_for")
                ):
                    for arg in node.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            yield f"{path.relative_to(root)}:{node.lineno}", arg.value


def test_no_count_placeholder_in_a_message_without_plural_forms():
    """ "Versturen naar 1 leden": a count must go through ngettext, in every language."""
    import string

    offenders = []
    for where, text in _singular_only_messages():
        try:
            fields = {f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f}
        except ValueError:
            continue
        counts = sorted(f for f in fields if COUNT_NAMES.match(f))
        if counts:
            offenders.append(f"{where}: {counts} in {text!r}")
    assert not offenders, "\n".join(offenders)


def test_runtime_check_catches_a_count_in_a_singular_message():
    i18n.check_counts(True)
    i18n.count_misuses.clear()
    with i18n.use_locale("nl"):
        i18n._("Photos").format()  # no count: fine
        i18n._("This year ({year})").format(year=2026)  # a year is no count
        i18n._("Sent to {n} people").format(n=1)
    found = list(i18n.count_misuses)
    i18n.count_misuses.clear()
    assert found == ["{n}=1 in 'Sent to {n} people'"]
    with i18n.use_locale("nl"):
        text = i18n.ngettext("Send it to {n} person?", "Send it to {n} people?", 1).format(n=1)
    assert text == "Versturen naar 1 persoon?" and not i18n.count_misuses


def test_every_entry_has_one_translation():
    """Branches merge the catalogues line by line (.gitattributes: union): two edits of the same
    translation would leave an entry with two msgstr lines, of which gettext reads one."""
    doubled = []
    for po in sorted(i18n.locales_dir().glob("*/LC_MESSAGES/*.po")):
        lines = po.read_text(encoding="utf-8").splitlines()
        for n, (line, following) in enumerate(zip(lines, lines[1:], strict=False), start=1):
            if line.startswith("msgstr") and following.startswith(line.split(" ", 1)[0] + " "):
                doubled.append(f"{po.relative_to(po.parents[2])}:{n}")
    assert not doubled, doubled


# Second-person forms that assume the reader is a man (issue 14), as whole words or phrases after
# removing the vowel signs and direction marks. A verb that is also the third person feminine
# ("ستحضر فاطمة", "المجموعة تريد") is listed only inside the phrase that makes it "you".
# Slashed pairs such as "يريد/تريد {name}" stay one word and do not match.
MASCULINE_YOU = (
    "هل تريد",  # do you want
    "تريد أن",  # you want to
    "ماذا تريد",
    "هل ستحضر",  # will you come
    "إنك ستحضر",
    "تقصد",  # do you mean
    "لتحصل",  # so that you get
    "إذا سمحت",  # if you allowed
    "ما ترسله",  # what you send
    "وما ترسله",
    "التي ترسلها",
    "كمتطوع",  # as a (male) volunteer
    "لترى",  # for you to see
    "لتأخذ",  # for you to take
    "لتأخذها",
    "هل تأخذه",
    "لا تستطيع",  # you cannot
    "تستلم",  # you receive
    "تستلمه",
    "لم تكمله",  # that you did not finish
    "ابق",  # stay!
    "ألغ",  # cancel!
    "خذ",  # take!
    "دع",  # let!
    "أخبرنا",  # tell us!
    "انظر",  # look!
)


def _arabic_words(text: str) -> str:
    text = re.sub("[\u064b-\u0652\u0670\u0640\u200e\u200f\u061c]", "", text)
    return " " + " ".join(re.findall(r"[\u0621-\u064a/]+", text)) + " "


def _masculine_you(text: str) -> list[str]:
    words = _arabic_words(text)
    return [marker for marker in MASCULINE_YOU if f" {marker} " in words]


def test_masculine_markers_are_whole_words():
    assert _masculine_you("هل تريدُ متابعته؟") == ["هل تريد"]
    assert _masculine_you("\u200fأيهما تقصد؟") == ["تقصد"]
    assert _masculine_you("🛑 ألغِ التحرك") == ["ألغ"]
    # third person, first person, slashed pairs and verbal nouns are fine
    assert not _masculine_you("ستحضر فاطمة. اضغطوا ما يريد/تريد {name} فعله")
    assert not _masculine_you("أبلغتُ {organiser}. يُرجى إرسال /shifts لرؤية نوباتك. دعوة")
    assert not _masculine_you("🗳 المجموعة تختار التاريخ، يصلك ملخص، إلغاء التحرك")


def test_arabic_does_not_address_the_reader_as_a_man():
    from babel.messages.pofile import read_po

    found = []
    for po in sorted((i18n.locales_dir() / "ar" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if not message.id:
                continue
            forms = message.string if isinstance(message.string, tuple | list) else [message.string]
            for form in forms:
                for marker in _masculine_you(form or ""):
                    found.append(f"{po.name}:{message.lineno}: «{marker}» in {form!r}")
    assert not found, "\n".join(found)


def test_a_compiled_catalogue_is_kept_for_the_next_start(tmp_path, monkeypatch):
    """A .po without a fresh .mo is compiled once and the result kept next to it (the next
    process, e.g. an export's child, reads it); an unwritable folder only means compiling."""
    import shutil

    folder = tmp_path / "nl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "reports.po"
    shutil.copy(i18n.locales_dir() / "nl" / "LC_MESSAGES" / "reports.po", po)
    first = i18n._load_file(po)
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
    again = i18n._load_file(po)  # read from the .mo this time
    msgid = next(iter(k for k in first._catalog if isinstance(k, str) and k))
    assert again.gettext(msgid) == first.gettext(msgid)
    mo.unlink()

    def read_only(*_a: object) -> None:  # an installed package's folder (root ignores chmod)
        raise PermissionError("read-only file system")

    monkeypatch.setattr(i18n.os, "replace", read_only)
    assert i18n._load_file(po).gettext(msgid) == first.gettext(msgid)
    assert not mo.exists()
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
