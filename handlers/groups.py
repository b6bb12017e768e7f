"""Groups: /newgroup for workers (links and a QR poster), /groups for everyone (leave a group)."""

from __future__ import annotations

import asyncio
import logging

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core.i18n import N_, _, format_datetime, ngettext
from bot.core.ui import Button, cb, clip, esc
from bot.domain.onboarding import (
    create_group,
    create_organiser_invite,
    invite_link,
    member_link,
    qr_png,
)
from bot.domain.poster import PosterFontMissing, pdf_to_png, poster_pdf, poster_text
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

log = logging.getLogger(__name__)
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
            update,
            ctx,
            ngettext(
                "Please keep the name short (at most {n} character).",
                "Please keep the name short (at most {n} characters).",
                80,
            ).format(n=80),
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


async def _poster(ctx: BotContext, group: Group) -> tuple[bytes, str]:
    """The group's A4 poster (PDF) and its link; the contact is the project's worker."""
    s = ctx.services
    link = member_link(s, group)
    project = await s.projects.get(group.project_id)
    worker = (
        await s.users.get(project.default_worker_id)
        if project is not None and project.default_worker_id is not None
        else None
    )
    who = " ".join(p for p in (worker.first_name, worker.last_name) if p) if worker else ""
    if worker is not None and worker.username:
        who = f"{who} (@{worker.username})".strip()
    project_name = project.name if project is not None else ""
    contact = " – ".join(p for p in (who, project_name) if p)
    text = poster_text(group.name, link, _("Questions? {contact}").format(contact=contact))
    pdf = await asyncio.to_thread(poster_pdf, text)  # ~0.1 s of CPU: off the event loop
    return pdf, link


async def _send_links(update: Update, ctx: BotContext, group: Group) -> None:
    s = ctx.services
    link = member_link(s, group)
    caption = _(
        "Scan this code with your phone to join <b>{group}</b> on Telegram.\n{link}"
    ).format(group=esc(group.name), link=link)
    try:
        pdf, _link = await _poster(ctx, group)
        picture = await asyncio.to_thread(pdf_to_png, pdf)
    except PosterFontMissing:
        log.exception("poster font missing; sending the bare QR code")
        picture = qr_png(link)
    await ctx.bot.send_photo(
        chat_id(update),
        InputFile(picture, filename=f"poster-{group.id}.png"),
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
    rows = [
        [Button(_("🖨️ Poster to print (A4, PDF)"), cb("grp", "poster", group.id))],
        [Button(_("➕ Link for an organiser"), cb("grp", "org", group.id))],
    ]
    await reply(update, ctx, text, rows)


async def _send_poster_pdf(update: Update, ctx: BotContext, group: Group) -> None:
    try:
        pdf, _link = await _poster(ctx, group)
    except PosterFontMissing:
        log.exception("poster font missing")
        await reply(update, ctx, _("The poster cannot be made right now. Please try again later."))
        return
    await ctx.bot.send_document(
        chat_id(update),
        InputFile(pdf, filename=f"poster-{_slug(group.name)}.pdf"),
        caption=_(
            "Poster for <b>{group}</b>: print it on A4 and hang it where people meet."
        ).format(group=esc(group.name)),
    )


def _slug(name: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    return "-".join(p for p in slug.split("-") if p)[:40] or "group"


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
        if r.can_manage_group(m.group.id, m.group.project_id):
            # The notice-board poster one tap from "My groups", not behind "Links".
            rows.append(
                [
                    Button(
                        clip(_("🖨️ Poster: {group}").format(group=m.group.name), 60),
                        cb("grp", "poster", m.group.id),
                    )
                ]
            )
    if memberships:  # where a member looks to stop the calls (handlers/actions.py: mute:s)
        rows.append([Button(_("🔔 Calls for action: on or off"), cb("mute", "s", 0))])
    managed: list[Group] = []
    for project_id in sorted(r.worker_of):
        managed.extend(g for g in await s.groups.of_project(project_id) if g.id not in r.member_of)
    if managed:
        lines.append("")
        lines.append(_("<b>Groups of your project</b>"))
        for g in managed:
            members = await s.groups.count_members(g.id)
            lines.append(
                f"• <b>{esc(g.name)}</b> – "
                + ngettext("{n} person", "{n} people", members).format(n=members)
            )
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
    if action in ("links", "org", "poster"):
        if not r.can_manage_group(group.id, group.project_id):
            await refuse(update, ctx)
            return
        await answer(update)
        if action == "links":
            await _send_links(update, ctx, group)
            return
        if action == "poster":
            await _send_poster_pdf(update, ctx, group)
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
