"""Compile the gettext catalogues (.po -> .mo) at install time.

Compiled catalogues are build products: they are made here, by the install, and never
committed. At run time bot.core.i18n also compiles in memory when a .mo is missing or stale,
so a plain checkout works too.
"""

from __future__ import annotations

from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogues(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        root = Path(self.root) / "locales"
        for po_path in root.glob("*/LC_MESSAGES/*.po"):
            with po_path.open("rb") as fh:
                catalog = read_po(fh)
            with po_path.with_suffix(".mo").open("wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)
