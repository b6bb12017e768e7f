"""The export's own process: ``python -m bot.domain.export_child`` says ``ready`` on stdout once
it has imported what it needs, reads one job on stdin and writes the files on stdout (both ends
of the pipe: bot.domain.export_worker). A job is a project export (bot.domain.dossier) or the
institute's sector dossier (bot.domain.sector).

With ``--warm TZ LANG`` it is a spare, started ahead of the next export: it also imports
matplotlib and openpyxl and loads the catalogues for that zone and language, then waits for its
job (the bot ends a spare that waited too long; an empty stdin — the bot stopped — ends it too).
"""

from __future__ import annotations

import sys
from zoneinfo import ZoneInfo

from bot.core import i18n
from bot.domain.export_worker import READY, decode_filter, decode_job, write_result


def _warm_up(tz: str, lang: str) -> tuple[ZoneInfo, str]:
    """What any export may need, before the job arrives: the export code, the chart and
    workbook libraries (~0.5 s to import) and the catalogues (~0.15 s to load)."""
    import bot.domain.dossier
    import bot.domain.sector  # noqa: F401
    from bot.domain.charts import _load_matplotlib
    from bot.domain.workbook import Workbook

    zone = ZoneInfo(tz)
    i18n.load(lang, zone)
    _load_matplotlib()
    import matplotlib.figure  # noqa: F401

    with i18n.use_locale(lang):
        Workbook()  # imports openpyxl's writer
    return zone, lang


def main(argv: list[str]) -> int:
    loaded: tuple[ZoneInfo, str] | None = None
    if len(argv) == 3 and argv[0] == "--warm":
        loaded = _warm_up(argv[1], argv[2])
    out = sys.stdout.buffer
    out.write(READY)
    out.flush()
    raw = sys.stdin.buffer.read()
    if not raw:  # a spare that is no longer needed
        return 0
    job = decode_job(raw)
    if loaded != (job["tz"], job["lang"]):
        i18n.load(job["lang"], job["tz"])
    from bot.domain.dossier import DossierMeta

    meta = DossierMeta.from_json(job["meta"])
    if job["kind"] == "sector":
        from bot.domain.sector import build_sector_sync

        sector = build_sector_sync(
            job["db"], decode_filter(job), job["tz"], job["lang"], meta, job["formats"]
        )
        write_result(sector.rows, {"html": sector.html, "xlsx": sector.xlsx})
        return 0
    from bot.domain.dossier import build_export_sync

    export = build_export_sync(
        job["db"], decode_filter(job), job["tz"], job["lang"], meta, formats=job["formats"]
    )
    write_result(export.rows, {"csv": export.csv, "xlsx": export.xlsx, "html": export.html})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
