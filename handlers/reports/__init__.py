"""Problem reports: /report (and the menu button), /myreports for residents; the worker's buttons
on a report, /problems, /routing and /digest. Callback prefixes: rep (resident), rw (worker),
dg (digest settings), rcat (categories). The rules live in bot/domain/reports.py.

resident.py: the /report flow and /myreports; worker.py: the card's buttons, the reply relay and
/problems; setup.py: /routing, /categories and the digest settings."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core.i18n import N_
from handlers.context import registry_of
from handlers.reports._common import KIND, KIND_CAT, KIND_NB, KIND_REP, KIND_RW
from handlers.reports.resident import (
    cmd_myreports,
    cmd_report,
    menu_report,
    on_rep,
    rep_text_step,
    report_cancel,
    report_step,
)
from handlers.reports.setup import (
    cat_text_step,
    cmd_categories,
    cmd_digest,
    cmd_neighbourhoods,
    cmd_routing,
    nb_step,
    on_dg,
    on_nb,
    on_rcat,
    parse_category,
)
from handlers.reports.worker import cmd_problems, on_rw, rw_text_step

__all__ = ["parse_category", "register"]

PRIVATE = filters.ChatType.PRIVATE


def register(app: Application) -> None:
    registry = registry_of(app)
    registry.command("report", N_("Report a problem"), {"everyone"}, order=10)
    registry.command("myreports", N_("My reports and their answers"), {"everyone"}, order=11)
    registry.command("problems", N_("Open reports of your project"), {"worker", "admin"}, order=20)
    registry.command("routing", N_("Who gets which reports"), {"worker", "admin"}, order=21)
    registry.command("digest", N_("Your digest now, and when you get it"), {"worker"}, order=22)
    registry.command(
        "categories", N_("Report categories of your project"), {"worker", "admin"}, order=23
    )
    registry.command(
        "neighbourhoods",
        N_("Neighbourhoods on the map: centre and boundary"),
        {"worker", "admin"},
        order=24,
    )
    registry.menu_item("report", N_("📣 Report a problem"), {"everyone"}, menu_report, order=10)
    registry.dialog(KIND, report_step, report_cancel)
    registry.dialog(KIND_REP, rep_text_step)
    registry.dialog(KIND_RW, rw_text_step)
    registry.dialog(KIND_CAT, cat_text_step)
    registry.dialog(KIND_NB, nb_step)
    app.add_handler(CommandHandler("report", cmd_report, filters=PRIVATE))
    app.add_handler(CommandHandler("myreports", cmd_myreports, filters=PRIVATE))
    app.add_handler(CommandHandler("problems", cmd_problems, filters=PRIVATE))
    app.add_handler(CommandHandler("routing", cmd_routing, filters=PRIVATE))
    app.add_handler(CommandHandler("digest", cmd_digest, filters=PRIVATE))
    app.add_handler(CommandHandler("categories", cmd_categories, filters=PRIVATE))
    app.add_handler(CommandHandler("neighbourhoods", cmd_neighbourhoods, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_rep, pattern=r"^rep:"))
    app.add_handler(CallbackQueryHandler(on_rw, pattern=r"^rw:"))
    app.add_handler(CallbackQueryHandler(on_dg, pattern=r"^dg:"))
    app.add_handler(CallbackQueryHandler(on_rcat, pattern=r"^rcat:"))
    app.add_handler(CallbackQueryHandler(on_nb, pattern=r"^nb:"))
