"""Shared handler plumbing: the per-update pre-step, replies, keyboards, callback parsing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from html import escape
from typing import TypeVar

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import ApplicationHandlerStop

from bot.core import i18n, sidecalls
from bot.core.access import Roles, load_roles
from bot.core.ui import Button
from handlers.context import BotContext

ButtonRows = Sequence[Sequence[Button]]
T = TypeVar("T")
log = logging.getLogger("buurtbot.reply")

# A direct reply that hits 429 / 5xx / a timeout is tried again a few times: the person is
# waiting for it. Bounded so one chat's retries hold a processing slot for seconds, not minutes
# (other chats keep being served by the other slots); what still fails is logged and raised.
# A 429 is not waited out here: the request layer (bot/runtime/http.py) paused every send, ours
# and the outbox's, for its retry_after, so the retry simply waits its turn there.
REPLY_ATTEMPTS = 3
REPLY_MAX_WAIT = 5.0  # seconds of waiting in total per reply (retry_after included)
REPLY_BACKOFF = (0.3, 1.0)
_sleep = asyncio.sleep  # tests replace it to keep time out of the test


def _retry_after_seconds(exc: RetryAfter) -> float:
    ra = exc.retry_after
    return ra.total_seconds() if hasattr(ra, "total_seconds") else float(ra)


async def with_retry(call: Callable[[], Awaitable[T]], what: str = "reply") -> T:
    """Run one Bot API call; on 429 (waiting retry_after), 5xx or a timeout try again, at most
    REPLY_ATTEMPTS times and REPLY_MAX_WAIT seconds of waiting. Other errors (400, 403) at once."""
    waited = 0.0
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except RetryAfter as exc:
            wait = _retry_after_seconds(exc)
            error: Exception = exc
            paused = True
        except BadRequest:
            raise  # a NetworkError subclass, but trying again will not help
        except NetworkError as exc:  # 5xx, TimedOut, connection errors
            wait = REPLY_BACKOFF[min(attempt - 1, len(REPLY_BACKOFF) - 1)]
            error = exc
            paused = False
        if attempt >= REPLY_ATTEMPTS or waited + wait > REPLY_MAX_WAIT:
            log.warning("%s failed after %d attempts: %s", what, attempt, type(error).__name__)
            raise error
        waited += wait
        if not paused:
            await _sleep(wait)


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
    ctx.actor, ctx.acting_for = user, None
    if is_private(update):
        await _assisted_step(update, ctx)


async def _assisted_step(update: Update, ctx: BotContext) -> None:
    """Assisted mode (handlers/assist.py): while a worker acts for a resident without
    Telegram, the update runs as that resident (the screens stay in the worker's language)."""
    query = update.callback_query
    message_id = query.message.message_id if query is not None and query.message else None
    text = update.message.text if update.message is not None else None
    words = (text or "").split()
    command = words[0].split("@")[0] if words else ""
    exempt = bool(
        command == "/assist"
        # A link opened (an invite, a group's link) is always the worker's own.
        or (command == "/start" and len(words) > 1)
        or (query is not None and (query.data or "").startswith("as:"))
    )
    step = await ctx.services.assist.acting_for(
        ctx.user, chat_id=chat_id(update), button_message_id=message_id, exempt=exempt
    )
    if step.refused:  # a "tell" message of someone she may no longer act for
        await refuse(update, ctx)
        raise ApplicationHandlerStop
    acting, ended = step.acting, step.ended
    if ended is not None:
        name = escape(ended.first_name or i18n._("the resident"))
        await reply(
            update,
            ctx,
            i18n._("You are no longer acting for {name}. What you do now is your own.").format(
                name=name
            ),
        )
    if acting is not None:
        ctx.user, ctx.acting_for = acting.person, acting
        await ctx.services.assist.note_updates(acting.person.id, [update.update_id])


def acting_banner(ctx: BotContext) -> str:
    """Above every screen while a worker acts for someone: for whom, and how to stop."""
    if ctx.acting_for is None:
        return ""
    name = escape(ctx.acting_for.person.first_name or i18n._("the resident"))
    if ctx.acting_for.single:
        return i18n._("👤 <i>For {name}</i>").format(name=name) + "\n\n"
    return i18n._("👤 <i>For {name}</i> · stop: /assist").format(name=name) + "\n\n"


def with_banner(ctx: BotContext, text: str) -> str:
    banner = acting_banner(ctx)
    return banner + text if len(banner) + len(text) <= 4096 else text


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


CANCEL_DATA = "home:x"  # handled in handlers/start.py: stops the open conversation


async def step_rows(update: Update, ctx: BotContext, rows: ButtonRows | None) -> ButtonRows | None:
    """While a conversation is open, every message of it carries a Cancel button (nobody has to
    type /cancel), unless the step has its own ("✖ Cancel" of a confirm step)."""
    if ctx.user is None or not is_private(update):
        return rows
    if await ctx.services.dialogs.get(ctx.user.id) is None:
        return rows
    if any(b.text.startswith("✖") or b.data == CANCEL_DATA for row in rows or [] for b in row):
        return rows
    return [*(rows or []), [Button(i18n._("✖ Cancel"), CANCEL_DATA)]]


async def reply(
    update: Update, ctx: BotContext, text: str, rows: ButtonRows | None = None, **kw: object
) -> Message:
    """Answer in the chat the update came from (HTML; user text must be escaped by the caller)."""
    chat = update.effective_chat
    assert chat is not None
    keyboard = markup(await step_rows(update, ctx, rows))
    text = with_banner(ctx, text)
    sent = await with_retry(
        lambda: ctx.bot.send_message(chat.id, text, reply_markup=keyboard, **kw)  # type: ignore[arg-type]
    )
    if ctx.acting_for is not None:  # its buttons act for her (handlers/assist.py)
        await ctx.services.assist.screen_shown(chat.id, sent.message_id, ctx.user.id)
    return sent


async def show(update: Update, ctx: BotContext, text: str, rows: ButtonRows | None = None) -> None:
    """For a button press: edit the message in place; otherwise send a new one."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            keyboard = markup(await step_rows(update, ctx, rows))
            shown = with_banner(ctx, text)
            await with_retry(lambda: query.edit_message_text(shown, reply_markup=keyboard), "edit")
            return
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return
            # Too old to edit, or a media message: send a fresh one instead.
    await reply(update, ctx, text, rows)


async def answer(update: Update, text: str | None = None, alert: bool = False) -> None:
    """Answer a button press (stop its spinner, or a short toast) alongside whatever the handler
    sends next: the update counts as processed only once this went out (bot.core.sidecalls)."""
    query = update.callback_query
    if query is not None:
        sidecalls.start(_answer_query(query, text, alert), "answering a button press")


async def _answer_query(query: CallbackQuery, text: str | None, alert: bool) -> None:
    with contextlib.suppress(BadRequest):  # query too old: nothing to answer
        await query.answer(text, show_alert=alert)


def drop_buttons(update: Update, ctx: BotContext, message_id: int) -> None:
    """Remove an earlier message's buttons alongside what the step sends next (one round trip
    less per step; bot.core.sidecalls): gone or too old to edit is fine."""
    chat = chat_id(update)

    async def drop() -> None:
        with contextlib.suppress(BadRequest):
            await with_retry(
                lambda: ctx.bot.edit_message_reply_markup(chat, message_id, reply_markup=None),
                "edit",
            )

    sidecalls.start(drop(), "removing a step's buttons")


def button_data(update: Update) -> str | None:
    """A button's callback data (None when the update is no button press or carries none)."""
    query = update.callback_query
    return query.data if query is not None else None


def chat_id(update: Update) -> int:
    """The id of the chat the update came from (every update our handlers take has one)."""
    chat = update.effective_chat
    assert chat is not None
    return chat.id


def button_parts(update: Update) -> list[str]:
    """The pieces of a button's 'feature:action:a:b' data ([""] when there is none)."""
    return (button_data(update) or "").split(":")


async def button_action(update: Update) -> list[str] | None:
    """The pieces of a button's data with at least feature and action; None (and the person
    told that the button expired) for a shape no button of ours has (forged or outdated)."""
    parts = button_parts(update)
    if len(parts) < 2:
        await button_expired(update)
        return None
    return parts


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


def is_skip_word(text: str) -> bool:
    """The Skip button's word typed instead of tapped ("overslaan", "Passer")."""
    return text.strip().casefold().rstrip(".!") == i18n._("Skip").casefold()


def count_in(text: str) -> int | None:
    """The one number a typed answer to "how many?" gives: "4", "4 vrijwilligers",
    "٤ أشخاص"; None when it holds no number or several."""
    found = re.findall(r"\d+", text)
    return parse_int(found[0]) if len(found) == 1 else None


async def refuse(update: Update, ctx: BotContext) -> None:
    """The one answer for anything this person may not do (command or forged button)."""
    text = i18n._("Sorry, you can't do that.")
    if update.callback_query is not None:
        await answer(update, text, alert=True)
    else:
        await reply(update, ctx, text)


async def button_expired(update: Update) -> None:
    await answer(
        update, i18n._("This button no longer works. Send /help to start again."), alert=True
    )


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
