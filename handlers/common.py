"""Shared handler plumbing: the per-update pre-step, replies, keyboards, callback parsing."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest

from bot import i18n
from bot.access import Roles, load_roles
from bot.app import BotContext
from bot.ui import Button

ButtonRows = Sequence[Sequence[Button]]


async def prepare(update: Update, ctx: BotContext) -> None:
    """Group -100, every update: who is this, and in which language do we answer them."""
    ctx.user = None
    tg_user = update.effective_user
    if tg_user is None or tg_user.is_bot:
        return
    s = ctx.services
    user, created = await s.users.ensure(
        tg_user.id,
        tg_user.first_name,
        tg_user.last_name,
        tg_user.username,
        tg_user.language_code,
        s.clock.now(),
    )
    ctx.user = user
    ctx.user_created = created
    i18n.set_language(
        i18n.resolve_language(user.language, user.tg_language, s.settings.default_language)
    )


async def roles(ctx: BotContext) -> Roles:
    if ctx._roles is None:
        s = ctx.services
        ctx._roles = await load_roles(s.db, ctx.user.id, s.settings.is_admin(ctx.user.tg_id))
    return ctx._roles


def forget_roles(ctx: BotContext) -> None:
    ctx._roles = None


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def markup(rows: ButtonRows | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    out = []
    for row in rows:
        line = []
        for b in row:
            if b.url is not None:
                line.append(InlineKeyboardButton(b.text, url=b.url))
            else:
                line.append(InlineKeyboardButton(b.text, callback_data=b.data))
        if line:
            out.append(line)
    return InlineKeyboardMarkup(out)


async def reply(
    update: Update, ctx: BotContext, text: str, rows: ButtonRows | None = None, **kw: object
) -> Message:
    """Answer in the chat the update came from (HTML; user text must be escaped by the caller)."""
    chat = update.effective_chat
    assert chat is not None
    return await ctx.bot.send_message(chat.id, text, reply_markup=markup(rows), **kw)  # type: ignore[arg-type]


async def show(update: Update, ctx: BotContext, text: str, rows: ButtonRows | None = None) -> None:
    """For a button press: edit the message in place; otherwise send a new one."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup(rows))
            return
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return
            # Too old to edit, or a media message: send a fresh one instead.
    await reply(update, ctx, text, rows)


async def answer(update: Update, text: str | None = None, alert: bool = False) -> None:
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text, show_alert=alert)
        except BadRequest:
            pass  # query too old: nothing to answer


def parse_cb(data: str | None, parts: int) -> list[str] | None:
    """Split 'feature:action:a:b'; None when the shape is wrong (forged or outdated)."""
    if not data:
        return None
    pieces = data.split(":")
    return pieces if len(pieces) == parts else None


def parse_int(value: str) -> int | None:
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 <= number < 2**62 else None


async def refuse(update: Update, ctx: BotContext) -> None:
    """The one answer for anything this person may not do (command or forged button)."""
    text = i18n._("Sorry, you can't do that.")
    if update.callback_query is not None:
        await answer(update, text, alert=True)
    else:
        await reply(update, ctx, text)


async def button_expired(update: Update) -> None:
    await answer(update, i18n._("This button no longer works. Send /help to start again."), alert=True)


async def managed_projects(update: Update, ctx: BotContext) -> list | None:
    """All projects for an admin, their own for a worker. Refuses others (returns None) and
    answers when there is no project yet (returns [])."""
    r = await roles(ctx)
    s = ctx.services
    if r.is_admin:
        projects = await s.projects.all()
    elif r.is_worker:
        projects = await s.projects.projects_of_worker(ctx.user.id)
    else:
        await refuse(update, ctx)
        return None
    if not projects:
        await reply(update, ctx, i18n._("There are no projects yet. Send /newproject to make one."))
    return projects
