"""One sending budget for the whole bot: direct replies and the outbox share it.

Telegram allows a bot about 30 messages a second overall, one a second per private chat and 20
a minute per group, and answers 429 with a ``retry_after`` when a bot goes over; a bot that keeps
sending after a 429 earns longer waits. Before this module the outbox kept its own pace while the
handlers' direct replies went out unpaced, so 1,000 residents opening the poster link at once
drew hundreds of 429s. Now every message-sending call takes a slot here:

* one global grid: a slot every ``1/rate`` seconds, no catching up after a quiet spell (never a
  burst), and a sliding guard so that no 1-second window holds more than ``floor(rate)``
  requests at Telegram's end (answered in the last second + still on the wire);
* direct replies first: a person who just wrote is waiting; the outbox takes the slots that
  are left (it asks for one slot at a time, so it keeps its steady pace);
* per chat: a chat's next message is due ``chat_interval`` (groups: ``group_interval``) after
  its previous one was *answered*, so network jitter cannot squeeze two into one second;
* a 429 pauses every send, direct and outbox alike, for its ``retry_after``.

Nothing here imports ``telegram``: the request layer (bot/runtime/http.py) and the outbox call
it. Nothing is ever dropped: a waiter waits.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

# Set by the outbox around its own API calls: it took its slot already, the request layer must
# not take a second one (it still reports a 429 here).
PRE_PACED: ContextVar[bool] = ContextVar("buurtbot_pre_paced", default=False)

# Methods that put a message in a chat (Telegram counts them against the limits).
_COUNTED_PREFIXES = ("send", "copymessage", "forwardmessage")
_NOT_COUNTED = frozenset({"sendchataction"})


def counted_method(method: str) -> str | None:
    """'send' for a method that puts a message in a chat (global budget + per-chat interval),
    'edit' for edits (global budget only: an edit adds no message), None for the rest
    (answerCallbackQuery, getMe, setMyCommands, getUpdates: not rate-limited like messages)."""
    lower = method.lower()
    if lower in _NOT_COUNTED:
        return None
    if lower.startswith(_COUNTED_PREFIXES):
        return "send"
    if lower.startswith("edit"):
        return "edit"
    return None


@dataclass(eq=False)
class _Waiter:
    chat_id: int | None
    bulk: bool
    future: asyncio.Future[bool] = field(repr=False)


class Pacer:
    def __init__(
        self,
        rate: float = 28.0,
        chat_interval: float = 1.0,
        group_interval: float = 3.0,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.chat_interval = chat_interval
        self.group_interval = group_interval
        # Waiting out a 429 goes through this (tests replace it, so no test sleeps 60 s).
        self._sleep = sleep
        self._answered: deque[float] = deque()
        self.on_wire = 0
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._pause_gen = 0
        self._chat_ready: dict[int, float] = {}
        self._direct: deque[_Waiter] = deque()
        self._bulk: deque[_Waiter] = deque()
        self._changed = asyncio.Event()
        self._pump_task: asyncio.Task[None] | None = None
        self.granted_direct = 0
        self.granted_bulk = 0
        self.pauses = 0

    # ----- per chat -----

    def gap(self, chat_id: int | None) -> float:
        if chat_id is None:
            return 0.0
        return self.group_interval if chat_id < 0 else self.chat_interval

    def chat_ready_at(self, chat_id: int) -> float:
        """Loop time from which chat_id may get its next message."""
        return self._chat_ready.get(chat_id, 0.0)

    # ----- 429 -----

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nothing is sent by anyone for ``seconds``."""
        seconds = max(float(seconds), 0.5)
        until = _now() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._pause_gen += 1
            self.pauses += 1
        self._changed.set()

    @property
    def paused(self) -> bool:
        return self._paused_until > 0.0

    # ----- taking a slot -----

    async def acquire(
        self, chat_id: int | None, *, bulk: bool = False, per_chat: bool = True
    ) -> bool:
        """Wait for a slot. A direct call (bulk=False) always gets one, in turn. A bulk call
        gets False instead when its chat is not ready (the outbox then sends another row)."""
        loop = asyncio.get_running_loop()
        waiter = _Waiter(chat_id if per_chat else None, bulk, loop.create_future())
        (self._bulk if bulk else self._direct).append(waiter)
        self._changed.set()
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = loop.create_task(self._pump(), name="pacer")
        try:
            return await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled() and waiter.future.result():
                self.release(waiter.chat_id)  # granted just as we were cancelled
            raise

    def release(self, chat_id: int | None) -> None:
        """The call that held a slot got its answer (or failed)."""
        now = _now()
        self.on_wire -= 1
        self._answered.append(now)
        gap = self.gap(chat_id)
        if chat_id is not None and gap > 0:
            # Counted from the answer: the request reached Telegram before that.
            self._chat_ready[chat_id] = max(self._chat_ready.get(chat_id, 0.0), now + gap)
        if len(self._chat_ready) > 10_000:
            self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > now}
        self._changed.set()

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: int | None, *, per_chat: bool = True) -> AsyncIterator[None]:
        """A direct call: wait for its turn, hold the slot until the answer."""
        key = chat_id if per_chat else None
        await self.acquire(key)
        try:
            yield
        finally:
            self.release(key)

    # ----- the one place that hands out slots -----

    def _slot_wait(self, now: float) -> float:
        """Seconds until the grid and the sliding guard allow one more request."""
        wait = self._next_slot - now
        answered = self._answered
        while answered and answered[0] <= now - 1.0:
            answered.popleft()
        if len(answered) + self.on_wire >= max(1, int(self.rate)):
            # Answered in the last second + on the wire bounds the arrivals in ANY 1-second
            # window at Telegram's end, whatever the network or connection set-up did.
            wait = max(wait, (answered[0] + 1.0 - now) if answered else 0.005, 0.001)
        return wait

    def _pick(self, now: float) -> tuple[_Waiter | None, float]:
        """The next waiter to serve: direct ones first, in order, skipping chats not ready.
        Returns it (or None) and the soonest time a skipped chat becomes ready."""
        soonest = now + 1.0
        for queue in (self._direct, self._bulk):
            for waiter in list(queue):
                if waiter.future.done():  # cancelled while waiting
                    queue.remove(waiter)
                    continue
                ready = self._chat_ready.get(waiter.chat_id, 0.0) if waiter.chat_id else 0.0
                if ready <= now:
                    queue.remove(waiter)
                    return waiter, soonest
                if waiter.bulk:
                    # The outbox does not wait for one chat: it is told no, and sends another.
                    queue.remove(waiter)
                    waiter.future.set_result(False)
                    continue
                soonest = min(soonest, ready)
        return None, soonest

    async def _pump(self) -> None:
        while self._direct or self._bulk:
            self._changed.clear()
            now = _now()
            if self._paused_until > now:
                gen = self._pause_gen
                await self._sleep(self._paused_until - now)
                if gen == self._pause_gen:
                    self._paused_until = 0.0  # served (no newer 429 came in meanwhile)
                continue
            self._paused_until = 0.0
            wait = self._slot_wait(now)
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            waiter, soonest = self._pick(now)
            if waiter is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), max(0.001, soonest - now))
                continue
            # A steady grid: a little lateness is absorbed by the next slot so the pace does
            # not drift below the rate; a longer gap (idle, a 429 pause) restarts the grid from
            # now, so a missed slot is never made up in a burst.
            step = 1.0 / self.rate
            base = self._next_slot if now - self._next_slot < step else now
            self._next_slot = base + step
            self.on_wire += 1
            if waiter.chat_id is not None:
                gap = self.gap(waiter.chat_id)
                if gap > 0:
                    self._chat_ready[waiter.chat_id] = now + gap  # reserved until the answer
            if waiter.bulk:
                self.granted_bulk += 1
            else:
                self.granted_direct += 1
            waiter.future.set_result(True)


def _now() -> float:
    return asyncio.get_running_loop().time()
