"""/start (with invite payloads), /help, /language, /privacy, /cancel and the main menu."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core import i18n
from bot.core.i18n import N_, _, ngettext
from bot.core.settings import SUPPORTED_LANGUAGES
from bot.core.ui import Button, cb, esc
from bot.domain.onboarding import (
    MEMBER_PREFIX,
    ORGANISER_PREFIX,
    WORKER_PREFIX,
    use_invite,
    valid_payload,
)
from handlers.common import (
    answer,
    button_data,
    button_expired,
    forget_roles,
    parse_cb,
    reply,
    roles,
    show,
)
from handlers.context import BotContext, registry_of, role_names
from handlers.menus import set_user_commands
from storage.repos.invites import RedeemResult

PRIVATE = filters.ChatType.PRIVATE


def language_rows() -> list[list[Button]]:
    buttons = [
        Button(i18n.LANGUAGE_NAMES[code], cb("lang", "set", code)) for code in SUPPORTED_LANGUAGES
    ]
    return [buttons[0:2], buttons[2:4], buttons[4:]]


async def main_menu_rows(ctx: BotContext) -> list[list[Button]]:
    names = role_names(await roles(ctx))
    items = ctx.registry.menu_for(names)
    buttons = [Button(_(m.label), cb("menu", m.key)) for m in items]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def privacy_text(settings: object | None = None) -> str:
    from bot.domain.privacy import retention_notice

    return (
        _(
            "<b>Your privacy</b>\n"
            "We keep your name, your language, your groups and what you send to the bot. "
            "Only the project workers of your neighbourhood see your reports, "
            "and your name only if you allow it. We never sell or share your data.\n"
            "Send /mydata to get everything we keep about you. Send /forget to have it removed."
        )
        + "\n"
        + retention_notice(settings)
    )


async def _use_payload(update: Update, ctx: BotContext, payload: str) -> str:
    """Turns an invite payload into a membership or role; returns what to tell the person."""
    s = ctx.services
    user = ctx.user
    if not valid_payload(payload):
        return _("This link does not work. Ask the person who gave it to you for a new one.")
    if payload.startswith(MEMBER_PREFIX):
        group = await s.groups.by_token(payload[len(MEMBER_PREFIX) :])
        if group is None:
            return _("This link does not work. Ask the person who gave it to you for a new one.")
        joined = await s.groups.join(group.id, user.id, "member", s.clock.now())
        forget_roles(ctx)
        if not joined:
            return _("You are already a member of <b>{group}</b>.").format(group=esc(group.name))
        return _("Welcome! You are now a member of <b>{group}</b>.").format(group=esc(group.name))
    if payload.startswith((WORKER_PREFIX, ORGANISER_PREFIX)):
        outcome, invite = await use_invite(s, payload[2:], user.id)
        forget_roles(ctx)
        if outcome == RedeemResult.UNKNOWN or invite is None:
            return _("This link does not work. Ask the person who gave it to you for a new one.")
        if outcome == RedeemResult.USED:
            return _("This invite link was already used. Ask for a new one.")
        if outcome == RedeemResult.EXPIRED:
            return _("This invite link has expired. Ask for a new one.")
        if invite.kind == "worker":
            project = await s.projects.get(invite.project_id)
            name = esc(project.name) if project else "?"
            if outcome == RedeemResult.ALREADY:
                return _("You are already a project worker of <b>{project}</b>.").format(
                    project=name
                )
            text = _(
                "You are now a project worker of <b>{project}</b>. Send /newgroup to start a group."
            ).format(project=name)
            # Reports filed before the project had a worker are hers now (inside the invite's
            # transaction: both or neither).
            adopted = await s.reports.adopt_unassigned(invite.project_id, user.id)
            if adopted:
                text += "\n" + ngettext(
                    "{n} report was waiting for this project: you get its card now.",
                    "{n} reports were waiting for this project: you get their cards now.",
                    adopted,
                ).format(n=adopted)
            return text
        group = await s.groups.get(invite.group_id or 0)
        name = esc(group.name) if group else "?"
        if outcome == RedeemResult.ALREADY:
            return _("You are already an organiser of <b>{group}</b>.").format(group=name)
        return _(
            "You are now an organiser of <b>{group}</b>. Send /help to see what you can do."
        ).format(group=name)
    return _("This link does not work. Ask the person who gave it to you for a new one.")


async def cmd_start(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    user = ctx.user
    first_time = user.privacy_seen_at is None
    parts: list[str] = []
    # The invite and "privacy notice shown" in one transaction (the repositories join it), so a
    # crash cannot keep one without the other; the reply follows the commit.
    async with s.db.transaction():
        if ctx.args:
            parts.append(await _use_payload(update, ctx, ctx.args[0]))
        if first_time:
            ctx.user = await s.users.mark_privacy_seen(user, s.clock.now())
    if first_time:
        greeting = _("Hello {name}! I am the neighbourhood bot.").format(
            name=esc(user.first_name or "")
        )
        ask = _("I will talk to you in <b>English</b>. Is that right? Tap your language.")
        text = "\n\n".join([greeting, *parts, ask, privacy_text(s.settings)])
        await reply(update, ctx, text, language_rows())
    else:
        if not parts:
            parts.append(
                _("Hello {name}! What do you want to do?").format(name=esc(user.first_name or ""))
            )
        await reply(update, ctx, "\n\n".join(parts), await main_menu_rows(ctx))
    await set_user_commands(
        ctx.bot, ctx.registry, ctx.user, await roles(ctx), i18n.current_language()
    )


async def cmd_help(update: Update, ctx: BotContext) -> None:
    names = role_names(await roles(ctx))
    lines = [_("<b>What you can do</b>")]
    for info in ctx.registry.commands_for(names):
        lines.append(f"/{info.name} – {_(info.description)}")
    lines.append("")
    lines.append(_("You can also just tap the buttons."))
    await reply(update, ctx, "\n".join(lines), await main_menu_rows(ctx))


async def cmd_language(update: Update, ctx: BotContext) -> None:
    await reply(update, ctx, _("Which language do you want?"), language_rows())


async def cmd_privacy(update: Update, ctx: BotContext) -> None:
    await reply(update, ctx, privacy_text(ctx.services.settings))


async def on_language(update: Update, ctx: BotContext) -> None:
    parts = parse_cb(button_data(update), 3)
    if parts is None or parts[2] not in SUPPORTED_LANGUAGES:
        await button_expired(update)
        return
    s = ctx.services
    ctx.user = await s.users.set_language(ctx.user, parts[2])
    i18n.set_language(parts[2])
    await answer(update)
    text = _("Good. I will talk to you in <b>English</b>.") + "\n\n" + _("What do you want to do?")
    await show(update, ctx, text, await main_menu_rows(ctx))
    await set_user_commands(ctx.bot, ctx.registry, ctx.user, await roles(ctx), parts[2])


async def on_menu(update: Update, ctx: BotContext) -> None:
    parts = parse_cb(button_data(update), 2)
    item = ctx.registry.menu.get(parts[1]) if parts else None
    if item is None:
        await button_expired(update)
        return
    if not (item.roles & role_names(await roles(ctx))):
        from handlers.common import refuse

        await refuse(update, ctx)
        return
    await answer(update)
    await item.action(update, ctx)


async def cmd_cancel(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    dialog = await s.dialogs.get(ctx.user.id)
    if dialog is None:
        await reply(update, ctx, _("There is nothing to stop."), await main_menu_rows(ctx))
        return
    text = None
    kind = ctx.registry.dialogs.get(dialog.kind)
    if kind is not None and kind.on_cancel is not None:
        text = await kind.on_cancel(update, ctx, dialog)
    else:
        await s.dialogs.clear(ctx.user.id)
    await reply(update, ctx, text or _("Stopped. Nothing was changed."), await main_menu_rows(ctx))


async def _menu_language(update: Update, ctx: BotContext) -> None:
    await cmd_language(update, ctx)


async def _menu_help(update: Update, ctx: BotContext) -> None:
    await cmd_help(update, ctx)


def register(app: Application) -> None:
    registry = registry_of(app)
    registry.command("start", N_("Start, or open the menu"), {"everyone"}, order=0)
    registry.command("help", N_("What can I do here?"), {"everyone"}, order=1)
    registry.command("language", N_("Choose your language"), {"everyone"}, order=90)
    registry.command("privacy", N_("What we keep about you"), {"everyone"}, order=91)
    registry.command("cancel", N_("Stop what you are doing"), {"everyone"}, order=99)
    registry.menu_item("language", N_("🌐 Language"), {"everyone"}, _menu_language, order=90)
    registry.menu_item("help", N_("❓ Help"), {"everyone"}, _menu_help, order=95)
    app.add_handler(CommandHandler("start", cmd_start, filters=PRIVATE))
    app.add_handler(CommandHandler("help", cmd_help, filters=PRIVATE))
    app.add_handler(CommandHandler("language", cmd_language, filters=PRIVATE))
    app.add_handler(CommandHandler("privacy", cmd_privacy, filters=PRIVATE))
    app.add_handler(CommandHandler("cancel", cmd_cancel, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_language, pattern=r"^lang:"))
    app.add_handler(CallbackQueryHandler(on_menu, pattern=r"^menu:"))
