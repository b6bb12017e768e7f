"""Personal data in the problem-report tables (schema 0002_reports): export, anonymise, retention.

What identifies a reporter: reporter_id, the voice notes (their voice), photos, the typed address,
the exact pin, the free text (unless they consented to be quoted), the relayed messages, reasons
they typed, "me too" rows and drafts. What stays for the statistics: reference, project,
category, neighbourhood, status and its history (times), me-too counts, the pin rounded to
~100 m (3 decimals), and the text only with quote consent.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import Database
from storage.repos import dict_rows
from storage.repos.assist import AssistRepo
from storage.timestamps import to_db

CLOSED = ("resolved", "not_for_us", "withdrawn")
PIN_DECIMALS = 3  # ~110 m north-south, ~70 m east-west in Belgium


_PHONE = re.compile(r"\+?\d[\d ./-]{6,}\d")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_HANDLE = re.compile(r"@\w{3,}")
_WORD = re.compile(r"\w+")


def redact(text: str | None, names: list[str | None]) -> str | None:
    """A quotable text without what would identify its author: their own names, phone
    numbers, e-mail addresses and @handles."""
    if not text:
        return text
    out = _EMAIL.sub("[…]", text)
    out = _PHONE.sub("[…]", out)
    out = _HANDLE.sub("[…]", out)
    # Word by word with one compiled pattern (a pattern per name would be compiled per report).
    words = {w.lower() for n in names if n for w in _WORD.findall(n) if len(w) >= 2}
    if words:
        out = _WORD.sub(lambda m: "[…]" if m.group(0).lower() in words else m.group(0), out)
    return out


@dataclass(frozen=True)
class LeftNotice:
    """A worker to tell that the reporter of an open report left."""

    report_id: int
    reference: str
    worker_tg_id: int
    worker_language: str | None
    worker_tg_language: str | None


async def export_reports(db: Database, user_id: int) -> dict[str, Any]:
    reports = await dict_rows(
        db,
        "SELECT r.id, r.reference, r.category_key AS category, c.emoji AS category_emoji,"
        " COALESCE(c.custom_label, c.label_msgid) AS category_name,"
        " c.custom_label IS NOT NULL AS category_own_words, r.text,"
        " r.voice_file_id IS NOT NULL AS has_voice_note, n.name AS neighbourhood, r.lat, r.lon,"
        " r.address,"
        " r.show_name AS worker_may_see_name, r.quote_ok AS may_be_quoted, r.status,"
        " r.created_at, r.closed_at FROM reports r"
        " LEFT JOIN neighbourhoods n ON n.id = r.neighbourhood_id"
        " LEFT JOIN report_categories c ON c.id = r.category_id"
        " WHERE r.reporter_id = ? ORDER BY r.created_at",
        (user_id,),
    )
    for r in reports:
        rid = r.pop("id")
        r["photos"] = (
            await dict_rows(
                db, "SELECT COUNT(*) AS n FROM report_photos WHERE report_id = ?", (rid,)
            )
        )[0]["n"]
        # Every voice note of the report: the first (reports.voice_file_id) and the further ones.
        r["voice_notes"] = (
            int(r["has_voice_note"])
            + (
                await dict_rows(
                    db, "SELECT COUNT(*) AS n FROM report_voices WHERE report_id = ?", (rid,)
                )
            )[0]["n"]
        )
        r["messages"] = await dict_rows(
            db,
            "SELECT direction, text, voice_file_id IS NOT NULL AS voice,"
            " photo_file_id IS NOT NULL AS photo, created_at FROM report_messages"
            " WHERE report_id = ? ORDER BY id",
            (rid,),
        )
        r["history"] = await dict_rows(
            db,
            "SELECT kind, new_status, reason, created_at FROM report_events"
            " WHERE report_id = ? ORDER BY id",
            (rid,),
        )
    me_too = await dict_rows(
        db,
        "SELECT r.reference, r.status, m.text AS your_words, m.created_at FROM report_me_too m"
        " JOIN reports r ON r.id = m.report_id WHERE m.user_id = ? ORDER BY m.created_at",
        (user_id,),
    )
    # What they told for the reports they joined (their words, voice notes and photos).
    for m in me_too:
        m["you_sent"] = await dict_rows(
            db,
            "SELECT msg.text, msg.voice_file_id IS NOT NULL AS voice,"
            " msg.photo_file_id IS NOT NULL AS photo, msg.created_at FROM report_messages msg"
            " JOIN reports r ON r.id = msg.report_id WHERE r.reference = ? AND msg.sender_id = ?"
            " ORDER BY msg.id",
            (m["reference"], user_id),
        )
    drafts = await dict_rows(
        db, "SELECT step, data, updated_at FROM report_drafts WHERE user_id = ?", (user_id,)
    )
    for d in drafts:
        d["data"] = json.loads(d["data"] or "{}")
    digest = await dict_rows(
        db,
        "SELECT frequency, time_local, weekday, last_sent_at FROM digest_settings WHERE user_id ="
        " ?",
        (user_id,),
    )
    rules = await dict_rows(
        db,
        "SELECT p.name AS project, n.name AS neighbourhood, c.key AS category FROM routing_rules x"
        " JOIN projects p ON p.id = x.project_id"
        " LEFT JOIN neighbourhoods n ON n.id = x.neighbourhood_id"
        " LEFT JOIN report_categories c ON c.id = x.category_id WHERE x.worker_id = ?",
        (user_id,),
    )
    return {
        "your_reports": reports,
        "me_too_you_said": me_too,
        "unfinished_report": drafts,
        "digest_settings": digest,
        "reports_routed_to_you": rules,
    }


async def anonymise_reports_tx(
    conn: aiosqlite.Connection,
    report_ids: list[int],
    now: datetime,
    *,
    leaving: int | None = None,
) -> None:
    """Remove everything that identifies the reporter of these reports (idempotent).
    ``leaving`` (/forget: the reporter's user id; her reports may stay open): the households
    that said "me too" keep following them, and what they told the worker stays theirs."""
    if not report_ids:
        return
    stamp = to_db(now)
    marks_all = ",".join("?" * len(report_ids))
    async with conn.execute(
        "SELECT r.id, r.text, u.first_name, u.last_name, u.username FROM reports r"
        f" LEFT JOIN users u ON u.id = r.reporter_id WHERE r.id IN ({marks_all})"
        " AND r.quote_ok = 1 AND r.text IS NOT NULL",
        report_ids,
    ) as cur:
        quotable = list(await cur.fetchall())
    for row in quotable:
        await conn.execute(
            "UPDATE reports SET text = ? WHERE id = ?",
            (redact(row[1], [row[2], row[3], row[4]]), row[0]),
        )
    for start in range(0, len(report_ids), 500):
        chunk = report_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        # Reasons the reporter typed (reopen "not solved because ...") go with them.
        await conn.execute(
            f"UPDATE report_events SET reason = NULL, actor_id = NULL WHERE report_id IN ({marks})"
            " AND actor_id IS NOT NULL AND actor_id = (SELECT reporter_id FROM reports r"
            " WHERE r.id = report_events.report_id)",
            chunk,
        )
        await conn.execute(
            f"UPDATE reports SET reporter_id = NULL, voice_file_id = NULL, voice_duration = NULL,"
            f" address = NULL, show_name = 0, language = NULL, status_reason = CASE WHEN status"
            f" = 'not_for_us' THEN status_reason END,"
            f" text = CASE WHEN quote_ok = 1 THEN text END,"
            f" lat = ROUND(lat, {PIN_DECIMALS}), lon = ROUND(lon, {PIN_DECIMALS}),"
            f" anonymised_at = COALESCE(anonymised_at, ?) WHERE id IN ({marks})",
            (stamp, *chunk),
        )
        await conn.execute(f"DELETE FROM report_photos WHERE report_id IN ({marks})", chunk)
        await conn.execute(f"DELETE FROM report_voices WHERE report_id IN ({marks})", chunk)
        if leaving is not None:
            await conn.execute(
                f"DELETE FROM report_messages WHERE report_id IN ({marks}) AND (direction ="
                " 'to_reporter' OR sender_id IS NULL OR sender_id = ?)",
                (*chunk, leaving),
            )
            continue
        await conn.execute(f"DELETE FROM report_messages WHERE report_id IN ({marks})", chunk)
        # Nobody can ask for these reports to be forgotten any more: the record of where their
        # copies are goes too (it would only grow).
        await conn.execute(f"DELETE FROM report_copies WHERE report_id IN ({marks})", chunk)
        # A me-too household's words stay only with its consent to be quoted.
        await conn.execute(
            "UPDATE report_me_too SET user_id = NULL, show_name = 0, text = CASE WHEN quote_ok"
            f" = 1 THEN text END WHERE report_id IN ({marks})",
            chunk,
        )


async def open_reports_to_notify(conn: aiosqlite.Connection, user_id: int) -> list[LeftNotice]:
    marks = ",".join("?" * len(CLOSED))
    async with conn.execute(
        "SELECT r.id, r.reference, u.tg_id, u.language, u.tg_language FROM reports r"
        " JOIN users u ON u.id = r.assigned_to"
        f" WHERE r.reporter_id = ? AND r.status NOT IN ({marks}) AND u.tg_id IS NOT NULL"
        " AND u.id != ?",
        (user_id, *CLOSED, user_id),
    ) as cur:
        rows = await cur.fetchall()
    return [LeftNotice(r[0], r[1], r[2], r[3], r[4]) for r in rows]


async def forget_reporter_tx(conn: aiosqlite.Connection, user_id: int, now: datetime) -> list[int]:
    """All report data of one person, as reporter and otherwise; returns their report ids."""
    async with conn.execute("SELECT id FROM reports WHERE reporter_id = ?", (user_id,)) as cur:
        ids = [r[0] for r in await cur.fetchall()]
    stamp = to_db(now)
    for rid in ids:
        await conn.execute(
            "INSERT INTO report_events (report_id, kind, created_at) VALUES (?, 'reporter_left',"
            " ?)",
            (rid, stamp),
        )
    await anonymise_reports_tx(conn, ids, now, leaving=user_id)
    # What they did on other people's reports (as a neighbour or as a worker).
    await conn.execute("DELETE FROM report_photos WHERE added_by = ?", (user_id,))
    await conn.execute("DELETE FROM report_voices WHERE added_by = ?", (user_id,))
    await conn.execute(
        "UPDATE report_messages SET text = NULL, voice_file_id = NULL, photo_file_id = NULL,"
        " sender_id = NULL WHERE sender_id = ? AND direction = 'to_worker'",
        (user_id,),
    )
    await conn.execute(
        "UPDATE report_messages SET sender_id = NULL WHERE sender_id = ?", (user_id,)
    )
    # Still counted, without a trace of them: their words go, even when they allowed quotes
    # (a story is theirs to take back).
    await conn.execute(
        "UPDATE report_me_too SET user_id = NULL, text = NULL, show_name = 0, quote_ok = 0"
        " WHERE user_id = ?",
        (user_id,),
    )
    await conn.execute("UPDATE report_events SET actor_id = NULL WHERE actor_id = ?", (user_id,))
    await conn.execute("UPDATE report_events SET target_id = NULL WHERE target_id = ?", (user_id,))
    await conn.execute("UPDATE reports SET assigned_to = NULL WHERE assigned_to = ?", (user_id,))
    await conn.execute("DELETE FROM routing_rules WHERE worker_id = ?", (user_id,))
    await conn.execute(
        "UPDATE routing_rules SET created_by = NULL WHERE created_by = ?", (user_id,)
    )
    await conn.execute("DELETE FROM report_drafts WHERE user_id = ?", (user_id,))
    await conn.execute("DELETE FROM digest_settings WHERE user_id = ?", (user_id,))
    return ids


async def due_for_retention(db: Database, cutoff: datetime, limit: int = 1000) -> list[int]:
    marks = ",".join("?" * len(CLOSED))
    rows = await db.fetchall(
        "SELECT id FROM reports WHERE anonymised_at IS NULL AND closed_at IS NOT NULL"
        f" AND closed_at < ? AND status IN ({marks}) ORDER BY closed_at LIMIT ?",
        (to_db(cutoff), *CLOSED, limit),
    )
    return [r[0] for r in rows]


def _text_needles(text: str | None) -> list[str]:
    """How a text appears inside an outbox payload (JSON, maybe HTML-escaped, maybe clipped)."""
    if not text:
        return []
    out = []
    for form in (text, html.escape(text, quote=False)):
        encoded = json.dumps(form, ensure_ascii=False)[1:-1]
        out.append(encoded[:40])
    return out


async def outbox_needles(conn: aiosqlite.Connection, user_id: int) -> list[str]:
    """What of this person's report data may sit in outbox payloads to workers: texts, voice
    and photo file ids, addresses, exact pins (as json.dumps writes them)."""
    needles: list[str] = []
    async with conn.execute(
        "SELECT id, text, voice_file_id, address, lat, lon FROM reports WHERE reporter_id = ?",
        (user_id,),
    ) as cur:
        reports = list(await cur.fetchall())
    for _rid, text, voice, address, lat, lon in reports:
        needles += _text_needles(text) + _text_needles(address)
        if voice:
            needles.append(voice)
        if lat is not None and lon is not None:
            needles.append(f'"latitude":{json.dumps(lat)},"longitude":{json.dumps(lon)}')
    async with conn.execute(
        "SELECT p.file_id FROM report_photos p JOIN reports r ON r.id = p.report_id"
        " WHERE r.reporter_id = ? OR p.added_by = ?",
        (user_id, user_id),
    ) as cur:
        needles += [r[0] for r in await cur.fetchall()]
    async with conn.execute(
        "SELECT v.file_id FROM report_voices v JOIN reports r ON r.id = v.report_id"
        " WHERE r.reporter_id = ? OR v.added_by = ?",
        (user_id, user_id),
    ) as cur:
        needles += [r[0] for r in await cur.fetchall()]
    async with conn.execute(
        "SELECT m.text, m.voice_file_id, m.photo_file_id FROM report_messages m"
        " JOIN reports r ON r.id = m.report_id WHERE r.reporter_id = ? OR m.sender_id = ?",
        (user_id, user_id),
    ) as cur:
        for text, voice, photo in await cur.fetchall():
            needles += _text_needles(text) + [v for v in (voice, photo) if v]
    return needles


# ----- copies of a report in workers' chats (schema 0011: report_copies) -----


@dataclass(frozen=True)
class Copy:
    """One delivered message that carries a report's personal data."""

    id: int
    report_id: int
    chat_id: int
    message_id: int
    kind: str
    sent_at: str


async def record_copy_tx(
    conn: aiosqlite.Connection,
    report_id: int,
    user_id: int | None,
    chat_id: int,
    message_id: int,
    kind: str,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO report_copies (report_id, user_id, chat_id, message_id, kind, sent_at)"
        " SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM reports WHERE id = ?)"
        " ON CONFLICT (report_id, chat_id, message_id) DO NOTHING",
        (report_id, user_id, chat_id, message_id, kind, to_db(now), report_id),
    )


async def copies_of_tx(conn: aiosqlite.Connection, user_id: int) -> list[Copy]:
    """The copies carrying this person's data that were not cleaned yet."""
    rows = await conn.execute_fetchall(
        "SELECT id, report_id, chat_id, message_id, kind, sent_at FROM report_copies"
        " WHERE user_id = ? AND cleaned_at IS NULL AND kept IS NULL ORDER BY id",
        (user_id,),
    )
    return [Copy(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


async def mark_copy_tx(
    conn: aiosqlite.Connection, copy_id: int, now: datetime, kept: str | None = None
) -> None:
    """Cleaned (edited or deleted), or ``kept`` with the reason it could not be."""
    if kept is None:
        await conn.execute(
            "UPDATE report_copies SET cleaned_at = ?, user_id = NULL WHERE id = ?",
            (to_db(now), copy_id),
        )
    else:
        await conn.execute(
            "UPDATE report_copies SET kept = ?, cleaned_at = ?, user_id = NULL WHERE id = ?",
            (kept, to_db(now), copy_id),
        )


async def pending_cards_tx(
    conn: aiosqlite.Connection, report_ids: list[int]
) -> list[tuple[int, int]]:
    """(report, chat) of cards still waiting in the outbox: they are sent anonymised instead."""
    if not report_ids:
        return []
    refs = [f"report:{rid}" for rid in report_ids]
    marks = ",".join("?" * len(refs))
    rows = await conn.execute_fetchall(
        f"SELECT ref, chat_id FROM outbox WHERE state = 'pending' AND ref IN ({marks})", refs
    )
    return [(int(r[0].split(":", 1)[1]), int(r[1])) for r in rows]


async def delivered_mentions_tx(
    conn: aiosqlite.Connection, needles: list[str]
) -> list[tuple[int, int, dict[str, Any]]]:
    """Delivered messages (payload still kept) whose text or caption holds one of ``needles``
    (as stored: JSON-encoded) and that are no card or recorded copy: (chat, message, payload).
    Captions count: a "Tell Maria: ☎️ …" voice note or photo (assisted mode) carries her name
    and number in its caption."""
    found: dict[int, tuple[int, int, dict[str, Any]]] = {}
    for needle in dict.fromkeys(needles):
        if not needle or len(needle) < 3:
            continue
        rows = await conn.execute_fetchall(
            "SELECT o.id, o.chat_id, o.message_id, o.payload FROM outbox o"
            " WHERE o.state = 'sent' AND o.method IN ('sendMessage', 'sendVoice', 'sendPhoto')"
            " AND o.message_id IS NOT NULL"
            " AND instr(o.payload, ?) > 0 AND (o.ref IS NULL OR o.ref NOT LIKE 'report:%')"
            " AND NOT EXISTS (SELECT 1 FROM report_copies c WHERE c.chat_id = o.chat_id"
            "   AND c.message_id = o.message_id AND c.kind != 'digest')",
            (needle,),
        )
        for row_id, chat_id, message_id, payload in rows:
            found.setdefault(int(row_id), (int(chat_id), int(message_id), json.loads(payload)))
    return list(found.values())


def redact_sent_text(text: str, names: list[str], texts: list[str]) -> str:
    """A delivered text with a forgotten person's data cut out: ``names`` (and links) replaced,
    and each of ``texts`` (found by its start, as a message quotes it: maybe clipped) removed to
    the end of its line or quote."""
    out = text
    for start in dict.fromkeys(t[:40] for t in texts if t and len(t) >= 6):
        out = re.sub(re.escape(start) + r"[^\n”]*", "[…]", out)
    for name in sorted(dict.fromkeys(n for n in names if n and len(n) >= 3), key=len)[::-1]:
        out = out.replace(name, "[…]")
    return out


async def plain_needles(conn: aiosqlite.Connection, user_id: int) -> tuple[list[str], list[str]]:
    """(names, texts) of a person as they appear in a delivered message's text (HTML-escaped):
    her full name and @username / t.me link; the texts of her reports, answers and addresses."""
    async with conn.execute(
        "SELECT first_name, last_name, username FROM users WHERE id = ?", (user_id,)
    ) as cur:
        row = await cur.fetchone()
    names: list[str] = []
    if row is not None:
        first, last, username = row[0], row[1], row[2]
        full = " ".join(p for p in (first, last) if p)
        if full and (last or len(full) >= 4):
            names.append(full)
        if username:
            names += [f"t.me/{username}", f"@{username}"]
    # Assisted mode: the "📞 Tell Maria: ☎️ 0470 …" messages in a worker's chat carry her phone
    # number next to her name; it is cut out with the name.
    phone = await AssistRepo.phone_tx(conn, user_id)
    if phone:
        names.append(phone)
    async with conn.execute(
        "SELECT text, address FROM reports WHERE reporter_id = ?"
        " UNION ALL SELECT m.text, NULL FROM report_messages m WHERE m.sender_id = ?"
        " UNION ALL SELECT text, NULL FROM report_me_too WHERE user_id = ?"
        " UNION ALL SELECT reason, NULL FROM report_events WHERE actor_id = ? AND reason IS NOT"
        " NULL AND report_id IN (SELECT id FROM reports WHERE reporter_id = ?)",
        (user_id, user_id, user_id, user_id, user_id),
    ) as cur:
        rows = list(await cur.fetchall())
    texts = [t for r in rows for t in (r[0], r[1]) if t]
    # Her contact details inside her words are cut out wherever they are quoted.
    for t in texts:
        names += _PHONE.findall(t) + _EMAIL.findall(t)
    escaped = [html.escape(n, quote=False) for n in names]
    return list(dict.fromkeys(names + escaped)), list(
        dict.fromkeys(texts + [html.escape(t, quote=False) for t in texts])
    )
