"""Telegram's command menu (setMyCommands): per language for everyone, per person for staff."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.core import i18n
from bot.core.access import Roles
from bot.core.settings import SUPPORTED_LANGUAGES
from handlers.context import Registry, role_names
from storage.repos.users import User

log = logging.getLogger(__name__)

# A resident who never joined a group still needs these.
BASE_ROLES = {"everyone", "member"}


def _commands(registry: Registry, names: set[str]) -> list[BotCommand]:
    found = registry.commands_for(names)
    return [BotCommand(c.name, i18n._(c.description)[:256]) for c in found][:100]


async def set_default_commands(bot: Bot, registry: Registry, default_language: str) -> None:
    try:
        for lang in SUPPORTED_LANGUAGES:
            with i18n.use_locale(lang):
                await bot.set_my_commands(
                    _commands(registry, BASE_ROLES),
                    scope=BotCommandScopeDefault(),
                    language_code=lang,
                )
        with i18n.use_locale(default_language):
            await bot.set_my_commands(
                _commands(registry, BASE_ROLES), scope=BotCommandScopeDefault()
            )
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc)


async def set_user_commands(
    bot: Bot, registry: Registry, user: User, roles: Roles, language: str
) -> None:
    """Staff get their own menu; so does anyone who chose a language other than Telegram's."""
    if user.tg_id is None or user.entered_by is not None:  # no chat (assisted mode)
        return
    names = role_names(roles) | {"member"}
    telegram_lang = i18n.resolve_language(None, user.tg_language)
    if names <= BASE_ROLES and language == telegram_lang:
        return
    try:
        with i18n.use_locale(language):
            await bot.set_my_commands(
                _commands(registry, names), scope=BotCommandScopeChat(user.tg_id)
            )
    except TelegramError as exc:
        log.warning("could not set a personal command menu: %s", exc)
