"""The export's own process: ``python -m bot.domain.export_child`` reads one job on stdin and
writes the files on stdout (both ends of the pipe: bot.domain.export_worker). A job is a project
export (bot.domain.dossier) or the institute's sector dossier (bot.domain.sector)."""

from __future__ import annotations

import sys

from bot.core import i18n
from bot.domain.dossier import DossierMeta, build_export_sync
from bot.domain.export_worker import decode_filter, decode_job, write_result
from bot.domain.sector import build_sector_sync


def main() -> int:
    job = decode_job(sys.stdin.buffer.read())
    i18n.load(job["lang"], job["tz"])
    meta = DossierMeta.from_json(job["meta"])
    if job["kind"] == "sector":
        sector = build_sector_sync(
            job["db"], decode_filter(job), job["tz"], job["lang"], meta, job["formats"]
        )
        write_result(sector.rows, {"html": sector.html, "xlsx": sector.xlsx})
        return 0
    export = build_export_sync(
        job["db"], decode_filter(job), job["tz"], job["lang"], meta, formats=job["formats"]
    )
    write_result(export.rows, {"csv": export.csv, "xlsx": export.xlsx, "html": export.html})
    return 0


if __name__ == "__main__":
    sys.exit(main())
