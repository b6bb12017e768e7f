"""People the bot knows. Telegram ids live only here (``tg_id``), so /forget can cut the link."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import aiosqlite

from storage.db import Database
from storage.repos import row_to
from storage.timestamps import from_db, to_db


@dataclass(frozen=True)
class User:
    id: int
    tg_id: int | None
    first_name: str | None
    last_name: str | None
    username: str | None
    tg_language: str | None
    language: str | None
    privacy_seen_at: str | None
    unreachable_at: str | None
    stopped_at: str | None
    forgotten_at: str | None
    created_at: str
    last_seen_at: str
    # A resident without Telegram (assisted mode): the first name of the worker who entered
    # her ('' when unknown); None for everyone else.
    entered_by: str | None = None

    @property
    def display_name(self) -> str:
        parts = [p for p in (self.first_name, self.last_name) if p]
        return " ".join(parts) if parts else (self.username or f"#{self.id}")


_COLS = (
    "id, tg_id, first_name, last_name, username, tg_language, language, privacy_seen_at, "
    "unreachable_at, stopped_at, forgotten_at, created_at, last_seen_at,"
    " (SELECT COALESCE(w.first_name, '') FROM assisted_persons a"
    "  LEFT JOIN users w ON w.id = a.entered_by WHERE a.user_id = users.id) AS entered_by"
)
_SEEN_REFRESH = timedelta(hours=1)


class UsersRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        # tg_id -> User; avoids a write per update when nothing about the person changed.
        self._cache: dict[int, User] = {}

    def _remember(self, user: User) -> User:
        if user.tg_id is not None:
            self._cache[user.tg_id] = user
        return user

    def forget_cached(self, tg_id: int | None) -> None:
        if tg_id is not None:
            self._cache.pop(tg_id, None)

    async def ensure(
        self,
        tg_id: int,
        first_name: str | None,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        now: datetime,
    ) -> tuple[User, bool]:
        """The person behind an update, created on first sight. Returns (user, created)."""
        cached = self._cache.get(tg_id)
        if (
            cached is not None
            and (cached.first_name, cached.last_name, cached.username, cached.tg_language)
            == (first_name, last_name, username, language_code)
            and cached.unreachable_at is None
            and cached.stopped_at is None
            and (from_db(cached.last_seen_at) or now) > now - _SEEN_REFRESH
        ):
            return cached, False
        stamp = to_db(now)
        async with self.db.transaction(mark=False) as conn:
            async with conn.execute(f"SELECT {_COLS} FROM users WHERE tg_id = ?", (tg_id,)) as cur:
                row = await cur.fetchone()
            created = row is None
            if created:
                await conn.execute(
                    "INSERT INTO users (tg_id, first_name, last_name, username, tg_language,"
                    " created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (tg_id, first_name, last_name, username, language_code, stamp, stamp),
                )
            else:
                # Writing again means they can be reached again (they unblocked the bot).
                # stopped_at stays: only /start undoes /stop (Telegram's convention).
                await conn.execute(
                    "UPDATE users SET first_name = ?, last_name = ?, username = ?,"
                    " tg_language = ?, last_seen_at = ?, unreachable_at = NULL"
                    " WHERE tg_id = ?",
                    (first_name, last_name, username, language_code, stamp, tg_id),
                )
            async with conn.execute(f"SELECT {_COLS} FROM users WHERE tg_id = ?", (tg_id,)) as cur:
                row = await cur.fetchone()
        return self._remember(row_to(User, row)), created

    async def get(self, user_id: int) -> User | None:
        row = await self.db.fetchone(f"SELECT {_COLS} FROM users WHERE id = ?", (user_id,))
        return row_to(User, row) if row else None

    async def by_tg(self, tg_id: int) -> User | None:
        if tg_id in self._cache:
            return self._cache[tg_id]
        row = await self.db.fetchone(f"SELECT {_COLS} FROM users WHERE tg_id = ?", (tg_id,))
        return self._remember(row_to(User, row)) if row else None

    async def many(self, user_ids: list[int]) -> list[User]:
        if not user_ids:
            return []
        marks = ",".join("?" * len(user_ids))
        rows = await self.db.fetchall(
            f"SELECT {_COLS} FROM users WHERE id IN ({marks}) ORDER BY id", user_ids
        )
        return [row_to(User, r) for r in rows]

    async def set_language(self, user: User, language: str) -> User:
        await self.db.execute("UPDATE users SET language = ? WHERE id = ?", (language, user.id))
        return self._remember(replace(user, language=language))

    async def mark_privacy_seen(self, user: User, now: datetime) -> User:
        await self.db.execute(
            "UPDATE users SET privacy_seen_at = ? WHERE id = ?", (to_db(now), user.id)
        )
        return self._remember(replace(user, privacy_seen_at=to_db(now)))

    async def mark_unreachable_tx(
        self, conn: aiosqlite.Connection, tg_id: int, now: datetime
    ) -> None:
        await conn.execute(
            "UPDATE users SET unreachable_at = ? WHERE tg_id = ? AND unreachable_at IS NULL",
            (to_db(now), tg_id),
        )
        self.forget_cached(tg_id)

    async def set_stopped(self, user: User, now: datetime | None) -> User:
        stamp = to_db(now) if now else None
        await self.db.execute("UPDATE users SET stopped_at = ? WHERE id = ?", (stamp, user.id))
        return self._remember(replace(user, stopped_at=stamp))


def distinct_names(
    people: Iterable[tuple[int, str | None, str | None]], fallback: str = "?"
) -> dict[int, str]:
    """A short name per person that tells the people of one list apart.

    ``people`` are (id, first name, last name). The first name alone where it is unique; where
    two share it, the last name's initial ("Ahmed B."), then the whole last name; whoever still
    looks the same gets a number in the order they joined the bot ("Ahmed", "Ahmed 2").
    Someone without a name (removed by /forget) shows as ``fallback``, numbered the same way.
    """
    rows = sorted({pid: (pid, fn, ln) for pid, fn, ln in people}.values())
    first = {pid: (fn or "").strip() or fallback for pid, fn, _ln in rows}
    last = {pid: (ln or "").strip() if (fn or "").strip() else "" for pid, fn, ln in rows}
    names = dict(first)
    for widen in (lambda pid: last[pid][:1] + "." if last[pid] else "", lambda pid: last[pid]):
        for pid in _clashing(names):
            if widen(pid):
                names[pid] = first[pid] + " " + widen(pid)
    seen: dict[str, int] = {}
    for pid, _fn, _ln in rows:  # still the same: a number; the first one keeps the bare name
        label = names[pid].casefold()
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            names[pid] = f"{names[pid]} {seen[label]}"
    return names


def user_names(users: Iterable[User], fallback: str = "?") -> dict[int, str]:
    """``distinct_names`` of users; the @username stands in for a missing first name. A
    resident without Telegram gets the worker who reaches her: "Maria (📞 Sofie)"."""
    users = list(users)
    names = distinct_names(
        ((u.id, u.first_name or u.username, u.last_name if u.first_name else None) for u in users),
        fallback,
    )
    for u in users:
        if u.entered_by is not None and u.first_name:
            names[u.id] += f" (📞 {u.entered_by})" if u.entered_by else " (📞)"
    return names


def _clashing(names: dict[int, str]) -> set[int]:
    count: dict[str, int] = {}
    for label in names.values():
        count[label.casefold()] = count.get(label.casefold(), 0) + 1
    return {pid for pid, label in names.items() if count[label.casefold()] > 1}
