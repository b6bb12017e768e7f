"""Personal data held by the core tables: what /mydata exports and what /forget removes.

Telegram ids live in ``users.tg_id`` only, but traces of a person are also in the raw updates
(inbox: names, usernames, message texts), in messages sent to their chat (outbox payloads) and in
references from other rows (created_by, used_by, default_worker_id). Each function here takes an
open connection so that /forget is one transaction over every feature.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import Database
from storage.repos import dict_rows
from storage.timestamps import to_db

# A scrubbed inbox row keeps its update_id (the polling offset is derived from MAX(update_id)).
SCRUBBED_PAYLOAD_SQL = "json_object('update_id', update_id)"


def _needles(tg_id: int) -> tuple[str, str]:
    # Raw updates are stored with separators (",", ":"): a person's id appears as "id":N followed
    # by "," or "}" (in from/chat/user objects); "update_id"/"message_id" never match '"id":'.
    return (f'%"id":{tg_id},%', f'%"id":{tg_id}}}%')


async def export_core(db: Database, user_id: int) -> dict[str, Any]:
    """Everything the core tables hold about one person, in plain words (no internal ids
    where they mean nothing to the person)."""
    user = await dict_rows(
        db,
        "SELECT tg_id AS telegram_id, first_name, last_name, username, tg_language AS"
        " telegram_language, language AS chosen_language, privacy_seen_at, unreachable_at,"
        " stopped_at, created_at, last_seen_at FROM users WHERE id = ?",
        (user_id,),
    )
    if not user:
        return {}
    tg_id = user[0]["telegram_id"]
    memberships = await dict_rows(
        db,
        "SELECT g.name AS group_name, p.name AS project, m.role, m.joined_at FROM memberships m"
        " JOIN groups g ON g.id = m.group_id JOIN projects p ON p.id = g.project_id"
        " WHERE m.user_id = ? ORDER BY m.joined_at",
        (user_id,),
    )
    worker_of = await dict_rows(
        db,
        "SELECT p.name AS project, w.joined_at FROM project_workers w"
        " JOIN projects p ON p.id = w.project_id WHERE w.user_id = ? ORDER BY w.joined_at",
        (user_id,),
    )
    default_worker_of = await dict_rows(
        db, "SELECT name AS project FROM projects WHERE default_worker_id = ?", (user_id,)
    )
    created = {
        "projects": await dict_rows(
            db, "SELECT name, created_at FROM projects WHERE created_by = ?", (user_id,)
        ),
        "groups": await dict_rows(
            db, "SELECT name, created_at FROM groups WHERE created_by = ?", (user_id,)
        ),
        "invites": await dict_rows(
            db,
            "SELECT kind, created_at, expires_at, used_at FROM invites WHERE created_by = ?",
            (user_id,),
        ),
    }
    invites_used = await dict_rows(
        db,
        "SELECT i.kind, p.name AS project, i.used_at FROM invites i"
        " JOIN projects p ON p.id = i.project_id WHERE i.used_by = ?",
        (user_id,),
    )
    dialogs = await dict_rows(
        db, "SELECT kind, step, data, updated_at FROM dialogs WHERE user_id = ?", (user_id,)
    )
    for d in dialogs:
        d["data"] = json.loads(d["data"] or "{}")
    received: list[dict[str, Any]] = []
    sent_to_you: list[dict[str, Any]] = []
    if tg_id is not None:
        like_a, like_b = _needles(tg_id)
        for r in await dict_rows(
            db,
            "SELECT update_id, received_at, processed_at, payload FROM inbox"
            " WHERE chat_key = ? OR payload LIKE ? OR payload LIKE ? ORDER BY update_id",
            (f"c{tg_id}", like_a, like_b),
        ):
            r["update"] = json.loads(r.pop("payload"))
            received.append(r)
        for r in await dict_rows(
            db,
            "SELECT method, payload, state, created_at, sent_at FROM outbox WHERE chat_id = ?"
            " ORDER BY id",
            (tg_id,),
        ):
            body = json.loads(r.pop("payload"))
            r["text"] = body.get("text") or body.get("caption")
            sent_to_you.append(r)
    return {
        "you": user[0],
        "memberships": memberships,
        "project_worker_of": worker_of,
        "default_worker_of": default_worker_of,
        "created_by_you": created,
        "invites_you_used": invites_used,
        "open_conversation": dialogs,
        "messages_you_sent_recently": received,
        "messages_to_you": sent_to_you,
    }


async def forget_core(conn: aiosqlite.Connection, user_id: int, now: datetime) -> int | None:
    """Remove a person's personal data from the core tables inside the caller's transaction.
    The users row stays as an empty shell (so references from statistics stay valid), with no
    name, username, language or Telegram id; returns the Telegram id that was cut."""
    async with conn.execute("SELECT tg_id FROM users WHERE id = ?", (user_id,)) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    tg_id = row[0]
    stamp = to_db(now)
    await conn.execute("DELETE FROM memberships WHERE user_id = ?", (user_id,))
    await conn.execute("DELETE FROM project_workers WHERE user_id = ?", (user_id,))
    await conn.execute("DELETE FROM dialogs WHERE user_id = ?", (user_id,))
    await conn.execute(
        "UPDATE projects SET default_worker_id = NULL WHERE default_worker_id = ?", (user_id,)
    )
    await conn.execute("UPDATE projects SET created_by = NULL WHERE created_by = ?", (user_id,))
    await conn.execute("UPDATE groups SET created_by = NULL WHERE created_by = ?", (user_id,))
    # Unused invites they made die with them; used ones stay (the other person's history).
    await conn.execute("DELETE FROM invites WHERE created_by = ? AND used_by IS NULL", (user_id,))
    await conn.execute("UPDATE invites SET created_by = NULL WHERE created_by = ?", (user_id,))
    await conn.execute("UPDATE invites SET used_by = NULL WHERE used_by = ?", (user_id,))
    await conn.execute(
        "UPDATE users SET tg_id = NULL, first_name = NULL, last_name = NULL, username = NULL,"
        " tg_language = NULL, language = NULL, privacy_seen_at = NULL, unreachable_at = NULL,"
        " stopped_at = NULL, forgotten_at = ?, created_at = ?, last_seen_at = ? WHERE id = ?",
        (stamp, stamp, stamp, user_id),
    )
    if tg_id is not None:
        await scrub_traces(conn, tg_id)
    return tg_id


async def scrub_traces(conn: aiosqlite.Connection, tg_id: int) -> None:
    """Raw updates from or about this Telegram account, and messages to their chat."""
    like_a, like_b = _needles(tg_id)
    # Scrub rather than delete: the row keeps its update_id, so a redelivery is still recognised.
    await conn.execute(
        f"UPDATE inbox SET payload = {SCRUBBED_PAYLOAD_SQL}, chat_key = 'forgotten'"
        " WHERE chat_key = ? OR payload LIKE ? OR payload LIKE ?",
        (f"c{tg_id}", like_a, like_b),
    )
    # Messages to their chat carry texts about them; rows being sent right now are left to the
    # sender (it only updates them by id) and scrubbed below.
    await conn.execute("DELETE FROM outbox WHERE chat_id = ? AND state != 'sending'", (tg_id,))
    await conn.execute(
        "UPDATE outbox SET payload = '{}', state = 'cancelled' WHERE chat_id = ?", (tg_id,)
    )
    # Messages to others that carried a link to them (a tg://user?id= mention or their id).
    await conn.execute(
        "UPDATE outbox SET payload = '{}', state = CASE WHEN state IN ('pending', 'sending')"
        " THEN 'cancelled' ELSE state END WHERE payload LIKE ? OR payload LIKE ?",
        (f"%tg://user?id={tg_id}%", like_a),
    )


async def scrub_sent_mentioning(conn: aiosqlite.Connection, needles: list[str]) -> None:
    """Messages already delivered to others that mention the person by name: the copy we keep
    is not needed any more (Telegram holds the delivered message)."""
    for needle in needles:
        if not needle or len(needle) < 2:
            continue
        await conn.execute(
            "UPDATE outbox SET payload = '{}' WHERE state NOT IN ('pending', 'sending')"
            " AND instr(payload, ?) > 0",
            (needle,),
        )


async def prune_inbox(db: Database, older_than: datetime) -> int:
    """Processed updates older than the cut-off are deleted; the newest update row is always
    kept, because the polling offset is derived from MAX(update_id)."""
    async with db.transaction(mark=False, threaded=True) as conn:  # a day of updates
        cur = await conn.execute(
            "DELETE FROM inbox WHERE processed_at IS NOT NULL AND received_at < ?"
            " AND update_id < (SELECT MAX(update_id) FROM inbox)",
            (to_db(older_than),),
        )
        deleted = cur.rowcount
        # The kept newest row needs no content either.
        await conn.execute(
            f"UPDATE inbox SET payload = {SCRUBBED_PAYLOAD_SQL}, chat_key = 'pruned'"
            " WHERE processed_at IS NOT NULL AND received_at < ?",
            (to_db(older_than),),
        )
        # Delivered messages keep no text after the same period.
        await conn.execute(
            "UPDATE outbox SET payload = '{}' WHERE state IN ('sent', 'failed', 'unreachable',"
            " 'cancelled') AND created_at < ? AND payload != '{}'",
            (to_db(older_than),),
        )
    return deleted


async def scrub_outbox_containing(conn: aiosqlite.Connection, needles: list[str]) -> None:
    """Any queued or delivered message whose payload holds one of ``needles`` (a forgotten
    person's texts, file ids, exact pins): emptied, and cancelled if not sent yet."""
    for needle in dict.fromkeys(needles):
        if not needle or len(needle) < 6:
            continue
        await conn.execute(
            "UPDATE outbox SET payload = '{}', state = CASE WHEN state = 'pending' THEN 'cancelled'"
            " ELSE state END WHERE instr(payload, ?) > 0",
            (needle,),
        )


def _redact_update(obj: Any, names: list[str], starts: list[str]) -> Any:
    """A raw update with a person's names and quoted texts cut out of every string (a bot's own
    message inside it, e.g. the card under a pressed button, loses its text entirely)."""
    if isinstance(obj, dict):
        out = {k: _redact_update(v, names, starts) for k, v in obj.items()}
        if (out.get("from") or {}).get("is_bot"):
            for key in ("text", "caption"):
                if key in out:
                    out[key] = "[…]"
            for key in ("entities", "caption_entities", "reply_markup"):
                out.pop(key, None)
        return out
    if isinstance(obj, list):
        return [_redact_update(v, names, starts) for v in obj]
    if isinstance(obj, str):
        out_s = obj
        for start in starts:
            i = out_s.find(start)
            if i >= 0:
                end = out_s.find("\n", i)
                out_s = out_s[:i] + "[…]" + (out_s[end:] if end >= 0 else "")
        for name in names:
            out_s = out_s.replace(name, "[…]")
        return out_s
    return obj


async def scrub_inbox_mentioning(
    conn: aiosqlite.Connection, names: list[str], texts: list[str]
) -> int:
    """Raw updates of OTHER people that carry a forgotten person's data (a worker's button press
    stores the card it was under: her name, her t.me link, her words with her phone number):
    processed ones are emptied, ones still waiting are kept with her data cut out. Returns how
    many rows were touched."""
    names = sorted({n for n in names if n and len(n) >= 3}, key=len, reverse=True)
    starts = list(dict.fromkeys(t[:40] for t in texts if t and len(t) >= 6))
    needles = [json.dumps(x, ensure_ascii=False)[1:-1] for x in [*names, *starts]]
    touched: set[int] = set()
    for needle in dict.fromkeys(needles):
        rows = await conn.execute_fetchall(
            "SELECT update_id, processed_at IS NOT NULL, payload FROM inbox"
            " WHERE instr(payload, ?) > 0",
            (needle,),
        )
        for update_id, processed, payload in rows:
            if update_id in touched:
                continue
            touched.add(update_id)
            if processed:
                await conn.execute(
                    f"UPDATE inbox SET payload = {SCRUBBED_PAYLOAD_SQL} WHERE update_id = ?",
                    (update_id,),
                )
            else:
                clean = _redact_update(json.loads(payload), names, starts)
                await conn.execute(
                    "UPDATE inbox SET payload = ? WHERE update_id = ?",
                    (json.dumps(clean, ensure_ascii=False, separators=(",", ":")), update_id),
                )
    return len(touched)


async def add_forgotten_tx(conn: aiosqlite.Connection, key: str, now: datetime) -> None:
    """Remember that an account used /forget (only a keyed hash of its id, no personal data)."""
    await conn.execute(
        "INSERT INTO forgotten_accounts (key, forgotten_at) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET forgotten_at = excluded.forgotten_at",
        (key, to_db(now)),
    )


async def take_forgotten_tx(conn: aiosqlite.Connection, key: str) -> bool:
    """True (once) when this account had used /forget; the record is removed."""
    cur = await conn.execute("DELETE FROM forgotten_accounts WHERE key = ?", (key,))
    return bool(cur.rowcount)
