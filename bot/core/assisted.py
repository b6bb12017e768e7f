"""Messages for people without Telegram (assisted mode, issue 17) go to the worker who entered
them, as "📞 Tell Maria: …".

The one place this happens is the outbox's enqueue (``Outbox.enqueue_tx``): every feature
renders and queues a message for the person as for anyone else; here it is turned, inside the
same transaction, into a message to the worker's chat (with its buttons, which then act for the
person: handlers/common.py) and a line for her digest. Edits and deletions of such a message are
sent to the worker's chat too: the message lives there.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.core import i18n
from bot.core.i18n import _
from storage.repos.assist import AssistRepo, Contact, is_assisted_chat

__all__ = ["Redirect", "entered_by_label", "is_assisted_chat", "redirect_tx", "tell_header"]

_CAPTIONED = {"sendPhoto", "sendVoice", "sendDocument", "sendVideo", "sendAudio", "sendAnimation"}
_SENDS = _CAPTIONED | {"sendMessage", "sendLocation", "sendVenue", "sendContact", "sendMediaGroup"}
_EDITS = {"editMessageText", "editMessageCaption", "editMessageReplyMarkup", "deleteMessage"}
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Redirect:
    chat_id: int
    method: str
    params: dict[str, Any]
    news: tuple[int, int, str] | None  # (person, worker, summary) for a new message


def tell_header(contact: Contact) -> str:
    """In the worker's language (the caller sets the locale)."""
    name = html.escape(contact.first_name or _("the resident"))
    head = _("📞 <b>Tell {name}:</b>").format(name=name)
    if contact.phone:
        head += " ☎️ " + html.escape(contact.phone)
    return head


def _summary(text: str) -> str:
    plain = html.unescape(_TAGS.sub("", text)).strip()
    first = next((line.strip() for line in plain.splitlines() if line.strip()), "")
    return first[:117] + "…" if len(first) > 120 else first


def _wrap(params: dict[str, Any], key: str, header: str, limit: int) -> str:
    original = str(params.get(key) or "")
    html_mode = str(params.get("parse_mode") or "").upper() == "HTML"
    if not html_mode:
        header = html.unescape(_TAGS.sub("", header))
    room = limit - len(header) - 2
    body = original if len(original) <= room else original[: max(0, room - 1)] + "…"
    params[key] = f"{header}\n\n{body}" if body else header
    return original


async def redirect_tx(
    conn: aiosqlite.Connection, chat_id: int, method: str, params: dict[str, Any]
) -> Redirect | None:
    """What to queue instead of a message to an assisted person's chat; None: nothing (she
    was forgotten, or the worker who entered her has no chat any more)."""
    contact = await AssistRepo.contact_tx(conn, chat_id)
    if contact is None or contact.worker_tg_id is None:
        return None
    if method not in _SENDS and method not in _EDITS:
        return None  # chat actions, pins …: nothing to tell
    out = dict(params)
    out["chat_id"] = contact.worker_tg_id
    if method in {"editMessageReplyMarkup", "deleteMessage"}:
        return Redirect(contact.worker_tg_id, method, out, None)
    lang = i18n.resolve_language(contact.worker_language, contact.worker_tg_language)
    with i18n.use_locale(lang):
        header = tell_header(contact)
    if method in {"sendMessage", "editMessageText"}:
        original = _wrap(out, "text", header, 4096)
    elif method in _CAPTIONED or method == "editMessageCaption":
        original = _wrap(out, "caption", header, 1024)
    else:
        original = ""  # a pin or a contact card: passed on as it is
    if method in _EDITS:
        return Redirect(contact.worker_tg_id, method, out, None)
    summary = _summary(original) or {"sendLocation": "📍", "sendVoice": "🎤"}.get(method, "📎")
    return Redirect(
        contact.worker_tg_id, method, out, (contact.person_id, contact.worker_id, summary)
    )


def entered_by_label(
    show_name: bool | int, person_name: str | None, worker_name: str | None
) -> str:
    """How a worker sees who a report (or answer) is from when a worker entered it."""
    worker = html.escape(worker_name or _("a project worker"))
    if show_name and person_name:
        return _("entered by {worker} for {name}").format(
            worker=worker, name=html.escape(person_name)
        )
    return _("entered by {worker} for a resident").format(worker=worker)
