"""One repository per aggregate; each returns frozen dataclasses, never raw rows."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def row_to(cls: type[T], row: Any) -> T:
    """Build a dataclass from a sqlite row, taking the columns that match its fields."""
    keys = set(row.keys())
    return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in keys})  # type: ignore[arg-type]


async def dict_rows(
    db_or_conn: Any, sql: str, params: tuple[Any, ...] = ()
) -> list[dict[str, Any]]:
    """Rows as plain dicts, from the Database or from a connection inside a transaction."""
    from storage.db import Database

    if isinstance(db_or_conn, Database):
        rows = await db_or_conn.fetchall(sql, params)
    else:
        async with db_or_conn.execute(sql, params) as cur:
            rows = list(await cur.fetchall())
    return [dict(r) for r in rows]
