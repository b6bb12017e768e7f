"""Privacy: what we keep about a person (/mydata), removing it (/forget), and retention.

Every feature that stores personal data plugs in, in the composition root
(bot/runtime/app.py), with ``PrivacyService.add_part``:

    privacy.add_part(PersonalData(
        "reports",
        export_fn,   # async (db, user_id) -> dict | list: what this feature keeps about them
        forget_fn,   # async (conn, user_id, now) -> None: remove/anonymise it, inside the
                     #   ONE /forget transaction (use only ``conn``; never ``db.*``, which
                     #   would wait for the lock that transaction holds)
    ))

Feature forget functions run before the core one, so they still see the person's users row
(tg_id, language) to e.g. tell workers "the reporter left" through the outbox.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.core.clock import Clock
from bot.core.outbox import Outbox
from bot.core.settings import Settings
from bot.domain.reports import ReportsService
from bot.domain.translation import AutoTextService
from storage.db import Database
from storage.repos import privacy as repo
from storage.repos.texts import TextsRepo
from storage.repos.users import UsersRepo

log = logging.getLogger(__name__)

ExportFn = Callable[[Database, int], Awaitable[dict[str, Any] | list[Any]]]
ForgetFn = Callable[[aiosqlite.Connection, int, datetime], Awaitable[None]]


@dataclass(frozen=True)
class PersonalData:
    name: str
    export: ExportFn
    forget: ForgetFn


@dataclass(frozen=True)
class ForgetResult:
    user_id: int
    tg_id: int | None


class PrivacyService:
    """No telegram imports: handlers turn the results into messages and documents."""

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        db: Database,
        users: UsersRepo,
        outbox: Outbox,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.db = db
        self.users = users
        self.outbox = outbox
        # Each feature's part of /mydata and /forget, by name (adding a name again replaces it).
        self.parts: dict[str, PersonalData] = {}

    def add_part(self, part: PersonalData) -> None:
        self.parts[part.name] = part

    async def export(self, user_id: int) -> dict[str, Any]:
        now = self.clock.now()
        data: dict[str, Any] = {
            "about": "Everything Buurtbot keeps about you, as of this moment.",
            "exported_at": now.isoformat(timespec="seconds"),
        }
        data.update(await repo.export_core(self.db, user_id))
        you = data.get("you") or {}
        data["roles"] = {
            "admin": self.settings.is_admin(you.get("telegram_id")),
            "project_worker": [p["project"] for p in data.get("project_worker_of", [])],
            "organiser_of": [
                m["group_name"] for m in data.get("memberships", []) if m["role"] == "organiser"
            ],
            "member_of": [m["group_name"] for m in data.get("memberships", [])],
        }
        for name, part in sorted(self.parts.items()):
            data[name] = await part.export(self.db, user_id)
        return data

    def export_json(self, data: dict[str, Any]) -> bytes:
        return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")

    async def forget(self, user_id: int) -> ForgetResult:
        """Everything personal, in ONE transaction: feature data first, then the core tables
        (the users row becomes an empty shell with forgotten_at set)."""
        now = self.clock.now()
        user = await self.users.get(user_id)
        names = [] if user is None else [user.first_name, user.last_name, user.username]
        # Threaded: it searches every stored message for the person's names (a full scan).
        async with self.db.transaction(threaded=True) as conn:
            for part in self.parts.values():
                await part.forget(conn, user_id, now)
            tg_id = await repo.forget_core(conn, user_id, now)
            await repo.scrub_sent_mentioning(conn, [n for n in names if n])
            if tg_id is not None:
                await repo.add_forgotten_tx(conn, self._account_key(tg_id), now)
        self.users.forget_cached(tg_id)
        self.outbox.wake()
        log.info("personal data removed for user %s", user_id)
        return ForgetResult(user_id, tg_id)

    def _account_key(self, tg_id: int) -> str:
        """A keyed hash of a Telegram id: the database alone does not tell whose it is (the key
        is the bot token, which is not in the database)."""
        secret = self.settings.bot_token.get_secret_value().encode()
        return hmac.new(secret, str(tg_id).encode(), hashlib.sha256).hexdigest()

    async def came_back(self, tg_id: int) -> bool:
        """Is this new person an account that used /forget before? The record goes: from now
        on they are a new person like any other."""
        async with self.db.transaction(mark=False) as conn:
            return await repo.take_forgotten_tx(conn, self._account_key(tg_id))

    async def prune(self, now: datetime) -> None:
        """Scheduled: raw updates (names, texts) and delivered message copies are kept only a
        few days; idempotent."""
        days = self.settings.inbox_retention_days
        deleted = await repo.prune_inbox(self.db, now - timedelta(days=days))
        if deleted:
            log.info("privacy: pruned %d processed updates older than %d days", deleted, days)


def retention_notice(settings: Any | None = None) -> str:
    """The part of the privacy notice that depends on the retention settings (kept true)."""
    from bot.core.i18n import ngettext

    inbox_days = getattr(settings, "inbox_retention_days", 3)
    years = max(1, round(getattr(settings, "retention_days", 730) / 365))
    return (
        ngettext(
            "The messages you send are removed from our records after {n} day.",
            "The messages you send are removed from our records after {n} days.",
            inbox_days,
        ).format(n=inbox_days)
        + " "
        + ngettext(
            "Your reports stay in the statistics without your name, voice notes or photos; {n}"
            " year after a report is closed, we do that ourselves.",
            "Your reports stay in the statistics without your name, voice notes or photos; {n}"
            " years after a report is closed, we do that ourselves.",
            years,
        ).format(n=years)
        + "\n"
        + ngettext(
            "Organisers of your group see your answers to meetings and calls, and your volunteer"
            " shifts and hours. {n} year after a meeting or call, your answers only stay as"
            " numbers.",
            "Organisers of your group see your answers to meetings and calls, and your volunteer"
            " shifts and hours. {n} years after a meeting or call, your answers only stay as"
            " numbers.",
            years,
        ).format(n=years)
        + " "
        + forget_features_note()
        + "\n"
        + forget_copies_note()
    )


def forget_copies_note() -> str:
    """What /forget can and cannot reach in other people's chats (said honestly, in /privacy
    and at /forget)."""
    from bot.core.i18n import _

    return _(
        "After /forget, the bot also takes your name and words out of the messages it sent to "
        "project workers. Photos, voice notes and places it sent more than 48 hours before stay "
        "in their chat, because Telegram does not let a bot delete them then (without your "
        "name)."
    )


def forget_features_note() -> str:
    """What /forget does to meetings, calls and rosters (said in /privacy and at /forget)."""
    from bot.core.i18n import _

    return _(
        "After /forget, your places at meetings and shifts still to come are freed, your answers "
        "only stay as numbers and your volunteer hours stay without your name."
    )


# ----- problem reports (schema 0002_reports) -----


def reports_part(privacy: PrivacyService, reports: ReportsService | None = None) -> PersonalData:
    """Reports' part of /mydata and /forget; with ``reports``, /forget also reaches the cards
    and copies in workers' chats."""
    from storage.repos import report_privacy as rp

    async def forget_reports(conn: aiosqlite.Connection, user_id: int, now: datetime) -> None:
        from bot.core import i18n
        from bot.core.ui import text_message

        # Before anything is cut: who must hear that the reporter left, what of her is in the
        # outbox's kept payloads, and which of her cards have not gone out yet.
        notices = await rp.open_reports_to_notify(conn, user_id)
        stored = await rp.outbox_needles(conn, user_id)
        names, texts = await rp.plain_needles(conn, user_id)
        async with conn.execute("SELECT id FROM reports WHERE reporter_id = ?", (user_id,)) as c:
            own = [r[0] for r in await c.fetchall()]
        waiting = await rp.pending_cards_tx(conn, own)
        async with conn.execute("SELECT tg_id FROM users WHERE id = ?", (user_id,)) as c:
            found = await c.fetchone()
        own_chat = found[0] if found else None
        mentions = [
            m for m in await rp.delivered_mentions_tx(conn, [*stored, *names]) if m[0] != own_chat
        ]
        edits: list[tuple[int, int, str, dict[str, Any]]] = []
        for chat_id, message_id, payload in mentions:
            field = "text" if "text" in payload else "caption"
            text = payload.get(field) or ""
            cleaned = rp.redact_sent_text(text, names, texts)
            if cleaned == text:
                continue
            edit: dict[str, Any] = {"chat_id": chat_id, "message_id": message_id, field: cleaned}
            for key in ("parse_mode", "reply_markup"):
                if key in payload:
                    edit[key] = payload[key]
            method = "editMessageText" if field == "text" else "editMessageCaption"
            edits.append((chat_id, message_id, method, edit))
        # Other people's raw updates that carry her data (a worker's press under her card).
        await repo.scrub_inbox_mentioning(conn, names, texts)
        # Copies queued or kept in the outbox: emptied (cancelled when not sent yet).
        await repo.scrub_outbox_containing(conn, stored)
        await rp.forget_reporter_tx(conn, user_id, now)
        if reports is not None:
            # Everything delivered that carried her data: edited to the anonymised version or
            # deleted (paced, persistent, restart-safe: through the outbox).
            handled = {(chat, mid) for chat, mid, _method, _edit in edits}
            await reports.clean_copies_tx(conn, user_id, own, now, handled)
            await reports.requeue_cards_tx(conn, waiting, now)
        for chat, _mid, method, edit in edits:
            await Outbox.enqueue_tx(conn, chat, method, edit, now=now)
        default = privacy.settings.default_language
        for n in notices:
            lang = i18n.resolve_language(n.worker_language, n.worker_tg_language, default)
            with i18n.use_locale(lang):
                text = i18n._(
                    "Report <b>{reference}</b>: the reporter deleted their data and left. "
                    "The report stays open; you can no longer send them messages."
                ).format(reference=n.reference)
            await Outbox.enqueue_tx(
                conn,
                n.worker_tg_id,
                "sendMessage",
                text_message(n.worker_tg_id, text),
                ref=f"pvleft:{n.report_id}",
                dedupe_key=f"pv:left:{n.report_id}",
                now=now,
            )

    return PersonalData("reports", rp.export_reports, forget_reports)


async def reports_retention(privacy: PrivacyService, now: datetime) -> None:
    """Scheduled: reports closed more than RETENTION_DAYS ago are anonymised."""
    from storage.repos import report_privacy as rp

    cutoff = now - timedelta(days=privacy.settings.retention_days)
    total = 0
    while True:
        ids = await rp.due_for_retention(privacy.db, cutoff)
        if not ids:
            break
        async with privacy.db.transaction(mark=False, threaded=True) as conn:
            await rp.anonymise_reports_tx(conn, ids, now)
        total += len(ids)
    if total:
        log.info("privacy: anonymised %d reports closed before %s", total, cutoff.date())


def auto_text_part(service: AutoTextService) -> PersonalData:
    """Translations and transcripts in /mydata and /forget: the person's own words (their
    voice notes' transcripts, translations of what they wrote) and what was translated for them.
    Sent copies that hold them are scrubbed like the originals."""

    async def export(_db: Any, user_id: int) -> dict[str, Any]:
        return await service.texts.export(user_id)

    async def forget(conn: aiosqlite.Connection, user_id: int, _now: datetime) -> None:
        await repo.scrub_outbox_containing(conn, await TextsRepo.texts_of_tx(conn, user_id))
        for key in await TextsRepo.org_digests_of_tx(conn, user_id):
            service._org.pop(key, None)
        await TextsRepo.forget_tx(conn, user_id)

    return PersonalData("translations", export, forget)
