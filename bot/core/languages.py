"""The languages Buurtbot ships, in one small module: the catalogues (bot.core.i18n) need them
without loading the settings' pydantic machinery (an export's process starts faster)."""

from __future__ import annotations

SUPPORTED_LANGUAGES: tuple[str, ...] = ("nl", "fr", "en", "ar", "tr")
