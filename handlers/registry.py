"""What each feature contributes to the shared surfaces: the command menu (/help and Telegram's
command list), the main-menu buttons, and conversation steps (dialogs).

Roles: 'everyone', 'member', 'organiser', 'worker', 'admin'. A command is shown to a person who
has any of its roles. Visibility is a courtesy; every handler still checks permissions itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update

from bot.core.access import Roles
from handlers.context import BotContext
from storage.repos.dialogs import Dialog


@dataclass(frozen=True)
class CommandInfo:
    name: str
    description: str  # N_()-marked English; translated where shown
    roles: frozenset[str]
    order: int


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str  # N_()-marked, may start with an emoji
    roles: frozenset[str]
    order: int
    action: Callable[[Update, BotContext], Awaitable[None]]


COMMANDS: dict[str, CommandInfo] = {}
MENU: dict[str, MenuItem] = {}

DialogStep = Callable[[Update, BotContext, Dialog], Awaitable[None]]
DialogCancel = Callable[[Update, BotContext, Dialog], Awaitable[str | None]]


@dataclass(frozen=True)
class DialogKind:
    kind: str
    step: DialogStep
    # Called on /cancel or time-out; returns the text to show (None: the generic one).
    on_cancel: DialogCancel | None = None


DIALOGS: dict[str, DialogKind] = {}


def command(name: str, description: str, roles: set[str] | frozenset[str], order: int = 50) -> None:
    COMMANDS[name] = CommandInfo(name, description, frozenset(roles), order)


def menu_item(
    key: str,
    label: str,
    roles: set[str] | frozenset[str],
    action: Callable[[Update, BotContext], Awaitable[None]],
    order: int = 50,
) -> None:
    MENU[key] = MenuItem(key, label, frozenset(roles), order, action)


def dialog(kind: str, step: DialogStep, on_cancel: DialogCancel | None = None) -> None:
    DIALOGS[kind] = DialogKind(kind, step, on_cancel)


def role_names(roles: Roles) -> set[str]:
    names = {"everyone"}
    if roles.member_of:
        names.add("member")
    if roles.organiser_of:
        names.add("organiser")
    if roles.worker_of:
        names.add("worker")
    if roles.is_admin:
        names.add("admin")
    return names


def commands_for(names: set[str]) -> list[CommandInfo]:
    return sorted(
        (c for c in COMMANDS.values() if c.roles & names), key=lambda c: (c.order, c.name)
    )


def menu_for(names: set[str]) -> list[MenuItem]:
    return sorted((m for m in MENU.values() if m.roles & names), key=lambda m: (m.order, m.key))
