"""Admins: /newproject (a short guided conversation) and /projects with worker invite links."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core.i18n import N_, _, format_datetime, ngettext
from bot.core.ui import Button, cb, esc
from bot.domain.onboarding import create_project, create_worker_invite, invite_link, split_names
from handlers.common import (
    answer,
    button_data,
    button_expired,
    managed_projects,
    parse_cb,
    parse_int,
    refuse,
    reply,
    roles,
    show,
)
from handlers.context import BotContext, registry_of
from storage.repos.dialogs import Dialog
from storage.timestamps import from_db

PRIVATE = filters.ChatType.PRIVATE
KIND = "newproject"


async def cmd_newproject(update: Update, ctx: BotContext) -> None:
    if not (await roles(ctx)).is_admin:
        await refuse(update, ctx)
        return
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "name", {}, s.clock.now())
    await reply(
        update,
        ctx,
        _("What is the name of the new project? For example: <i>Rabot</i>."),
    )


async def _step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    s = ctx.services
    text = update.effective_message.text if update.effective_message else None
    if not text:
        await reply(update, ctx, _("Please send it as a text message."))
        return
    text = text.strip()
    if dialog.step == "name":
        if not 1 <= len(text) <= 80:
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
        if "hoods" in dialog.data:  # the name changed from the confirmation: back there
            await _confirm(update, ctx, text, dialog.data["hoods"])
            return
        await s.dialogs.set(ctx.user.id, KIND, "hoods", {"name": text}, s.clock.now())
        await reply(
            update,
            ctx,
            _(
                "Which neighbourhoods does the project cover? Send them separated by commas, "
                "for example: <i>Rabot, Blaisantvest, Brugse Poort</i>."
            ),
            [[Button(_("Skip"), cb("np", "skip"))]],
        )
        return
    if dialog.step == "hoods":
        await _confirm(update, ctx, dialog.data["name"], split_names(text))
        return
    await reply(update, ctx, _("Please tap one of the buttons above."))


async def _confirm(update: Update, ctx: BotContext, name: str, hoods: list[str]) -> None:
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "confirm", {"name": name, "hoods": hoods}, s.clock.now())
    listed = ", ".join(esc(h) for h in hoods) if hoods else _("none yet")
    text = _("New project <b>{name}</b>\nNeighbourhoods: {hoods}\n\nIs this right?").format(
        name=esc(name), hoods=listed
    )
    await show(
        update,
        ctx,
        text,
        [
            [
                Button(_("✏️ Name"), cb("np", "fxname")),
                Button(_("🏘 Neighbourhoods"), cb("np", "fxhoods")),
            ],
            [Button(_("✅ Create"), cb("np", "create")), Button(_("✖ Cancel"), cb("np", "cancel"))],
        ],
    )


async def on_np(update: Update, ctx: BotContext) -> None:
    parts = parse_cb(button_data(update), 2)
    s = ctx.services
    if not (await roles(ctx)).is_admin:
        await refuse(update, ctx)
        return
    dialog = await s.dialogs.get(ctx.user.id)
    if parts is None or dialog is None or dialog.kind != KIND:
        await button_expired(update)
        return
    await answer(update)
    action = parts[1]
    if action == "skip" and dialog.step == "hoods":
        await _confirm(update, ctx, dialog.data["name"], [])
    elif action == "fxname" and dialog.step == "confirm":
        await s.dialogs.set(ctx.user.id, KIND, "name", dict(dialog.data), s.clock.now())
        await show(
            update, ctx, _("What is the name of the new project? For example: <i>Rabot</i>.")
        )
    elif action == "fxhoods" and dialog.step == "confirm":
        await s.dialogs.set(ctx.user.id, KIND, "hoods", dict(dialog.data), s.clock.now())
        await show(
            update,
            ctx,
            _(
                "Which neighbourhoods does the project cover? Send them separated by commas, "
                "for example: <i>Rabot, Blaisantvest, Brugse Poort</i>."
            ),
            [[Button(_("Skip"), cb("np", "skip"))]],
        )
    elif action == "cancel":
        await s.dialogs.clear(ctx.user.id)
        await show(update, ctx, _("Stopped. Nothing was changed."))
    elif action == "create" and dialog.step == "confirm":
        project = await create_project(
            s, dialog.data["name"], dialog.data.get("hoods", []), ctx.user.id
        )
        count = len(dialog.data.get("hoods", []))
        text = (
            _("Project <b>{name}</b> is ready.").format(name=esc(project.name))
            + " "
            + ngettext("It has {n} neighbourhood.", "It has {n} neighbourhoods.", count).format(
                n=count
            )
            + "\n\n"
            + _("Now invite the project workers: tap the button and send them the link.")
        )
        rows = [[Button(_("➕ Invite a worker"), cb("proj", "invite", project.id))]]
        if count:  # typed names only: a pin finds its neighbourhood once they are on the map
            rows.append([Button(_("📍 Neighbourhoods on the map"), cb("nb", "p", project.id))])
        await show(update, ctx, text, rows)
    else:
        await button_expired(update)


async def cmd_projects(update: Update, ctx: BotContext) -> None:
    r = await roles(ctx)
    s = ctx.services
    projects = await managed_projects(update, ctx)
    if not projects:
        return
    lines = [_("<b>Projects</b>")]
    rows: list[list[Button]] = []
    for p in projects:
        hoods = await s.projects.neighbourhoods(p.id)
        workers = await s.projects.worker_ids(p.id)
        lines.append(
            f"• <b>{esc(p.name)}</b> – "
            + ngettext("{n} worker", "{n} workers", len(workers)).format(n=len(workers))
            + ", "
            + ngettext("{n} neighbourhood", "{n} neighbourhoods", len(hoods)).format(n=len(hoods))
        )
        if r.is_admin:
            rows.append(
                [
                    Button(
                        _("➕ Invite a worker for {name}").format(name=p.name)[:60],
                        cb("proj", "invite", p.id),
                    )
                ]
            )
    await reply(update, ctx, "\n".join(lines), rows)


async def on_proj(update: Update, ctx: BotContext) -> None:
    parts = parse_cb(button_data(update), 3)
    project_id = parse_int(parts[2]) if parts else None
    if parts is None or parts[1] != "invite" or project_id is None:
        await button_expired(update)
        return
    if not (await roles(ctx)).is_admin:
        await refuse(update, ctx)
        return
    s = ctx.services
    project = await s.projects.get(project_id)
    if project is None:
        await button_expired(update)
        return
    invite = await create_worker_invite(s, project.id, ctx.user.id)
    await answer(update)
    expires = from_db(invite.expires_at)
    text = _(
        "Send this link to the project worker of <b>{project}</b>. "
        "It works once, until {date}:\n{link}"
    ).format(project=esc(project.name), date=format_datetime(expires), link=invite_link(s, invite))
    await reply(update, ctx, text)


def register(app: Application) -> None:
    registry = registry_of(app)
    registry.command("newproject", N_("Make a new project"), {"admin"}, order=80)
    registry.command("projects", N_("Projects and worker invites"), {"admin", "worker"}, order=81)
    registry.dialog(KIND, _step)
    app.add_handler(CommandHandler("newproject", cmd_newproject, filters=PRIVATE))
    app.add_handler(CommandHandler("projects", cmd_projects, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_np, pattern=r"^np:"))
    app.add_handler(CallbackQueryHandler(on_proj, pattern=r"^proj:"))
