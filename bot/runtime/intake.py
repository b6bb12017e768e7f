"""Durable intake: updates are committed to the inbox before Telegram is told they arrived, then
processed from there, concurrently across chats and strictly in order within one chat.

PTB's own polling confirms an update (the next getUpdates offset) as soon as it is in memory, so a
killed process loses what it had fetched. Here the offset only moves after the batch is committed.

Floods from one person (``bot.core.flood``) are the one exception to "store everything": the
update that takes someone over the limit is answered with one calm, localized message (an outbox
row, in the same transaction), and it and everything they send while ignored is confirmed to
Telegram but not stored. Storing it would only fill the database (a broken client sends
hundreds a minute, all day) with raw personal messages that the bot has decided not to act on;
the inbox exists so that nothing we *will* act on is lost. A person under the limit is never
affected, and whatever of the flooder's was stored before the limit was reached is marked
processed without running handlers, so the calm answer is the only thing they get.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application, BaseUpdateProcessor

from bot.core import i18n, sidecalls
from bot.core.flood import FloodGuard, Verdict, sender_of
from bot.core.outbox import Outbox
from storage.db import Database, UpdateScope, current_update
from storage.repos.inbox import InboxRepo
from storage.repos.users import UsersRepo

log = logging.getLogger(__name__)

# getUpdates is called raw on purpose (we confirm offsets ourselves); PTB warns about that.
warnings.filterwarnings("ignore", message="Please use 'Bot.getUpdates'", module="telegram")

ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
    "poll_answer",
    "channel_post",
]


def chat_key(raw: dict[str, Any]) -> str:
    """Updates with the same key are processed in order: one chat, or one person's buttons."""
    for field in (
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "my_chat_member",
    ):
        body = raw.get(field)
        if isinstance(body, dict) and isinstance(body.get("chat"), dict):
            return f"c{body['chat'].get('id')}"
    for field in ("callback_query", "poll_answer", "inline_query"):
        body = raw.get(field)
        if isinstance(body, dict):
            who = body.get("from") or body.get("user") or {}
            if isinstance(who, dict) and who.get("id") is not None:
                # A private chat's id is the user's id, so buttons queue behind that chat's
                # messages.
                return f"c{who['id']}"
    return "misc"


def update_kind(update: Update) -> str:
    """The kind of an update for the log (never its content)."""
    for field in (
        "message",
        "edited_message",
        "callback_query",
        "my_chat_member",
        "poll_answer",
        "channel_post",
        "edited_channel_post",
        "chat_member",
        "inline_query",
    ):
        if getattr(update, field, None) is not None:
            return field
    return "other"


def _lean(raw: dict[str, Any]) -> dict[str, Any]:
    """The update as handlers read it: a button press carries the whole message its button is
    on, with that message's keyboard and formatting, which no handler reads (it knows its own
    buttons by their data). Left out, PTB builds no objects for them. The inbox keeps all."""
    query = raw.get("callback_query")
    if not isinstance(query, dict):
        return raw
    message = query.get("message")
    if not isinstance(message, dict) or not ("reply_markup" in message or "entities" in message):
        return raw
    lean = {k: v for k, v in message.items() if k not in ("reply_markup", "entities")}
    return {**raw, "callback_query": {**query, "message": lean}}


class OrderedUpdateProcessor(BaseUpdateProcessor):
    """Per-chat FIFO, bounded concurrency across chats, and 'processed' recorded in SQLite.

    The bound is applied after the per-chat wait, so a flood from one chat holds one slot and
    cannot starve the others (PTB's own semaphore is set wide open for that reason).

    An update is marked processed only when its handlers ran to the end (a transaction inside
    them marks it atomically with its change). An update cancelled or not yet started when the
    bot stops stays unprocessed in the inbox and is processed at the next start.
    """

    def __init__(self, concurrency: int, db: Database, flood: FloodGuard | None = None) -> None:
        super().__init__(max_concurrent_updates=1 << 20)
        self.concurrency = concurrency
        self.db = db
        self.flood = flood or FloodGuard()
        self.ignored = 0  # stored before a flood was seen, then skipped
        self._slots: asyncio.Semaphore | None = None
        self._tails: dict[str, asyncio.Future[None]] = {}
        self.processed = 0
        self.errors = 0
        self.deferred = 0
        self.in_progress = 0
        self.running = 0  # holding a slot: handlers executing right now
        self.stopping = False
        self.last_processed_at: datetime | None = None

    async def initialize(self) -> None:
        self._slots = asyncio.Semaphore(self.concurrency)
        self.stopping = False

    def begin_stop(self) -> None:
        """Graceful stop: updates not started yet are left for the next start."""
        self.stopping = True

    async def shutdown(self) -> None:
        self.stopping = True
        pending = [f for f in self._tails.values() if not f.done()]
        if pending:
            await asyncio.wait(pending, timeout=30)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        loop = asyncio.get_running_loop()
        user = update.effective_user
        if user is not None and self.flood.muted(user.id, loop.time()):
            # Someone flooding: what was stored before the limit was reached is not acted on
            # (the calm answer is on its way), and takes no processing slot.
            self._close(coroutine)
            self.ignored += 1
            await self._mark(update.update_id)
            return
        key = (
            chat_key(update.to_dict())
            if update.effective_chat is None
            else f"c{update.effective_chat.id}"
        )
        previous = self._tails.get(key)
        mine: asyncio.Future[None] = loop.create_future()
        self._tails[key] = mine
        self.in_progress += 1
        try:
            if previous is not None:
                await previous
            async with self._slots:
                if self.stopping:
                    self._close(coroutine)
                    self.deferred += 1
                    log.debug(
                        "update %s left for the next start",
                        update.update_id,
                        extra={"update_id": update.update_id, "outcome": "deferred"},
                    )
                    return
                self.running += 1
                scope = UpdateScope(update.update_id)
                token = current_update.set(scope)
                side = sidecalls.open_scope()
                started = loop.time()
                try:
                    await coroutine
                finally:
                    await sidecalls.drain(side)
                    scope.reads = None  # a task the handlers left running reads afresh
                    current_update.reset(token)
                    self.running -= 1
                # Reached only when the handlers ran to the end (not cancelled).
                if not scope.marked:
                    await self._mark(update.update_id)
                self.processed += 1
                self.last_processed_at = datetime.now(UTC)
                outcome = "ok" if scope.error is None else "error"
                if scope.error is not None:
                    self.errors += 1
                log.info(
                    "update %s %s %s %.0fms",
                    update.update_id,
                    update_kind(update),
                    outcome,
                    (loop.time() - started) * 1000,
                    extra={
                        "update_id": update.update_id,
                        "outcome": outcome,
                        "event": "update",
                        "kind": update_kind(update),
                    },
                )
        finally:
            self.in_progress -= 1
            mine.set_result(None)
            if self._tails.get(key) is mine:
                del self._tails[key]

    @staticmethod
    def _close(coroutine: Awaitable[Any]) -> None:
        close = getattr(coroutine, "close", None)
        if close is not None:
            close()  # never awaited: no 'coroutine was never awaited' warning

    async def _mark(self, update_id: int) -> None:
        try:
            await self.db.mark_processed(update_id)
        except Exception:
            log.exception("could not mark update %s processed", update_id)

    @property
    def idle(self) -> bool:
        return self.in_progress == 0


class Intake:
    def __init__(self, app: Application, db: Database, polling_timeout: int = 30) -> None:
        self.app = app
        self.db = db
        self.inbox = InboxRepo(db)
        self.polling_timeout = polling_timeout
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.last_update_at: datetime | None = None
        self.received = 0
        processor = app.update_processor
        self.flood = (
            processor.flood if isinstance(processor, OrderedUpdateProcessor) else FloodGuard()
        )
        self.flood_dropped = 0  # updates confirmed to Telegram but not stored (a flood)

    async def store(self, raw_updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Commit a batch to the inbox; returns the ones not seen before.

        A redelivery is ignored.
        """
        if not raw_updates:
            return []
        now = datetime.now(UTC)
        clock = asyncio.get_running_loop().time()
        verdicts = []
        for raw in raw_updates:
            sender = sender_of(raw)
            verdicts.append(Verdict.OK if sender is None else self.flood.check(sender, clock))
        calm = {
            int(raw["update_id"]): await self._calm_answer(raw)
            for raw, verdict in zip(raw_updates, verdicts, strict=True)
            if verdict is Verdict.FLOOD
        }
        keep = [
            raw for raw, verdict in zip(raw_updates, verdicts, strict=True) if verdict is Verdict.OK
        ]
        async with self.db.transaction() as conn:
            new = await InboxRepo.add_many_tx(
                conn, [(int(raw["update_id"]), chat_key(raw), raw) for raw in keep], now
            )
            fresh = [raw for raw in keep if int(raw["update_id"]) in new]
            for raw, verdict in zip(raw_updates, verdicts, strict=True):
                if verdict is Verdict.OK:
                    continue
                self.flood_dropped += 1
                answer = calm.get(int(raw["update_id"]))
                if answer is not None:
                    chat, text = answer
                    await Outbox.enqueue_tx(
                        conn,
                        chat,
                        "sendMessage",
                        {"text": text},
                        dedupe_key=f"flood:{raw['update_id']}",
                        now=now,
                        priority=1,
                    )
        self.last_update_at = now
        self.received += len(fresh)
        if calm:
            log.warning("flood from %d sender(s): answered once, now ignored", len(calm))
            services = getattr(self.app.bot_data, "services", None)
            if services is not None:
                services.outbox.wake()
        return fresh

    async def _calm_answer(self, raw: dict[str, Any]) -> tuple[int, str]:
        """Where and what to answer someone who floods: their chat, in their language."""
        sender = sender_of(raw)
        assert sender is not None
        chat, code = sender, None
        for field_name in ("message", "edited_message", "callback_query"):
            body = raw.get(field_name)
            if not isinstance(body, dict):
                continue
            if isinstance(body.get("chat"), dict):
                chat = int(body["chat"].get("id", sender))
            code = (body.get("from") or {}).get("language_code")
            break
        known = await UsersRepo(self.db).by_tg(sender)
        lang = i18n.resolve_language(known.language if known is not None else None, code)
        with i18n.use_locale(lang):
            text = i18n._(
                "You are sending a lot of messages very quickly, so I will not read them for "
                "a while. Wait a minute, then send one message and I will answer it."
            )
        return chat, text

    async def dispatch(self, raw_updates: list[dict[str, Any]]) -> None:
        for raw in raw_updates:
            try:
                update = Update.de_json(_lean(raw), self.app.bot)
            except Exception:
                log.exception("update %s could not be decoded; skipped", raw.get("update_id"))
                await self.inbox.mark_processed(raw.get("update_id"), datetime.now(UTC))
                continue
            await self.app.update_queue.put(update)
            # One turn of the loop per update: its handler runs up to its first call to
            # Telegram and that request goes out (aiohttp writes a body in a task of its own on
            # Python 3.11) before the next update is decoded. Without it, 50 updates of one
            # poll answered in lockstep: no request left until all 50 had been worked on
            # (bench/report_flow.py).
            await asyncio.sleep(0)

    async def accept(self, raw_updates: list[dict[str, Any]]) -> None:
        """Store, then hand over: for webhook requests (answer 200 only after this returns)."""
        await self.dispatch(await self.store(raw_updates))

    async def resume(self) -> int:
        """At start-up: everything committed but not processed is processed now, in order."""
        rows = await self.inbox.unprocessed()
        await self.dispatch(rows)
        if rows:
            log.info("resuming %d updates left unprocessed", len(rows))
        return len(rows)

    async def next_offset(self) -> int:
        last = await self.inbox.max_update_id()
        return last + 1 if last is not None else 0

    def start_polling(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._poll(), name="intake-polling")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _poll(self) -> None:
        offset = await self.next_offset()
        backoff = 1.0
        while not self._stopping.is_set():
            try:
                raw = await self.app.bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": offset,
                        "timeout": self.polling_timeout,
                        "allowed_updates": ALLOWED_UPDATES,
                    },
                    read_timeout=self.polling_timeout + 10,
                )
                backoff = 1.0
            except RetryAfter as exc:
                ra = exc.retry_after
                await asyncio.sleep(
                    ra.total_seconds() if hasattr(ra, "total_seconds") else float(ra)
                )
                continue
            except InvalidToken:
                log.critical("Telegram refused the token (BOT_TOKEN); polling stopped")
                raise
            except Conflict:
                log.error("another instance is polling with this token; retrying in 5 s")
                await asyncio.sleep(5)
                continue
            except (TelegramError, OSError) as exc:
                log.warning(
                    "getUpdates failed (%s); retrying in %.0f s", type(exc).__name__, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if not raw:
                continue
            try:
                fresh = await self.store(list(raw))
            except Exception:
                # Not stored, so not confirmed: Telegram gives them again on the next call.
                log.exception("could not store %d updates; fetching them again", len(raw))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            # Only now may Telegram forget them: the next call confirms with the new offset.
            offset = max(int(u["update_id"]) for u in raw) + 1
            await self.dispatch(fresh)

    async def pending(self) -> int:
        return await self.inbox.unprocessed_count()
