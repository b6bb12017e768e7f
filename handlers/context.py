"""The typed context every handler gets (PTB's ContextTypes): the services, the person."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.domain.services import Services


class BotData:
    """PTB's bot_data: a handle on the services (no pickling, no live state elsewhere). The
    runtime extends it with its own parts (bot/runtime/app.py)."""

    def __init__(self) -> None:
        self.services: Services | None = None


class BotContext(CallbackContext[ExtBot, dict, dict, BotData]):
    """Typed context. ``prepare`` (handlers/common.py) fills ``user`` for every update."""

    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None):
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.user: Any = None
        self.user_created = False
        self._roles: Any = None

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        assert services is not None
        return services
