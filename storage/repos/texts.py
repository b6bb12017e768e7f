"""Translations, transcripts and the work list for the text servers (schema 0011_translate).

The ``*_tx`` functions run inside a transaction the caller holds."""

from __future__ import annotations

import hashlib
import html
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import Database
from storage.timestamps import to_db


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredTranscript:
    file_id: str
    text: str
    language: str | None


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    report_id: int | None
    subject_id: int | None
    reader_id: int | None
    chat_id: int | None
    source: str | None
    target: str
    text: str | None
    voice: str | None
    head: str | None
    markup: dict[str, Any] | None
    caption: bool
    outbox_id: int | None
    state: str
    attempts: int
    give_up_at: str


_JOB_COLS = (
    "id, kind, report_id, subject_id, reader_id, chat_id, source, target, text, voice, head,"
    " markup, caption, outbox_id, state, attempts, give_up_at"
)


def _job(r: Any) -> Job:
    return Job(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
        json.loads(r[11]) if r[11] else None, bool(r[12]), r[13], r[14], r[15], r[16],
    )  # fmt: skip


class TextsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ----- translations -----

    @staticmethod
    async def translation_tx(
        conn: aiosqlite.Connection, text: str, source: str, target: str
    ) -> str | None:
        async with conn.execute(
            "SELECT text FROM translations WHERE digest = ? AND source = ? AND target = ?",
            (digest(text), source, target),
        ) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    @staticmethod
    async def translation_from_tx(
        conn: aiosqlite.Connection, text: str, source: str, target: str
    ) -> tuple[str, str | None] | None:
        """(translation, the language it was made from: the source, or what the server
        detected for 'auto')."""
        async with conn.execute(
            "SELECT text, COALESCE(detected, source) FROM translations"
            " WHERE digest = ? AND source = ? AND target = ?",
            (digest(text), source, target),
        ) as cur:
            row = await cur.fetchone()
        return (row[0], row[1]) if row else None

    @staticmethod
    async def kept_translation_tx(conn: aiosqlite.Connection, text: str, target: str) -> str | None:
        """As ``kept_translation``, inside a transaction."""
        async with conn.execute(
            "SELECT text FROM translations WHERE digest = ? AND target = ?"
            " ORDER BY id DESC LIMIT 1",
            (digest(text), target),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else str(row[0])

    async def kept_translation(self, text: str, target: str) -> str | None:
        """The newest translation kept of ``text`` into ``target``, whatever it was made from."""
        value = await self.db.fetchval(
            "SELECT text FROM translations WHERE digest = ? AND target = ?"
            " ORDER BY id DESC LIMIT 1",
            (digest(text), target),
        )
        return None if value is None else str(value)

    async def translation(self, text: str, source: str, target: str) -> str | None:
        value = await self.db.fetchval(
            "SELECT text FROM translations WHERE digest = ? AND source = ? AND target = ?",
            (digest(text), source, target),
        )
        return str(value) if value is not None else None

    @staticmethod
    async def store_translation_tx(
        conn: aiosqlite.Connection,
        text: str,
        source: str,
        target: str,
        translated: str,
        now: datetime,
        people: list[int | None],
        report_id: int | None = None,
        corrected: bool = False,
        kind: str = "person",
        detected: str | None = None,
    ) -> None:
        """Keep a translation (a hand correction replaces the automatic one) and link its
        people (whose words, for whom) and report."""
        await conn.execute(
            "INSERT INTO translations (digest, source, target, text, corrected, created_at, kind,"
            " detected) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (digest, source, target) DO UPDATE SET"
            " text = CASE WHEN excluded.corrected = 1 OR translations.corrected = 0"
            " THEN excluded.text ELSE translations.text END,"
            " corrected = MAX(translations.corrected, excluded.corrected)",
            (
                digest(text),
                source,
                target,
                translated,
                1 if corrected else 0,
                to_db(now),
                kind,
                detected,
            ),
        )
        async with conn.execute(
            "SELECT id FROM translations WHERE digest = ? AND source = ? AND target = ?",
            (digest(text), source, target),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        linked: list[int | None] = [p for p in sorted({q for q in people if q is not None})]
        for user_id in linked or [None]:
            await conn.execute(
                "INSERT OR IGNORE INTO translation_people (translation_id, user_id, report_id)"
                " VALUES (?, ?, ?)",
                (row[0], user_id, report_id),
            )

    async def org_translations(self) -> list[tuple[str, str, str]]:
        """(digest, target, text) of every organiser's text translated (held in memory)."""
        rows = await self.db.fetchall(
            "SELECT digest, target, text FROM translations WHERE kind = 'org'"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def org_sources(self) -> dict[str, str]:
        """digest -> language of every organiser's text translated or asked for."""
        rows = await self.db.fetchall(
            "SELECT digest, source FROM translations WHERE kind = 'org' AND source != 'auto'"
        )
        found = {r[0]: r[1] for r in rows}
        for text, source in await self.db.fetchall(
            "SELECT text, source FROM enrichments WHERE kind = 'org' AND text IS NOT NULL"
            " AND source IS NOT NULL AND source != 'auto'"
        ):
            found.setdefault(digest(text), source)
        return found

    @staticmethod
    async def org_digests_of_tx(conn: aiosqlite.Connection, user_id: int) -> list[tuple[str, str]]:
        async with conn.execute(
            "SELECT t.digest, t.target FROM translations t JOIN translation_people p"
            " ON p.translation_id = t.id WHERE p.user_id = ? AND t.kind = 'org'",
            (user_id,),
        ) as cur:
            return [(r[0], r[1]) for r in await cur.fetchall()]

    async def org_job_pending(self, text: str, target: str) -> bool:
        return bool(
            await self.db.fetchval(
                "SELECT 1 FROM enrichments WHERE kind = 'org' AND state = 'pending'"
                " AND text = ? AND target = ?",
                (text, target),
            )
        )

    async def group_languages(self, group_id: int) -> list[tuple[str | None, str | None]]:
        """(chosen language, Telegram language) of each member of a group."""
        rows = await self.db.fetchall(
            "SELECT u.language, u.tg_language FROM memberships m JOIN users u ON u.id = m.user_id"
            " WHERE m.group_id = ? AND u.forgotten_at IS NULL",
            (group_id,),
        )
        return [(r[0], r[1]) for r in rows]

    # ----- transcripts -----

    @staticmethod
    async def transcript_tx(conn: aiosqlite.Connection, file_id: str) -> StoredTranscript | None:
        async with conn.execute(
            "SELECT file_id, text, language FROM transcripts WHERE file_id = ?", (file_id,)
        ) as cur:
            row = await cur.fetchone()
        return StoredTranscript(row[0], row[1], row[2]) if row else None

    async def transcript(self, file_id: str) -> StoredTranscript | None:
        row = await self.db.fetchone(
            "SELECT file_id, text, language FROM transcripts WHERE file_id = ?", (file_id,)
        )
        return StoredTranscript(row[0], row[1], row[2]) if row else None

    async def store_transcript(
        self,
        file_id: str,
        text: str,
        language: str | None,
        user_id: int | None,
        report_id: int | None,
        now: datetime,
    ) -> None:
        async with self.db.transaction(mark=False) as conn:
            await conn.execute(
                "INSERT INTO transcripts (file_id, text, language, user_id, report_id,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (file_id) DO NOTHING",
                (file_id, text, language, user_id, report_id, to_db(now)),
            )

    async def report_transcripts(self, report_id: int) -> list[StoredTranscript]:
        rows = await self.db.fetchall(
            "SELECT file_id, text, language FROM transcripts WHERE report_id = ?"
            " ORDER BY created_at, file_id",
            (report_id,),
        )
        return [StoredTranscript(r[0], r[1], r[2]) for r in rows]

    # ----- the work list -----

    @staticmethod
    async def add_job_tx(conn: aiosqlite.Connection, now: datetime, give_up_at: datetime,
                         **values: Any) -> int | None:  # fmt: skip
        """A new job; None when a card job for that report and language exists already."""
        values = dict(values)
        if "markup" in values and values["markup"] is not None:
            values["markup"] = json.dumps(values["markup"], ensure_ascii=False)
        values.update(next_at=to_db(now), give_up_at=to_db(give_up_at), created_at=to_db(now))
        cols = ", ".join(values)
        marks = ", ".join("?" * len(values))
        cur = await conn.execute(
            f"INSERT INTO enrichments ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING",
            tuple(values.values()),
        )
        return cur.lastrowid if cur.rowcount else None

    @staticmethod
    async def set_outbox_tx(conn: aiosqlite.Connection, job_id: int, outbox_id: int | None) -> None:
        await conn.execute("UPDATE enrichments SET outbox_id = ? WHERE id = ?", (outbox_id, job_id))

    @staticmethod
    async def job_tx(conn: aiosqlite.Connection, job_id: int) -> Job | None:
        async with conn.execute(
            f"SELECT {_JOB_COLS} FROM enrichments WHERE id = ?", (job_id,)
        ) as cur:
            row = await cur.fetchone()
        return _job(row) if row else None

    async def due(self, now: datetime, limit: int = 50) -> list[Job]:
        rows = await self.db.fetchall(
            f"SELECT {_JOB_COLS} FROM enrichments WHERE state = 'pending' AND next_at <= ?"
            " ORDER BY next_at, id LIMIT ?",
            (to_db(now), limit),
        )
        return [_job(r) for r in rows]

    @staticmethod
    async def card_states_tx(conn: aiosqlite.Connection, report_id: int) -> dict[str, str]:
        """target language -> state of the report's card jobs."""
        async with conn.execute(
            "SELECT target, state FROM enrichments WHERE kind = 'card' AND report_id = ?",
            (report_id,),
        ) as cur:
            return {r[0]: r[1] for r in await cur.fetchall()}

    @staticmethod
    async def set_state_tx(
        conn: aiosqlite.Connection, job_id: int, state: str, now: datetime
    ) -> None:
        await conn.execute(
            "UPDATE enrichments SET state = ?, done_at = ? WHERE id = ?",
            (state, to_db(now) if state in ("done", "gave_up") else None, job_id),
        )

    async def retry_later(self, job_id: int, attempts: int, next_at: datetime) -> None:
        await self.db.execute(
            "UPDATE enrichments SET attempts = ?, next_at = ? WHERE id = ? AND state = 'pending'",
            (attempts, to_db(next_at), job_id),
        )

    @staticmethod
    async def outbox_state_tx(
        conn: aiosqlite.Connection, outbox_id: int | None
    ) -> tuple[str, int | None] | None:
        if outbox_id is None:
            return None
        async with conn.execute(
            "SELECT state, message_id FROM outbox WHERE id = ?", (outbox_id,)
        ) as cur:
            row = await cur.fetchone()
        return (row[0], row[1]) if row else None

    @staticmethod
    async def replace_outbox_payload_tx(
        conn: aiosqlite.Connection, outbox_id: int, changes: dict[str, Any]
    ) -> bool:
        """Put the finished text into a message not sent yet; False when it left already."""
        async with conn.execute(
            "SELECT payload FROM outbox WHERE id = ? AND state = 'pending'", (outbox_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return False
        payload = json.loads(row[0])
        payload.update(changes)
        cur2 = await conn.execute(
            "UPDATE outbox SET payload = ? WHERE id = ? AND state = 'pending'",
            (json.dumps(payload, ensure_ascii=False, separators=(",", ":")), outbox_id),
        )
        return bool(cur2.rowcount)

    # ----- privacy -----

    @staticmethod
    async def texts_of_tx(conn: aiosqlite.Connection, user_id: int) -> list[str]:
        """How every translation and transcript of a person appears in sent copies (to scrub)."""
        async with conn.execute(
            "SELECT t.text FROM translations t JOIN translation_people p"
            " ON p.translation_id = t.id WHERE p.user_id = ?"
            " UNION SELECT text FROM transcripts WHERE user_id = ?",
            (user_id, user_id),
        ) as cur:
            texts = [r[0] for r in await cur.fetchall() if r[0]]
        needles = []
        for text in texts:
            # As it sits in an outbox payload: JSON, HTML-escaped, perhaps clipped.
            for form in (text, html.escape(text, quote=False)):
                needles.append(json.dumps(form, ensure_ascii=False)[1:-1][:40])
        return needles

    @staticmethod
    async def forget_tx(conn: aiosqlite.Connection, user_id: int) -> None:
        await conn.execute(
            "DELETE FROM translations WHERE id IN (SELECT translation_id FROM"
            " translation_people WHERE user_id = ?)",
            (user_id,),
        )
        await conn.execute("DELETE FROM transcripts WHERE user_id = ?", (user_id,))
        await conn.execute(
            "DELETE FROM enrichments WHERE subject_id = ? OR reader_id = ?", (user_id, user_id)
        )

    async def export(self, user_id: int) -> dict[str, Any]:
        transcripts = await self.db.fetchall(
            "SELECT text, language, created_at FROM transcripts WHERE user_id = ?"
            " ORDER BY created_at",
            (user_id,),
        )
        translations = await self.db.fetchall(
            "SELECT DISTINCT t.source, t.target, t.text, t.created_at FROM translations t"
            " JOIN translation_people p ON p.translation_id = t.id WHERE p.user_id = ?"
            " ORDER BY t.created_at",
            (user_id,),
        )
        return {
            "transcripts_of_your_voice_notes": [
                {"text": r[0], "language": r[1], "made_at": r[2]} for r in transcripts
            ],
            "automatic_translations": [
                {"from": r[0], "to": r[1], "text": r[2], "made_at": r[3]} for r in translations
            ],
        }

    async def retention(self, finished_before: datetime) -> int:
        """Texts of anonymised reports go with the report; a consented story's transcript stays
        (like its text) for the dossier. Finished jobs that hold a copy of a message (relays,
        notices, organisers' texts) go after a few days, like delivered message copies."""
        async with self.db.transaction(mark=False, threaded=True) as conn:  # scans
            await conn.execute(
                "DELETE FROM enrichments WHERE kind != 'card' AND state IN ('done', 'gave_up')"
                " AND done_at < ?",
                (to_db(finished_before),),
            )
            cur = await conn.execute(
                "DELETE FROM translations WHERE id IN (SELECT p.translation_id FROM"
                " translation_people p JOIN reports r ON r.id = p.report_id"
                " WHERE r.anonymised_at IS NOT NULL)"
            )
            n = cur.rowcount
            cur = await conn.execute(
                "DELETE FROM transcripts WHERE report_id IN (SELECT id FROM reports"
                " WHERE anonymised_at IS NOT NULL AND quote_ok = 0)"
            )
            n += cur.rowcount
            await conn.execute(
                "UPDATE transcripts SET user_id = NULL WHERE report_id IN (SELECT id FROM"
                " reports WHERE anonymised_at IS NOT NULL)"
            )
            await conn.execute(
                "DELETE FROM enrichments WHERE report_id IN (SELECT id FROM reports"
                " WHERE anonymised_at IS NOT NULL)"
            )
        return n


def dossier_quotes(
    conn: sqlite3.Connection, where: str, params: list[object], limit: int, lang: str
) -> list[tuple[str, str, bool]]:
    """(category key, redacted quote, transcribed?) of the newest ``limit`` reports matching
    ``where`` whose reporter agreed to be quoted, oldest first: the written text, or for a
    voice story its transcript (in ``lang`` when a translation into it is kept)."""
    from storage.repos.report_privacy import redact

    rows = conn.execute(
        "SELECT r.id, r.category_key, r.text, u.first_name, u.last_name, u.username"
        " FROM reports r LEFT JOIN users u ON u.id = r.reporter_id"
        f" WHERE {where} AND r.quote_ok = 1 AND ((r.text IS NOT NULL AND r.text != '')"
        "  OR EXISTS (SELECT 1 FROM transcripts t WHERE t.report_id = r.id AND t.text != ''))"
        " ORDER BY r.created_at DESC, r.id DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    out: list[tuple[str, str, bool]] = []
    for rid, key, text, fn, ln, un in reversed(rows):
        names = [fn, ln, un]
        if text:
            quote = redact(text, names)
            if quote:
                out.append((key, quote, False))
            continue
        spoken = []
        for said, language in conn.execute(
            "SELECT text, language FROM transcripts WHERE report_id = ? AND text != ''"
            " ORDER BY created_at, file_id",
            (rid,),
        ).fetchall():
            found = conn.execute(
                "SELECT text FROM translations WHERE digest = ? AND source = ? AND target = ?",
                (digest(said), language or "auto", lang),
            ).fetchone()
            spoken.append(found[0] if found and language != lang else said)
        quote = redact(" ".join(spoken), names)
        if quote:
            out.append((key, quote, True))
    return out
