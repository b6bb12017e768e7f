"""Excel workbooks (.xlsx) for exports, written with openpyxl in its write-only mode: rows are
streamed to disk-backed sheets, so 100,000 reports never sit in memory as cell objects.

Why openpyxl: it is the maintained, pure-Python writer of the format (no LibreOffice, no compiled
code), reads what it writes (the tests open the files again), and sets what a reader needs here:
typed cells (dates, numbers), column widths, a frozen header row and right-to-left sheets for
Arabic. A workbook is made in the requester's language; its first sheet explains every column.
openpyxl writes the sheets through lxml when it is installed (a dependency for that reason:
100,000 reports in ~11 s instead of ~17 s; the per-cell work of openpyxl is the rest).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date

from bot.core import i18n

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_title(text: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet's name."""
    return _BAD_SHEET_CHARS.sub(" ", text).strip()[:31] or "Sheet"


class Workbook:
    """A write-only workbook: add sheets in reading order, rows in order, then ``done()``."""

    def __init__(self) -> None:
        from openpyxl import Workbook as _Workbook

        self._wb = _Workbook(write_only=True)
        self._rtl = i18n.current_language() in i18n.RTL_LANGUAGES

    def sheet(self, title: str, widths: Sequence[float] = (), freeze_header: bool = False):  # noqa: ANN201
        from openpyxl.utils import get_column_letter

        ws = self._wb.create_sheet(sheet_title(title))
        ws.sheet_view.rightToLeft = self._rtl
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        if freeze_header:
            ws.freeze_panes = "A2"
        return Sheet(ws)

    def done(self) -> bytes:
        out = io.BytesIO()
        self._wb.save(out)
        return out.getvalue()


class Sheet:
    def __init__(self, ws) -> None:  # noqa: ANN001
        self._ws = ws

    def row(self, *values: object, bold: bool = False) -> None:
        if not bold:
            self._ws.append([_plain(v) for v in values])
            return
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        cells = []
        for v in values:
            cell = WriteOnlyCell(self._ws, value=_plain(v))
            cell.font = Font(bold=True)
            cells.append(cell)
        self._ws.append(cells)

    def rows(self, values: Sequence[Sequence[object]]) -> None:
        for v in values:
            self.row(*v)


def _plain(value: object) -> object:
    # Dates stay dates (Excel shows them in the reader's own date format and can sort them).
    if value is None or isinstance(value, (int, float, str, date)):
        return value
    return str(value)
