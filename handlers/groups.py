"""Groups: /newgroup for workers (links and a QR poster), /groups for everyone (leave a group)."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core.i18n import N_, _, format_datetime
from bot.core.ui import Button, cb, esc
from bot.domain.onboarding import (
    create_group,
    create_organiser_invite,
    invite_link,
    member_link,
    qr_png,
)
from handlers.common import (
    answer,
    button_data,
    button_expired,
    chat_id,
    forget_roles,
    managed_projects,
    parse_cb,
    parse_int,
    refuse,
    reply,
    roles,
    show,
)
from handlers.context import BotContext, registry_of
from handlers.menus import refresh_commands
from storage.repos.dialogs import Dialog
from storage.repos.groups import Group
from storage.timestamps import from_db

PRIVATE = filters.ChatType.PRIVATE
KIND = "newgroup"


async def cmd_newgroup(update: Update, ctx: BotContext) -> None:
    projects = await managed_projects(update, ctx)
    if not projects:
        return
    if len(projects) == 1:
        await _ask_name(update, ctx, projects[0].id)
        return
    rows = [[Button(p.name[:60], cb("ng", "project", p.id))] for p in projects]
    await reply(update, ctx, _("For which project?"), rows)


async def _ask_name(update: Update, ctx: BotContext, project_id: int) -> None:
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "name", {"project_id": project_id}, s.clock.now())
    await show(
        update,
        ctx,
        _("What is the name of the group? For example: <i>Huurders Rabot</i>."),
    )


async def on_ng(update: Update, ctx: BotContext) -> None:
    parts = parse_cb(button_data(update), 3)
    project_id = parse_int(parts[2]) if parts else None
    if parts is None or parts[1] != "project" or project_id is None:
        await button_expired(update)
        return
    if not (await roles(ctx)).can_manage_project(project_id):
        await refuse(update, ctx)
        return
    if await ctx.services.projects.get(project_id) is None:  # forged or deleted (found by fuzzing)
        await button_expired(update)
        return
    await answer(update)
    await _ask_name(update, ctx, project_id)


async def _step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    s = ctx.services
    text = update.effective_message.text if update.effective_message else None
    if not text or not text.strip():
        await reply(update, ctx, _("Please send it as a text message."))
        return
    name = " ".join(text.split())
    if len(name) > 80:
        await reply(
            update, ctx, _("Please keep the name short (at most {n} characters).").format(n=80)
        )
        return
    project_id = int(dialog.data["project_id"])
    if (
        not (await roles(ctx)).can_manage_project(project_id)
        or await s.projects.get(project_id) is None
    ):
        await s.dialogs.clear(ctx.user.id)
        await refuse(update, ctx)
        return
    group = await create_group(s, project_id, name, ctx.user.id)
    forget_roles(ctx)
    await reply(update, ctx, _("Group <b>{name}</b> is ready.").format(name=esc(group.name)))
    await _send_links(update, ctx, group)


async def _send_links(update: Update, ctx: BotContext, group: Group) -> None:
    s = ctx.services
    link = member_link(s, group)
    caption = _(
        "Scan this code with your phone to join <b>{group}</b> on Telegram.\n{link}"
    ).format(group=esc(group.name), link=link)
    await ctx.bot.send_photo(
        chat_id(update),
        InputFile(qr_png(link), filename=f"qr-{group.id}.png"),
        caption=caption,
    )
    text = (
        _("<b>Links for {group}</b>").format(group=esc(group.name))
        + "\n\n"
        + _("For members (share it, print the QR code on a poster):\n{link}").format(link=link)
        + "\n\n"
        + _(
            "An organiser is a volunteer who runs the group. Tap the button to make a link for one."
        )
    )
    rows = [[Button(_("➕ Link for an organiser"), cb("grp", "org", group.id))]]
    await reply(update, ctx, text, rows)


async def cmd_groups(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    r = await roles(ctx)
    memberships = await s.groups.memberships(ctx.user.id)
    lines = [_("<b>Your groups</b>")]
    rows: list[list[Button]] = []
    for m in memberships:
        label = _("organiser") if m.role == "organiser" else _("member")
        lines.append(f"• <b>{esc(m.group.name)}</b> ({label})")
        row = [
            Button(
                _("Leave {group}").format(group=m.group.name)[:60], cb("grp", "leave", m.group.id)
            )
        ]
        if r.can_manage_group(m.group.id, m.group.project_id):
            row.insert(0, Button(_("Links"), cb("grp", "links", m.group.id)))
        rows.append(row)
    managed: list[Group] = []
    for project_id in sorted(r.worker_of):
        managed.extend(g for g in await s.groups.of_project(project_id) if g.id not in r.member_of)
    if managed:
        lines.append("")
        lines.append(_("<b>Groups of your project</b>"))
        for g in managed:
            members = await s.groups.count_members(g.id)
            lines.append(f"• <b>{esc(g.name)}</b> – " + _("{n} people").format(n=members))
            rows.append(
                [Button(_("Links for {group}").format(group=g.name)[:60], cb("grp", "links", g.id))]
            )
    if len(lines) == 1:
        await reply(
            update,
            ctx,
            _(
                "You are not in a group yet. "
                "Ask your group for its link or scan the QR code on the poster."
            ),
        )
        return
    await reply(update, ctx, "\n".join(lines), rows)


async def on_grp(update: Update, ctx: BotContext) -> None:
    parts = parse_cb(button_data(update), 3)
    group_id = parse_int(parts[2]) if parts else None
    s = ctx.services
    group = await s.groups.get(group_id) if group_id is not None else None
    if parts is None or group is None:
        await button_expired(update)
        return
    action = parts[1]
    r = await roles(ctx)
    if action in ("links", "org"):
        if not r.can_manage_group(group.id, group.project_id):
            await refuse(update, ctx)
            return
        await answer(update)
        if action == "links":
            await _send_links(update, ctx, group)
            return
        invite = await create_organiser_invite(s, group, ctx.user.id)
        text = _(
            "Send this link to the organiser of <b>{group}</b>. "
            "It works once, until {date}:\n{link}"
        ).format(
            group=esc(group.name),
            date=format_datetime(from_db(invite.expires_at)),
            link=invite_link(s, invite),
        )
        await reply(update, ctx, text)
        return
    if action == "leave":
        if not r.is_member(group.id):
            await button_expired(update)
            return
        await answer(update)
        await show(
            update,
            ctx,
            _("Do you really want to leave <b>{group}</b>?").format(group=esc(group.name)),
            [
                [
                    Button(_("Yes, leave"), cb("grp", "leaveyes", group.id)),
                    Button(_("No, stay"), cb("grp", "stay", group.id)),
                ]
            ],
        )
        return
    if action == "leaveyes":
        left = await s.groups.leave(group.id, ctx.user.id)
        forget_roles(ctx)
        await refresh_commands(ctx)  # a role they lost leaves their command menu
        await answer(update)
        if left:
            await show(
                update,
                ctx,
                _("You left <b>{group}</b>. You will not get its messages any more.").format(
                    group=esc(group.name)
                ),
            )
        else:
            await show(
                update, ctx, _("You are not in <b>{group}</b>.").format(group=esc(group.name))
            )
        return
    if action == "stay":
        await answer(update)
        await show(
            update, ctx, _("Good, you stay in <b>{group}</b>.").format(group=esc(group.name))
        )
        return
    await button_expired(update)


async def _menu_groups(update: Update, ctx: BotContext) -> None:
    await cmd_groups(update, ctx)


def register(app: Application) -> None:
    registry = registry_of(app)
    registry.command("groups", N_("My groups"), {"everyone"}, order=20)
    registry.command("newgroup", N_("Make a new group"), {"worker", "admin"}, order=70)
    registry.menu_item("groups", N_("👥 My groups"), {"everyone"}, _menu_groups, order=60)
    registry.dialog(KIND, _step)
    app.add_handler(CommandHandler("groups", cmd_groups, filters=PRIVATE))
    app.add_handler(CommandHandler("newgroup", cmd_newgroup, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_ng, pattern=r"^ng:"))
    app.add_handler(CallbackQueryHandler(on_grp, pattern=r"^grp:"))
