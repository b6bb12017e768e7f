"""The group's poster: an A4 PDF to print and a PNG for chats, every shipped language on it."""

from __future__ import annotations

import pypdfium2 as pdfium

from bot.core.i18n import gettext_for
from bot.core.settings import SUPPORTED_LANGUAGES
from bot.domain.poster import JOIN_LINE, find_fonts, pdf_to_png, poster_pdf, poster_text
from tests.e2e_helpers import setup_world


def _pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def _documents(person):
    return [m for m in person.messages() if m.get("document")]


async def test_worker_gets_poster_png_and_pdf_from_newgroup(h, admin):
    sofie, jan, member_payload = await setup_world(h, admin)
    photos = [m for m in sofie.messages() if m.get("photo")]
    png = h.api.file_bytes(photos[-1]["photo"][-1]["file_id"])
    assert png.startswith(b"\x89PNG")
    assert member_payload in photos[-1]["caption"]

    links = [m for m in sofie.messages() if "🖨️" in " ".join(sofie.button_texts(m))][-1]
    await sofie.press("🖨️", links)
    document = _documents(sofie)[-1]
    assert document["document"]["file_name"].endswith(".pdf")
    pdf = h.api.file_bytes(document["document"]["file_id"])
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "Huurders Rabot" in text
    assert member_payload in text
    for lang in ("nl", "fr", "en", "tr"):  # Latin script: extracted as written
        line = gettext_for(lang, JOIN_LINE).format(group="Huurders Rabot")
        assert line.replace(" ", "") in text.replace(" ", "").replace("\r\n", ""), lang
    assert any("\u0600" <= c <= "\u06ff" or "\ufe70" <= c <= "\ufeff" for c in text)  # Arabic
    assert "Sofie" in text and "Rabot" in text  # the project's contact


async def test_organiser_gets_the_poster_from_the_groups_menu_and_a_member_cannot(h, admin):
    sofie, jan, member_payload = await setup_world(h, admin)
    await jan.send("/groups")
    await jan.press("Links")
    await jan.press("🖨️")
    assert _documents(jan), jan.texts()[-3:]
    rik = h.person("Rik", language_code="tr")
    await rik.send(f"/start {member_payload}")
    group_id = (await h.rows("SELECT id FROM groups"))[0][0]
    await rik.press_data(f"grp:poster:{group_id}")
    assert not _documents(rik)


def test_poster_shapes_arabic_right_to_left():
    """Arabic must come out as joined letters (presentation forms or shaped glyphs), and the
    poster is one A4 page with a line per language."""
    assert find_fonts().regular.is_file()
    text = poster_text("حي رابوت", "https://t.me/buurtbot?start=g_x", "Sofie – Rabot")
    assert [lang for lang, _line in text.lines] == list(SUPPORTED_LANGUAGES)
    pdf = poster_pdf(text)
    document = pdfium.PdfDocument(pdf)
    try:
        assert len(document) == 1
        width, height = document[0].get_size()
        assert (round(width), round(height)) == (595, 842)  # A4 in points
    finally:
        document.close()
    png = pdf_to_png(pdf)
    assert png.startswith(b"\x89PNG") and len(png) < 1_000_000
