"""What `buurtbot setup` keeps about the people a set-up file names: their roles and routing
rules wait in setup_grants / setup_rules until the person uses their invite, and are granted in
the invite's own transaction (``grant_tx``)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.timestamps import to_db


async def person_of_invite_tx(conn: aiosqlite.Connection, token: str) -> str | None:
    async with conn.execute("SELECT key FROM setup_people WHERE invite_token = ?", (token,)) as c:
        row = await c.fetchone()
    return str(row[0]) if row else None


async def grant_tx(
    conn: aiosqlite.Connection, person_key: str, user_id: int, now: datetime
) -> None:
    """The person is ``user_id`` from now on: every role and rule the file gives them."""
    await conn.execute("UPDATE setup_people SET user_id = ? WHERE key = ?", (user_id, person_key))
    async with conn.execute(
        "SELECT kind, project_id, group_id FROM setup_grants WHERE person_key = ?", (person_key,)
    ) as c:
        grants = list(await c.fetchall())
    for kind, project_id, group_id in grants:
        if kind == "worker":
            await conn.execute(
                "INSERT OR IGNORE INTO project_workers (project_id, user_id, joined_at)"
                " VALUES (?, ?, ?)",
                (project_id, user_id, to_db(now)),
            )
        elif kind == "organiser" and group_id is not None:
            await conn.execute(
                "INSERT INTO memberships (group_id, user_id, role, joined_at)"
                " VALUES (?, ?, 'organiser', ?)"
                " ON CONFLICT (group_id, user_id) DO UPDATE SET role = 'organiser'",
                (group_id, user_id, to_db(now)),
            )
        elif kind == "default":
            await conn.execute(
                "UPDATE projects SET default_worker_id = ? WHERE id = ?", (user_id, project_id)
            )
    await rules_tx(conn, person_key, user_id, now)


async def rules_tx(
    conn: aiosqlite.Connection, person_key: str, user_id: int, now: datetime
) -> None:
    """Copy the file's rules for this person into routing_rules (replacing a rule for the same
    neighbourhood and category)."""
    async with conn.execute(
        "SELECT project_id, neighbourhood_id, category_id FROM setup_rules WHERE person_key = ?",
        (person_key,),
    ) as c:
        rules = list(await c.fetchall())
    for project_id, hood_id, cat_id in rules:
        await conn.execute(
            "DELETE FROM routing_rules WHERE project_id = ? AND IFNULL(neighbourhood_id, 0) = ?"
            " AND IFNULL(category_id, 0) = ?",
            (project_id, hood_id or 0, cat_id or 0),
        )
        await conn.execute(
            "INSERT INTO routing_rules (project_id, neighbourhood_id, category_id, worker_id,"
            " created_at) VALUES (?, ?, ?, ?, ?)",
            (project_id, hood_id, cat_id, user_id, to_db(now)),
        )


class SetupStore:
    """The SQL of `buurtbot setup`, on a connection inside its one transaction. Each method
    changes a row only when it differs and says whether it did (so a second run changes
    nothing and says so)."""

    def __init__(self, conn: aiosqlite.Connection, now: datetime) -> None:
        self.conn, self.now = conn, now

    async def _one(self, sql: str, params: tuple = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, params) as c:
            return await c.fetchone()

    async def _all(self, sql: str, params: tuple = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, params) as c:
            return list(await c.fetchall())

    async def _changed(self, sql: str, params: tuple) -> bool:
        cur = await self.conn.execute(sql, params)
        return (cur.rowcount or 0) > 0

    # ----- projects -----

    async def project(self, key: str, name: str) -> tuple[int, str | None]:
        """(id, what changed: 'new', 'renamed', 'shown again' or None)."""
        row = await self._one("SELECT id, name, hidden FROM projects WHERE setup_key = ?", (key,))
        if row is None:
            # A project made by hand in the bot with the same name becomes the file's.
            row = await self._one(
                "SELECT id, name, hidden FROM projects WHERE setup_key IS NULL"
                " AND name = ? COLLATE NOCASE",
                (name,),
            )
            if row is not None:
                await self.conn.execute(
                    "UPDATE projects SET setup_key = ? WHERE id = ?", (key, row["id"])
                )
        if row is None:
            cur = await self.conn.execute(
                "INSERT INTO projects (name, setup_key, created_at) VALUES (?, ?, ?)",
                (name, key, to_db(self.now)),
            )
            return int(cur.lastrowid or 0), "new"
        pid = int(row["id"])
        if row["name"] != name:
            await self.conn.execute("UPDATE projects SET name = ? WHERE id = ?", (name, pid))
            return pid, "renamed"
        if row["hidden"]:
            await self.conn.execute("UPDATE projects SET hidden = 0 WHERE id = ?", (pid,))
            return pid, "shown again"
        return pid, None

    async def hide_projects_except(self, keys: list[str]) -> list[str]:
        rows = await self._all(
            "SELECT id, name, setup_key FROM projects WHERE setup_key IS NOT NULL AND NOT hidden"
        )
        gone = [r for r in rows if r["setup_key"] not in keys]
        for r in gone:  # and its groups: nobody joins a project that is gone
            await self.conn.execute("UPDATE projects SET hidden = 1 WHERE id = ?", (r["id"],))
            await self.conn.execute("UPDATE groups SET hidden = 1 WHERE project_id = ?", (r["id"],))
        return [r["name"] for r in gone]

    # ----- neighbourhoods -----

    async def neighbourhood(
        self,
        pid: int,
        name: str,
        lat: float | None,
        lon: float | None,
        boundary: str | None,
    ) -> tuple[int, list[str]]:
        row = await self._one(
            "SELECT * FROM neighbourhoods WHERE project_id = ? AND name = ? COLLATE NOCASE",
            (pid, name),
        )
        if row is None:
            cur = await self.conn.execute(
                "INSERT INTO neighbourhoods (project_id, name, lat, lon, boundary)"
                " VALUES (?, ?, ?, ?, ?)",
                (pid, name, lat, lon, boundary),
            )
            return int(cur.lastrowid or 0), ["new"]
        hid, changes = int(row["id"]), []
        if row["name"] != name:
            changes.append("renamed")
        if lat is not None and (row["lat"], row["lon"]) != (lat, lon):
            changes.append("centre")
        if (row["boundary"] or None) != boundary:
            changes.append("boundary")
        if row["hidden"]:
            changes.append("shown again")
        if changes:
            await self.conn.execute(
                "UPDATE neighbourhoods SET name = ?, lat = ?, lon = ?, boundary = ?, hidden = 0"
                " WHERE id = ?",
                (
                    name,
                    lat if lat is not None else row["lat"],
                    lon if lon is not None else row["lon"],
                    boundary,
                    hid,
                ),
            )
        return hid, changes

    async def hide_neighbourhoods_except(self, pid: int, ids: list[int]) -> list[str]:
        rows = await self._all(
            "SELECT id, name FROM neighbourhoods WHERE project_id = ? AND NOT hidden", (pid,)
        )
        gone = [r for r in rows if r["id"] not in ids]
        for r in gone:
            await self.conn.execute("UPDATE neighbourhoods SET hidden = 1 WHERE id = ?", (r["id"],))
        return [r["name"] for r in gone]

    # ----- categories -----

    async def seed_categories(self, pid: int, defaults: tuple[tuple[str, str, str], ...]) -> None:
        """The default set, as the bot seeds it on first use (so hiding one here lasts)."""
        await self.conn.executemany(
            "INSERT OR IGNORE INTO report_categories (project_id, key, emoji, label_msgid,"
            " position) VALUES (?, ?, ?, ?, ?)",
            [(pid, k, e, label, i) for i, (k, e, label) in enumerate(defaults)],
        )

    async def category(
        self, pid: int, key: str, emoji: str, labels: str, label: str, position: int
    ) -> tuple[int, list[str]]:
        row = await self._one(
            "SELECT * FROM report_categories WHERE project_id = ? AND key = ?", (pid, key)
        )
        if row is None:
            cur = await self.conn.execute(
                "INSERT INTO report_categories (project_id, key, emoji, label_msgid, position,"
                " custom_label, labels) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (pid, key, emoji, label, position, label, labels),
            )
            return int(cur.lastrowid or 0), ["new"]
        cid, changes = int(row["id"]), []
        if row["emoji"] != emoji:
            changes.append("emoji")
        if row["labels"] != labels:
            changes.append("names")
        if row["position"] != position:
            changes.append("order")
        if not row["active"]:
            changes.append("shown again")
        if changes:
            await self.conn.execute(
                "UPDATE report_categories SET emoji = ?, labels = ?, custom_label = ?,"
                " position = ?, active = 1 WHERE id = ?",
                (emoji, labels, label, position, cid),
            )
        return cid, changes

    async def category_ids(self, pid: int) -> dict[str, int]:
        rows = await self._all("SELECT key, id FROM report_categories WHERE project_id = ?", (pid,))
        return {r["key"]: int(r["id"]) for r in rows}

    async def hide_categories_except(self, pid: int, ids: list[int]) -> list[str]:
        rows = await self._all(
            "SELECT id, key FROM report_categories WHERE project_id = ? AND active", (pid,)
        )
        gone = [r for r in rows if r["id"] not in ids]
        for r in gone:
            await self.conn.execute(
                "UPDATE report_categories SET active = 0 WHERE id = ?", (r["id"],)
            )
        return [r["key"] for r in gone]

    # ----- groups -----

    async def group(self, pid: int, key: str, name: str, token: str) -> tuple[int, str | None]:
        row = await self._one(
            "SELECT id, name, hidden FROM groups WHERE project_id = ? AND setup_key = ?",
            (pid, key),
        )
        if row is None:
            row = await self._one(
                "SELECT id, name, hidden FROM groups WHERE project_id = ? AND setup_key IS NULL"
                " AND name = ? COLLATE NOCASE",
                (pid, name),
            )
            if row is not None:
                await self.conn.execute(
                    "UPDATE groups SET setup_key = ? WHERE id = ?", (key, row["id"])
                )
        if row is None:
            cur = await self.conn.execute(
                "INSERT INTO groups (project_id, name, member_token, setup_key, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (pid, name, token, key, to_db(self.now)),
            )
            return int(cur.lastrowid or 0), "new"
        gid = int(row["id"])
        if row["name"] != name or row["hidden"]:
            await self.conn.execute(
                "UPDATE groups SET name = ?, hidden = 0 WHERE id = ?", (name, gid)
            )
            return gid, "renamed" if row["name"] != name else "shown again"
        return gid, None

    async def member_token(self, gid: int) -> str:
        row = await self._one("SELECT member_token FROM groups WHERE id = ?", (gid,))
        return str(row[0]) if row else ""

    async def hide_groups_except(self, pid: int, ids: list[int]) -> list[str]:
        rows = await self._all(
            "SELECT id, name FROM groups WHERE project_id = ? AND setup_key IS NOT NULL"
            " AND NOT hidden",
            (pid,),
        )
        gone = [r for r in rows if r["id"] not in ids]
        for r in gone:
            await self.conn.execute("UPDATE groups SET hidden = 1 WHERE id = ?", (r["id"],))
        return [r["name"] for r in gone]

    # ----- people, their roles and rules -----

    async def person(self, key: str, name: str) -> tuple[int | None, str | None, str | None]:
        """(user_id once joined, the pending invite token, what changed)."""
        row = await self._one("SELECT * FROM setup_people WHERE key = ?", (key,))
        if row is None:
            await self.conn.execute(
                "INSERT INTO setup_people (key, name) VALUES (?, ?)", (key, name)
            )
            return None, None, "new"
        changed = None
        if row["user_id"] is not None:
            user = await self._one(
                "SELECT tg_id, forgotten_at FROM users WHERE id = ?", (row["user_id"],)
            )
            if user is None or user["tg_id"] is None or user["forgotten_at"]:
                # They had their data removed (/forget): a stranger now; a new invite if the
                # file still names them, never roles for the anonymous row.
                await self.conn.execute(
                    "UPDATE setup_people SET user_id = NULL, invite_token = NULL WHERE key = ?",
                    (key,),
                )
                return None, None, "left (their data was removed)"
        if row["name"] != name:
            await self.conn.execute("UPDATE setup_people SET name = ? WHERE key = ?", (name, key))
            changed = "renamed"
        return row["user_id"], row["invite_token"], changed

    async def set_grants(
        self, key: str, grants: set[tuple[str, int, int | None]]
    ) -> set[tuple[str, int, int | None]] | None:
        """Store what the file gives the person; None when nothing changed, else what the file
        no longer gives (roles already held are not taken away)."""
        rows = await self._all(
            "SELECT kind, project_id, group_id FROM setup_grants WHERE person_key = ?", (key,)
        )
        old = {(r[0], int(r[1]), r[2]) for r in rows}
        if old == grants:
            return None
        await self.conn.execute("DELETE FROM setup_grants WHERE person_key = ?", (key,))
        await self.conn.executemany(
            "INSERT INTO setup_grants (person_key, kind, project_id, group_id) VALUES (?, ?, ?, ?)",
            [(key, k, p, g) for k, p, g in sorted(grants, key=str)],
        )
        return old - grants

    async def set_rules(
        self, pid: int, rules: dict[tuple[int | None, int | None], str]
    ) -> list[tuple[tuple[int | None, int | None], str, str]]:
        """The project's file rules: (neighbourhood, category) -> person key. A removed rule
        also leaves routing_rules (when it still names that person's account). Returns what
        changed: ((neighbourhood, category), person key, "new" | "changed" | "removed")."""
        rows = await self._all(
            "SELECT s.neighbourhood_id, s.category_id, s.person_key, p.user_id"
            " FROM setup_rules s JOIN setup_people p ON p.key = s.person_key"
            " WHERE s.project_id = ?",
            (pid,),
        )
        old = {(r[0], r[1]): (r[2], r[3]) for r in rows}
        changes = []
        for where, (person, user_id) in old.items():
            if rules.get(where) == person:
                continue
            changes.append(
                (where, person, "removed")
                if where not in rules
                else (where, rules[where], "changed")
            )
            await self.conn.execute(
                "DELETE FROM setup_rules WHERE project_id = ? AND IFNULL(neighbourhood_id, 0) = ?"
                " AND IFNULL(category_id, 0) = ?",
                (pid, where[0] or 0, where[1] or 0),
            )
            if user_id is not None:
                await self.conn.execute(
                    "DELETE FROM routing_rules WHERE project_id = ?"
                    " AND IFNULL(neighbourhood_id, 0) = ? AND IFNULL(category_id, 0) = ?"
                    " AND worker_id = ?",
                    (pid, where[0] or 0, where[1] or 0, user_id),
                )
        for where, person in rules.items():
            if old.get(where, (None,))[0] == person:
                continue
            if where not in old:
                changes.append((where, person, "new"))
            await self.conn.execute(
                "INSERT INTO setup_rules (project_id, neighbourhood_id, category_id, person_key)"
                " VALUES (?, ?, ?, ?)",
                (pid, where[0], where[1], person),
            )
        return changes

    async def routing_in_place(self, key: str, user_id: int) -> bool:
        """Are the roles and rules of a person who already joined all in place?"""
        for kind, pid, gid in await self._all(
            "SELECT kind, project_id, group_id FROM setup_grants WHERE person_key = ?", (key,)
        ):
            if kind == "worker" and not await self._one(
                "SELECT 1 FROM project_workers WHERE project_id = ? AND user_id = ?",
                (pid, user_id),
            ):
                return False
            if kind == "organiser" and not await self._one(
                "SELECT 1 FROM memberships WHERE group_id = ? AND user_id = ?"
                " AND role = 'organiser'",
                (gid, user_id),
            ):
                return False
            if kind == "default" and not await self._one(
                "SELECT 1 FROM projects WHERE id = ? AND default_worker_id = ?", (pid, user_id)
            ):
                return False
        for pid, hood, cat in await self._all(
            "SELECT project_id, neighbourhood_id, category_id FROM setup_rules"
            " WHERE person_key = ?",
            (key,),
        ):
            if not await self._one(
                "SELECT 1 FROM routing_rules WHERE project_id = ?"
                " AND IFNULL(neighbourhood_id, 0) = ? AND IFNULL(category_id, 0) = ?"
                " AND worker_id = ?",
                (pid, hood or 0, cat or 0, user_id),
            ):
                return False
        return True

    async def first_grant(self, key: str) -> tuple[str, int, int | None] | None:
        """What the person's invite is for: worker of a project, else organiser of a group."""
        row = await self._one(
            "SELECT kind, project_id, group_id FROM setup_grants WHERE person_key = ?"
            " AND kind IN ('worker', 'organiser') ORDER BY kind DESC, project_id, group_id",
            (key,),
        )
        return (row[0], int(row[1]), row[2]) if row else None

    async def invite(self, token: str) -> aiosqlite.Row | None:
        return await self._one("SELECT * FROM invites WHERE token = ?", (token,))

    async def revoke_invite(self, token: str) -> None:
        """An unused invite replaced by a new one stops working: nothing refers to it."""
        await self.conn.execute(
            "UPDATE setup_people SET invite_token = NULL WHERE invite_token = ?", (token,)
        )
        await self.conn.execute("DELETE FROM invites WHERE token = ? AND used_by IS NULL", (token,))

    async def new_invite(
        self, key: str, token: str, grant: tuple[str, int, int | None], expires: datetime
    ) -> None:
        await self.conn.execute(
            "INSERT INTO invites (token, kind, project_id, group_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (token, grant[0], grant[1], grant[2], to_db(self.now), to_db(expires)),
        )
        await self.conn.execute(
            "UPDATE setup_people SET invite_token = ? WHERE key = ?", (token, key)
        )
