"""Telegram-neutral message pieces for services: buttons as plain dicts, callback data, escaping.

Services build outbox payloads with these (they never import ``telegram``); handlers may use
PTB's own classes for direct replies.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True)
class Button:
    text: str
    data: str | None = None
    url: str | None = None

    def to_dict(self) -> dict[str, str]:
        if self.url is not None:
            return {"text": self.text, "url": self.url}
        if self.data is None:
            raise ValueError("button needs data or url")
        if len(self.data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over 64 bytes: {self.data!r}")
        return {"text": self.text, "callback_data": self.data}


def inline_keyboard(rows: list[list[Button]]) -> dict[str, list[list[dict[str, str]]]]:
    return {"inline_keyboard": [[b.to_dict() for b in row] for row in rows if row]}


def cb(*parts: object) -> str:
    """Callback data 'feature:action:id...'; checked against the 64-byte limit."""
    data = ":".join(str(p) for p in parts)
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over 64 bytes: {data!r}")
    return data


def esc(text: object) -> str:
    """Escape user-provided text for HTML parse mode."""
    return html.escape(str(text), quote=False)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def text_message(
    chat_id: int, text: str, rows: list[list[Button]] | None = None, **extra: object
) -> dict[str, object]:
    """sendMessage parameters, HTML parse mode."""
    payload: dict[str, object] = {"chat_id": chat_id, "text": text, "parse_mode": "HTML"}
    if rows:
        payload["reply_markup"] = inline_keyboard(rows)
    payload.update(extra)
    return payload
