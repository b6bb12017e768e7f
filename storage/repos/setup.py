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
