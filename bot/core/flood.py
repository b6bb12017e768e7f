"""Floods from one person: someone (or a broken client) sending hundreds of messages a minute.

A person may send ``limit`` updates (100) in any ``window`` (60) seconds; that is far above what
anyone types, taps or forwards (an album of ten photos is eleven updates; a forwarded thread of
eighty messages still passes), and far below a broken client's hundreds a minute. The update
that goes over is answered once, calmly, and from then on that person's updates are ignored
until they have been quiet for ``quiet`` seconds. The decision is made before anything is
stored (see
``bot.runtime.intake``), so a flood neither fills the database nor holds more than the one
processing slot its chat already has.

Pure bookkeeping in memory: no telegram, no database; time is passed in.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import Enum


class Verdict(Enum):
    OK = "ok"  # store and process as usual
    FLOOD = "flood"  # the first one over the limit: answer once, store nothing
    IGNORE = "ignore"  # muted: confirm to Telegram, store nothing


@dataclass
class _Sender:
    times: deque[float] = field(default_factory=deque)
    muted_until: float = 0.0
    ignored: int = 0


class FloodGuard:
    def __init__(self, limit: int = 100, window: float = 60.0, quiet: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self.quiet = quiet
        self._senders: dict[int, _Sender] = {}
        self.floods = 0
        self.ignored = 0

    def check(self, sender: int, now: float) -> Verdict:
        """Count one update from ``sender`` at ``now`` (seconds, any monotonic clock)."""
        s = self._senders.get(sender)
        if s is None:
            if len(self._senders) > 10_000:
                self._forget_old(now)
            s = self._senders[sender] = _Sender()
        if s.muted_until > now:
            # Still flooding: stay ignored until a quiet spell.
            s.muted_until = max(s.muted_until, now + self.quiet)
            s.ignored += 1
            self.ignored += 1
            return Verdict.IGNORE
        if s.muted_until:
            s.muted_until = 0.0  # quiet for long enough: a clean slate
            s.times.clear()
            s.ignored = 0
        times = s.times
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            s.muted_until = now + self.quiet
            times.clear()
            self.floods += 1
            return Verdict.FLOOD
        times.append(now)
        return Verdict.OK

    def muted(self, sender: int, now: float) -> bool:
        s = self._senders.get(sender)
        return s is not None and s.muted_until > now

    def _forget_old(self, now: float) -> None:
        self._senders = {
            k: s
            for k, s in self._senders.items()
            if s.muted_until > now or (s.times and s.times[-1] > now - self.window)
        }


def sender_of(raw: dict) -> int | None:
    """The Telegram user an update comes from (None for channel posts and the like)."""
    for field_name in ("message", "edited_message", "callback_query", "poll_answer"):
        body = raw.get(field_name)
        if isinstance(body, dict):
            who = body.get("from") or body.get("user")
            if isinstance(who, dict) and isinstance(who.get("id"), int):
                return int(who["id"]) if not who.get("is_bot") else None
    return None
