"""Who may do what: computed per person from the database and ADMIN_IDS, checked on every
command and every button press (callback data can be forged)."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database
from storage.repos.roles import role_rows


@dataclass(frozen=True)
class Roles:
    user_id: int
    is_admin: bool
    worker_of: frozenset[int]  # project ids
    organiser_of: frozenset[int]  # group ids
    member_of: frozenset[int]  # group ids (organisers included)
    group_projects: dict[int, int]  # group id -> project id, for the groups above

    @property
    def is_worker(self) -> bool:
        return bool(self.worker_of)

    @property
    def is_organiser(self) -> bool:
        return bool(self.organiser_of)

    @property
    def is_staff(self) -> bool:
        """Anyone who may organise: admin, worker or organiser."""
        return self.is_admin or self.is_worker or self.is_organiser

    def can_manage_project(self, project_id: int) -> bool:
        return self.is_admin or project_id in self.worker_of

    def can_manage_group(self, group_id: int, project_id: int) -> bool:
        """Organisers of the group, workers of its project, admins."""
        return self.can_manage_project(project_id) or group_id in self.organiser_of

    def is_member(self, group_id: int) -> bool:
        return group_id in self.member_of

    @property
    def primary_role(self) -> str:
        if self.is_admin:
            return "admin"
        if self.is_worker:
            return "worker"
        if self.is_organiser:
            return "organiser"
        if self.member_of:
            return "resident"
        return "stranger"


async def load_roles(db: Database, user_id: int, is_admin: bool) -> Roles:
    rows = await role_rows(db, user_id)
    members = [(r.group_id, r) for r in rows if r.group_id is not None]
    return Roles(
        user_id=user_id,
        is_admin=is_admin,
        worker_of=frozenset(r.project_id for r in rows if r.group_id is None),
        organiser_of=frozenset(group_id for group_id, r in members if r.role == "organiser"),
        member_of=frozenset(group_id for group_id, _r in members),
        group_projects={group_id: r.project_id for group_id, r in members},
    )
