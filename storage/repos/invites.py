"""One-time, expiring invites for workers and organisers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.db import Database
from storage.repos import row_to
from storage.repos import setup as setup_repo
from storage.timestamps import from_db, to_db


@dataclass(frozen=True)
class Invite:
    token: str
    kind: str
    project_id: int
    group_id: int | None
    created_by: int | None
    created_at: str
    expires_at: str
    used_by: int | None
    used_at: str | None

    def expired(self, now: datetime) -> bool:
        expires = from_db(self.expires_at)
        return expires is not None and now >= expires


class InvitesRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        token: str,
        kind: str,
        project_id: int,
        group_id: int | None,
        created_by: int | None,
        now: datetime,
        ttl: timedelta,
    ) -> Invite:
        await self.db.execute(
            "INSERT INTO invites (token, kind, project_id, group_id, created_by, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token, kind, project_id, group_id, created_by, to_db(now), to_db(now + ttl)),
        )
        invite = await self.get(token)
        assert invite is not None
        return invite

    async def get(self, token: str) -> Invite | None:
        row = await self.db.fetchone("SELECT * FROM invites WHERE token = ?", (token,))
        return row_to(Invite, row) if row else None


class RedeemResult:
    OK = "ok"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ALREADY = "already"  # the person already had that role


async def redeem(
    db: Database, token: str, user_id: int, now: datetime
) -> tuple[str, Invite | None]:
    """Use a one-time invite: check it, mark it used and grant the role, in one transaction."""
    async with db.transaction() as conn:
        async with conn.execute("SELECT * FROM invites WHERE token = ?", (token,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return RedeemResult.UNKNOWN, None
        invite = row_to(Invite, row)
        if invite.used_by is not None:
            return (
                RedeemResult.ALREADY if invite.used_by == user_id else RedeemResult.USED
            ), invite
        if invite.expired(now):
            return RedeemResult.EXPIRED, invite
        if invite.kind == "worker":
            cur = await conn.execute(
                "INSERT OR IGNORE INTO project_workers (project_id, user_id, joined_at)"
                " VALUES (?, ?, ?)",
                (invite.project_id, user_id, to_db(now)),
            )
            await conn.execute(
                "UPDATE projects SET default_worker_id = ?"
                " WHERE id = ? AND default_worker_id IS NULL",
                (user_id, invite.project_id),
            )
        else:
            cur = await conn.execute(
                "INSERT INTO memberships (group_id, user_id, role, joined_at)"
                " VALUES (?, ?, 'organiser', ?)"
                " ON CONFLICT (group_id, user_id) DO UPDATE SET role = 'organiser'",
                (invite.group_id, user_id, to_db(now)),
            )
        await conn.execute(
            "UPDATE invites SET used_by = ?, used_at = ? WHERE token = ?",
            (user_id, to_db(now), token),
        )
        # An invite printed by `buurtbot setup`: every role and rule its file gives the person.
        person = await setup_repo.person_of_invite_tx(conn, token)
        if person is not None:
            await setup_repo.grant_tx(conn, person, user_id, now)
        return RedeemResult.OK, invite
