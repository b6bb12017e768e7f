"""The one clock: aware datetimes in the configured zone.

Injectable for tests and the playground.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    tz: ZoneInfo

    def now(self) -> datetime: ...


class SystemClock:
    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)


class FakeClock:
    """A clock that only moves when told; used by tests and the playground's time control."""

    def __init__(self, start: datetime, tz: ZoneInfo) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware start time")
        self.tz = tz
        self._now = start.astimezone(tz)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("naive datetime")
        self._now = when.astimezone(self.tz)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now = (self._now.astimezone(UTC) + (delta or timedelta(**kwargs))).astimezone(self.tz)
        return self._now
