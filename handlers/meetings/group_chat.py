"""A group's meeting settings: /linkchat (post new meetings in a group chat) and reminders."""

from __future__ import annotations

from telegram import Update

from bot.core.i18n import _, ngettext
from bot.core.ui import Button, cb, clip, esc
from handlers.common import (
    answer,
    button_expired,
    is_private,
    refuse,
    reply,
    roles,
    show,
)
from handlers.context import BotContext
from handlers.meetings.shared import managed_groups, num, svc


async def on_group_button(update: Update, ctx: BotContext, p: list[str]) -> None:
    gid = num(p[2]) if len(p) >= 3 else None
    s = ctx.services
    group = await s.groups.get(gid) if gid is not None else None
    if group is None:
        await button_expired(update)
        return
    if not (await roles(ctx)).can_manage_group(group.id, group.project_id):
        await refuse(update, ctx)
        return
    service = svc(ctx)
    action = p[1]
    if action == "lk":
        chat = update.effective_chat
        if chat is None or is_private(update):
            await button_expired(update)
            return
        await s.groups.link_chat(group.id, chat.id)
        await answer(update)
        await show(
            update,
            ctx,
            _(
                "This chat is now linked to <b>{group}</b>. New meetings will be posted here."
            ).format(group=esc(group.name)),
        )
        return
    current = await service.reminder_settings(group.id)
    day, hours = current.remind_day, current.remind_hours
    if action == "rd":
        day = 0 if day else 1
    elif action == "rh" and len(p) == 4 and (h := num(p[3])) is not None and h <= 24:
        hours = h
    if action in ("rd", "rh"):
        await service.set_reminders(group.id, day, hours)
    await answer(update)
    text = (
        _("<b>Reminders for {group}</b>").format(group=esc(group.name))
        + "\n"
        + _("The day before: {state}").format(state=_("on") if day else _("off"))
        + "\n"
        + (
            ngettext("Reminder {n} h before", "Reminder {n} h before", hours).format(n=hours)
            if hours
            else _("No reminder on the day itself.")
        )
    )
    rows = [
        [Button(_("The day before: on/off"), cb("mt", "rd", group.id))],
        [
            Button(
                ("• " if hours == h else "")
                + (ngettext("{n} h before", "{n} h before", h).format(n=h) if h else _("off")),
                cb("mt", "rh", group.id, h),
            )
            for h in (0, 1, 2, 3)
        ],
    ]
    others = [g for g in await managed_groups(ctx) if g.id != group.id][:10]
    rows += [[Button(clip(g.name, 60), cb("mt", "rs", g.id))] for g in others]
    await show(update, ctx, text, rows)


async def cmd_linkchat(update: Update, ctx: BotContext) -> None:
    if ctx.user is None:
        return
    groups = await managed_groups(ctx)
    if not groups:
        await refuse(update, ctx)
        return
    rows = [[Button(clip(g.name, 60), cb("mt", "lk", g.id))] for g in groups[:20]]
    await reply(update, ctx, _("Which group does this chat belong to?"), rows)
