"""Problem reports: categories, reports, their history, relayed messages, me-too, routing rules,
drafts and digest settings. Frozen dataclasses out, parameterised SQL in."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import Database
from storage.repos import row_to
from storage.timestamps import from_db, to_db

OPEN_STATUSES = ("new", "seen", "in_progress", "forwarded")
STATUSES = (*OPEN_STATUSES, "resolved", "not_for_us", "withdrawn")

# (key, emoji, English label = gettext msgid in the "reports" domain)
DEFAULT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("housing", "🏠", "Housing"),
    ("energy", "⚡", "Energy"),
    ("street", "🛣️", "Street & public space"),
    ("safety", "🛡️", "Safety"),
    ("cleanliness", "🧹", "Cleanliness"),
    ("noise", "🔊", "Noise"),
    ("social", "🧾", "Social services & benefits"),
    ("health", "🩺", "Health"),
    ("other", "❓", "Other"),
)


@dataclass(frozen=True)
class Category:
    id: int
    project_id: int
    key: str
    emoji: str
    label_msgid: str
    position: int
    active: int = 1
    custom_label: str | None = None  # the organisation's own words: shown as typed
    labels: str | None = None  # JSON {language: name} from the set-up file

    @property
    def is_custom(self) -> bool:
        return self.custom_label is not None


@dataclass(frozen=True)
class Report:
    id: int
    reference: str
    project_id: int
    group_id: int | None
    reporter_id: int | None
    category_id: int
    category_key: str
    text: str | None
    voice_file_id: str | None
    neighbourhood_id: int | None
    lat: float | None
    lon: float | None
    address: str | None
    show_name: int
    quote_ok: int
    status: str
    status_reason: str | None
    assigned_to: int | None
    language: str | None
    created_at: str
    updated_at: str
    seen_at: str | None
    first_answer_at: str | None
    resolved_at: str | None
    reopened_count: int
    solved_asked_at: str | None
    escalated_at: str | None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class Draft:
    user_id: int
    project_id: int | None
    step: str
    data: dict[str, Any]
    updated_at: str


@dataclass(frozen=True)
class Rule:
    id: int
    project_id: int
    neighbourhood_id: int | None
    category_id: int | None
    worker_id: int


@dataclass(frozen=True)
class DigestSetting:
    user_id: int
    frequency: str
    time_local: str
    weekday: int
    last_sent_at: str | None


@dataclass(frozen=True)
class HistoryItem:
    """One step in a report's life, for the handover message and the re-sent card: a status
    change, a hand-over, a reopen, or a message relayed either way."""

    created_at: str
    kind: str  # status, assigned, reopened, to_reporter, to_worker
    actor_id: int | None
    target_id: int | None = None
    new_status: str | None = None
    text: str | None = None
    voice: bool = False


@dataclass(frozen=True)
class DigestDue:
    """One worker's digest schedule as stored (None: never chosen, the defaults apply)."""

    user_id: int
    joined_at: str | None
    frequency: str | None
    time_local: str | None
    weekday: int | None
    last_sent_at: str | None
    checked_at: str | None = None


def _token() -> str:
    return secrets.token_hex(3)


class ReportsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._seeded: set[int] = set()
        self._categories: dict[int, list[Category]] = {}
        self._data_version: object = None

    # ----- categories -----

    async def categories(self, project_id: int, hidden: bool = False) -> list[Category]:
        """The project's categories offered to residents (``hidden=True``: also the hidden ones,
        which old reports keep); the default set is seeded on first use. Cached per project,
        dropped on every change made through this repository."""
        # `buurtbot setup` may change categories from another process while the bot runs:
        # SQLite's data_version moves when another connection commits.
        version = await self.db.data_version()
        if version != self._data_version:
            self._categories.clear()
            self._data_version = version
        cached = self._categories.get(project_id)
        if cached is None:
            cached = await self._load_categories(project_id)
        return cached if hidden else [c for c in cached if c.active]

    async def _load_categories(self, project_id: int) -> list[Category]:
        if project_id not in self._seeded:
            async with self.db.transaction(mark=False) as conn:
                await conn.executemany(
                    "INSERT OR IGNORE INTO report_categories (project_id, key, emoji, "
                    "label_msgid, position)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [
                        (project_id, k, e, label, i)
                        for i, (k, e, label) in enumerate(DEFAULT_CATEGORIES)
                    ],
                )
            self._seeded.add(project_id)
        rows = await self.db.fetchall(
            "SELECT * FROM report_categories WHERE project_id = ? ORDER BY position, id",
            (project_id,),
        )
        cats = [row_to(Category, r) for r in rows]
        self._categories[project_id] = cats
        return cats

    async def category(self, project_id: int, category_id: int) -> Category | None:
        for c in await self.categories(project_id, hidden=True):
            if c.id == category_id:
                return c
        return None

    async def category_by_id(self, category_id: int) -> Category | None:
        pid = await self.db.fetchval(
            "SELECT project_id FROM report_categories WHERE id = ?", (category_id,)
        )
        return await self.category(int(pid), category_id) if pid is not None else None

    async def add_category(self, project_id: int, emoji: str, label: str) -> Category:
        cats = await self.categories(project_id, hidden=True)
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO report_categories (project_id, key, emoji, label_msgid, position, "
                "custom_label)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    project_id,
                    f"c{len(cats) + 1}-{_token()}",
                    emoji,
                    label,
                    max((c.position for c in cats), default=0) + 1,
                    label,
                ),
            )
            cid = int(cur.lastrowid or 0)
        self._categories.pop(project_id, None)
        found = await self.category(project_id, cid)
        assert found is not None
        return found

    async def change_category(self, cat: Category, **values: Any) -> None:
        """emoji / custom_label / active."""
        sets = ", ".join(f"{k} = ?" for k in values)
        await self.db.execute(
            f"UPDATE report_categories SET {sets} WHERE id = ?", (*values.values(), cat.id)
        )
        self._categories.pop(cat.project_id, None)

    # ----- where each worker's card is (edited in place later) -----

    @staticmethod
    async def remember_card_tx(
        conn: aiosqlite.Connection, report_id: int, chat_id: int, message_id: int
    ) -> None:
        await conn.execute(
            "INSERT INTO report_cards (report_id, chat_id, message_id) VALUES (?, ?, ?)"
            " ON CONFLICT (report_id, chat_id) DO UPDATE SET message_id = excluded.message_id,"
            " handed_to = NULL",
            (report_id, chat_id, message_id),
        )

    @staticmethod
    async def card_states_tx(
        conn: aiosqlite.Connection, report_id: int
    ) -> list[tuple[int, int, int | None]]:
        """(chat, message, handed_to) of every delivered card; handed_to is the colleague a
        handed-over card now points to (None: a live card)."""
        rows = await conn.execute_fetchall(
            "SELECT chat_id, message_id, handed_to FROM report_cards WHERE report_id = ?",
            (report_id,),
        )
        return [(int(r[0]), int(r[1]), r[2]) for r in rows]

    @staticmethod
    async def hand_cards_tx(
        conn: aiosqlite.Connection, report_id: int, except_chat: int | None, handed_to: int
    ) -> None:
        """Every card of the report but the new assignee's becomes a handed-over card."""
        await conn.execute(
            "UPDATE report_cards SET handed_to = ? WHERE report_id = ? AND chat_id IS NOT ?",
            (handed_to, report_id, except_chat),
        )

    async def handed_to(self, report_id: int, chat_id: int, message_id: int) -> int | None:
        """The colleague a card was handed to, when this message is such a card."""
        value = await self.db.fetchval(
            "SELECT handed_to FROM report_cards WHERE report_id = ? AND chat_id = ?"
            " AND message_id = ?",
            (report_id, chat_id, message_id),
        )
        return int(value) if value is not None else None

    @staticmethod
    async def cards_tx(conn: aiosqlite.Connection, report_id: int) -> list[tuple[int, int]]:
        rows = await conn.execute_fetchall(
            "SELECT chat_id, message_id FROM report_cards WHERE report_id = ?", (report_id,)
        )
        return [(int(r[0]), int(r[1])) for r in rows]

    async def cards(self, report_id: int) -> list[tuple[int, int]]:
        rows = await self.db.fetchall(
            "SELECT chat_id, message_id FROM report_cards WHERE report_id = ?", (report_id,)
        )
        return [(int(r[0]), int(r[1])) for r in rows]

    # ----- reports -----

    async def get(self, report_id: int) -> Report | None:
        row = await self.db.fetchone("SELECT * FROM reports WHERE id = ?", (report_id,))
        return row_to(Report, row) if row else None

    @staticmethod
    async def get_tx(conn: aiosqlite.Connection, report_id: int) -> Report | None:
        rows = list(await conn.execute_fetchall("SELECT * FROM reports WHERE id = ?", (report_id,)))
        return row_to(Report, rows[0]) if rows else None

    @staticmethod
    async def next_reference_tx(conn: aiosqlite.Connection, year: int) -> tuple[int, str]:
        rows = list(
            await conn.execute_fetchall(
                "INSERT INTO report_counters (year, last_seq) VALUES (?, 1)"
                " ON CONFLICT (year) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq",
                (year,),
            )
        )
        seq = int(rows[0][0])
        return seq, f"R-{year}-{seq:04d}"

    @staticmethod
    async def insert_tx(conn: aiosqlite.Connection, values: dict[str, Any]) -> int:
        return (await ReportsRepo.insert_returning_tx(conn, values)).id

    @staticmethod
    async def insert_returning_tx(conn: aiosqlite.Connection, values: dict[str, Any]) -> Report:
        """Insert and get the stored row back in the same round trip (no re-read)."""
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        rows = list(
            await conn.execute_fetchall(
                f"INSERT INTO reports ({cols}) VALUES ({marks}) RETURNING *", tuple(values.values())
            )
        )
        return row_to(Report, rows[0])

    @staticmethod
    async def by_update_tx(conn: aiosqlite.Connection, update_id: int) -> Report | None:
        rows = list(
            await conn.execute_fetchall(
                "SELECT * FROM reports WHERE source_update_id = ?", (update_id,)
            )
        )
        return row_to(Report, rows[0]) if rows else None

    @staticmethod
    async def update_tx(conn: aiosqlite.Connection, report_id: int, values: dict[str, Any]) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        await conn.execute(f"UPDATE reports SET {sets} WHERE id = ?", (*values.values(), report_id))

    @staticmethod
    async def event_tx(
        conn: aiosqlite.Connection,
        report_id: int,
        kind: str,
        now: datetime,
        *,
        actor_id: int | None = None,
        target_id: int | None = None,
        old_status: str | None = None,
        new_status: str | None = None,
        reason: str | None = None,
    ) -> None:
        await conn.execute(
            "INSERT INTO report_events (report_id, kind, old_status, new_status, actor_id, "
            "target_id,"
            " reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (report_id, kind, old_status, new_status, actor_id, target_id, reason, to_db(now)),
        )

    @staticmethod
    async def add_photos_tx(
        conn: aiosqlite.Connection,
        report_id: int,
        file_ids: list[str],
        user_id: int | None,
        now: datetime,
    ) -> None:
        await conn.executemany(
            "INSERT INTO report_photos (report_id, file_id, added_by, created_at) VALUES (?, ?, "
            "?, ?)",
            [(report_id, f, user_id, to_db(now)) for f in file_ids],
        )

    @staticmethod
    async def add_voices_tx(
        conn: aiosqlite.Connection,
        report_id: int,
        voices: list[tuple[str, int | None]],
        user_id: int | None,
        now: datetime,
    ) -> None:
        """The second and later voice notes of a report (file id, seconds), in order."""
        await conn.executemany(
            "INSERT INTO report_voices (report_id, file_id, duration, added_by, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(report_id, f, d, user_id, to_db(now)) for f, d in voices],
        )

    async def voices(self, report_id: int) -> list[str]:
        """The file ids of the report's further voice notes (after reports.voice_file_id)."""
        rows = await self.db.fetchall(
            "SELECT file_id FROM report_voices WHERE report_id = ? ORDER BY id", (report_id,)
        )
        return [r[0] for r in rows]

    @staticmethod
    async def voices_tx(conn: aiosqlite.Connection, report_id: int) -> list[str]:
        async with conn.execute(
            "SELECT file_id FROM report_voices WHERE report_id = ? ORDER BY id", (report_id,)
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    @staticmethod
    async def message_tx(
        conn: aiosqlite.Connection,
        report_id: int,
        direction: str,
        sender_id: int | None,
        now: datetime,
        text: str | None = None,
        voice: str | None = None,
        photo: str | None = None,
    ) -> None:
        await conn.execute(
            "INSERT INTO report_messages (report_id, direction, sender_id, text, voice_file_id,"
            " photo_file_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (report_id, direction, sender_id, text, voice, photo, to_db(now)),
        )

    async def photos(self, report_id: int) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT file_id FROM report_photos WHERE report_id = ? ORDER BY id", (report_id,)
        )
        return [r[0] for r in rows]

    @staticmethod
    async def photos_tx(conn: aiosqlite.Connection, report_id: int) -> list[str]:
        async with conn.execute(
            "SELECT file_id FROM report_photos WHERE report_id = ? ORDER BY id", (report_id,)
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    @staticmethod
    async def me_too_count_tx(conn: aiosqlite.Connection, report_id: int) -> int:
        rows = list(
            await conn.execute_fetchall(
                "SELECT COUNT(*) FROM report_me_too WHERE report_id = ?", (report_id,)
            )
        )
        return int(rows[0][0]) if rows else 0

    async def resolved_unasked(self, resolved_before: datetime) -> list[int]:
        """Resolved reports (with a reporter) not yet asked "is it solved?", resolved by then."""
        rows = await self.db.fetchall(
            "SELECT id FROM reports WHERE status = 'resolved' AND solved_asked_at IS NULL"
            " AND resolved_at <= ? AND reporter_id IS NOT NULL",
            (to_db(resolved_before),),
        )
        return [int(r[0]) for r in rows]

    async def unseen_unescalated(self, created_before: datetime) -> list[int]:
        """Open reports nobody has seen, created by then and not escalated yet."""
        marks = ",".join("?" * len(OPEN_STATUSES))
        rows = await self.db.fetchall(
            "SELECT id FROM reports WHERE seen_at IS NULL AND escalated_at IS NULL"
            f" AND created_at <= ? AND status IN ({marks})",
            (to_db(created_before), *OPEN_STATUSES),
        )
        return [int(r[0]) for r in rows]

    async def me_too_count(self, report_id: int) -> int:
        return int(
            await self.db.fetchval(
                "SELECT COUNT(*) FROM report_me_too WHERE report_id = ?", (report_id,)
            )
        )

    @staticmethod
    async def me_too_tx(
        conn: aiosqlite.Connection, report_id: int, user_id: int, now: datetime
    ) -> bool:
        cur = await conn.execute(
            "INSERT OR IGNORE INTO report_me_too (report_id, user_id, created_at) VALUES (?, ?, ?)",
            (report_id, user_id, to_db(now)),
        )
        return bool(cur.rowcount)

    @staticmethod
    async def me_too_words_tx(
        conn: aiosqlite.Connection,
        report_id: int,
        user_id: int,
        text: str | None,
        show_name: bool,
        quote_ok: bool,
    ) -> None:
        """What a household that said "me too" told, with its consent answers."""
        await conn.execute(
            "UPDATE report_me_too SET text = COALESCE(?, text), show_name = ?, quote_ok = ?"
            " WHERE report_id = ? AND user_id = ?",
            (text, int(show_name), int(quote_ok), report_id, user_id),
        )

    async def similar(
        self,
        project_id: int,
        category_id: int,
        neighbourhood_id: int | None,
        user_id: int,
        near_pin: bool = True,
    ) -> list[Report]:
        """Open reports of the same category in the project, newest first: those of the
        neighbourhood, and (``near_pin``) every one with a pin, for the caller to measure."""
        marks = ",".join("?" * len(OPEN_STATUSES))
        place = "(neighbourhood_id = ? OR lat IS NOT NULL)" if near_pin else "neighbourhood_id = ?"
        rows = await self.db.fetchall(
            "SELECT * FROM reports WHERE project_id = ? AND category_id = ? AND status IN "
            f"({marks})"
            " AND (reporter_id IS NULL OR reporter_id != ?)"
            # Someone already counted is not offered the same report again.
            " AND NOT EXISTS (SELECT 1 FROM report_me_too m WHERE m.report_id = reports.id"
            "   AND m.user_id = ?)"
            f" AND {place} ORDER BY id DESC LIMIT ?",
            (
                project_id,
                category_id,
                *OPEN_STATUSES,
                user_id,
                user_id,
                neighbourhood_id if neighbourhood_id else -1,
                50 if near_pin else 3,
            ),
        )
        return [row_to(Report, r) for r in rows]

    async def of_reporter(self, user_id: int, limit: int = 10) -> list[Report]:
        rows = await self.db.fetchall(
            "SELECT * FROM reports WHERE reporter_id = ? ORDER BY id DESC LIMIT ?", (user_id, limit)
        )
        return [row_to(Report, r) for r in rows]

    async def followed(self, user_id: int, limit: int = 10) -> list[Report]:
        """The reports this person said "me too" to (they follow them), newest first."""
        rows = await self.db.fetchall(
            "SELECT r.* FROM reports r JOIN report_me_too m ON m.report_id = r.id"
            " WHERE m.user_id = ? ORDER BY r.id DESC LIMIT ?",
            (user_id, limit),
        )
        return [row_to(Report, r) for r in rows]

    async def follows(self, report_id: int, user_id: int) -> bool:
        return bool(
            await self.db.fetchval(
                "SELECT 1 FROM report_me_too WHERE report_id = ? AND user_id = ?",
                (report_id, user_id),
            )
        )

    @staticmethod
    async def followers_tx(
        conn: aiosqlite.Connection, report_id: int
    ) -> list[tuple[int, int, str | None, str | None]]:
        """(user id, chat, chosen language, Telegram language) of every household that said
        "me too" and can still be reached."""
        rows = await conn.execute_fetchall(
            "SELECT u.id, u.tg_id, u.language, u.tg_language FROM report_me_too m"
            " JOIN users u ON u.id = m.user_id WHERE m.report_id = ? AND u.tg_id IS NOT NULL"
            " AND u.stopped_at IS NULL ORDER BY m.created_at",
            (report_id,),
        )
        return [(int(r[0]), int(r[1]), r[2], r[3]) for r in rows]

    async def latest_event(self, report_id: int) -> tuple[str, str | None, str] | None:
        row = await self.db.fetchone(
            "SELECT kind, new_status, created_at FROM report_events WHERE report_id = ?"
            " ORDER BY id DESC LIMIT 1",
            (report_id,),
        )
        return (row[0], row[1], row[2]) if row else None

    async def latest_answer(self, report_id: int) -> tuple[str | None, str | None] | None:
        """(text, voice file id) of the newest message relayed to the reporter."""
        row = await self.db.fetchone(
            "SELECT text, voice_file_id FROM report_messages WHERE report_id = ?"
            " AND direction = 'to_reporter' ORDER BY id DESC LIMIT 1",
            (report_id,),
        )
        return (row[0], row[1]) if row else None

    async def unassigned_open(self, project_id: int) -> list[Report]:
        """Open reports of the project that nobody holds (filed before it had a worker)."""
        marks = ",".join("?" * len(OPEN_STATUSES))
        rows = await self.db.fetchall(
            "SELECT * FROM reports WHERE project_id = ? AND assigned_to IS NULL"
            f" AND status IN ({marks}) ORDER BY id",
            (project_id, *OPEN_STATUSES),
        )
        return [row_to(Report, r) for r in rows]

    @staticmethod
    async def handed_by_tx(
        conn: aiosqlite.Connection, report_id: int, worker_id: int
    ) -> int | None:
        """Who last handed the report over to ``worker_id`` (None: nobody, or routing did)."""
        async with conn.execute(
            "SELECT actor_id FROM report_events WHERE report_id = ? AND kind = 'assigned'"
            " AND target_id = ? ORDER BY id DESC LIMIT 1",
            (report_id, worker_id),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None or row[0] is None else int(row[0])

    @staticmethod
    async def history_tx(conn: aiosqlite.Connection, report_id: int) -> list[HistoryItem]:
        """Status changes, hand-overs, reopens and relayed messages, oldest first."""
        events = await conn.execute_fetchall(
            "SELECT created_at, kind, actor_id, target_id, new_status FROM report_events"
            " WHERE report_id = ? AND kind IN ('status', 'assigned', 'reopened') ORDER BY id",
            (report_id,),
        )
        messages = await conn.execute_fetchall(
            "SELECT created_at, direction, sender_id, text, voice_file_id FROM report_messages"
            " WHERE report_id = ? ORDER BY id",
            (report_id,),
        )
        items = [HistoryItem(r[0], r[1], r[2], r[3], r[4]) for r in events]
        items += [
            HistoryItem(r[0], r[1], r[2], text=r[3], voice=r[4] is not None) for r in messages
        ]
        return sorted(items, key=lambda i: i.created_at)

    async def list_open(
        self,
        project_ids: list[int] | None,
        status: str | None,
        category_key: str | None,
        neighbourhood_id: int | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Report], int]:
        where = []
        params: list[Any] = []
        if project_ids is not None:
            where.append(f"project_id IN ({','.join('?' * len(project_ids)) or 'NULL'})")
            params += project_ids
        if status:
            where.append("status = ?")
            params.append(status)
        else:
            where.append(f"status IN ({','.join('?' * len(OPEN_STATUSES))})")
            params += OPEN_STATUSES
        if category_key:
            where.append("category_key = ?")
            params.append(category_key)
        if neighbourhood_id:
            where.append("neighbourhood_id = ?")
            params.append(neighbourhood_id)
        clause = " AND ".join(where)
        total = int(await self.db.fetchval(f"SELECT COUNT(*) FROM reports WHERE {clause}", params))
        rows = await self.db.fetchall(
            f"SELECT * FROM reports WHERE {clause} ORDER BY created_at DESC, id DESC LIMIT ? "
            "OFFSET ?",
            (*params, limit, offset),
        )
        return [row_to(Report, r) for r in rows], total

    # ----- routing -----

    async def rules(self, project_id: int) -> list[Rule]:
        rows = await self.db.fetchall(
            "SELECT * FROM routing_rules WHERE project_id = ? ORDER BY neighbourhood_id, "
            "category_id",
            (project_id,),
        )
        return [row_to(Rule, r) for r in rows]

    @staticmethod
    async def route_tx(
        conn: aiosqlite.Connection, project_id: int, neighbourhood_id: int | None, category_id: int
    ) -> int | None:
        """Most specific rule: (hood, cat) > (hood, any) > (any, cat) > project default."""
        async with conn.execute(
            "SELECT worker_id FROM routing_rules WHERE project_id = ?"
            " AND (neighbourhood_id IS NULL OR neighbourhood_id = ?)"
            " AND (category_id IS NULL OR category_id = ?)"
            " ORDER BY (neighbourhood_id IS NOT NULL) * 2 + (category_id IS NOT NULL) DESC LIMIT 1",
            (project_id, neighbourhood_id or -1, category_id),
        ) as cur:
            row = await cur.fetchone()
        if row:
            return int(row[0])
        async with conn.execute(
            "SELECT default_worker_id FROM projects WHERE id = ?", (project_id,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row and row[0] else None

    async def route(
        self, project_id: int, neighbourhood_id: int | None, category_id: int
    ) -> int | None:
        """Most specific rule: (hood, cat) > (hood, any) > (any, cat) > project default."""
        row = await self.db.fetchone(
            "SELECT worker_id FROM (SELECT worker_id, (neighbourhood_id IS NOT NULL) * 2"
            " + (category_id IS NOT NULL) + 1 AS rank FROM routing_rules WHERE project_id = ?"
            " AND (neighbourhood_id IS NULL OR neighbourhood_id = ?)"
            " AND (category_id IS NULL OR category_id = ?)"
            " UNION ALL SELECT default_worker_id, 0 FROM projects WHERE id = ? AND "
            "default_worker_id IS NOT NULL)"
            " ORDER BY rank DESC LIMIT 1",
            (project_id, neighbourhood_id or -1, category_id, project_id),
        )
        return int(row[0]) if row else None

    async def set_rule(
        self,
        project_id: int,
        hood: int | None,
        cat: int | None,
        worker: int,
        by: int,
        now: datetime,
    ) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM routing_rules WHERE project_id = ? AND IFNULL(neighbourhood_id, 0) = ?"
                " AND IFNULL(category_id, 0) = ?",
                (project_id, hood or 0, cat or 0),
            )
            await conn.execute(
                "INSERT INTO routing_rules (project_id, neighbourhood_id, category_id, worker_id,"
                " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (project_id, hood, cat, worker, by, to_db(now)),
            )

    async def delete_rule(self, rule_id: int) -> None:
        await self.db.execute("DELETE FROM routing_rules WHERE id = ?", (rule_id,))

    async def rule(self, rule_id: int) -> Rule | None:
        row = await self.db.fetchone("SELECT * FROM routing_rules WHERE id = ?", (rule_id,))
        return row_to(Rule, row) if row else None

    # ----- drafts -----

    async def draft(self, user_id: int) -> Draft | None:
        row = await self.db.fetchone("SELECT * FROM report_drafts WHERE user_id = ?", (user_id,))
        if row is None:
            return None
        return Draft(
            row["user_id"],
            row["project_id"],
            row["step"],
            json.loads(row["data"]),
            row["updated_at"],
        )

    @staticmethod
    async def save_draft_tx(
        conn: aiosqlite.Connection,
        user_id: int,
        project_id: int | None,
        step: str,
        data: dict,
        now: datetime,
    ) -> None:
        await conn.execute(
            "INSERT INTO report_drafts (user_id, project_id, step, data, updated_at) VALUES (?, "
            "?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET project_id = excluded.project_id, step = "
            "excluded.step,"
            " data = excluded.data, updated_at = excluded.updated_at",
            (user_id, project_id, step, json.dumps(data, ensure_ascii=False), to_db(now)),
        )

    @staticmethod
    async def drop_draft_tx(conn: aiosqlite.Connection, user_id: int) -> None:
        await conn.execute("DELETE FROM report_drafts WHERE user_id = ?", (user_id,))

    # ----- digests -----

    async def digest_setting(self, user_id: int) -> DigestSetting:
        row = await self.db.fetchone("SELECT * FROM digest_settings WHERE user_id = ?", (user_id,))
        if row is None:
            return DigestSetting(user_id, "daily", "08:30", 0, None)
        return row_to(DigestSetting, row)

    async def set_digest(self, user_id: int, now: datetime, **values: Any) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO digest_settings (user_id, created_at) VALUES (?, ?)",
                (user_id, to_db(now)),
            )
            if values:
                sets = ", ".join(f"{k} = ?" for k in values)
                await conn.execute(
                    f"UPDATE digest_settings SET {sets} WHERE user_id = ?",
                    (*values.values(), user_id),
                )

    async def worker_since(self, user_id: int) -> datetime | None:
        """When the person first became a worker of any project (their first digest's start)."""
        joined = await self.db.fetchval(
            "SELECT MIN(joined_at) FROM project_workers WHERE user_id = ?", (user_id,)
        )
        return from_db(joined)

    async def digest_schedule(self) -> list[DigestDue]:
        """Every worker with their digest setting (None where they never chose one)."""
        rows = await self.db.fetchall(
            "SELECT w.user_id, MIN(w.joined_at), d.frequency, d.time_local, d.weekday,"
            " d.last_sent_at, d.checked_at FROM project_workers w"
            " LEFT JOIN digest_settings d ON d.user_id = w.user_id GROUP BY w.user_id"
        )
        return [DigestDue(*r) for r in rows]

    @staticmethod
    async def mark_digest_sent_tx(
        conn: aiosqlite.Connection, user_id: int, default_time: str, now: datetime
    ) -> None:
        await conn.execute(
            "INSERT INTO digest_settings (user_id, time_local, last_sent_at, created_at)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET last_sent_at = excluded.last_sent_at",
            (user_id, default_time, to_db(now), to_db(now)),
        )

    @staticmethod
    async def mark_digest_checked_tx(
        conn: aiosqlite.Connection, user_id: int, default_time: str, now: datetime
    ) -> None:
        """A digest slot was looked at and nothing was sent: last_sent_at stays."""
        await conn.execute(
            "INSERT INTO digest_settings (user_id, time_local, checked_at, created_at)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET checked_at = excluded.checked_at",
            (user_id, default_time, to_db(now), to_db(now)),
        )

    async def new_for(self, worker_id: int, since: datetime, now: datetime) -> list[Report]:
        """The worker's reports that became theirs in (since, now]: filed and routed to them,
        handed over to them, or picked up when they joined (each is an "assigned" event)."""
        rows = await self.db.fetchall(
            "SELECT * FROM reports r WHERE r.assigned_to = ? AND EXISTS (SELECT 1 FROM"
            " report_events e WHERE e.report_id = r.id AND e.kind = 'assigned'"
            " AND e.target_id = ? AND e.created_at > ? AND e.created_at <= ?) ORDER BY r.id",
            (worker_id, worker_id, to_db(since), to_db(now)),
        )
        return [row_to(Report, r) for r in rows]

    async def waiting_for(self, worker_id: int, created_before: datetime) -> list[Report]:
        """The worker's open reports created by then that have no first answer yet."""
        marks = ",".join("?" * len(OPEN_STATUSES))
        rows = await self.db.fetchall(
            "SELECT * FROM reports WHERE assigned_to = ? AND first_answer_at IS NULL"
            f" AND created_at <= ? AND status IN ({marks}) ORDER BY id",
            (worker_id, to_db(created_before), *OPEN_STATUSES),
        )
        return [row_to(Report, r) for r in rows]

    async def reopened_for(self, worker_id: int, since: datetime, now: datetime) -> list[Report]:
        rows = await self.db.fetchall(
            "SELECT * FROM reports WHERE assigned_to = ? AND reopened_at > ? AND reopened_at <= ?"
            " ORDER BY id",
            (worker_id, to_db(since), to_db(now)),
        )
        return [row_to(Report, r) for r in rows]

    async def me_too_since(
        self, worker_id: int, since: datetime, now: datetime
    ) -> list[tuple[str, int]]:
        """(reference, new "me too"s) per report of the worker, in (since, now]."""
        rows = await self.db.fetchall(
            "SELECT r.reference, COUNT(*) FROM report_me_too m"
            " JOIN reports r ON r.id = m.report_id"
            " WHERE r.assigned_to = ? AND m.created_at > ? AND m.created_at <= ?"
            " GROUP BY r.id ORDER BY r.id",
            (worker_id, to_db(since), to_db(now)),
        )
        return [(r[0], int(r[1])) for r in rows]

    async def open_per_category(self, worker_id: int) -> list[tuple[int, int, int]]:
        """(project, category, open reports) of the worker, most first."""
        marks = ",".join("?" * len(OPEN_STATUSES))
        rows = await self.db.fetchall(
            "SELECT project_id, category_id, COUNT(*) FROM reports WHERE assigned_to = ?"
            f" AND status IN ({marks})"
            " GROUP BY project_id, category_id ORDER BY COUNT(*) DESC",
            (worker_id, *OPEN_STATUSES),
        )
        return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]
