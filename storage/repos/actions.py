"""Action calls: the call, its roles, who got it and what they answered, and per-group mutes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import Database
from storage.repos import row_to
from storage.timestamps import from_db, to_db


@dataclass(frozen=True)
class Action:
    id: int
    project_id: int
    created_by: int | None
    what: str
    starts_at: str
    place: str
    why: str | None
    bring: str | None
    group_ids: str
    whole_project: int
    state: str
    status_chat_id: int | None
    status_message_id: int | None
    total: int
    created_at: str
    cancelled_at: str | None
    followup_sent_at: str | None

    @property
    def start(self) -> datetime:
        value = from_db(self.starts_at)
        assert value is not None
        return value

    @property
    def groups(self) -> list[int]:
        return [int(g) for g in json.loads(self.group_ids)]


@dataclass(frozen=True)
class ActionRole:
    id: int
    action_id: int
    position: int
    name: str
    needed: int


@dataclass(frozen=True)
class Recipient:
    action_id: int
    user_id: int
    group_id: int | None
    answer: str | None
    role_id: int | None


@dataclass(frozen=True)
class Tally:
    total: int
    coming: int
    cant: int
    filled: dict[int, int]  # role id -> people who took it


class ActionsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def create_tx(
        conn: aiosqlite.Connection, project_id: int, created_by: int, draft: dict, now: datetime
    ) -> int:
        cur = await conn.execute(
            "INSERT INTO actions (project_id, created_by, what, starts_at, place, why, bring,"
            " group_ids, whole_project, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                project_id,
                created_by,
                draft["what"],
                draft["when"],
                draft["place"],
                draft.get("why"),
                draft.get("bring"),
                json.dumps(draft.get("groups", [])),
                1 if draft.get("project") else 0,
                to_db(now),
            ),
        )
        action_id = int(cur.lastrowid or 0)
        for pos, (name, needed) in enumerate(draft.get("roles", [])):
            await conn.execute(
                "INSERT INTO action_roles (action_id, position, name, needed) VALUES (?, ?, ?, ?)",
                (action_id, pos, name, int(needed)),
            )
        return action_id

    @staticmethod
    async def add_recipient_tx(
        conn: aiosqlite.Connection, action_id: int, user_id: int, group_id: int
    ) -> None:
        await conn.execute(
            "INSERT OR IGNORE INTO action_recipients (action_id, user_id, group_id) VALUES (?, ?,"
            " ?)",
            (action_id, user_id, group_id),
        )

    @staticmethod
    async def roles_tx(conn: aiosqlite.Connection, action_id: int) -> list[tuple[int, str, int]]:
        """(role id, name, needed) of a call, in its order, inside the caller's transaction."""
        async with conn.execute(
            "SELECT id, name, needed FROM action_roles WHERE action_id = ? ORDER BY position",
            (action_id,),
        ) as cur:
            return [(r[0], r[1], r[2]) for r in await cur.fetchall()]

    @staticmethod
    async def get_tx(conn: aiosqlite.Connection, action_id: int) -> Action:
        async with conn.execute("SELECT * FROM actions WHERE id = ?", (action_id,)) as cur:
            return row_to(Action, await cur.fetchone())

    @staticmethod
    async def set_total_tx(conn: aiosqlite.Connection, action_id: int, total: int) -> None:
        await conn.execute("UPDATE actions SET total = ? WHERE id = ?", (total, action_id))

    async def get(self, action_id: int) -> Action | None:
        row = await self.db.fetchone("SELECT * FROM actions WHERE id = ?", (action_id,))
        return row_to(Action, row) if row else None

    async def roles(self, action_id: int) -> list[ActionRole]:
        rows = await self.db.fetchall(
            "SELECT * FROM action_roles WHERE action_id = ? ORDER BY position", (action_id,)
        )
        return [row_to(ActionRole, r) for r in rows]

    async def recipient(self, action_id: int, user_id: int) -> Recipient | None:
        row = await self.db.fetchone(
            "SELECT * FROM action_recipients WHERE action_id = ? AND user_id = ?",
            (action_id, user_id),
        )
        return row_to(Recipient, row) if row else None

    async def answered(self, action_id: int) -> list[Recipient]:
        """Everyone who answered this call, in the order they answered."""
        rows = await self.db.fetchall(
            "SELECT * FROM action_recipients WHERE action_id = ? AND answer IS NOT NULL"
            " ORDER BY answered_at, user_id",
            (action_id,),
        )
        return [row_to(Recipient, r) for r in rows]

    async def tally(self, action_id: int) -> Tally:
        rows = await self.db.fetchall(
            "SELECT answer, role_id, COUNT(*) FROM action_recipients WHERE action_id = ?"
            " GROUP BY answer, role_id",
            (action_id,),
        )
        total = coming = cant = 0
        filled: dict[int, int] = {}
        for answer, role_id, n in rows:
            total += n
            if answer == "coming":
                coming += n
                if role_id is not None:
                    filled[role_id] = filled.get(role_id, 0) + n
            elif answer == "cant":
                cant += n
        # Answers of people removed since (/forget, retention) still count, anonymously.
        for label, n in await self.db.fetchall(
            "SELECT label, n FROM anonymous_tallies WHERE kind = 'action_answer' AND object_id = ?",
            (action_id,),
        ):
            answer, _, role = label.partition(":")
            total += n
            if answer == "coming":
                coming += n
                if role:
                    filled[int(role)] = filled.get(int(role), 0) + n
            elif answer == "cant":
                cant += n
        return Tally(total, coming, cant, filled)

    @staticmethod
    async def answer_tx(
        conn: aiosqlite.Connection,
        action_id: int,
        user_id: int,
        answer: str,
        role_id: int | None,
        now: datetime,
    ) -> None:
        await conn.execute(
            "UPDATE action_recipients SET answer = ?, role_id = ?, answered_at = ?"
            " WHERE action_id = ? AND user_id = ?",
            (answer, role_id, to_db(now), action_id, user_id),
        )

    @staticmethod
    async def role_filled_tx(
        conn: aiosqlite.Connection, action_id: int, role_id: int, except_user: int
    ) -> int:
        async with conn.execute(
            "SELECT COUNT(*) FROM action_recipients WHERE action_id = ? AND role_id = ?"
            " AND answer = 'coming' AND user_id != ?",
            (action_id, role_id, except_user),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def coming_user_ids(
        self, action_id: int, answered_before: datetime | None = None
    ) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT user_id FROM action_recipients WHERE action_id = ? AND answer = 'coming'"
            " AND (? IS NULL OR answered_at <= ?) ORDER BY user_id",
            (action_id, *([to_db(answered_before)] * 2 if answered_before else [None, None])),
        )
        return [r[0] for r in rows]

    async def of_creator_or_groups(
        self, user_id: int, group_ids: list[int], project_ids: list[int]
    ) -> list[Action]:
        rows = await self.db.fetchall("SELECT * FROM actions ORDER BY starts_at DESC LIMIT 200", ())
        found = []
        for r in rows:
            a = row_to(Action, r)
            if (
                a.created_by == user_id
                or a.project_id in project_ids
                or set(a.groups) & set(group_ids)
            ):
                found.append(a)
        return found[:10]

    async def upcoming(self, now: datetime, until: datetime) -> list[Action]:
        rows = await self.db.fetchall(
            "SELECT * FROM actions WHERE state = 'sent' AND starts_at > ? AND starts_at <= ?",
            (to_db(now), to_db(until)),
        )
        return [row_to(Action, r) for r in rows]

    async def just_over(self, now: datetime, since: datetime) -> list[Action]:
        rows = await self.db.fetchall(
            "SELECT * FROM actions WHERE state = 'sent' AND starts_at <= ? AND starts_at > ?"
            " AND followup_sent_at IS NULL",
            (to_db(now), to_db(since)),
        )
        return [row_to(Action, r) for r in rows]

    async def set_status_message(
        self, action_id: int, chat_id: int, message_id: int | None
    ) -> None:
        await self.db.execute(
            "UPDATE actions SET status_chat_id = ?, status_message_id = ? WHERE id = ?",
            (chat_id, message_id, action_id),
        )

    async def change(self, action_id: int, start: datetime, place: str) -> None:
        await self.db.execute(
            "UPDATE actions SET starts_at = ?, place = ? WHERE id = ?",
            (to_db(start), place, action_id),
        )

    @staticmethod
    async def cancel_tx(conn: aiosqlite.Connection, action_id: int, now: datetime) -> None:
        await conn.execute(
            "UPDATE actions SET state = 'cancelled', cancelled_at = ? WHERE id = ? AND state ="
            " 'sent'",
            (to_db(now), action_id),
        )

    @staticmethod
    async def mark_followup_tx(conn: aiosqlite.Connection, action_id: int, now: datetime) -> bool:
        """False when the follow-up was already sent."""
        cur = await conn.execute(
            "UPDATE actions SET followup_sent_at = ? WHERE id = ? AND followup_sent_at IS NULL",
            (to_db(now), action_id),
        )
        return cur.rowcount != 0

    # ----- the call's outbox rows (batches action:<id> and action-chat:<id>) -----

    async def progress(self, action_id: int) -> dict[str, int]:
        """Outbox states of the members' calls: state -> count."""
        rows = await self.db.fetchall(
            "SELECT state, COUNT(*) FROM outbox WHERE batch = ? GROUP BY state",
            (f"action:{action_id}",),
        )
        return {r[0]: r[1] for r in rows}

    async def chat_post_count(self, action_id: int) -> int:
        rows = await self.db.fetchall(
            "SELECT COUNT(*) FROM outbox WHERE batch = ? AND ref LIKE 'acg:%'",
            (f"action-chat:{action_id}",),
        )
        return int(rows[0][0]) if rows else 0

    async def chat_posts(self, action_id: int) -> list[tuple[str, int, str, int | None]]:
        """(ref, chat id, state, message id) of the call's posts in linked group chats."""
        rows = await self.db.fetchall(
            "SELECT ref, chat_id, state, message_id FROM outbox"
            " WHERE batch = ? AND ref LIKE 'acg:%'",
            (f"action-chat:{action_id}",),
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    # ----- mutes -----

    async def muted_groups(self, user_id: int) -> set[int]:
        rows = await self.db.fetchall(
            "SELECT group_id FROM action_mutes WHERE user_id = ?", (user_id,)
        )
        return {r[0] for r in rows}

    async def muted_all(self, user_id: int) -> bool:
        rows = await self.db.fetchall(
            "SELECT 1 FROM action_mutes_all WHERE user_id = ?", (user_id,)
        )
        return bool(rows)

    async def set_muted_all(self, user_id: int, muted: bool, now: datetime) -> None:
        """No action calls at all (from every group, also ones joined later), or again."""
        if muted:
            await self.db.execute(
                "INSERT OR IGNORE INTO action_mutes_all (user_id, muted_at) VALUES (?, ?)",
                (user_id, to_db(now)),
            )
        else:
            await self.db.execute("DELETE FROM action_mutes_all WHERE user_id = ?", (user_id,))

    async def set_muted(self, user_id: int, group_id: int, muted: bool, now: datetime) -> None:
        if muted:
            await self.db.execute(
                "INSERT OR IGNORE INTO action_mutes (user_id, group_id, muted_at) VALUES (?, ?, ?)",
                (user_id, group_id, to_db(now)),
            )
        else:
            await self.db.execute(
                "DELETE FROM action_mutes WHERE user_id = ? AND group_id = ?", (user_id, group_id)
            )

    async def audience(self, group_ids: list[int]) -> list[tuple[int, int]]:
        """(user id, group id) of everyone a call to these groups reaches: one row per person
        (their first group that is not muted), without muted, stopped or forgotten people."""
        if not group_ids:
            return []
        marks = ",".join("?" * len(group_ids))
        rows = await self.db.fetchall(
            f"SELECT m.user_id, MIN(m.group_id) FROM memberships m JOIN users u ON u.id = m.user_id"
            f" WHERE m.group_id IN ({marks}) AND u.tg_id IS NOT NULL AND u.stopped_at IS NULL"
            f" AND u.forgotten_at IS NULL AND NOT EXISTS (SELECT 1 FROM action_mutes x"
            f"   WHERE x.user_id = m.user_id AND x.group_id = m.group_id)"
            f" AND NOT EXISTS (SELECT 1 FROM action_mutes_all a WHERE a.user_id = m.user_id)"
            f" GROUP BY m.user_id ORDER BY m.user_id",
            list(group_ids),
        )
        return [(r[0], r[1]) for r in rows]
