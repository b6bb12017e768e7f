"""What nobody else handled: conversation input, unknown commands and messages, edits, group
chats, block/unblock, outdated buttons. Never silence in a private chat, never noise in a group."""

from __future__ import annotations

import logging

from telegram import ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)

from bot.core.i18n import _
from bot.core.ui import Button
from handlers.common import button_expired, reply, roles
from handlers.context import BotContext
from handlers.meetings.shared import svc
from handlers.menus import match_label
from handlers.start import run_item, send_home

log = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE


async def route_dialog(update: Update, ctx: BotContext) -> None:
    """A private message: a main-keyboard button, or the answer to the question the bot asked;
    otherwise the person's home screen."""
    if ctx.user is None:
        return
    s = ctx.services
    dialog = await s.dialogs.get(ctx.user.id)
    msg = update.effective_message
    hit = match_label(ctx.registry, msg.text) if msg is not None and msg.text else None
    if hit is not None:
        # A tap on the main keyboard is never an answer: it leaves the open conversation (the
        # feature may keep a draft, as with /cancel) for the task tapped.
        if dialog is not None:
            kind = ctx.registry.dialogs.get(dialog.kind)
            text = None
            if kind is not None and kind.on_cancel is not None:
                text = await kind.on_cancel(update, ctx, dialog)
            else:
                await s.dialogs.clear(ctx.user.id)
            if text:
                await reply(update, ctx, text)
        if hit.key is None:
            await send_home(update, ctx)
        else:
            await run_item(update, ctx, hit.key)
        return
    if dialog is None:
        await not_understood(update, ctx)
        return
    kind = ctx.registry.dialogs.get(dialog.kind)
    if kind is None:
        await s.dialogs.clear(ctx.user.id)
        await not_understood(update, ctx)
        return
    if dialog.age_seconds(s.clock.now()) > s.settings.dialog_timeout_minutes * 60:
        # Too long ago to be an answer; the feature may keep it as a draft.
        text = None
        if kind.on_cancel is not None:
            text = await kind.on_cancel(update, ctx, dialog)
        else:
            await s.dialogs.clear(ctx.user.id)
        if text:
            await reply(update, ctx, text)
        await not_understood(update, ctx)
        return
    await kind.step(update, ctx, dialog)


async def unknown_command(update: Update, ctx: BotContext) -> None:
    """A mistyped command: the home screen (with ❓ Help for the full list)."""
    await send_home(update, ctx, _("I don't know that command. Send /help to see what you can do."))


async def not_understood(update: Update, ctx: BotContext) -> None:
    """Free text or a file nobody asked for ("ik wil een vergadering plannen", "toplantı"): the
    person's home screen, with their own tasks as buttons, rather than a dead end."""
    msg = update.effective_message
    if msg is not None and msg.text is None:
        text = _("I can't use this here.")
    else:
        text = _("I did not understand that.")
        if await _meeting_waits(ctx):
            # "ja", "نعم", "geleceğim" typed to a meeting card: say where the answer goes.
            text = _(
                "I did not understand that. To answer a meeting, tap ✅, 🤔 or ❌ under its"
                " message, or send /meetings."
            )
    await send_home(update, ctx, text)


async def _meeting_waits(ctx: BotContext) -> bool:
    """Whether a coming meeting of this person's groups still waits for their answer."""
    if ctx.user is None:
        return False
    r = await roles(ctx)
    if not r.member_of:
        return False
    meetings, mine = await svc(ctx).upcoming(ctx.user.id, set(r.member_of))
    # A series' card is its next date only: later dates have not been asked yet.
    next_of: dict[object, int] = {}
    for m in sorted(meetings, key=lambda m: m.starts_at):
        next_of.setdefault(m.series_id if m.series_id is not None else ("one", m.id), m.id)
    return any(mid not in mine for mid in next_of.values())


async def edited(update: Update, ctx: BotContext) -> None:
    await reply(
        update,
        ctx,
        _("You changed a message. I can't use changes: please send it again as a new message."),
    )


async def group_command(update: Update, ctx: BotContext) -> None:
    """Our commands in a group chat get one short pointer to the private chat."""
    username = ctx.services.bot_username
    await reply(
        update,
        ctx,
        _("Please talk to me in a private chat."),
        [[Button(_("Open the bot"), url=f"https://t.me/{username}")]],
    )


async def stale_button(update: Update, ctx: BotContext) -> None:
    await button_expired(update)


async def chat_member(update: Update, ctx: BotContext) -> None:
    """A person blocked or unblocked the bot in their private chat."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE or ctx.user is None:
        return
    s = ctx.services
    if change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
        async with s.db.transaction() as conn:
            await s.users.mark_unreachable_tx(conn, change.chat.id, s.clock.now())
    # Unblocking is an update from them, which already cleared 'unreachable' in prepare().


async def ignore(update: Update, ctx: BotContext) -> None:
    return


def register_first(app: Application) -> None:
    """Before every feature: an edited message must not run a command a second time."""
    app.add_handler(MessageHandler(filters.UpdateType.EDITED & PRIVATE, edited))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED, ignore))


def register(app: Application) -> None:
    """Registered after every feature, in group 0: a feature's handler always wins."""
    # Answers to an open conversation (anything but a command).
    app.add_handler(MessageHandler(PRIVATE & ~filters.COMMAND, route_dialog))
    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, unknown_command))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_handler(ChatMemberHandler(chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(
        MessageHandler(
            (
                filters.ChatType.GROUPS
                & filters.Regex(r"^/(start|help|groups|language)(@\w+)?(\s|$)")
            ),
            group_command,
        )
    )
    # Everything else in groups and channels: stay quiet.
    app.add_handler(MessageHandler(filters.ALL, ignore))
