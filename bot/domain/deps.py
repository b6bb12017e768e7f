"""What every feature service is built with (by the composition root, bot/runtime/app.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.clock import Clock
from bot.core.outbox import Outbox
from bot.core.settings import Settings
from storage.db import Database


@dataclass(frozen=True)
class Core:
    settings: Settings
    clock: Clock
    db: Database
    outbox: Outbox
