"""Assisted mode (issue 17): a worker or organiser acts for a resident without Telegram.

The person is an ordinary member of a group (storage/repos/assist.py). While a worker acts for
her, every update of the worker's private chat runs with the person as the acting user
(handlers/common.py ``prepare``), so reports, "me too", RSVPs, answers to calls and shifts use
their own flows unchanged; what would go to her chat reaches the entering worker as
"📞 Tell <name>: …" (bot/core/assisted.py) and is listed in her digest.

Who may act for whom is checked on every update: the person is a member of one group, and the
worker must be able to manage that group (a worker of its project, its organiser, an admin),
at that moment — together with the person's own rights, which the flows check as always.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.core import i18n
from bot.core.access import Roles, load_roles
from bot.core.clock import Clock
from bot.core.i18n import _
from bot.core.settings import Settings
from bot.domain.privacy import PrivacyService
from storage.db import Database
from storage.repos.assist import AssistedPerson, AssistRepo, NewsLine, Session
from storage.repos.groups import Group, GroupsRepo
from storage.repos.users import User, UsersRepo
from storage.timestamps import from_db

log = logging.getLogger(__name__)

# A worker who forgets to stop acting for someone does not go on filing her own things in the
# person's name: after this long without a tap or a message the session ends by itself.
IDLE = timedelta(minutes=30)
NAME_MAX = 40
LIST_MAX = 30  # persons on one /assist screen; more: /assist <first name>
PHONE_MAX = 20


@dataclass(frozen=True)
class Step:
    """What the pre-step does with one update of a worker's chat."""

    acting: Acting | None = None  # run it as this person
    ended: AssistedPerson | None = None  # her session just ended: tell the worker
    refused: bool = False  # a button for a person she may no longer act for: refuse it


@dataclass(frozen=True)
class Acting:
    person: User
    assisted: AssistedPerson
    single: bool  # one button on a "tell <name>" message, outside a session


def clean_name(text: str) -> str | None:
    name = " ".join(text.split())
    if not name or len(name) > NAME_MAX or name.startswith("/"):
        return None
    if not any(ch.isalpha() for ch in name):
        return None
    return name


# What people type instead of tapping "No phone number" (in the five languages).
NO_PHONE_WORDS = frozenset(
    {"-", "0", "nee", "neen", "geen", "no", "none", "non", "aucun", "pas", "yok", "hayır", "لا"}
)


def no_phone(text: str) -> bool:
    return text.strip().casefold().rstrip(".!") in NO_PHONE_WORDS


def clean_phone(text: str) -> str | None:
    phone = " ".join(text.split())
    digits = [ch for ch in phone if ch.isdigit()]
    if not 6 <= len(digits) <= 15 or len(phone) > PHONE_MAX:
        return None
    if any(not (ch.isdigit() or ch in "+ ./-()") for ch in phone):
        return None
    return phone


class AssistService:
    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        db: Database,
        users: UsersRepo,
        groups: GroupsRepo,
    ) -> None:
        self.settings, self.clock, self.db = settings, clock, db
        self.users, self.groups = users, groups
        self.repo = AssistRepo(db)
        self._retention_at: datetime | None = None

    # ----- rights -----

    async def roles_of(self, user: User) -> Roles:
        return await load_roles(self.db, user.id, self.settings.is_admin(user.tg_id))

    async def groups_for(self, worker: User) -> list[Group]:
        """The groups this worker or organiser may enter people for."""
        roles = await self.roles_of(worker)
        if roles.is_admin:
            rows = await self.db.fetchall("SELECT id FROM groups ORDER BY name, id")
            ids = [r[0] for r in rows]
        else:
            ids = sorted(set(roles.organiser_of))
            for pid in roles.worker_of:
                ids += [g.id for g in await self.groups.of_project(pid) if g.id not in ids]
        found = [await self.groups.get(gid) for gid in ids]
        return sorted((g for g in found if g is not None), key=lambda g: (g.name, g.id))

    async def may_use_group(self, worker: User, group_id: int) -> Group | None:
        group = await self.groups.get(group_id)
        if group is None:
            return None
        roles = await self.roles_of(worker)
        return group if roles.can_manage_group(group.id, group.project_id) else None

    async def person_for(self, worker: User, person_id: int) -> AssistedPerson | None:
        """The person, when this worker may act for her now (None: no such person, forgotten,
        or not in a group of this worker's)."""
        person = await self.repo.person(person_id)
        if person is None or person.tg_id is None or person.group_id is None:
            return None
        if await self.may_use_group(worker, person.group_id) is None:
            return None
        return person

    async def persons_for(
        self, worker: User, name: str = "", limit: int = LIST_MAX
    ) -> list[AssistedPerson]:
        groups = [g.id for g in await self.groups_for(worker)]
        return await self.repo.persons_in(groups, limit, name.strip())

    # ----- entering a person -----

    async def create(
        self,
        worker: User,
        *,
        first_name: str,
        phone: str | None,
        language: str,
        group_id: int,
        worker_language: str,
    ) -> AssistedPerson | None:
        """Consent was read out and given. None when the group is not the worker's."""
        if await self.may_use_group(worker, group_id) is None:
            return None
        async with self.db.transaction() as conn:
            person_id = await AssistRepo.create_person_tx(
                conn,
                first_name=first_name,
                phone=phone,
                language=language,
                message_language=worker_language,
                group_id=group_id,
                entered_by=worker.id,
                now=self.clock.now(),
            )
        return await self.repo.person(person_id)

    def consent_text(self, person: dict[str, Any], worker_name: str, project: str) -> str:
        """The sentence the worker reads out, in the person's own language."""
        with i18n.use_locale(person["language"]):
            if person.get("phone"):
                text = _(
                    "I am {worker} of {project}. I put your first name, your phone number and "
                    "what you tell me into Buurtbot for you, so that it reaches the right "
                    "person, and I pass the answers on to you. Only the project's workers and "
                    "organisers see it. You can ask me at any time to show it to you or to "
                    "delete it. Do you agree?"
                )
            else:
                text = _(
                    "I am {worker} of {project}. I put your first name and what you tell me "
                    "into Buurtbot for you, so that it reaches the right person, and I pass the "
                    "answers on to you. Only the project's workers and organisers see it. You "
                    "can ask me at any time to show it to you or to delete it. Do you agree?"
                )
            return text.format(worker=worker_name, project=project)

    # ----- sessions -----

    async def start(self, worker: User, person: AssistedPerson) -> None:
        await self.repo.start_session(worker.id, person.user_id, self.clock.now())

    async def stop(self, worker: User) -> AssistedPerson | None:
        session = await self.repo.session_of(worker.id)
        if session is None:
            return None
        await self.repo.end_session(worker.id)
        return await self.repo.person(session.person_id)

    async def busy_with(self, person_id: int) -> Session | None:
        session = await self.repo.session_for_person(person_id)
        if session is not None and self._idle(session):
            return None
        return session

    def _idle(self, session: Session) -> bool:
        last = from_db(session.last_at)
        return self.clock.now() - last > IDLE

    async def session(self, worker: User) -> Session | None:
        return await self.repo.session_of(worker.id)

    async def acting_for(
        self,
        worker: User,
        *,
        chat_id: int,
        button_message_id: int | None,
        exempt: bool,
    ) -> Step:
        """For one update of the worker's private chat: whom it acts for (none: herself), the
        person whose session just ended (idle, rights gone, forgotten) to tell her so, or that
        it is refused.

        A button acts for whom its message was made: a screen shown while acting for her, or a
        "tell <name>" message — session or not; a button of any other message is the worker's
        own. A typed message or command acts for the person of the session (but ``exempt``
        ones, /assist itself)."""
        if button_message_id is None and not await self.repo.involved(worker.id):
            return Step()  # never acted for anyone: no session to look up
        if button_message_id is not None:
            pid = await self.repo.person_of_message(chat_id, button_message_id)
            if pid is None or exempt:
                return Step()
            session = await self.repo.session_of(worker.id)
            person = await self.person_for(worker, pid)
            user = await self.users.get(pid) if person is not None else None
            if person is None or user is None:
                return Step(refused=True)  # hers, and she may no longer act for her
            live = session is not None and session.person_id == pid and not self._idle(session)
            if live:
                await self.repo.touch(worker.id, pid, self.clock.now())
            else:
                await self.repo.touch_person(pid, self.clock.now())
            return Step(acting=Acting(user, person, not live))
        session = await self.repo.session_of(worker.id)
        if session is None:
            return Step()
        person = await self.person_for(worker, session.person_id)
        if person is None or self._idle(session):
            await self.repo.end_session(worker.id)
            return Step(ended=person or await self.repo.person(session.person_id))
        if exempt:
            return Step()
        user = await self.users.get(session.person_id)
        if user is None:
            return Step()
        await self.repo.touch(worker.id, session.person_id, self.clock.now())
        return Step(acting=Acting(user, person, False))

    async def screen_shown(self, chat_id: int, message_id: int, person_id: int) -> None:
        """A reply made while acting for her: its buttons act for her."""
        await self.repo.add_screen(chat_id, message_id, person_id)

    async def not_entered(self, update_ids: list[int]) -> None:
        """No consent or stopped: what was typed about her goes from the inbox at once."""
        await self.repo.scrub_updates(update_ids)

    async def note_updates(self, person_id: int, update_ids: list[int]) -> None:
        """Updates sent for her: /forget scrubs them from the inbox with the rest."""
        await self.repo.note_updates(person_id, update_ids)

    # ----- the digest, privacy and retention -----

    async def stale_persons(self, now: datetime) -> list[int]:
        """Persons nobody acted for in RETENTION_DAYS: they cannot send /forget themselves."""
        return await self.repo.stale_persons(now - timedelta(days=self.settings.retention_days))

    async def prune_news(self, now: datetime) -> int:
        """The digest's copies of the news live as long as the delivered messages' copies."""
        days = max(self.settings.inbox_retention_days, 8)  # a weekly digest still lists them
        return await self.repo.prune_news(now - timedelta(days=days))

    async def news_since(self, worker_id: int, since: datetime, until: datetime) -> list[NewsLine]:
        return await self.repo.news_since(worker_id, since, until)

    async def run_retention(self, privacy: PrivacyService, now: datetime) -> int:
        """Scheduled (at most hourly): old digest copies go; a person nobody acted for in
        RETENTION_DAYS is forgotten as /forget would (she cannot send it herself)."""
        if self._retention_at is not None and now - self._retention_at < timedelta(hours=1):
            return 0
        self._retention_at = now
        await self.prune_news(now)
        stale = await self.stale_persons(now)
        for person_id in stale:
            await privacy.forget(person_id)
        if stale:
            log.info("assist: forgot %d assisted persons after the retention period", len(stale))
        return len(stale)

    async def export(self, db: Database, user_id: int) -> dict[str, Any]:
        return await self.repo.export(user_id)

    async def forget(self, conn: aiosqlite.Connection, user_id: int, now: datetime) -> None:
        await AssistRepo.forget_tx(conn, user_id)
        await AssistRepo.forget_worker_tx(conn, user_id)
