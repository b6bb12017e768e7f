"""A small world written straight into a database (for subprocess tests: fuzz, faults, logs).

Project 1 'Rabot' (worker 'worker', group 1 with organiser 'organiser' and resident 'resident'),
project 2 'Ledeberg' (worker 'other_worker', group 2), admin 'admin' (ADMIN_IDS)."""

from __future__ import annotations

import asyncio
from pathlib import Path

ROLE_IDS = {
    "admin": 1,
    "worker": 500_001,
    "other_worker": 500_002,
    "organiser": 500_003,
    "resident": 500_004,
}
STAMP = "2026-01-01T00:00:00+00:00"
GROUP_TOKENS = {1: "rabotgroup", 2: "ledeberggroup"}


async def write_world(db_path: Path) -> None:
    from storage.db import Database

    db = Database(db_path)
    await db.open()
    await db.migrate()
    async with db.transaction() as conn:
        for name, tg in ROLE_IDS.items():
            await conn.execute(
                "INSERT INTO users (tg_id, first_name, tg_language, language, privacy_seen_at,"
                " created_at, last_seen_at) VALUES (?, ?, 'nl', 'nl', ?, ?, ?)",
                (tg, name.title(), STAMP, STAMP, STAMP),
            )
        uid = {
            r[1]: r[0] for r in await (await conn.execute("SELECT id, tg_id FROM users")).fetchall()
        }
        await conn.execute(
            "INSERT INTO projects (id, name, created_at)"
            " VALUES (1, 'Rabot', ?), (2, 'Ledeberg', ?)",
            (STAMP, STAMP),
        )
        await conn.execute(
            "INSERT INTO neighbourhoods (project_id, name) VALUES (1, 'Rabot'), (2, 'Ledeberg')"
        )
        for gid, pid in ((1, 1), (2, 2)):
            await conn.execute(
                "INSERT INTO groups (id, project_id, name, member_token, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (gid, pid, f"Groep {gid}", GROUP_TOKENS[gid], STAMP),
            )
        await conn.execute(
            "INSERT INTO project_workers (project_id, user_id, joined_at)"
            " VALUES (1, ?, ?), (2, ?, ?)",
            (uid[ROLE_IDS["worker"]], STAMP, uid[ROLE_IDS["other_worker"]], STAMP),
        )
        await conn.execute(
            "INSERT INTO memberships (group_id, user_id, role, joined_at)"
            " VALUES (1, ?, 'organiser', ?), (1, ?, 'member', ?)",
            (uid[ROLE_IDS["organiser"]], STAMP, uid[ROLE_IDS["resident"]], STAMP),
        )
    await db.close()


def write_world_sync(db_path: Path) -> None:
    asyncio.run(write_world(db_path))
