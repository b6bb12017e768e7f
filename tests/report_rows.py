"""Problem reports written straight into SQLite (schema 0002_reports), for privacy and export
tests while the reports conversation lives on another branch."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storage.timestamps import to_db

CATEGORIES = [("housing", "🏠", "Housing"), ("energy", "⚡", "Energy"), ("noise", "🔊", "Noise")]


async def ensure_categories(h, project_id: int) -> dict[str, int]:
    async with h.db.transaction(mark=False) as conn:
        for pos, (key, emoji, label) in enumerate(CATEGORIES):
            await conn.execute(
                "INSERT OR IGNORE INTO report_categories (project_id, key, emoji, "
                "label_msgid, position)"
                " VALUES (?, ?, ?, ?, ?)",
                (project_id, key, emoji, label, pos),
            )
    rows = await h.rows("SELECT key, id FROM report_categories WHERE project_id = ?", (project_id,))
    return dict(rows)


async def user_id(h, tg_id: int) -> int:
    return (await h.rows("SELECT id FROM users WHERE tg_id = ?", (tg_id,)))[0][0]


async def hood_id(h, project_id: int, name: str) -> int:
    return (
        await h.rows(
            "SELECT id FROM neighbourhoods WHERE project_id = ? AND name = ?", (project_id, name)
        )
    )[0][0]


_seq = {"n": 0}


async def add_report(
    h,
    project_id: int,
    reporter_id: int | None,
    *,
    category: str = "housing",
    created: datetime,
    text: str | None = "Schimmel",
    voice: str | None = None,
    hood: int | None = None,
    lat: float | None = None,
    lon: float | None = None,
    address: str | None = None,
    show_name: int = 0,
    quote_ok: int = 0,
    status: str = "new",
    assigned_to: int | None = None,
    first_answer: timedelta | None = None,
    resolved: timedelta | None = None,
    me_too: list[int | None] = (),
    photos: list[str] = (),
    messages: list[tuple[str, str]] = (),
    reason: str | None = None,
) -> int:
    cats = await ensure_categories(h, project_id)
    _seq["n"] += 1
    year = created.year
    seq = _seq["n"]
    closed = (
        created + resolved
        if (resolved and status in ("resolved", "not_for_us", "withdrawn"))
        else None
    )
    row: dict[str, Any] = dict(
        reference=f"R-{year}-{seq:04d}",
        year=year,
        seq=seq,
        project_id=project_id,
        reporter_id=reporter_id,
        category_id=cats[category],
        category_key=category,
        text=text,
        voice_file_id=voice,
        neighbourhood_id=hood,
        lat=lat,
        lon=lon,
        address=address,
        show_name=show_name,
        quote_ok=quote_ok,
        status=status,
        status_reason=reason,
        assigned_to=assigned_to,
        language="nl",
        created_at=to_db(created),
        updated_at=to_db(created),
        first_answer_at=to_db(created + first_answer) if first_answer else None,
        seen_at=to_db(created + first_answer) if first_answer else None,
        resolved_at=to_db(created + resolved) if resolved and status == "resolved" else None,
        closed_at=to_db(closed) if closed else None,
    )
    cols = ", ".join(row)
    marks = ", ".join("?" * len(row))
    async with h.db.transaction(mark=False) as conn:
        cur = await conn.execute(
            f"INSERT INTO reports ({cols}) VALUES ({marks})", tuple(row.values())
        )
        rid = cur.lastrowid
        await conn.execute(
            "INSERT INTO report_events (report_id, kind, new_status, actor_id, created_at) "
            "VALUES (?, 'created', 'new', ?, ?)",
            (rid, reporter_id, to_db(created)),
        )
        if first_answer:
            await conn.execute(
                "INSERT INTO report_events (report_id, kind, old_status, new_status, "
                "actor_id, created_at)"
                " VALUES (?, 'status', 'new', 'seen', ?, ?)",
                (rid, assigned_to, to_db(created + first_answer)),
            )
        if closed:
            await conn.execute(
                "INSERT INTO report_events (report_id, kind, old_status, new_status, "
                "actor_id, reason, created_at)"
                " VALUES (?, 'status', 'seen', ?, ?, ?, ?)",
                (rid, status, assigned_to, reason, to_db(closed)),
            )
        for i, uid in enumerate(me_too):
            await conn.execute(
                "INSERT INTO report_me_too (report_id, user_id, created_at) VALUES (?, ?, ?)",
                (rid, uid, to_db(created + timedelta(hours=i + 1))),
            )
        for fid in photos:
            await conn.execute(
                "INSERT INTO report_photos (report_id, file_id, added_by, created_at) VALUES "
                "(?, ?, ?, ?)",
                (rid, fid, reporter_id, to_db(created)),
            )
        for direction, body in messages:
            sender = reporter_id if direction == "to_worker" else assigned_to
            await conn.execute(
                "INSERT INTO report_messages (report_id, direction, sender_id, text, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                (rid, direction, sender, body, to_db(created)),
            )
    return rid
