"""What a person is in the projects and groups: the rows their roles are computed from."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True)
class RoleRow:
    """A worker row (``group_id`` None) or a membership of a group (with its ``role``)."""

    project_id: int
    group_id: int | None
    role: str | None


async def role_rows(db: Database, user_id: int) -> list[RoleRow]:
    # One query (one round trip) for both: worker rows carry a NULL group.
    rows = await db.fetchall(
        "SELECT project_id, NULL, NULL FROM project_workers WHERE user_id = ?"
        " UNION ALL SELECT g.project_id, m.group_id, m.role FROM memberships m"
        " JOIN groups g ON g.id = m.group_id WHERE m.user_id = ?",
        (user_id, user_id),
        per_update=True,
    )
    return [RoleRow(r[0], r[1], r[2]) for r in rows]
