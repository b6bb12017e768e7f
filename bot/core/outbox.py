"""The persistent outbox: every message to others is a row first, then sent at a steady pace.

Pacing is our own (not PTB's AIORateLimiter, which bursts after a pause, ends a 429 pause early
and drops messages) and shared with the handlers' direct replies: ``bot.core.pacing.Pacer`` hands
out one global slot every 1/rate seconds (never a burst) under a sliding 1-second guard, direct
replies first; the outbox asks for one slot at a time and takes what is left. A chat's next
message is due ``chat_interval`` after its previous one was *answered* (not dispatched), so
network jitter can never squeeze two requests to one chat into one second at Telegram's end;
group chats (chat_id < 0) get 60/20 = 3 s. On 429 every send, direct or not,
pauses for ``retry_after``; on 403 the recipient is marked unreachable and nothing more is sent
to them until they write again (``users.unreachable_at``, cleared by ``UsersRepo.ensure``); on
5xx/timeouts a row is retried with exponential backoff, ``max_attempts`` times at most.

Rows are drained by ``priority`` first, then in order: a progress message or live view (priority
1) is not stuck behind a broadcast to 5,000 people. ``replace_pending_tx`` coalesces such
in-place updates: a newer edit replaces the not-yet-sent one.

Delivery is at-least-once only for a message that was on the wire when the process was killed
(its row stays 'sending' and is sent again on start-up; Telegram has no idempotency key, so a
request that reached Telegram just before the kill is sent twice); everything else is exactly
once. tests/test_outbox_crash.py proves it with a SIGKILL halfway through 1,000 messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import aiosqlite

from bot.core.assisted import is_assisted_chat, redirect_tx
from bot.core.pacing import PRE_PACED, Pacer
from storage.db import Database
from storage.repos.assist import AssistRepo
from storage.repos.outbox import OutboxRepo, OutboxRow

log = logging.getLogger(__name__)

# do_api_request warns when a method also exists on Bot; the outbox sends raw API methods on
# purpose.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.")

SentHook = Callable[[str, int, int | None], Awaitable[None]]  # (ref, chat_id, message_id)
FailHook = Callable[[str, int, str], Awaitable[None]]  # (ref, chat_id, state)


class ApiCaller(Protocol):
    async def __call__(self, method: str, params: dict[str, Any]) -> Any: ...


class SendError(Exception):
    """Normalised outcome of a failed API call, so the outbox needs no telegram imports."""

    def __init__(self, kind: str, message: str = "", retry_after: float = 0.0) -> None:
        super().__init__(message or kind)
        self.kind = kind  # 'retry_after' | 'forbidden' | 'bad_request' | 'transient'
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    sending: int
    sent: int
    failed: int
    unreachable: int


# How long the sender waits after being told of new rows before it reads them.
GATHER_SECONDS = 0.01


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Outbox:
    def __init__(
        self,
        db: Database,
        rate: float = 28.0,
        chat_interval: float = 1.0,
        group_per_minute: int = 20,
        max_attempts: int = 6,
        max_in_flight: int = 16,
        backoff_seconds: float = 2.0,
        pacer: Pacer | None = None,
    ) -> None:
        self.db = db
        self.repo = OutboxRepo(db)
        group_interval = 60.0 / group_per_minute if chat_interval > 0 else 0.0
        # The one budget the whole bot sends within (the request layer paces direct replies
        # with the same object; see bot/runtime/app.py).
        self.pacer = pacer or Pacer(rate, chat_interval, group_interval)
        self.max_attempts = max_attempts
        self.max_in_flight = max_in_flight
        self.backoff_seconds = backoff_seconds
        self._caller: ApiCaller | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._busy_chats: set[int] = set()
        self._fresh = False
        self._sent_hooks: dict[str, SentHook] = {}
        self._fail_hooks: dict[str, FailHook] = {}
        self._unreachable_hooks: list[
            Callable[[aiosqlite.Connection, int, datetime], Awaitable[None]]
        ] = []
        self.sent_count = 0
        self.rate_limited = 0

    @property
    def rate(self) -> float:
        return self.pacer.rate

    @property
    def chat_interval(self) -> float:
        return self.pacer.chat_interval

    def set_rate(self, rate: float) -> None:
        """Change the overall pace (the crash test and benchmark drive it past Telegram's)."""
        self.pacer.rate = rate

    # ----- enqueueing (inside the caller's transaction) -----

    @staticmethod
    async def enqueue_tx(
        conn: aiosqlite.Connection,
        chat_id: int,
        method: str,
        params: dict[str, Any],
        *,
        batch: str | None = None,
        ref: str | None = None,
        dedupe_key: str | None = None,
        now: datetime | None = None,
        priority: int = 0,
    ) -> int | None:
        """Queue one message inside an open transaction. A repeated dedupe_key is ignored.
        ``priority`` 1 goes before the (priority 0) bulk: progress messages, live views.
        A message for a person without Telegram goes to the worker who entered her
        (bot/core/assisted.py)."""
        news = None
        if is_assisted_chat(chat_id):
            redirect = await redirect_tx(conn, chat_id, method, params)
            if redirect is None:
                return None
            chat_id, method, params, news = (
                redirect.chat_id,
                redirect.method,
                redirect.params,
                redirect.news,
            )
        row_id = await OutboxRepo.insert_tx(
            conn,
            chat_id,
            method,
            params,
            batch=batch,
            ref=ref,
            dedupe_key=dedupe_key,
            created_at=now or _utcnow(),
            priority=priority,
        )
        if news is not None and row_id is not None:
            person_id, worker_id, summary = news
            await AssistRepo.add_news_tx(
                conn, person_id, worker_id, row_id, summary, now or _utcnow()
            )
        return row_id

    @classmethod
    async def replace_pending_tx(
        cls,
        conn: aiosqlite.Connection,
        chat_id: int,
        method: str,
        params: dict[str, Any],
        *,
        ref: str,
        priority: int = 1,
    ) -> int | None:
        """An in-place update (e.g. editMessageText of a live view): when one with the same ref
        is still pending, its payload is replaced by this newer one instead of queueing another."""
        if is_assisted_chat(chat_id):  # no live views for her: each change is news
            return await cls.enqueue_tx(conn, chat_id, method, params, ref=ref, priority=priority)
        if await OutboxRepo.replace_pending_tx(conn, chat_id, method, params, ref):
            return None
        return await cls.enqueue_tx(conn, chat_id, method, params, ref=ref, priority=priority)

    @staticmethod
    async def cancel_batch_tx(conn: aiosqlite.Connection, batch: str) -> int:
        """Withdraw what of a batch is not sent yet (e.g. a cancelled action call)."""
        return await OutboxRepo.cancel_batch_tx(conn, batch)

    async def enqueue(
        self, chat_id: int, method: str, params: dict[str, Any], **kw: Any
    ) -> int | None:
        async with self.db.transaction() as conn:
            row_id = await self.enqueue_tx(conn, chat_id, method, params, **kw)
        self.wake()
        return row_id

    def wake(self) -> None:
        """New rows were committed: look again (a priority row may overtake the current bulk)."""
        self._fresh = True
        self._wake.set()

    # ----- hooks -----

    def on_sent(self, ref_prefix: str, hook: SentHook) -> None:
        """Called after a row with ref 'prefix:...' was sent (e.g. to store the message id)."""
        self._sent_hooks[ref_prefix] = hook

    def on_failed(self, ref_prefix: str, hook: FailHook) -> None:
        """Called when a row with ref 'prefix:...' ends unreachable or failed (e.g. re-route)."""
        self._fail_hooks[ref_prefix] = hook

    # ----- running -----

    def start(self, caller: ApiCaller) -> None:
        self._caller = caller
        self._stopping = False
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, flush_seconds: float = 0.0) -> None:
        """Stop sending; with flush_seconds, first try to send what is due for that long."""
        if flush_seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.idle(), timeout=flush_seconds)
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def recover(self) -> int:
        """At start-up: rows left 'sending' by a killed process go back to 'pending'."""
        return await self.repo.recover()

    async def _due_rows(self, limit: int) -> list[OutboxRow]:
        return await self.repo.due(_utcnow(), limit)

    async def _next_retry_in(self) -> float:
        """Seconds until the earliest backed-off row is due (1.0 when there is none)."""
        try:
            due = await self.repo.next_not_before(_utcnow())
        except (aiosqlite.Error, RuntimeError):  # database closing under us at shutdown
            return 1.0
        if due is None:
            return 1.0
        return max(0.0, (due - _utcnow()).total_seconds())

    async def _skip_blocked(self, row: OutboxRow) -> None:
        """A row for someone who blocked the bot: not sent until they write again."""
        await self.repo.skip_blocked(row.id)
        await self._run_fail_hook(row.ref, row.chat_id, "unreachable")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            self._fresh = False
            try:
                rows = await self._due_rows(500)
            except Exception:  # database closing under us at shutdown
                log.exception("outbox: could not read due rows")
                await asyncio.sleep(1)
                continue
            dispatched = 0
            soonest = loop.time() + 1.0
            for row in rows:
                if self._stopping or self._fresh:
                    break
                row_id, chat_id = row.id, row.chat_id
                if row_id in self._in_flight or chat_id in self._busy_chats:
                    continue
                if row.blocked:
                    await self._skip_blocked(row)
                    continue
                ready = self.pacer.chat_ready_at(chat_id)
                now = loop.time()
                if ready > now:
                    soonest = min(soonest, ready)
                    continue
                while len(self._in_flight) >= self.max_in_flight and not self._stopping:
                    await asyncio.wait(
                        list(self._in_flight.values()), return_when=asyncio.FIRST_COMPLETED
                    )
                # Direct replies go first; a False means a direct reply just took this chat.
                if not await self.pacer.acquire(chat_id, bulk=True):
                    soonest = min(soonest, self.pacer.chat_ready_at(chat_id))
                    continue
                if self._stopping:
                    self.pacer.release(chat_id)  # the slot taken is not used
                    break
                self._busy_chats.add(chat_id)
                task = asyncio.create_task(self._send(row))
                self._in_flight[row_id] = task
                task.add_done_callback(functools.partial(self._on_task_done, row_id, chat_id))
                dispatched += 1
            if dispatched == 0:
                self._wake.clear()
                timeout = max(0.01, min(1.0, soonest - loop.time(), await self._next_retry_in()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=timeout)
            if self._fresh and not self._stopping:
                # New rows come in bursts (one report's cards, 50 residents' reports in one
                # poll, a broadcast's batch): let the burst land and read the due rows once,
                # not once per row (bench/report_flow.py: 350 reads for 50 cards before).
                await asyncio.sleep(GATHER_SECONDS)

    def _on_task_done(self, row_id: int, chat_id: int, _task: asyncio.Task[None]) -> None:
        self._done(row_id, chat_id)

    def _done(self, row_id: int, chat_id: int) -> None:
        self._in_flight.pop(row_id, None)
        self._busy_chats.discard(chat_id)
        self._wake.set()

    async def _send(self, row: OutboxRow) -> None:
        assert self._caller is not None
        row_id, chat_id, ref = row.id, row.chat_id, row.ref
        token = PRE_PACED.set(True)  # this slot is taken: the request layer takes no second
        try:
            # The row list may be stale: a 403 or a cancellation since then wins; and so may
            # its payload: replace_pending_tx may have put a newer one in (claim re-reads it).
            fresh = await self.repo.claim(row_id)
            if fresh is None:
                return
            method, params = fresh.method, fresh.params()
            try:
                result = await self._caller(method, params)
            except SendError as err:
                error: SendError | None = err
            except Exception as exc:  # anything unexpected: retry like a transient error
                log.warning("outbox: unexpected error for row %s: %s", row_id, type(exc).__name__)
                error = SendError("transient", type(exc).__name__)
            else:
                error = None
        finally:
            PRE_PACED.reset(token)
            # The request reached Telegram somewhere between dispatch and now.
            self.pacer.release(chat_id)
        if error is not None:
            await self._failed(row, error)
            return
        message_id = _message_id(result)
        await self.repo.mark_sent(row_id, message_id, _utcnow())
        self.sent_count += 1
        if ref:
            hook = self._sent_hooks.get(ref.split(":", 1)[0])
            if hook is not None:
                try:
                    await hook(ref, chat_id, message_id)
                except Exception:
                    log.exception("outbox: sent-hook failed for %s", ref)

    async def _failed(self, row: OutboxRow, err: SendError) -> None:
        row_id, chat_id, ref = row.id, row.chat_id, row.ref
        if err.kind == "retry_after":
            self.rate_limited += 1
            pause = max(err.retry_after, 0.5)
            self.pacer.pause(pause)  # the request layer did too; the later one wins
            log.warning("outbox: 429, pausing all sends for %.1fs", pause)
            await self.repo.release(row_id)
            return
        if err.kind == "not_modified":
            await self.repo.mark_unchanged(row_id, _utcnow())
            return
        if err.kind == "forbidden":
            now = _utcnow()
            async with self.db.transaction() as conn:
                await OutboxRepo.mark_unreachable_tx(conn, row_id, err.message[:200])
                # Stop sending to them until they write again.
                await OutboxRepo.block_chat_tx(conn, chat_id)
                for hook_fn in self._unreachable_hooks:
                    await hook_fn(conn, chat_id, now)
            await self._run_fail_hook(ref, chat_id, "unreachable")
            return
        attempts = row.attempts + 1
        if err.kind == "bad_request" or attempts >= self.max_attempts:
            await self.repo.mark_failed(row_id, attempts, err.message[:200])
            log.warning("outbox: row %s failed for good (%s)", row_id, err.kind)
            await self._run_fail_hook(ref, chat_id, "failed")
            return
        backoff = min(300.0, self.backoff_seconds * 2.0 ** (attempts - 1))
        not_before = _utcnow() + timedelta(seconds=backoff)
        await self.repo.retry_later(row_id, attempts, not_before, err.message[:200])

    async def _run_fail_hook(self, ref: str | None, chat_id: int, state: str) -> None:
        if not ref:
            return
        hook = self._fail_hooks.get(ref.split(":", 1)[0])
        if hook is not None:
            try:
                await hook(ref, chat_id, state)
            except Exception:
                log.exception("outbox: fail-hook failed for %s", ref)

    def on_unreachable(
        self, hook: Callable[[aiosqlite.Connection, int, datetime], Awaitable[None]]
    ) -> None:
        """Called inside the transaction that marks a chat unreachable (403)."""
        self._unreachable_hooks.append(hook)

    # ----- observing -----

    async def idle(self, poll: float = 0.01) -> None:
        """Wait until nothing is due or in flight (tests, graceful shutdown)."""
        while True:
            if not self._in_flight:
                due = await self.repo.due_or_sending(_utcnow())
                if not due and not self._in_flight:
                    return
            self._wake.set()  # look again (no new rows: nothing to gather)
            await asyncio.sleep(poll)

    async def stats(self, batch: str | None = None) -> OutboxStats:
        counts = await self.repo.count_by_state(batch)
        return OutboxStats(
            pending=counts.get("pending", 0),
            sending=counts.get("sending", 0),
            sent=counts.get("sent", 0),
            failed=counts.get("failed", 0),
            unreachable=counts.get("unreachable", 0),
        )

    async def backlog(self) -> int:
        return await self.repo.backlog()


def _message_id(result: Any) -> int | None:
    if isinstance(result, dict):
        value = result.get("message_id")
        return int(value) if value is not None else None
    if isinstance(result, list) and result and isinstance(result[0], dict):
        return _message_id(result[0])
    return None


def monotonic() -> float:
    return time.monotonic()
