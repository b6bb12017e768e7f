"""What the roster screens share: the service, the dialog kinds, who may manage a roster."""

from __future__ import annotations

from telegram import Update
from telegram.ext import filters

from bot.domain.rosters import (
    RosterService,
)
from handlers.common import (
    roles,
)
from handlers.context import BotContext
from storage.repos.dialogs import Dialog

PRIVATE = filters.ChatType.PRIVATE


KIND = "roster"


BACK_KIND = "roster_back"


EDIT_FIELDS = {
    "when": ("rule",),
    "title": ("title",),
    "time": ("start_min", "end_min"),
    "place": ("place",),
    "needed": ("needed",),
    "note": ("note",),
}


def svc(ctx: BotContext) -> RosterService:
    return ctx.services.rosters


async def managed_groups(ctx: BotContext) -> list:
    """Groups whose roster this person may manage: organiser of, worker of its project, admin."""
    s = ctx.services
    r = await roles(ctx)
    project_ids = {p.id for p in await s.projects.all()} if r.is_admin else set(r.worker_of)
    out = {}
    for pid in sorted(project_ids):
        for g in await s.groups.of_project(pid):
            out[g.id] = g
    for gid in sorted(r.organiser_of):
        organised = await s.groups.get(gid)
        if organised is not None:
            out[organised.id] = organised
    return sorted(out.values(), key=lambda g: g.name.lower())


async def may_manage(ctx: BotContext, group_id: int) -> bool:
    s = ctx.services
    g = await s.groups.get(group_id)
    return g is not None and (await roles(ctx)).can_manage_group(g.id, g.project_id)


async def cancel_dialog(update: Update, ctx: BotContext, dialog: Dialog) -> str | None:
    await ctx.services.dialogs.clear(ctx.user.id)
    return None
