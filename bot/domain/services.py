"""The services one application holds (PTB's bot_data), opened in post_init, closed in
post_shutdown. All durable state is in SQLite; nothing here is pickled."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.clock import Clock
from bot.core.outbox import Outbox
from bot.core.scheduler import Scheduler
from bot.core.settings import Settings
from storage.db import Database
from storage.repos.dialogs import DialogsRepo
from storage.repos.groups import GroupsRepo
from storage.repos.invites import InvitesRepo
from storage.repos.projects import ProjectsRepo
from storage.repos.users import UsersRepo


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    users: UsersRepo
    projects: ProjectsRepo
    groups: GroupsRepo
    invites: InvitesRepo
    dialogs: DialogsRepo
    outbox: Outbox
    scheduler: Scheduler
    bot_username: str = ""
    # Feature services register themselves here by name (reports, meetings, actions, ...).
    features: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: Settings, clock: Clock) -> "Services":
        db = Database(settings.database_path)
        return cls(
            settings=settings,
            clock=clock,
            db=db,
            users=UsersRepo(db),
            projects=ProjectsRepo(db),
            groups=GroupsRepo(db),
            invites=InvitesRepo(db),
            dialogs=DialogsRepo(db),
            outbox=Outbox(
                db,
                rate=settings.outbox_rate,
                chat_interval=settings.outbox_chat_interval,
                group_per_minute=settings.outbox_group_per_minute,
                max_attempts=settings.outbox_max_attempts,
                backoff_seconds=settings.outbox_backoff_seconds,
            ),
            scheduler=Scheduler(clock),
        )

    def deep_link(self, payload: str) -> str:
        return f"https://t.me/{self.bot_username}?start={payload}"
