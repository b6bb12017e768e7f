"""Each role's home: the main (reply) keyboard, the menu message, and Telegram's command menu.

A person's home holds the tasks of every role they have (a worker who is also a member sees
both), in one order: admin, worker, organiser, resident, then what everyone has. The tasks are
menu items of the registry (``menu:<key>`` buttons and the reply keyboard's labels; the tasks
of other features are registered in handlers/home.py), so every press goes through
``run_item`` (handlers/start.py) and is checked against the person's roles again.
Per-chat command menus (setMyCommands with a chat scope) follow the roles: set for staff and
for anyone with a language other than Telegram's, deleted when neither holds any more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import TelegramError

from bot.core import i18n
from bot.core.access import Roles
from bot.core.i18n import N_, _
from bot.core.settings import SUPPORTED_LANGUAGES
from bot.core.ui import Button, cb, clip
from handlers.common import roles, with_retry
from handlers.context import BotContext, MenuItem, Registry, role_names
from storage.repos.users import User

log = logging.getLogger(__name__)

# A resident who never joined a group still needs these.
BASE_ROLES = {"everyone", "member"}

HOME_LABEL = N_("🏠 Menu")

# The reply keyboard per role: its four most used tasks (menu keys), then the home button.
KEYBOARD = {
    "admin": ("projects", "newproject", "problems", "export"),
    "worker": ("problems", "digest", "newgroup", "export"),
    "organiser": ("plan", "action", "roster", "meetings"),
    "resident": ("report", "myreports", "meetings", "volunteer"),
    "stranger": ("report", "myreports"),
}


# ----- Telegram's command menu -----


def _commands(registry: Registry, names: set[str]) -> list[BotCommand]:
    found = registry.commands_for(names)
    return [BotCommand(c.name, i18n._(c.description)[:256]) for c in found][:100]


async def set_default_commands(bot: Bot, registry: Registry, default_language: str) -> None:
    try:
        for lang in SUPPORTED_LANGUAGES:
            with i18n.use_locale(lang):
                await bot.set_my_commands(
                    _commands(registry, BASE_ROLES),
                    scope=BotCommandScopeDefault(),
                    language_code=lang,
                )
        with i18n.use_locale(default_language):
            await bot.set_my_commands(
                _commands(registry, BASE_ROLES), scope=BotCommandScopeDefault()
            )
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc)


async def set_user_commands(
    bot: Bot, registry: Registry, user: User, roles: Roles, language: str
) -> None:
    """Staff get their own menu; so does anyone who chose a language other than Telegram's.
    Anyone else gets the default menu back: a per-chat menu left from a role they no longer
    have would keep offering its commands."""
    if user.tg_id is None or user.entered_by is not None:  # no chat (assisted mode)
        return
    names = role_names(roles) | {"member"}
    telegram_lang = i18n.resolve_language(None, user.tg_language)
    scope = BotCommandScopeChat(user.tg_id)
    try:
        if names <= BASE_ROLES and language == telegram_lang:
            await bot.delete_my_commands(scope=scope)
            return
        with i18n.use_locale(language):
            await bot.set_my_commands(_commands(registry, names), scope=scope)
    except TelegramError as exc:
        log.warning("could not set a personal command menu: %s", exc)


async def clear_commands(bot: Bot, chat_id: int) -> None:
    """The person is gone (/forget): their per-chat command menu goes too."""
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        log.warning("could not delete a personal command menu: %s", exc)


async def refresh_commands(ctx: BotContext) -> None:
    """After a change of roles (joined, left, forgotten): the person's command menu again."""
    from handlers.common import forget_roles

    forget_roles(ctx)
    await set_user_commands(
        ctx.bot, ctx.registry, ctx.user, await roles(ctx), i18n.current_language()
    )


# ----- the home screen -----


def _role_order(names: set[str], r: Roles) -> list[str]:
    order: list[str] = [n for n in ("admin", "worker", "organiser") if n in names]
    order.append("resident" if r.member_of else "stranger")
    return order


def _visible(item: MenuItem, names: set[str]) -> bool:
    return bool(item.roles & names)


async def home_items(ctx: BotContext) -> list[MenuItem]:
    """Every task this person may do from home, in the order of their roles."""
    r = await roles(ctx)
    names = role_names(r)
    registry = ctx.registry
    return [m for m in registry.menu_for(names) if _visible(m, names)]


async def home_rows(ctx: BotContext) -> list[list[Button]]:
    """The menu message's buttons. An organiser of several groups plans per group."""
    r = await roles(ctx)
    s = ctx.services
    buttons: list[Button] = []
    for item in await home_items(ctx):
        if item.key == "plan" and len(r.organiser_of) > 1:
            for gid in sorted(r.organiser_of)[:6]:
                group = await s.groups.get(gid)
                if group is not None:
                    label = _("📅 Plan a meeting: {group}").format(group=group.name)
                    buttons.append(Button(clip(label, 60), cb("mt", "g", gid, "new")))
            continue
        buttons.append(Button(_(item.label), cb("menu", item.key)))
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


async def home_hint(ctx: BotContext) -> str | None:
    """One line for a role that has not started yet: what to tap first."""
    r = await roles(ctx)
    s = ctx.services
    if r.is_worker:
        groups = [g for pid in r.worker_of for g in await s.groups.of_project(pid)]
        if not groups:
            return _("Start with <b>➕ New group</b>: you get the group's link and QR code.")
    if r.is_admin and not await s.projects.all():
        return _("Start with <b>➕ New project</b>.")
    return None


async def home_text(ctx: BotContext, intro: str | None = None) -> str:
    parts = [intro] if intro else []
    hint = await home_hint(ctx)
    if hint:
        parts.append(hint)
    parts.append(_("What do you want to do?"))
    return "\n\n".join(parts)


async def home_keyboard(ctx: BotContext) -> ReplyKeyboardMarkup:
    """The main keyboard: the four tasks of the person's main role, then 🏠 Menu."""
    r = await roles(ctx)
    names = role_names(r)
    registry = ctx.registry
    keys: list[str] = []
    for role in _role_order(names, r):
        for key in KEYBOARD[role]:
            item = registry.menu.get(key)
            if item is not None and _visible(item, names) and key not in keys:
                keys.append(key)
        if len(keys) >= 4:
            break
    labels = [_(registry.menu[k].label) for k in keys[:4]]
    rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    rows.append([_(HOME_LABEL)])
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t) for t in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
    )


async def send_keyboard(update: Update, ctx: BotContext, text: str) -> None:
    """A message that (re)sets the main keyboard at the bottom of the chat. A feature that
    replaced it for a step (a one-tap location button) calls this when the step is over."""
    chat = update.effective_chat
    assert chat is not None
    keyboard = await home_keyboard(ctx)
    await with_retry(lambda: ctx.bot.send_message(chat.id, text, reply_markup=keyboard))


@dataclass(frozen=True)
class LabelHit:
    key: str | None  # a menu key, or None for 🏠 Menu


def match_label(registry: Registry, text: str) -> LabelHit | None:
    """A reply-keyboard button's text (in any shipped language: a keyboard may date from before a
    change of language) → the task it stands for."""
    wanted = " ".join(text.split())
    for lang in SUPPORTED_LANGUAGES:
        with i18n.use_locale(lang):
            if wanted == _(HOME_LABEL):
                return LabelHit(None)
            for item in registry.menu.values():
                if wanted == _(item.label):
                    return LabelHit(item.key)
    return None
