"""Volunteer rosters (story 10): /roster for organisers and workers, /volunteer and /shifts for
volunteers, take-over buttons, attendance, /hours export. Thin: parse, check, call
bot.domain.rosters.

Callback prefixes: ro (roster management), sh (shifts and volunteers), tk (take-over).

  shared  the service, the dialog kinds, who may manage a roster
  manage  organisers: /roster, the task conversation, the task card, calls, who came
  shifts  volunteers: /volunteer, /shifts, taking a shift, stepping back, take-over
  hours   /hours: the CSV export

register(app) below is the only place handlers are added; their order matters.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.core.i18n import N_
from handlers.context import BotContext, registry_of
from handlers.rosters.hours import cmd_hours
from handlers.rosters.manage import cmd_roster, on_ro, on_text
from handlers.rosters.shared import BACK_KIND, KIND, PRIVATE, cancel_dialog
from handlers.rosters.shifts import cmd_shifts, cmd_volunteer, on_back_text, on_sh, on_tk


async def _menu_volunteer(update: Update, ctx: BotContext) -> None:
    await cmd_volunteer(update, ctx)


async def _menu_shifts(update: Update, ctx: BotContext) -> None:
    await cmd_shifts(update, ctx)


def register(app: Application) -> None:
    registry = registry_of(app)
    registry.command("volunteer", N_("Help as a volunteer: take a shift"), {"member"}, order=30)
    registry.command("shifts", N_("My volunteer shifts"), {"member"}, order=31)
    registry.command(
        "roster", N_("Volunteer rosters of your group"), {"organiser", "worker", "admin"}, order=60
    )
    registry.command("hours", N_("Export volunteer hours (CSV)"), {"worker", "admin"}, order=75)
    registry.menu_item("volunteer", N_("🙋 Volunteer"), {"member"}, _menu_volunteer, order=40)
    registry.dialog(KIND, on_text, cancel_dialog)
    registry.dialog(BACK_KIND, on_back_text, cancel_dialog)
    app.add_handler(CommandHandler("roster", cmd_roster, filters=PRIVATE))
    app.add_handler(CommandHandler("volunteer", cmd_volunteer, filters=PRIVATE))
    app.add_handler(CommandHandler("shifts", cmd_shifts, filters=PRIVATE))
    app.add_handler(CommandHandler("hours", cmd_hours, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_ro, pattern=r"^ro:"))
    app.add_handler(CallbackQueryHandler(on_sh, pattern=r"^sh:"))
    app.add_handler(CallbackQueryHandler(on_tk, pattern=r"^tk:"))
