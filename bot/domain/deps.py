"""What every feature service is built with (by the composition root, bot/runtime/app.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.clock import Clock
from bot.core.outbox import Outbox
from storage.db import Database

if TYPE_CHECKING:  # a type only: an export's process need not load pydantic's settings
    from bot.core.settings import Settings


@dataclass(frozen=True)
class Core:
    settings: Settings
    clock: Clock
    db: Database
    outbox: Outbox
