"""The home screen's tasks that live in other features (menu items of the registry, shown by
handlers/menus.py): registered after every feature, so this module may import them all."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.core.i18n import N_
from handlers.actions import cmd_action
from handlers.admin import cmd_newproject, cmd_projects
from handlers.context import BotContext, registry_of
from handlers.export import cmd_export
from handlers.groups import cmd_newgroup
from handlers.meetings.planning import cmd_newmeeting
from handlers.reports.resident import cmd_myreports
from handlers.reports.setup import cmd_digest
from handlers.reports.worker import cmd_problems
from handlers.rosters.manage import cmd_roster
from handlers.rosters.shifts import cmd_shifts, cmd_volunteer


async def _shifts(update: Update, ctx: BotContext) -> None:
    """My shifts; someone without any goes straight to taking one."""
    if await ctx.services.rosters.my_shifts(ctx.user.id):
        await cmd_shifts(update, ctx)
    else:
        await cmd_volunteer(update, ctx)


STAFF = {"organiser", "worker", "admin"}


def register(app: Application) -> None:
    """After every feature (handlers/__init__.py): the home's tasks, in their order. Items a
    feature registered itself (report, meetings, groups, language, help) keep their action.
    Each command still checks who may do it when it runs."""
    registry = registry_of(app)
    registry.menu_item("projects", N_("🏗 Projects and invites"), {"admin"}, cmd_projects, order=1)
    registry.menu_item("newproject", N_("➕ New project"), {"admin"}, cmd_newproject, order=2)
    registry.menu_item("problems", N_("📥 Problems"), {"worker", "admin"}, cmd_problems, order=3)
    registry.menu_item("digest", N_("📰 Digest"), {"worker"}, cmd_digest, order=4)
    registry.menu_item("newgroup", N_("➕ New group"), {"worker", "admin"}, cmd_newgroup, order=5)
    registry.menu_item("export", N_("📊 Export"), {"worker", "admin"}, cmd_export, order=6)
    registry.menu_item("plan", N_("📅 Plan a meeting"), STAFF, cmd_newmeeting, order=7)
    registry.menu_item("action", N_("📢 Call for action"), {"organiser", "worker"}, cmd_action, 8)
    registry.menu_item("roster", N_("🗓 Roster"), STAFF, cmd_roster, order=9)
    # The resident's four; "report" and "meetings" come from their features.
    registry.menu_item("myreports", N_("📋 My reports"), {"everyone"}, cmd_myreports, order=11)
    # The rosters' own "volunteer" item becomes "My shifts" (which leads to /volunteer for
    # someone without shifts); the key stays, so buttons on older messages keep working.
    registry.menu_item("volunteer", N_("🙋 My shifts"), {"member"}, _shifts, order=40)
