"""How timestamps are stored: UTC ISO strings, sortable and zone-free. Storage owns this."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload
from zoneinfo import ZoneInfo


def to_db(dt: datetime) -> str:
    """Timestamps are stored as UTC ISO strings: sortable and zone-free."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    return dt.astimezone(UTC).isoformat(timespec="seconds")


@overload
def from_db(value: str, tz: ZoneInfo | None = None) -> datetime: ...
@overload
def from_db(value: None, tz: ZoneInfo | None = None) -> None: ...
@overload
def from_db(value: str | None, tz: ZoneInfo | None = None) -> datetime | None: ...


def from_db(value: str | None, tz: ZoneInfo | None = None) -> datetime | None:
    """A stored timestamp as an aware datetime (in ``tz`` when given); None stays None."""
    if value is None:
        return None
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(tz) if tz else dt
