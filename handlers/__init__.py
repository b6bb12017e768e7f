"""Telegram-facing code, one module per feature. All registration order is set here.

Order matters!
  group -100  prepare: who is this, which language (every update)
  group 0     first match wins, in this order:
              0. edited messages (a command must not run twice)
              1. commands and buttons of every feature (FEATURES below)
              2. answers to an open conversation (dialog router),
                 which says "not understood" when no conversation is open
              3. unknown commands, stale buttons, block/unblock, group chats (quiet)
"""

from __future__ import annotations

from telegram.ext import Application, TypeHandler
from telegram import Update

from handlers import admin, errors, fallback, groups, start
from handlers import actions  # issue 5: action calls, mute, /stop
from handlers.common import prepare

# Feature modules, in the order their handlers are tried in group 0.
FEATURES = [start, admin, groups]
FEATURES.append(actions)  # action calls, mute, /stop (issue 5)


def register_all(app: Application) -> None:
    app.add_handler(TypeHandler(Update, prepare), group=-100)
    fallback.register_first(app)
    for module in FEATURES:
        module.register(app)
    fallback.register(app)
    app.add_error_handler(errors.on_error)


async def on_startup(app: Application) -> None:
    from handlers.menus import set_default_commands

    services = app.bot_data.services
    await set_default_commands(app.bot, services.settings.default_language)
    for module in FEATURES:
        hook = getattr(module, "on_startup", None)
        if hook is not None:
            await hook(app)
