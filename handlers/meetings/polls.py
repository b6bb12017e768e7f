"""Date polls: members vote ("mp" buttons), organisers see the votes and pick a date."""

from __future__ import annotations

from telegram import Update

from bot.core import i18n
from bot.core.i18n import _, format_short_date, format_time, ngettext
from bot.core.ui import Button, cb, clip, esc
from handlers.common import (
    answer,
    button_expired,
    button_parts,
    refuse,
    roles,
    show,
)
from handlers.context import BotContext
from handlers.meetings.shared import num, svc
from storage.repos.users import user_names


async def on_mp(update: Update, ctx: BotContext) -> None:
    p = button_parts(update)
    pid = num(p[2]) if len(p) >= 3 else None
    service = svc(ctx)
    poll = await service.poll(pid) if pid is not None else None
    if poll is None or len(p) < 3:
        await button_expired(update)
        return
    r = await roles(ctx)
    group = await ctx.services.groups.get(poll.group_id)
    assert group is not None
    action = p[1]
    if action == "v" and len(p) == 4 and (option_id := num(p[3])) is not None:
        if not r.is_member(poll.group_id):
            await refuse(update, ctx)
            return
        mine = await service.vote(poll.id, option_id, ctx.user.id)
        if mine is None:
            await answer(update, _("This date poll is closed."), alert=True)
            return
        await answer(update, _("Thank you, your choice is saved."))
        options = await service.poll_options(poll.id)
        await show(
            update,
            ctx,
            service.poll_text(poll.title, group.name, poll.place, poll.agenda),
            service.poll_rows(poll.id, options, mine),
        )
        return
    if not r.can_manage_group(group.id, group.project_id):
        await refuse(update, ctx)
        return
    if action == "o":
        await answer(update)
        options = await service.poll_options(poll.id)
        votes = await service.poll_votes(poll.id)
        label = user_names(
            await ctx.services.users.many(sorted({u for v in votes.values() for u in v})),
            _("(removed)"),
        )
        lines = [
            service.poll_text(poll.title, group.name, poll.place, poll.agenda).split("\n\n")[0],
            "",
        ]
        rows = []
        for o in options:
            voters = votes.get(o.id, [])
            local = service.local(o.starts_at)
            names = ", ".join(esc(label[u]) for u in voters if u in label)
            lines.append(
                "• {} – {}{}".format(
                    i18n.format_datetime(local),
                    ngettext("{n} vote", "{n} votes", len(voters)).format(n=len(voters)),
                    (": " + names) if names else "",
                )
            )
            rows.append(
                [
                    Button(
                        _("✅ Pick {date}").format(
                            date=format_short_date(local) + " " + format_time(local)
                        ),
                        cb("mp", "k", poll.id, o.id),
                    )
                ]
            )
        if poll.status != "open":
            rows = []
        await show(update, ctx, clip("\n".join(lines), 4000), rows)
    elif action == "k" and len(p) == 4 and (option_id := num(p[3])) is not None:
        await answer(update)
        mid = await service.pick(poll, option_id, ctx.user.id)
        if mid is None:
            await show(update, ctx, _("This date poll is closed."))
            return
        await show(update, ctx, _("The date is chosen. The meeting is sent to the members."))
    else:
        await button_expired(update)
