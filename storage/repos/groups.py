"""Groups (self-help groups, tenants' groups, ...) and who is in them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.repos import row_to
from storage.timestamps import to_db


@dataclass(frozen=True)
class Group:
    id: int
    project_id: int
    name: str
    member_token: str
    chat_id: int | None
    created_by: int | None
    created_at: str


@dataclass(frozen=True)
class Membership:
    group: Group
    role: str  # 'member' | 'organiser'


class GroupsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self, project_id: int, name: str, member_token: str, created_by: int | None, now: datetime
    ) -> Group:
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO groups (project_id, name, member_token, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (project_id, name, member_token, created_by, to_db(now)),
            )
            async with conn.execute("SELECT * FROM groups WHERE id = ?", (cur.lastrowid,)) as c:
                row = await c.fetchone()
        return row_to(Group, row)

    async def get(self, group_id: int) -> Group | None:
        row = await self.db.fetchone("SELECT * FROM groups WHERE id = ?", (group_id,))
        return row_to(Group, row) if row else None

    async def by_token(self, token: str) -> Group | None:
        row = await self.db.fetchone(
            "SELECT * FROM groups WHERE member_token = ? AND NOT hidden", (token,)
        )
        return row_to(Group, row) if row else None

    async def by_chat(self, chat_id: int) -> Group | None:
        row = await self.db.fetchone("SELECT * FROM groups WHERE chat_id = ?", (chat_id,))
        return row_to(Group, row) if row else None

    async def of_project(self, project_id: int) -> list[Group]:
        rows = await self.db.fetchall(
            "SELECT * FROM groups WHERE project_id = ? AND NOT hidden ORDER BY name COLLATE NOCASE",
            (project_id,),
        )
        return [row_to(Group, r) for r in rows]

    async def memberships(self, user_id: int) -> list[Membership]:
        rows = await self.db.fetchall(
            "SELECT g.*, m.role AS m_role FROM memberships m JOIN groups g ON g.id = m.group_id"
            " WHERE m.user_id = ? ORDER BY g.name COLLATE NOCASE",
            (user_id,),
        )
        return [Membership(group=row_to(Group, r), role=r["m_role"]) for r in rows]

    async def role(self, group_id: int, user_id: int) -> str | None:
        return await self.db.fetchval(
            "SELECT role FROM memberships WHERE group_id = ? AND user_id = ?", (group_id, user_id)
        )

    async def join(self, group_id: int, user_id: int, role: str, now: datetime) -> bool:
        """Adds the person; an organiser stays organiser. Returns True when newly joined."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT role FROM memberships WHERE group_id = ? AND user_id = ?",
                (group_id, user_id),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                await conn.execute(
                    "INSERT INTO memberships (group_id, user_id, role, joined_at)"
                    " VALUES (?, ?, ?, ?)",
                    (group_id, user_id, role, to_db(now)),
                )
                return True
            if role == "organiser" and row[0] != "organiser":
                await conn.execute(
                    "UPDATE memberships SET role = 'organiser' WHERE group_id = ? AND user_id = ?",
                    (group_id, user_id),
                )
            return False

    async def leave(self, group_id: int, user_id: int) -> bool:
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "DELETE FROM memberships WHERE group_id = ? AND user_id = ?", (group_id, user_id)
            )
            return cur.rowcount > 0

    async def member_ids(self, group_id: int, role: str | None = None) -> list[int]:
        if role is None:
            rows = await self.db.fetchall(
                "SELECT user_id FROM memberships WHERE group_id = ? ORDER BY joined_at",
                (group_id,),
            )
        else:
            rows = await self.db.fetchall(
                "SELECT user_id FROM memberships WHERE group_id = ? AND role = ?"
                " ORDER BY joined_at",
                (group_id, role),
            )
        return [r[0] for r in rows]

    async def count_members(self, group_id: int) -> int:
        return int(
            await self.db.fetchval(
                "SELECT COUNT(*) FROM memberships WHERE group_id = ?", (group_id,)
            )
        )

    async def link_chat(self, group_id: int, chat_id: int | None) -> None:
        await self.db.execute("UPDATE groups SET chat_id = ? WHERE id = ?", (chat_id, group_id))
