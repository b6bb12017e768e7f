"""What every handler shares: the typed context (PTB's ContextTypes) with the services and the
person, and the application's registry of what each feature contributes to the shared surfaces:
the command menu (/help and Telegram's command list), the main-menu buttons, and conversation
steps (dialogs). The registry lives on the application (``bot_data``), so two applications in
one process never share or overwrite each other's.

Roles: 'everyone', 'member', 'organiser', 'worker', 'admin'. A command is shown to a person who
has any of its roles. Visibility is a courtesy; every handler still checks permissions itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.core.access import Roles
from bot.domain.services import Services
from storage.repos.dialogs import Dialog


class BotData:
    """PTB's bot_data: the services and the registry (no pickling, no live state elsewhere). The
    runtime extends it with its own parts (bot/runtime/app.py)."""

    def __init__(self) -> None:
        self.services: Services | None = None
        self.registry = Registry()


class BotContext(CallbackContext[ExtBot, dict, dict, BotData]):
    """Typed context. ``prepare`` (handlers/common.py) fills ``user`` for every update."""

    def __init__(
        self, application: Application, chat_id: int | None = None, user_id: int | None = None
    ):
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.user: Any = None
        self.user_created = False
        # Assisted mode (handlers/assist.py): ``actor`` is the person behind the update (the
        # worker); while she acts for a resident without Telegram, ``user`` is that resident
        # and ``acting_for`` holds her (bot.domain.assist.Acting). Otherwise actor is user.
        self.actor: Any = None
        self.acting_for: Any = None
        self._roles: Any = None

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        assert services is not None
        return services

    @property
    def registry(self) -> Registry:
        return self.bot_data.registry


@dataclass(frozen=True)
class CommandInfo:
    name: str
    description: str  # N_()-marked English; translated where shown
    roles: frozenset[str]
    order: int


MenuAction = Callable[[Update, BotContext], Awaitable[None]]


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str  # N_()-marked, may start with an emoji
    roles: frozenset[str]
    order: int
    action: MenuAction


DialogStep = Callable[[Update, BotContext, Dialog], Awaitable[None]]
DialogCancel = Callable[[Update, BotContext, Dialog], Awaitable[str | None]]


@dataclass(frozen=True)
class DialogKind:
    kind: str
    step: DialogStep
    # Called on /cancel or time-out; returns the text to show (None: the generic one).
    on_cancel: DialogCancel | None = None


@dataclass
class Registry:
    commands: dict[str, CommandInfo] = field(default_factory=dict)
    menu: dict[str, MenuItem] = field(default_factory=dict)
    dialogs: dict[str, DialogKind] = field(default_factory=dict)

    def command(
        self, name: str, description: str, roles: set[str] | frozenset[str], order: int = 50
    ) -> None:
        self.commands[name] = CommandInfo(name, description, frozenset(roles), order)

    def menu_item(
        self,
        key: str,
        label: str,
        roles: set[str] | frozenset[str],
        action: MenuAction,
        order: int = 50,
    ) -> None:
        self.menu[key] = MenuItem(key, label, frozenset(roles), order, action)

    def dialog(self, kind: str, step: DialogStep, on_cancel: DialogCancel | None = None) -> None:
        self.dialogs[kind] = DialogKind(kind, step, on_cancel)

    def commands_for(self, names: set[str]) -> list[CommandInfo]:
        found = (c for c in self.commands.values() if c.roles & names)
        return sorted(found, key=lambda c: (c.order, c.name))

    def menu_for(self, names: set[str]) -> list[MenuItem]:
        found = (m for m in self.menu.values() if m.roles & names)
        return sorted(found, key=lambda m: (m.order, m.key))


def registry_of(app: Application) -> Registry:
    registry: Registry = app.bot_data.registry
    return registry


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
