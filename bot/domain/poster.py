"""A printable A4 poster for a group's invite link (PDF) and the same poster as a PNG for chats.

The poster carries the group's name, the QR code, the link, one line per shipped language ("Scan
to join … — you can choose your language") and the project's contact. Arabic needs shaping (joined
letter forms) and right-to-left order: fpdf2 does both when text shaping is on (HarfBuzz through
uharfbuzz, plus its own implementation of the Unicode bidi algorithm). The PNG is the PDF page
rasterised by PDFium (pypdfium2), so the chat picture and the printed page are one layout.

The font must cover Latin, Turkish and Arabic: DejaVu Sans (Debian's fonts-dejavu-core, installed
by .ci/run and the Docker image) does. BUURTBOT_POSTER_FONT names another TTF file.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.core.i18n import N_, RTL_LANGUAGES, gettext_for
from bot.core.settings import SUPPORTED_LANGUAGES
from bot.domain.onboarding import qr_png

# Joined to the group name on the poster; kept short so each fits on one line of A4.
JOIN_LINE = N_("Scan to join {group} — you can choose your language.")

_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  # Debian/Ubuntu fonts-dejavu-core
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",  # Fedora, Alpine
    "/usr/share/fonts/TTF/DejaVuSans.ttf",  # Arch
    "/usr/local/share/fonts/DejaVuSans.ttf",
)
_BOLD_FILES = tuple(p.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf") for p in _FONT_FILES)


class PosterFontMissing(RuntimeError):
    """No font with Arabic glyphs was found; install fonts-dejavu-core."""


@dataclass(frozen=True)
class PosterFonts:
    regular: Path
    bold: Path


def _fc_match(family: str) -> Path | None:
    """Ask fontconfig where the family lives (any distribution's layout)."""
    if shutil.which("fc-match") is None:
        return None
    try:
        out = subprocess.run(
            ["fc-match", "--format=%{file}", family],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(out) if out else None
    return path if path is not None and path.is_file() and "DejaVu" in path.name else None


@lru_cache(maxsize=1)
def find_fonts() -> PosterFonts:
    configured = os.environ.get("BUURTBOT_POSTER_FONT")
    if configured and Path(configured).is_file():
        return PosterFonts(Path(configured), Path(configured))
    regular = next((Path(p) for p in _FONT_FILES if Path(p).is_file()), None) or _fc_match(
        "DejaVu Sans"
    )
    if regular is None:
        raise PosterFontMissing(
            "No DejaVu Sans font found: install fonts-dejavu-core "
            "or set BUURTBOT_POSTER_FONT to a TTF file that covers Arabic."
        )
    bold = next((Path(p) for p in _BOLD_FILES if Path(p).is_file()), None) or _fc_match(
        "DejaVu Sans:bold"
    )
    return PosterFonts(regular, bold or regular)


@dataclass(frozen=True)
class PosterText:
    group: str
    link: str
    contact: str
    # (language, line) in the order of SUPPORTED_LANGUAGES
    lines: tuple[tuple[str, str], ...]


def poster_text(group: str, link: str, contact: str) -> PosterText:
    lines = tuple(
        (lang, gettext_for(lang, JOIN_LINE).format(group=group)) for lang in SUPPORTED_LANGUAGES
    )
    return PosterText(group=group, link=link, contact=contact, lines=lines)


def _fit(pdf: object, text: str, width: float, start: float, smallest: float = 9) -> float:
    """The largest font size (from start down) at which the text fits on one line."""
    size = start
    while size > smallest:
        pdf.set_font_size(size)  # type: ignore[attr-defined]
        if pdf.get_string_width(text) <= width:  # type: ignore[attr-defined]
            return size
        size -= 0.5
    return smallest


def poster_pdf(text: PosterText) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import Align, XPos, YPos

    fonts = find_fonts()
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(18, 15, 18)
    pdf.add_font("poster", "", str(fonts.regular))
    pdf.add_font("poster", "B", str(fonts.bold))
    pdf.set_text_shaping(True)
    pdf.set_title(text.group)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_font("poster", "B", 34)
    size = _fit(pdf, text.group, width, 40, smallest=18)
    pdf.set_font("poster", "B", size)
    pdf.set_y(18)
    pdf.multi_cell(width, size * 0.45, text.group, align=Align.C, new_x=XPos.LMARGIN)

    qr_side = 120.0
    y = max(pdf.get_y() + 6, 40)
    pdf.image(io.BytesIO(qr_png(text.link)), x=(pdf.w - qr_side) / 2, y=y, w=qr_side, h=qr_side)
    pdf.set_y(y + qr_side + 2)
    pdf.set_font("poster", "", 13)
    pdf.cell(width, 7, text.link, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.link(pdf.l_margin, pdf.get_y() - 7, width, 7, text.link)

    pdf.ln(5)
    pdf.set_draw_color(180, 180, 180)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(4)
    pdf.set_font("poster", "", 15)
    # One size for every language (the longest line decides), so no language looks lesser.
    size = min(_fit(pdf, line, width, 15) for _lang, line in text.lines)
    pdf.set_font("poster", "", size)
    for lang, line in text.lines:
        align = Align.R if lang in RTL_LANGUAGES else Align.L
        pdf.multi_cell(width, 10, line, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(4)
    pdf.set_font("poster", "", 12)
    pdf.multi_cell(width, 6, text.contact, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def pdf_to_png(pdf: bytes, width_px: int = 1240) -> bytes:
    """Page 1 of the PDF as a PNG (1240 px wide ≈ 150 dpi on A4: sharp in a chat, ~150 kB)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        scale = width_px / page.get_width()
        image = page.render(scale=scale).to_pil()
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="PNG", optimize=True)
        return buf.getvalue()
    finally:
        document.close()
