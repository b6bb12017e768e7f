"""Telegram-facing code, one module per feature. All registration order is set here.

Order matters!
  group -100  prepare: who is this, which language (every update)
  group 0     first match wins, in this order:
              0. edited messages (a command must not run twice)
              1. commands and buttons of every feature (FEATURES below)
              2. the main keyboard's buttons (their text), then answers to an open
                 conversation (dialog router); other text gets the person's home screen
              3. unknown commands, stale buttons, block/unblock, group chats (quiet)
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, TypeHandler

from handlers import (
    actions,
    admin,
    assist,
    errors,
    export,
    fallback,
    groups,
    home,
    meetings,
    privacy,
    reports,
    rosters,
    start,
    translations,
)
from handlers.common import prepare

# Feature modules, in the order their handlers are tried in group 0.
FEATURES = [
    start,
    admin,
    groups,
    reports,
    meetings,
    actions,
    rosters,
    privacy,
    export,
    assist,
    translations,
]


def register_all(app: Application) -> None:
    app.add_handler(TypeHandler(Update, prepare), group=-100)
    fallback.register_first(app)
    for module in FEATURES:
        module.register(app)
    home.register(app)  # the home screen's tasks, some of them from the features above
    fallback.register(app)
    app.add_error_handler(errors.on_error)


async def on_startup(app: Application) -> None:
    from bot.core import i18n
    from bot.core.access import load_roles
    from handlers.menus import set_default_commands, set_user_commands

    services = app.bot_data.services
    settings = services.settings
    await set_default_commands(app.bot, app.bot_data.registry, settings.default_language)
    # Admins get their menu even before they ever wrote to the bot.
    for tg_id in settings.admin_ids:
        user = await services.users.by_tg(tg_id)
        if user is None:
            user, _created = await services.users.ensure(
                tg_id, None, None, None, None, services.clock.now()
            )
        roles = await load_roles(services.db, user.id, True)
        lang = i18n.resolve_language(user.language, user.tg_language, settings.default_language)
        await set_user_commands(app.bot, app.bot_data.registry, user, roles, lang)
