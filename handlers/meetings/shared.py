"""What the meeting screens share: the service, button-data helpers, who may organise."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import filters

from bot.core.i18n import _, ngettext
from bot.domain.meetings import MeetingsService
from handlers.common import (
    refuse,
    roles,
)
from handlers.context import BotContext
from storage.repos.meetings import Meeting

PRIVATE = filters.ChatType.PRIVATE


KIND = "meeting"


MAX_OPTIONS = 6


def svc(ctx: BotContext) -> MeetingsService:
    return ctx.services.meetings


def num(value: str | None) -> int | None:
    if value is None or not value.isdigit() or len(value) > 15:
        return None
    return int(value)


def stamp(dt: datetime) -> str:
    return dt.strftime("%Y%m%d%H%M")


def from_stamp(value: str, tz) -> datetime | None:
    try:
        if len(value) == 12:
            return datetime.strptime(value, "%Y%m%d%H%M").replace(tzinfo=tz)
        if len(value) == 8:
            return datetime.strptime(value, "%Y%m%d").replace(tzinfo=tz)
    except ValueError:
        return None
    return None


async def managed_groups(ctx: BotContext) -> list:
    """Groups this person may organise meetings for."""
    s = ctx.services
    r = await roles(ctx)
    found = {}
    for gid in r.organiser_of:
        g = await s.groups.get(gid)
        if g:
            found[g.id] = g
    pids = r.worker_of
    if r.is_admin:
        pids = frozenset(p.id for p in await s.projects.all())
    for pid in pids:
        for g in await s.groups.of_project(pid):
            found[g.id] = g
    return sorted(found.values(), key=lambda g: g.name.lower())


async def can_manage(ctx: BotContext, group_id: int) -> bool:
    g = await ctx.services.groups.get(group_id)
    return g is not None and (await roles(ctx)).can_manage_group(g.id, g.project_id)


async def edited_meeting(update: Update, ctx: BotContext, data: dict) -> Meeting | None:
    """The meeting a change conversation (time, place, notes) is about. The conversation ends
    here; None (and the person is refused) when the meeting is gone or no longer theirs."""
    m = await svc(ctx).meeting(int(data["mid"]))
    await ctx.services.dialogs.clear(ctx.user.id)
    if m is None or not await can_manage(ctx, m.group_id):
        await refuse(update, ctx)
        return None
    return m


def changed_text(n: int) -> str:
    if n == 0:
        return _("Nothing changed.")
    return ngettext(
        "Changed {n} meeting. Everyone who said yes or maybe is told.",
        "Changed {n} meetings. Everyone who said yes or maybe is told.",
        n,
    ).format(n=n)
