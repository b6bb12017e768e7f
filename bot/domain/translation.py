"""What people write and say reaches each reader in their own language (issue 15): translations
and transcripts made on the organisation's own servers, never holding up a conversation.

The rule: the message goes out at once, as it would without these servers, with a short note
that a translation (or a written version of a voice note) follows. A job in SQLite
(``enrichments``) remembers which sent message to bring up to date, for whom; the scheduler's
tick (and a nudge right after the commit) does the work: transcribe, translate, store, then
edit the message once — the edit is an outbox row with the job's dedupe key, queued in the same
transaction that marks the job done, so a kill -9 anywhere loses nothing and edits nothing
twice. A failed call is tried again with backoff (AUTO_TEXT_RETRY_SECONDS, doubling) until
AUTO_TEXT_GIVE_UP_MINUTES after the message; then the note says no translation could be made.

Translations are made once per (text, source, target) and transcripts once per voice file, and
kept (``storage/repos/texts.py``): personal data of whose words they carry and for whom they
were made — in /mydata, removed by /forget and retention.

No telegram imports: the voice download is a function the runtime hands in (``fetch_voice``);
the HTTP clients live in ``bot/runtime/speech.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import aiosqlite

from bot.core import i18n
from bot.core.i18n import _
from bot.core.ui import MAX_TEXT, esc
from bot.domain.deps import Core
from storage.repos.reports import Report
from storage.repos.texts import Job, StoredTranscript, TextsRepo, digest
from storage.timestamps import from_db

log = logging.getLogger(__name__)

MAX_CAPTION = 1024
# Telegram counts characters after the HTML is parsed; the escaped length we measure is never
# less than that, and this leaves room for emoji counted as two.
_MARGIN = 24


class AutoTextError(Exception):
    """A text server failed. ``permanent``: the request itself is refused (do not retry)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None


class Translator(Protocol):
    async def translate(self, text: str, source: str, target: str) -> tuple[str, str]: ...

    async def close(self) -> None: ...


class Transcriber(Protocol):
    async def transcribe(self, audio: bytes, language: str | None = None) -> Transcript: ...

    async def close(self) -> None: ...


VoiceFetcher = Callable[[str], Awaitable[bytes]]

# The translating service of the application whose task this is. Set by the composition root
# before the application starts its tasks, which copy it: the rosters' plain renderers (slot and
# task texts) reach their own application's kept translations, and two applications in one
# process never read each other's (tests/test_composition.py).
active: ContextVar[AutoTextService | None] = ContextVar("auto_text", default=None)


def org_text(text: str | None) -> str:
    """An organiser's text in the current locale's language when a translation is kept."""
    service = active.get()
    if service is None:
        return text or ""
    return service.shown(text)


CardEditor = Callable[[aiosqlite.Connection, int, datetime], Awaitable[int]]


def language_label(code: str | None) -> str:
    return i18n.language_name(code)


def clip_escaped(raw: str, budget: int) -> str:
    """``raw`` escaped for HTML in at most ``budget`` characters, visibly cut ("…")."""
    escaped = esc(raw)
    if len(escaped) <= budget:
        return escaped
    keep = max(0, budget - 1)
    cut = raw[:keep]
    while cut and len(esc(cut)) > keep:
        cut = cut[: len(cut) - max(1, (len(esc(cut)) - keep) // 2)]
    return esc(cut.rstrip()) + "…"


def fit(skeleton: str, texts: list[str], limit: int) -> str:
    """Fill ``skeleton``'s ``{0}``, ``{1}``… with the escaped ``texts`` so the whole stays within
    ``limit``: when it would not, a short text stays whole and the longer ones share the room
    left, each cut visibly ("…")."""
    room = limit - _MARGIN - len(skeleton.format(*([""] * len(texts))))
    sizes = [len(esc(t)) for t in texts]
    if sum(sizes) > room:
        shares = [0] * len(texts)
        left = max(0, room)
        # Smallest first: a short text stays whole, the long ones share what remains.
        order = sorted(range(len(texts)), key=lambda i: sizes[i])
        for n, i in enumerate(order):
            share = left // (len(order) - n)
            shares[i] = min(sizes[i], share)
            left -= shares[i]
        return skeleton.format(*(clip_escaped(t, s) for t, s in zip(texts, shares, strict=True)))
    return skeleton.format(*(esc(t) for t in texts))


@dataclass
class CardExtra:
    """The automatic texts under a report card, in the reader's language (rendered inside the
    card's locale, within what the card leaves of Telegram's 4,096 characters)."""

    translation: str | None = None
    translation_from: str | None = None
    text_note: str | None = None  # 'follows' | 'failed'
    transcripts: list[tuple[StoredTranscript | None, str | None, str | None]] = field(
        default_factory=list
    )  # (transcript, its translation, note)

    def empty(self) -> bool:
        return not (self.translation or self.text_note or self.transcripts)

    def render(self, budget: int) -> str:
        skeleton: list[str] = []
        texts: list[str] = []

        def slot(raw: str) -> str:
            texts.append(raw)
            return "{" + str(len(texts) - 1) + "}"

        if self.translation:
            skeleton.append(
                _("🌐 <b>Automatic translation</b> from {language}:")
                .format(language=language_label(self.translation_from))
                .replace("{", "{{")
                .replace("}", "}}")
                + "\n<i>"
                + slot(self.translation)
                + "</i>"
            )
        elif self.text_note == "follows":
            skeleton.append(_brace(_("🌐 A translation follows.")))
        elif self.text_note == "failed":
            skeleton.append(_brace(_("🌐 No automatic translation could be made.")))
        for transcript, translated, note in self.transcripts:
            if transcript is None:
                if note == "follows":
                    skeleton.append(_brace(_("🎤 A written version of the voice note follows.")))
                elif note == "failed":
                    skeleton.append(_brace(_("🎤 No automatic written version could be made.")))
                continue
            if not transcript.text:
                skeleton.append(_brace(_("🎤 Automatic written version: nothing could be heard.")))
                continue
            block = (
                _brace(
                    _("🎤 <b>Automatic written version</b> ({language}):").format(
                        language=language_label(transcript.language)
                    )
                )
                + "\n<i>"
                + slot(transcript.text)
                + "</i>"
            )
            if translated:
                block += "\n" + _brace(_("🌐 Automatic translation:")) + "\n<i>" + slot(translated)
                block += "</i>"
            elif note == "follows":
                block += "\n" + _brace(_("🌐 A translation follows."))
            skeleton.append(block)
        if not skeleton:
            return ""
        return fit("\n\n" + "\n\n".join(skeleton), texts, budget + _MARGIN)


def translation_mark() -> str:
    """The line under an organiser's text shown in a member's language."""
    return _("🌐 <i>Translated automatically</i>")


def _brace(text: str) -> str:
    """A finished (already formatted) text inside a ``str.format`` skeleton."""
    return text.replace("{", "{{").replace("}", "}}")


class AutoTextService:
    def __init__(
        self,
        core: Core,
        translator: Translator | None = None,
        transcriber: Transcriber | None = None,
    ) -> None:
        self.settings = core.settings
        self.clock = core.clock
        self.db = core.db
        self.outbox = core.outbox
        self.texts = TextsRepo(core.db)
        self.translator = translator
        self.transcriber = transcriber
        self.fetch_voice: VoiceFetcher | None = None  # set by the runtime once the bot exists
        self.edit_cards_tx: CardEditor | None = None  # the reports service's card refresher
        self._lock = asyncio.Lock()
        self._again = False
        self._task: asyncio.Task[None] | None = None
        self.calls = 0  # requests to the servers (the benchmark reads it)
        # Organisers' texts translated, (digest, target) -> text: rendered synchronously in
        # every member's message (titles, places, agendas are few; loaded at start).
        # Organisers' texts translated, (digest, target) -> text: rendered synchronously in
        # every member's message (titles, places, notes are few; loaded at start-up).
        self._org: dict[tuple[str, str], str] = {}
        # The language each organiser's text was written in, once it was sent (prepared): a
        # text is only asked for in other languages, and only once it is known to be one.
        self._sources: dict[str, str] = {}
        # Texts shown in a language they have no translation into yet (e.g. a roster read by
        # a member who joined later): made in the background, shown translated from then on.
        self._wanted: dict[tuple[str, str], None] = {}

    @property
    def translating(self) -> bool:
        return self.translator is not None

    @property
    def transcribing(self) -> bool:
        return self.transcriber is not None

    @property
    def enabled(self) -> bool:
        return self.translating or self.transcribing

    def _give_up_at(self, now: datetime) -> datetime:
        return now + timedelta(minutes=self.settings.auto_text_give_up_minutes)

    # ----- report cards (called by the reports service, inside its transaction) -----

    @staticmethod
    async def _voices_tx(conn: aiosqlite.Connection, report: Report) -> list[str]:
        if not report.voice_file_id:
            return []
        async with conn.execute(
            "SELECT file_id FROM report_voices WHERE report_id = ? ORDER BY id", (report.id,)
        ) as cur:
            return [report.voice_file_id, *[r[0] for r in await cur.fetchall()]]

    def _needs_translation(self, source: str | None, target: str) -> bool:
        return self.translating and (source or "auto") != target

    async def card_tx(
        self, conn: aiosqlite.Connection, report: Report, lang: str, now: datetime
    ) -> CardExtra | None:
        """What a card in ``lang`` shows of translations and transcripts now; plans the work
        for that language when something is still to be made (idempotent)."""
        if not self.enabled:
            return None
        voices = await self._voices_tx(conn, report) if self.transcribing else []
        has_text = bool(report.text) and self._needs_translation(report.language, lang)
        if not (has_text or voices):
            return None
        states = await TextsRepo.card_states_tx(conn, report.id)
        if lang not in states:
            job = await TextsRepo.add_job_tx(
                conn,
                now,
                self._give_up_at(now),
                kind="card",
                report_id=report.id,
                subject_id=report.reporter_id,
                source=report.language,
                target=lang,
            )
            if job is not None:
                states[lang] = "pending"
                self.kick()
        state = states.get(lang, "pending")
        note = "failed" if state == "gave_up" else ("follows" if state == "pending" else None)
        extra = CardExtra()
        if has_text and report.text:
            # What people write goes as 'auto': one may write in another language than the
            # one the bot speaks with them.
            found = await TextsRepo.translation_from_tx(conn, report.text, "auto", lang)
            if found is None:
                extra.text_note = note
            elif found[0] != report.text:  # the same text back: it was in ``lang`` already
                extra.translation, extra.translation_from = found
        for voice in voices:
            transcript = await TextsRepo.transcript_tx(conn, voice)
            translated = None
            voice_note = note
            if transcript is not None and transcript.text:
                if self._needs_translation(transcript.language, lang):
                    translated = await TextsRepo.translation_tx(
                        conn, transcript.text, transcript.language or "auto", lang
                    )
                    if translated == transcript.text:  # detected: already in ``lang``
                        translated, voice_note = None, None
                else:
                    voice_note = None
            extra.transcripts.append(
                (transcript, translated, voice_note if not translated else None)
            )
        return None if extra.empty() else extra

    # ----- relayed messages (answers both ways, added information) -----

    async def relay_tx(
        self,
        conn: aiosqlite.Connection,
        *,
        chat_id: int,
        reader_id: int | None,
        subject_id: int | None,
        source: str | None,
        target: str,
        head: str,
        text: str | None,
        voice: str | None,
        markup: dict[str, Any] | None,
        report_id: int | None,
        now: datetime,
        photo: str | None = None,
    ) -> bool:
        """Queue the message (the original with a note) and the job that completes it; False
        when there is nothing to translate or transcribe (the caller sends it as before)."""
        if voice:
            if not self.transcribing:
                return False
        elif not text or not self._needs_translation(source, target):
            return False
        job_id = await TextsRepo.add_job_tx(
            conn,
            now,
            self._give_up_at(now),
            kind="message",
            report_id=report_id,
            subject_id=subject_id,
            reader_id=reader_id,
            chat_id=chat_id,
            source=source,
            target=target,
            text=text,
            voice=voice,
            head=head,
            markup=markup,
            caption=1 if (voice or photo) else 0,
        )
        assert job_id is not None
        job = await TextsRepo.job_tx(conn, job_id)
        assert job is not None
        body = await self._render_tx(conn, job, final=False)
        params: dict[str, Any] = {"parse_mode": "HTML"}
        if markup:
            params["reply_markup"] = markup
        if voice:
            params.update(voice=voice, caption=body)
            method = "sendVoice"
        elif photo:
            params.update(photo=photo, caption=body)
            method = "sendPhoto"
        else:
            params.update(text=body)
            method = "sendMessage"
        outbox_id = await self.outbox.enqueue_tx(
            conn, chat_id, method, params, ref=f"enr:{job_id}", now=now
        )
        await TextsRepo.set_outbox_tx(conn, job_id, outbox_id)
        self.kick()
        return True

    async def _render_tx(self, conn: aiosqlite.Connection, job: Job, final: bool) -> str:
        """The message for its reader: while waiting, the original and a note; when done, the
        translation (marked automatic) with the original one tap away (expandable quote)."""
        limit = MAX_CAPTION if job.caption else MAX_TEXT
        if job.kind == "swap":
            return self._swapped(job, final)
        with i18n.use_locale(job.target):
            head = _brace(job.head or "")
            failed = job.state == "gave_up"
            if job.voice:
                transcript = await TextsRepo.transcript_tx(conn, job.voice)
                if transcript is None:
                    note = (
                        _("🎤 No automatic written version could be made.")
                        if failed
                        else _("🎤 A written version of the voice note follows.")
                    )
                    return fit(head + "\n\n<i>" + _brace(note) + "</i>", [], limit)
                if not transcript.text:
                    note = _("🎤 Automatic written version: nothing could be heard.")
                    return fit(head + "\n\n<i>" + _brace(note) + "</i>", [], limit)
                source, original = transcript.language or "auto", transcript.text
                label = _brace(
                    _("🎤 Automatic written version ({language}):").format(
                        language=language_label(transcript.language)
                    )
                )
            else:
                # Needed when the writer's language is not the reader's; asked as 'auto'.
                source, original = job.source or "auto", job.text or ""
                label = _brace(_("Original:"))
            translated, made_from = None, source
            if self._needs_translation(source, job.target):
                asked = source if job.voice else "auto"
                found = await TextsRepo.translation_from_tx(conn, original, asked, job.target)
                if found is not None:
                    translated, made_from = found[0], found[1] or source
            if translated and translated != original:
                top = _brace(
                    _("🌐 <b>Automatic translation</b> from {language}:").format(
                        language=language_label(made_from)
                    )
                )
                skeleton = (
                    head + "\n\n" + top + "\n{0}\n\n" + label
                    + "\n<blockquote expandable>{1}</blockquote>"
                )  # fmt: skip
                return fit(skeleton, [translated, original], limit)
            skeleton = head + "\n\n" + (label + "\n<i>{0}</i>" if job.voice else "{0}")
            if self._needs_translation(source, job.target) and translated is None:
                note = (
                    _("🌐 No automatic translation could be made.")
                    if failed or final
                    else _("🌐 A translation follows.")
                )
                skeleton += "\n\n<i>" + _brace(note) + "</i>"
            return fit(skeleton, [original], limit)

    def _swapped(self, job: Job, final: bool) -> str:
        """A notice with an organiser's text in it: as sent, or with the text translated."""
        body = job.head or ""
        translated = self.version(job.text, job.target) if final else None
        if not translated or not job.text or translated == job.text:
            return body
        with i18n.use_locale(job.target):
            swapped = body.replace(esc(job.text), esc(translated)) + "\n\n" + translation_mark()
        return swapped if len(swapped) <= MAX_TEXT - _MARGIN else body

    async def swap_tx(
        self,
        conn: aiosqlite.Connection,
        *,
        chat_id: int,
        payload: dict[str, Any],
        text: str,
        target: str,
        subject_id: int | None,
        dedupe_key: str | None,
        now: datetime,
    ) -> bool:
        """Queue a notice that carries an organiser's text no translation is kept for yet
        (a place changed just now): it goes out as typed and is edited once the translation is
        made. False when there is nothing to wait for (the caller queues it as usual)."""
        source = self._sources.get(digest(text))
        if not self.translating or source in (None, target) or self.version(text, target):
            return False
        job_id = await TextsRepo.add_job_tx(
            conn,
            now,
            self._give_up_at(now),
            kind="swap",
            subject_id=subject_id,
            chat_id=chat_id,
            source=source,
            target=target,
            text=text,
            head=str(payload.get("text") or ""),
            markup=payload.get("reply_markup"),
        )
        assert job_id is not None
        outbox_id = await self.outbox.enqueue_tx(
            conn,
            chat_id,
            "sendMessage",
            payload,
            ref=f"enr:{job_id}",
            dedupe_key=dedupe_key,
            now=now,
        )
        await TextsRepo.set_outbox_tx(conn, job_id, outbox_id)
        self.kick()
        return True

    async def on_message_sent(self, ref: str, chat_id: int, message_id: int | None) -> None:
        """Outbox hook for "enr:<job>": a job that finished while its message was on the wire
        edits it now."""
        try:
            job_id = int(ref.split(":", 1)[1])
        except (IndexError, ValueError):
            return
        if message_id is None:
            return
        async with self.db.transaction(mark=False) as conn:
            job = await TextsRepo.job_tx(conn, job_id)
            if job is None or job.state != "ready":
                return
            await self._edit_tx(conn, job, chat_id, message_id, "done")
        self.outbox.wake()

    async def _edit_tx(
        self, conn: aiosqlite.Connection, job: Job, chat_id: int, message_id: int, state: str
    ) -> None:
        now = self.clock.now()
        shown = Job(**{**job.__dict__, "state": state})
        body = await self._render_tx(conn, shown, final=True)
        params: dict[str, Any] = {"message_id": message_id, "parse_mode": "HTML"}
        if job.markup:
            params["reply_markup"] = job.markup
        if job.caption:
            params["caption"] = body
            method = "editMessageCaption"
        else:
            params["text"] = body
            method = "editMessageText"
        await self.outbox.enqueue_tx(
            conn, chat_id, method, params, dedupe_key=f"enr:{job.id}", now=now, priority=1
        )
        await TextsRepo.set_state_tx(conn, job.id, state, now)

    async def _finish_message_tx(self, conn: aiosqlite.Connection, job: Job, state: str) -> None:
        """Into the message: still queued → its payload; sent → one edit; on the wire → the
        sent hook edits it; never delivered → nothing to do."""
        now = self.clock.now()
        found = await TextsRepo.outbox_state_tx(conn, job.outbox_id)
        if found is None or found[0] in ("failed", "unreachable", "cancelled"):
            await TextsRepo.set_state_tx(conn, job.id, state, now)
            return
        outbox_state, message_id = found
        if outbox_state == "pending" and job.outbox_id is not None:
            shown = Job(**{**job.__dict__, "state": state})
            body = await self._render_tx(conn, shown, final=True)
            key = "caption" if job.caption else "text"
            if await TextsRepo.replace_outbox_payload_tx(conn, job.outbox_id, {key: body}):
                await TextsRepo.set_state_tx(conn, job.id, state, now)
                return
        if outbox_state == "sent" and message_id is not None and job.chat_id is not None:
            await self._edit_tx(conn, job, job.chat_id, message_id, state)
            return
        if state == "gave_up":
            await TextsRepo.set_state_tx(conn, job.id, "gave_up", now)
            return
        await TextsRepo.set_state_tx(conn, job.id, "ready", now)

    # ----- organisers' texts (meetings: titles, places, agendas) -----

    async def load(self) -> None:
        """At start-up: the organisers' texts translated so far."""
        self._org.clear()
        self._org.update({(d, t): text for d, t, text in await self.texts.org_translations()})
        self._sources = await self.texts.org_sources()

    def shown(self, text: str | None) -> str:
        """An organiser's text in the current locale's language when a translation is kept
        (made before sending, or corrected by the organiser), else as written."""
        if not text:
            return ""
        lang = i18n.current_language()
        key = digest(text)
        found = self._org.get((key, lang))
        if found is not None:
            return found
        source = self._sources.get(key)
        if self.translating and source not in (None, lang) and (text, lang) not in self._wanted:
            self._wanted[(text, lang)] = None
            self.kick()
        return text

    def translated(self, *texts: str | None) -> bool:
        """Whether any of these shows translated in the current locale (to mark it)."""
        return any(t and self.shown(t) != t for t in texts)

    async def group_languages(self, group_id: int) -> set[str]:
        default = self.settings.default_language
        return {
            i18n.resolve_language(chosen, tg, default)
            for chosen, tg in await self.texts.group_languages(group_id)
        }

    async def prepare_for_group(self, texts: list[str | None], group_id: int, owner_id: int) -> int:
        """``prepare_org`` into the languages of a group's members, from the owner's."""
        if not self.translating:
            return 0
        row = await self.db.fetchone(
            "SELECT language, tg_language FROM users WHERE id = ?", (owner_id,)
        )
        default = self.settings.default_language
        source = i18n.resolve_language(row[0], row[1], default) if row else default
        return await self.prepare_org(texts, source, await self.group_languages(group_id), owner_id)

    async def prepare_org(
        self, texts: list[str | None], source: str, targets: set[str], owner_id: int | None
    ) -> int:
        """Have these texts translated into ``targets`` before they are sent: once per text
        and language (kept ones and pending ones are not asked again). Returns the jobs added."""
        if source != "auto":
            for t in texts:
                if t and t.strip():
                    self._sources[digest(t.strip())] = source
        if not self.translating:
            return 0
        now = self.clock.now()
        added = 0
        wanted = [
            (text, target)
            for text in dict.fromkeys(t.strip() for t in texts if t and t.strip())
            for target in sorted(targets - {source})
            if (digest(text), target) not in self._org
            and not await self.texts.org_job_pending(text, target)
        ]
        if not wanted:
            return 0
        async with self.db.transaction(mark=False) as conn:
            for text, target in wanted:
                job = await TextsRepo.add_job_tx(
                    conn,
                    now,
                    self._give_up_at(now),
                    kind="org",
                    subject_id=owner_id,
                    source=source,
                    target=target,
                    text=text,
                )
                added += 1 if job else 0
        self.kick()
        return added

    def version(self, text: str | None, target: str) -> str | None:
        """The kept translation of an organiser's text (None: not made yet)."""
        if not text:
            return None
        return self._org.get((digest(text), target))

    async def correct_org(
        self, text: str, source: str, target: str, corrected: str, owner_id: int
    ) -> None:
        """The organiser's own version replaces the automatic one (kept, marked corrected)."""
        async with self.db.transaction(mark=False) as conn:
            await TextsRepo.store_translation_tx(
                conn, text, source, target, corrected, self.clock.now(), [owner_id],
                corrected=True, kind="org",
            )  # fmt: skip
        self._org[(digest(text), target)] = corrected

    # ----- doing the work -----

    def kick(self) -> None:
        """Look at the work list soon (after the caller's commit: the task waits for the
        database lock its transaction holds)."""
        if not self.enabled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = loop.create_task(self._kicked(), name="auto-text")

    async def _kicked(self) -> None:
        try:
            while True:
                self._again = False
                await self.run_due(self.clock.now())
                if not self._again:
                    return
        except Exception:
            log.exception("auto-text: run failed")

    async def idle(self) -> None:
        """Wait until no nudged run is going (tests, the benchmark)."""
        while self._task is not None and not self._task.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(self._task)

    async def _take_wanted(self) -> None:
        """Organisers' texts shown untranslated since the last run become jobs (source auto)."""
        wanted = list(self._wanted)
        self._wanted.clear()
        for text, lang in wanted:
            source = self._sources.get(digest(text))
            if source is not None:
                await self.prepare_org([text], source, {lang}, None)

    async def run_due(self, now: datetime) -> None:
        """Scheduled (and nudged): every job whose time has come, one at a time."""
        if self._wanted and self.translating:
            await self._take_wanted()
        async with self._lock:
            done: set[int] = set()
            while True:
                jobs = [j for j in await self.texts.due(now) if j.id not in done]
                if not jobs:
                    return
                for job in jobs:
                    done.add(job.id)
                    await self._work(job, now)

    async def _work(self, job: Job, now: datetime) -> None:
        if now >= from_db(job.give_up_at) or not self.enabled:
            await self._give_up(job)
            return
        try:
            if job.kind == "card":
                await self._make_card_texts(job)
            elif job.kind in ("org", "swap"):
                await self._make_org_text(job)
            else:
                await self._make_message_texts(job)
        except AutoTextError as err:
            attempts = job.attempts + 1
            if err.permanent:
                log.warning("auto-text: job %s refused (%s); not tried again", job.id, err)
                await self._give_up(job)
                return
            delay = min(3600.0, self.settings.auto_text_retry_seconds * 2.0 ** (attempts - 1))
            log.warning(
                "auto-text: job %s failed (%s), attempt %d, again in %.0fs",
                job.id, err, attempts, delay,
            )  # fmt: skip
            await self.texts.retry_later(job.id, attempts, now + timedelta(seconds=delay))
            return
        await self._complete(job, "done")
        log.info("auto-text: job %s (%s) done", job.id, job.kind)

    async def _give_up(self, job: Job) -> None:
        log.warning("auto-text: giving up job %s (%s)", job.id, job.kind)
        await self._complete(job, "gave_up")

    async def _complete(self, job: Job, state: str) -> None:
        now = self.clock.now()
        async with self.db.transaction(mark=False) as conn:
            fresh = await TextsRepo.job_tx(conn, job.id)
            if fresh is None or fresh.state != "pending":  # forgotten meanwhile, or done
                return
            if job.kind == "org" or (job.kind == "swap" and state == "gave_up"):
                await TextsRepo.set_state_tx(conn, job.id, state, now)
            elif job.kind == "card":
                await TextsRepo.set_state_tx(conn, job.id, state, now)
                if self.edit_cards_tx is not None and job.report_id is not None:
                    await self.edit_cards_tx(conn, job.report_id, now)
            else:
                await self._finish_message_tx(conn, fresh, state)
        self.outbox.wake()

    async def _transcript(
        self, file_id: str, speaker: int | None, report_id: int | None
    ) -> StoredTranscript | None:
        if self.transcriber is None:
            return None
        found = await self.texts.transcript(file_id)
        if found is not None:
            return found
        if self.fetch_voice is None:
            raise AutoTextError("no way to download voice notes yet", permanent=False)
        try:
            audio = await self.fetch_voice(file_id)
        except AutoTextError:
            raise
        except Exception as exc:  # Telegram's getFile or the download failed
            raise AutoTextError(f"voice download: {type(exc).__name__}", permanent=False) from exc
        self.calls += 1
        heard = await self.transcriber.transcribe(audio)
        await self.texts.store_transcript(
            file_id, heard.text, heard.language, speaker, report_id, self.clock.now()
        )
        return StoredTranscript(file_id, heard.text, heard.language)

    async def translation(
        self,
        text: str,
        source: str | None,
        target: str,
        people: list[int | None],
        report_id: int | None = None,
        kind: str = "person",
    ) -> str | None:
        """``text`` in ``target`` from the store, or made now and stored (once per text and
        language); None when source and target are the same or translation is off."""
        src = source or "auto"
        if self.translator is None or src == target or not text.strip():
            return None
        found = await self.texts.translation(text, src, target)
        if found is not None:
            return found
        self.calls += 1
        translated, detected = await self.translator.translate(text, src, target)
        if src == "auto" and detected == target:
            translated = text  # already in the reader's language
        async with self.db.transaction(mark=False) as conn:
            await TextsRepo.store_translation_tx(
                conn, text, src, target, translated, self.clock.now(), people, report_id,
                kind=kind, detected=detected if src == "auto" else None,
            )  # fmt: skip
        return translated

    async def _make_card_texts(self, job: Job) -> None:
        from storage.repos.reports import ReportsRepo

        async with self.db.transaction(mark=False) as conn:
            report = await ReportsRepo.get_tx(conn, job.report_id or 0)
            voices = await self._voices_tx(conn, report) if report is not None else []
        if report is None:
            return
        people = [report.reporter_id]
        if report.text:
            await self.translation(report.text, "auto", job.target, people, report.id)
        for voice in voices:
            heard = await self._transcript(voice, report.reporter_id, report.id)
            if heard is not None and heard.text:
                await self.translation(heard.text, heard.language, job.target, people, report.id)

    async def _make_org_text(self, job: Job) -> None:
        if not job.text:
            return
        key = (digest(job.text), job.target)
        if key in self._org:
            return
        translated = await self.translation(
            job.text, job.source, job.target, [job.subject_id], kind="org"
        )
        if translated is not None:
            self._org[key] = translated

    async def _make_message_texts(self, job: Job) -> None:
        people = [job.subject_id, job.reader_id]
        if job.voice:
            heard = await self._transcript(job.voice, job.subject_id, job.report_id)
            if heard is not None and heard.text:
                await self.translation(
                    heard.text, heard.language, job.target, people, job.report_id
                )
        elif job.text:
            await self.translation(job.text, "auto", job.target, people, job.report_id)

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        for client in (self.translator, self.transcriber):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.close()


def dossier_quotes(conn: Any, f: Any, limit: int, lang: str) -> list[tuple[str, str]]:
    """The dossier's quotes: consented written texts and, for consented voice stories, their
    transcript (in the dossier's language when translated), marked as transcribed."""
    from storage.repos.exports import _where
    from storage.repos.texts import dossier_quotes as select

    where, params = _where(f)
    mark = i18n.gettext_for(lang, "🎤 Transcribed from a voice note:")
    return [
        (key, f"{mark} {quote}" if transcribed else quote)
        for key, quote, transcribed in select(conn, where, params, limit, lang)
    ]
