"""The services one application holds, built by the composition root
(``bot.runtime.app.build_services``) and handed to handlers as ``ctx.services``.

Every field is typed: a handler reaches a feature as ``ctx.services.reports``, never by a string
key. Opened in post_init, closed in post_shutdown; all durable state is in SQLite, nothing here
is pickled.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.clock import Clock
from bot.core.outbox import Outbox
from bot.core.scheduler import Scheduler
from bot.core.settings import Settings
from bot.domain.actions import ActionsService
from bot.domain.assist import AssistService
from bot.domain.meetings import MeetingsService
from bot.domain.places import Places
from bot.domain.privacy import PrivacyService
from bot.domain.reports import ReportsService
from bot.domain.rosters import RosterService
from bot.domain.translation import AutoTextService
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
    reports: ReportsService
    meetings: MeetingsService
    actions: ActionsService
    rosters: RosterService
    privacy: PrivacyService
    assist: AssistService
    places: Places
    bot_username: str = ""
    auto_text: AutoTextService = None  # type: ignore[assignment]  # always set by build_services

    def deep_link(self, payload: str) -> str:
        return f"https://t.me/{self.bot_username}?start={payload}"
