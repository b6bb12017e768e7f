"""Meetings (issue 4): /newmeeting, /datepoll, /meetings, /linkchat and their buttons.

Thin: parse, check who may do it, call bot.domain.meetings, reply. Callback prefixes: "mt"
(meetings) and "mp" (date polls). Every press re-loads the meeting and checks the person:
managers (organisers of the group, workers of its project, admins) change, members answer.

  shared      the service, button-data helpers, who may organise, the change prologue
  planning    the organiser's conversation (/newmeeting, /datepoll, change time or place)
  card        members' answers, the meeting card, /meetings, history, attendance
  polls       date polls: votes and picking the date
  group_chat  /linkchat and a group's reminder settings

register(app) below is the only place handlers are added; their order matters.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core.i18n import N_
from handlers.context import BotContext, registry_of
from handlers.meetings.card import cmd_meetings, on_mt
from handlers.meetings.group_chat import cmd_linkchat
from handlers.meetings.planning import cmd_datepoll, cmd_newmeeting, on_cancel, on_text
from handlers.meetings.polls import on_mp
from handlers.meetings.shared import KIND, PRIVATE


async def _menu_meetings(update: Update, ctx: BotContext) -> None:
    await cmd_meetings(update, ctx)


def register(app: Application) -> None:
    registry = registry_of(app)
    registry.command(
        "meetings",
        N_("Meetings of my groups"),
        {"member", "organiser", "worker", "admin"},
        order=30,
    )
    registry.command("newmeeting", N_("Plan a meeting"), {"organiser", "worker", "admin"}, order=40)
    registry.command(
        "datepoll", N_("Let the group choose a date"), {"organiser", "worker", "admin"}, order=41
    )
    registry.menu_item(
        "meetings", N_("📅 Meetings"), {"member", "organiser", "worker"}, _menu_meetings, order=30
    )
    registry.dialog(KIND, on_text, on_cancel)
    app.add_handler(CommandHandler("newmeeting", cmd_newmeeting, filters=PRIVATE))
    app.add_handler(CommandHandler("datepoll", cmd_datepoll, filters=PRIVATE))
    app.add_handler(CommandHandler("meetings", cmd_meetings, filters=PRIVATE))
    app.add_handler(CommandHandler("linkchat", cmd_linkchat, filters=filters.ChatType.GROUPS))
    app.add_handler(CallbackQueryHandler(on_mt, pattern=r"^mt:"))
    app.add_handler(CallbackQueryHandler(on_mp, pattern=r"^mp:"))
