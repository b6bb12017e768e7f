"""/start (with invite payloads), /help, /language, /privacy, /cancel, the home screen's
buttons and the Cancel button of every conversation step (home:x)."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core import i18n
from bot.core.i18n import N_, _, ngettext
from bot.core.settings import SUPPORTED_LANGUAGES
from bot.core.ui import Button, cb, esc
from bot.domain.onboarding import (
    MEMBER_PREFIX,
    ORGANISER_PREFIX,
    WORKER_PREFIX,
    catch_up,
    use_invite,
    valid_payload,
)
from handlers.common import (
    answer,
    button_data,
    button_expired,
    forget_roles,
    markup,
    parse_cb,
    parse_int,
    refuse,
    reply,
    roles,
    show,
    with_retry,
)
from handlers.context import BotContext, registry_of, role_names
from handlers.menus import home_rows, home_text, send_keyboard, set_user_commands
from storage.repos.invites import RedeemResult

PRIVATE = filters.ChatType.PRIVATE


LANGUAGE_ROWS = ((0, 2), (2, 4), (4, 5))


def language_rows(first: bool = False) -> list[list[Button]]:
    """The language buttons (``first``: of the welcome, which keeps its privacy button)."""
    action = "first" if first else "set"
    buttons = [
        Button(i18n.LANGUAGE_NAMES[code], cb("lang", action, code)) for code in SUPPORTED_LANGUAGES
    ]
    return [buttons[a:b] for a, b in LANGUAGE_ROWS]


def privacy_row() -> list[Button]:
    return [Button(_("🔒 What happens with my data"), cb("home", "privacy"))]


async def send_home(update: Update, ctx: BotContext, intro: str | None = None) -> None:
    """The menu message: the person's tasks as buttons, after ``intro`` if given."""
    await reply(update, ctx, await home_text(ctx, intro), await home_rows(ctx))


def short_privacy() -> str:
    return _(
        "🔒 We keep what you send us. Only the workers of your neighbourhood see your reports;"
        " your name only if you say yes. /forget removes your data."
    )


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


async def _join(ctx: BotContext, token: str) -> tuple[str, int | None]:
    """A member link: what to tell the person, and the group when they joined it just now."""
    s = ctx.services
    group = await s.groups.by_token(token)
    if group is None:
        return _("This link does not work. Ask the person who gave it to you for a new one."), None
    joined = await s.groups.join(group.id, ctx.user.id, "member", s.clock.now())
    forget_roles(ctx)
    if not joined:
        already = _("You are already a member of <b>{group}</b>.")
        return already.format(group=esc(group.name)), None
    welcome = _("Welcome! You are now a member of <b>{group}</b>.")
    return welcome.format(group=esc(group.name)), group.id


async def _use_payload(update: Update, ctx: BotContext, payload: str) -> str:
    """Turns a worker or organiser invite into a role; returns what to tell the person."""
    s = ctx.services
    user = ctx.user
    if not valid_payload(payload):
        return _("This link does not work. Ask the person who gave it to you for a new one.")
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
    joined: int | None = None
    async with s.db.transaction():
        if ctx.args:
            payload = ctx.args[0]
            if valid_payload(payload) and payload.startswith(MEMBER_PREFIX):
                text, joined = await _join(ctx, payload[len(MEMBER_PREFIX) :])
            else:
                text = await _use_payload(update, ctx, payload)
            parts.append(text)
        if first_time:
            ctx.user = await s.users.mark_privacy_seen(user, s.clock.now())
    if first_time:
        # Two lines of greeting, the language question with its buttons, a short privacy
        # paragraph; the full notice is one tap away.
        greeting = _("Hello {name}! I am the neighbourhood bot.").format(
            name=esc(user.first_name or "")
        )
        ask = _("I will talk to you in <b>English</b>. Is that right? Tap your language.")
        text = "\n".join([greeting, *parts]) + "\n\n" + ask + "\n\n" + short_privacy()
        await reply(update, ctx, text, [*language_rows(first=True), privacy_row()])
    elif parts:
        # A new role or group: the main keyboard follows it.
        await send_keyboard(update, ctx, "\n\n".join(parts))
    else:
        # /start again: the main keyboard comes back (hidden, or from before a change of
        # roles), then the menu message.
        await send_keyboard(update, ctx, _("Hello {name}!").format(name=esc(user.first_name or "")))
        await send_home(update, ctx)
    if joined is not None:
        found = await catch_up(s, ctx.user.id, joined)
        if found is not None:
            await reply(update, ctx, found.text, found.rows)
    await set_user_commands(
        ctx.bot, ctx.registry, ctx.user, await roles(ctx), i18n.current_language()
    )


async def cmd_help(update: Update, ctx: BotContext) -> None:
    """The full list of commands (the home screen has the usual ones as buttons)."""
    names = role_names(await roles(ctx))
    lines = [_("<b>What you can do</b>")]
    for info in ctx.registry.commands_for(names):
        lines.append(f"/{info.name} – {_(info.description)}")
    lines.append("")
    lines.append(_("You can also just tap the buttons."))
    await reply(update, ctx, "\n".join(lines), await home_rows(ctx))


async def cmd_language(update: Update, ctx: BotContext) -> None:
    await reply(update, ctx, _("Which language do you want?"), language_rows())


async def cmd_privacy(update: Update, ctx: BotContext) -> None:
    await reply(update, ctx, privacy_text(ctx.services.settings))


async def on_language(update: Update, ctx: BotContext) -> None:
    parts = parse_cb(button_data(update), 3)
    if parts is None or parts[1] not in ("set", "first") or parts[2] not in SUPPORTED_LANGUAGES:
        await button_expired(update)
        return
    s = ctx.services
    ctx.user = await s.users.set_language(ctx.user, parts[2])
    i18n.set_language(parts[2])
    await answer(update)
    done = _("Good. I will talk to you in <b>English</b>.")
    # The message asked stays readable above (the welcome keeps its privacy button); only its
    # language buttons go. The keyboard then changes language, and the home says it.
    query = update.callback_query
    assert query is not None
    kept = markup([privacy_row()]) if parts[1] == "first" else None
    with contextlib.suppress(BadRequest):
        await with_retry(lambda: query.edit_message_reply_markup(kept), "edit")
    await send_keyboard(update, ctx, _("👇 Your main buttons are now at the bottom of the screen."))
    await send_home(update, ctx, done)
    await set_user_commands(ctx.bot, ctx.registry, ctx.user, await roles(ctx), parts[2])


async def on_menu(update: Update, ctx: BotContext) -> None:
    parts = parse_cb(button_data(update), 2)
    item = ctx.registry.menu.get(parts[1]) if parts else None
    if item is None:
        await button_expired(update)
        return
    await run_item(update, ctx, item.key)


async def run_item(update: Update, ctx: BotContext, key: str) -> None:
    """A home task, from a menu button or the main keyboard: the roles are checked again."""
    item = ctx.registry.menu[key]
    if not (item.roles & role_names(await roles(ctx))):
        await refuse(update, ctx)
        return
    await answer(update)
    await item.action(update, ctx)


async def on_home(update: Update, ctx: BotContext) -> None:
    """home:menu (the menu message), home:privacy (the full notice), home:x (stop the open
    conversation: the Cancel button every step carries)."""
    parts = (button_data(update) or "").split(":")
    action = parts[1] if len(parts) == 2 else None
    if len(parts) == 4 and parts[1] in ("cm", "ca") and parts[3] in ("y", "n"):
        await _catch_up_answer(update, ctx, parts[1], parse_int(parts[2]), parts[3])
        return
    if len(parts) == 3 and parts[1] == "cv":
        # A late joiner's "Tasks" button: the call itself, with its task buttons, in their
        # language; only for one of the call's recipients.
        aid = parse_int(parts[2])
        shown = await ctx.services.actions.member_view(aid, ctx.user.id) if aid else None
        if shown is None:
            await refuse(update, ctx)
            return
        await answer(update)
        await reply(update, ctx, shown[0], shown[1])
        return
    if action == "menu":
        await answer(update)
        await send_home(update, ctx)
    elif action == "privacy":
        await answer(update)
        await reply(update, ctx, privacy_text(ctx.services.settings))
    elif action == "x":
        await answer(update)
        await stop_dialog(update, ctx)
    else:
        await button_expired(update)


async def _catch_up_answer(
    update: Update, ctx: BotContext, kind: str, item_id: int | None, code: str
) -> None:
    """An answer from a late joiner's catch-up message: checked like the card's own buttons
    (a member of the meeting's group; a recipient of the call), then the list again."""
    s = ctx.services
    if item_id is None:
        await button_expired(update)
        return
    if kind == "cm":
        meeting = await s.meetings.meeting(item_id)
        if meeting is None:
            await button_expired(update)
            return
        if not (await roles(ctx)).is_member(meeting.group_id):
            await refuse(update, ctx)
            return
        result = await s.meetings.answer(meeting.id, ctx.user.id, code)
        if result is None:
            await answer(update, _("This meeting is over or cancelled."), alert=True)
            return
        group_id = meeting.group_id
        if result.answer == "waiting":
            await answer(
                update,
                _(
                    "The meeting is full. You are on the waiting list; we tell you when a place"
                    " is free."
                ),
                alert=True,
            )
        else:
            label = s.meetings.answer_label(result.answer)
            await answer(update, _("Your answer: {answer}").format(answer=label))
    else:
        outcome = await s.actions.answer(item_id, ctx.user.id, code, None)
        if outcome == "not_yours":
            await refuse(update, ctx)
            return
        if outcome != "ok":
            await answer(update, _("This call is closed."), alert=True)
            return
        rec = await s.actions.repo.recipient(item_id, ctx.user.id)
        assert rec is not None  # 'ok' means they are one of the call's recipients
        if rec.group_id is None:
            return
        group_id = rec.group_id
        await answer(update, _("Thank you! You can change your answer at any time."))
    found = await catch_up(s, ctx.user.id, group_id)
    if found is not None:
        await show(update, ctx, found.text, found.rows)


async def stop_dialog(update: Update, ctx: BotContext) -> None:
    """/cancel and the Cancel button: the feature may keep a draft; then the home screen."""
    s = ctx.services
    dialog = await s.dialogs.get(ctx.user.id)
    if dialog is None:
        await send_home(update, ctx, _("There is nothing to stop."))
        return
    text = None
    kind = ctx.registry.dialogs.get(dialog.kind)
    if kind is not None and kind.on_cancel is not None:
        text = await kind.on_cancel(update, ctx, dialog)
    else:
        await s.dialogs.clear(ctx.user.id)
    await send_home(update, ctx, text or _("Stopped. Nothing was changed."))


async def cmd_cancel(update: Update, ctx: BotContext) -> None:
    await stop_dialog(update, ctx)


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
    app.add_handler(CallbackQueryHandler(on_home, pattern=r"^home:"))
