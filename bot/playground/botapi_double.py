"""A fake Telegram Bot API HTTP server ("Bot API double").

The real python-telegram-bot ``Application``/``Bot`` talks to it through its normal request layer::

    async with FakeBotAPI() as api:
        bot = telegram.Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url)
        ...

It is plain ``aiohttp.web`` + JSON and deliberately does **not** import ``telegram``, so it can
also back a browser playground and load benchmarks.  It listens on 127.0.0.1 only.

What it does
------------
* Answers Bot API methods in Telegram's envelope (``{"ok": true, "result": ...}`` /
  ``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}``) with realistic
  results: messages with per-chat increasing ``message_id``, ``date``, ``chat``, ``from``, parsed
  entities (HTML, MarkdownV2, Markdown are parsed like TDLib does, the returned ``text`` is the
  plain text, the way Telegram returns it), automatically detected ``url``/``mention``/
  ``hashtag``/``bot_command``/``email`` entities, stored files, polls, ...
* Validates like Telegram: empty/too long text, ``BUTTON_DATA_INVALID``, entity parse errors,
  "message is not modified", unknown messages, unknown ``file_id`` ...
* Records every call (:attr:`FakeBotAPI.calls`) and keeps the current state of every message the
  bot sent (:meth:`FakeBotAPI.sent_messages`, :attr:`FakeBotAPI.messages_by_chat`).
* Serves updates through ``getUpdates`` (long polling, ``offset`` confirmation like Telegram).
  Builders (:meth:`FakeBotAPI.text_update`, ...) produce Update JSON as Telegram sends it.
* Fault injection (:meth:`FakeBotAPI.fail_next`, :meth:`FakeBotAPI.set_fault_rate`,
  :attr:`FakeBotAPI.blocked_users`) and optional flood limits (``enforce_limits=True``).

Differences from Telegram worth knowing
---------------------------------------
* ``strict_html_entities=True`` (default) rejects a bare ``&`` in HTML text that does not start
  ``&lt;``/``&gt;``/``&amp;``/``&quot;``/``&#NN;``/``&#xHH;`` (with ``;``).  Real Telegram shows
  such an ``&`` literally; the strict mode catches a forgotten ``html.escape`` early.
* Files sent by URL are accepted but never downloaded (their bytes are empty).
* Webhooks are stored (``setWebhook``) but updates are never POSTed anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import mimetypes
import random
import re
import struct
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Self, overload
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, web

__all__ = ["ApiError", "Call", "FakeBotAPI", "StoredFile"]


# --------------------------------------------------------------------------------------------
# Data types
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answer of the Bot API (raised inside method handlers)."""

    def __init__(self, error_code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_response(self) -> dict:
        resp: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            resp["parameters"] = self.parameters
        return resp


class _EntityParseError(Exception):
    pass


@dataclass
class Call:
    """One recorded Bot API call."""

    method: str  # canonical camelCase ("sendMessage"); unknown methods as received
    params: dict
    at: float  # time.monotonic() when the request arrived
    response: dict  # the JSON envelope that was (or will be) answered
    status: int = 200  # HTTP status of the answer

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        return self.response.get("result")

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # photo, voice, audio, document, video, animation, sticker, video_note, thumbnail
    data: bytes
    file_path: str
    filename: str | None = None
    content_type: str | None = None
    meta: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.data)


# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------

# Form/JSON fields that always stay strings (never JSON-decoded, even if they look like numbers).
# fmt: off
_STRING_KEYS = frozenset({
    "action", "address", "animation", "audio", "business_connection_id", "callback_query_id",
    "caption", "certificate", "currency", "custom_emoji_id", "custom_title", "data",
    "description", "document", "emoji", "explanation", "file_id", "file_name", "first_name",
    "foursquare_id", "foursquare_type", "gift_id", "google_place_id", "google_place_type",
    "inline_message_id", "inline_query_id", "invite_link", "ip_address", "language_code",
    "last_name", "message_effect_id", "name", "new_tag", "parse_mode", "payload", "performer",
    "phone_number", "photo", "pre_checkout_query_id", "provider_token", "query", "question",
    "result_id", "secret_token", "shipping_query_id", "short_description", "short_name",
    "start_parameter", "sticker", "switch_pm_parameter", "tag", "text", "thumbnail", "title",
    "url", "vcard", "video", "video_note", "voice", "web_app_query_id",
})
# fmt: on

# fmt: off
_METHODS_KNOWN = (
    "getMe", "logOut", "close", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo",
    "setMyCommands", "deleteMyCommands", "getMyCommands", "sendMessage", "sendPhoto",
    "sendDocument", "sendVoice", "sendAudio", "sendVideo", "sendAnimation", "sendSticker",
    "sendVideoNote", "sendLocation", "sendVenue", "sendContact", "sendDice", "sendMediaGroup",
    "sendChatAction", "sendPoll", "stopPoll", "editMessageText", "editMessageReplyMarkup",
    "editMessageCaption", "editMessageMedia", "editMessageLiveLocation", "deleteMessage",
    "deleteMessages", "answerCallbackQuery", "getFile", "getChat", "getChatMember", "leaveChat",
    "setChatMenuButton", "getChatMenuButton", "copyMessage", "forwardMessage", "setMyName",
    "setMyDescription", "setMyShortDescription", "setMessageReaction", "pinChatMessage",
    "unpinChatMessage", "answerInlineQuery", "banChatMember", "unbanChatMember",
    "restrictChatMember", "promoteChatMember", "createChatInviteLink", "exportChatInviteLink",
    "getChatAdministrators", "getChatMemberCount", "approveChatJoinRequest",
    "declineChatJoinRequest", "setChatTitle", "setChatDescription",
)
# fmt: on

_FILE_PREFIX = {
    "photo": "AgACAgQAAxkBAAI",
    "document": "BQACAgQAAxkBAAI",
    "voice": "AwACAgQAAxkBAAI",
    "audio": "CQACAgQAAxkBAAI",
    "video": "BAACAgQAAxkBAAI",
    "animation": "CgACAgQAAxkBAAI",
    "sticker": "CAACAgQAAxkBAAI",
    "video_note": "DQACAgQAAxkBAAI",
    "thumbnail": "AAMCAgQAAxkBAAI",
}
_FILE_FOLDER = {
    "photo": "photos",
    "document": "documents",
    "voice": "voice",
    "audio": "music",
    "video": "videos",
    "animation": "animations",
    "sticker": "stickers",
    "video_note": "video_notes",
    "thumbnail": "thumbnails",
}
_FILE_EXT = {
    "photo": "jpg",
    "document": "bin",
    "voice": "oga",
    "audio": "mp3",
    "video": "mp4",
    "animation": "mp4",
    "sticker": "webp",
    "video_note": "mp4",
    "thumbnail": "jpg",
}
_FILE_MIME = {
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "video": "video/mp4",
    "animation": "video/mp4",
    "video_note": "video/mp4",
    "photo": "image/jpeg",
    "sticker": "image/webp",
    "thumbnail": "image/jpeg",
}
_FIELD_KIND = {
    "photo": "photo",
    "document": "document",
    "voice": "voice",
    "audio": "audio",
    "video": "video",
    "animation": "animation",
    "sticker": "sticker",
    "video_note": "video_note",
    "thumbnail": "thumbnail",
    "thumb": "thumbnail",
}
_SEND_MEDIA_METHODS = {
    "sendphoto": "photo",
    "senddocument": "document",
    "sendvoice": "voice",
    "sendaudio": "audio",
    "sendvideo": "video",
    "sendanimation": "animation",
    "sendsticker": "sticker",
    "sendvideonote": "video_note",
}
# fmt: off
_CHAT_ACTIONS = frozenset({
    "choose_sticker", "find_location", "record_video", "record_video_note", "record_voice",
    "typing", "upload_document", "upload_photo", "upload_video", "upload_video_note",
    "upload_voice",
})
# fmt: on
# fmt: off
_INLINE_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)
# fmt: on
# update types delivered when allowed_updates is empty/not set
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_ERR_BLOCKED = "Forbidden: bot was blocked by the user"
_ERR_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_ERR_CALLBACK_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)

_SPACES = " \t\r\n\v\f\0"
# fmt: off
_HTML_TAGS = frozenset({
    "a", "b", "blockquote", "code", "del", "em", "i", "ins", "pre", "s", "span", "strike",
    "strong", "tg-emoji", "tg-spoiler", "u",
})
# fmt: on
_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD_TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_NO_AUTO_INSIDE = frozenset({"code", "pre", "text_link", "text_mention", "custom_emoji"})
_TG_USER_LINK = re.compile(r"^tg://user\?id=(\d+)$", re.IGNORECASE)
_TG_EMOJI_LINK = re.compile(r"^tg://emoji\?id=(\d+)$", re.IGNORECASE)

_COMMON_TLDS = (
    "com|org|net|nl|be|de|eu|io|app|dev|info|uk|fr|me|tv|co|ai|xyz|gov|edu|frl|amsterdam|"
    "online|site|shop|nu|ly|gl|gg|to|int"
)
_RE_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}\b")
_RE_URL = re.compile(
    r"(?<![\w@/.-])(?:(?:https?|tg|ftp)://[^\s<>\"]+|www\.[^\s<>\"]+|"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:" + _COMMON_TLDS + r")\b"
    r"(?::\d{1,5})?(?:/[^\s<>\"]*)?)",
    re.IGNORECASE,
)
_RE_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}(?![\w@])")
_RE_HASHTAG = re.compile(r"(?<![\w#&])#\w*[^\W\d]\w*")
_RE_COMMAND = re.compile(r"(?<![\w/<>\\])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
_RE_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _u16(s: str) -> int:
    """Length of ``s`` in UTF-16 code units (Telegram's entity unit)."""
    if s.isascii():
        return len(s)
    return len(s.encode("utf-16-le")) // 2


def _u16c(c: str) -> int:
    return 2 if ord(c) > 0xFFFF else 1


def _byte_offset(text: str, pos: int) -> int:
    return len(text[:pos].encode("utf-8"))


def _decode_value(key: str, value: Any) -> Any:
    """Decode a form/query string value the way the Bot API does."""
    if not isinstance(value, str) or key in _STRING_KEYS or not value:
        return value
    c = value[0]
    if c in "{[":
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded if isinstance(decoded, dict | list) else value
    if c in "-0123456789":
        try:
            return int(value)
        except ValueError:
            try:
                f = float(value)
            except ValueError:
                return value
            return f if math.isfinite(f) else value
    if value == "true":
        return True
    if value == "false":
        return False
    return value


@overload
def _as_int(value: Any, default: int) -> int: ...
@overload
def _as_int(value: Any, default: None = None) -> int | None: ...


def _as_int(value: Any, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return int(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width/height of PNG, GIF or JPEG bytes (cheap header parsing), else None."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
            return struct.unpack(">II", data[16:24])
        if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
            return struct.unpack("<HH", data[6:10])
        if data[:2] == b"\xff\xd8":
            i = 2
            n = len(data)
            while i + 9 < n:
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                    i += 2
                    continue
                seg_len = struct.unpack(">H", data[i + 2 : i + 4])[0]
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                    return w, h
                i += 2 + seg_len
    except struct.error:
        return None
    return None


def _normalize_url(url: str) -> str | None:
    """Roughly TDLib's check_link: returns the normalised URL or None when invalid."""
    url = url.strip()
    if not url or any(c in url for c in ' \t\n<>"'):
        return None
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", url)
    if m:
        scheme = m.group(1).lower()
        if scheme not in ("http", "https", "tg", "ton", "tonsite", "ftp"):
            return None
        if scheme in ("http", "https", "ftp"):
            rest = url[m.end() :]
            if not rest.startswith("//"):
                return None
            host_and_path = rest[2:]
            if not host_and_path:
                return None
            if "/" not in host_and_path and "?" not in host_and_path and "#" not in host_and_path:
                return url + "/"
        return url
    host = re.split(r"[/?#]", url, maxsplit=1)[0]
    if "." not in host or host.startswith(".") or host.endswith("."):
        return None
    url = "http://" + url
    if "/" not in url[7:] and "?" not in url and "#" not in url:
        url += "/"
    return url


# --------------------------------------------------------------------------------------------
# Entity parsing (ports of TDLib's parse_html / parse_markdown_v2 / parse_markdown)
# --------------------------------------------------------------------------------------------


def _decode_html_entity(text: str, pos: int) -> tuple[str | None, int, bool]:
    """TDLib's decode_html_entity. Returns (char or None, new_pos, had_semicolon)."""
    n = len(text)
    end = pos + 1
    res = 0
    if end < n and text[end] == "#":
        end += 1
        if end < n and text[end] == "x":
            end += 1
            while end < n and text[end] in "0123456789abcdefABCDEF":
                res = res * 16 + int(text[end], 16)
                end += 1
                if res >= 0x10FFFF:
                    return None, pos, False
        else:
            while end < n and text[end].isascii() and text[end].isdigit():
                res = res * 10 + int(text[end])
                end += 1
                if res >= 0x10FFFF:
                    return None, pos, False
        if res == 0 or res >= 0x10FFFF or end - pos >= 10 or 0xD800 <= res <= 0xDFFF:
            return None, pos, False
        ch = chr(res)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        name = text[pos + 1 : end]
        named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(name)
        if named is None:
            return None, pos, False
        ch = named
    if end < n and text[end] == ";":
        return ch, end + 1, True
    return ch, end, False


def _link_entity(url: str, offset: int, length: int, users: dict[int, dict]) -> dict | None:
    m = _TG_USER_LINK.match(url)
    if m:
        uid = int(m.group(1))
        user = users.get(uid) or {"id": uid, "is_bot": False, "first_name": str(uid)}
        return {"type": "text_mention", "offset": offset, "length": length, "user": user}
    norm = _normalize_url(url)
    if norm is None:
        return None
    return {"type": "text_link", "offset": offset, "length": length, "url": norm}


def parse_html(text: str, strict_amp: bool = True, users: dict | None = None):
    """Parse Telegram HTML. Returns (plain_text, entities) or raises _EntityParseError."""
    users = users or {}
    n = len(text)
    out: list[str] = []
    u16 = 0
    nested: list[list] = []  # [tag, argument, u16_begin, out_len_begin, expandable]
    ents: list[dict] = []
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            ch, new_i, semi = _decode_html_entity(text, i)
            if ch is not None and (semi or not strict_amp):
                out.append(ch)
                u16 += _u16c(ch)
                i = new_i
                continue
            if strict_amp:
                raise _EntityParseError(
                    f'Unescaped "&" at byte offset {_byte_offset(text, i)}; '
                    "use &amp; (strict mode of the Bot API double)"
                )
        if c != "<":
            out.append(c)
            u16 += _u16c(c)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and text[i] == "/":
            # end tag
            if not nested:
                raise _EntityParseError(
                    f"Unexpected end tag at byte offset {_byte_offset(text, begin)}"
                )
            j = i + 1
            while j < n and text[j] not in _SPACES and text[j] != ">":
                j += 1
            end_name = text[i + 1 : j]
            while j < n and text[j] in _SPACES:
                j += 1
            if j >= n or text[j] != ">":
                raise _EntityParseError(
                    f"Unclosed end tag at byte offset {_byte_offset(text, begin)}"
                )
            tag, arg, off, out_len, expandable = nested[-1]
            if end_name and end_name != tag:
                raise _EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{tag}>", found "</{end_name}>"'
                )
            nested.pop()
            if u16 > off:
                length = u16 - off
                ent: dict | None = None
                if tag in ("i", "em"):
                    ent = {"type": "italic", "offset": off, "length": length}
                elif tag in ("b", "strong"):
                    ent = {"type": "bold", "offset": off, "length": length}
                elif tag in ("s", "strike", "del"):
                    ent = {"type": "strikethrough", "offset": off, "length": length}
                elif tag in ("u", "ins"):
                    ent = {"type": "underline", "offset": off, "length": length}
                elif tag in ("span", "tg-spoiler"):
                    ent = {"type": "spoiler", "offset": off, "length": length}
                elif tag == "a":
                    url = arg or "".join(out[out_len:])
                    ent = _link_entity(url, off, length, users)
                elif tag == "pre":
                    last = ents[-1] if ents else None
                    if (
                        last is not None
                        and last["type"] == "code"
                        and last["offset"] == off
                        and last["length"] == length
                        and last.get("_lang")
                    ):
                        last["type"] = "pre"
                        last["language"] = last.pop("_lang")
                    elif (
                        last is not None
                        and last["type"] == "code"
                        and last["offset"] == off
                        and last["length"] == length
                    ):
                        last["type"] = "pre"
                    else:
                        ent = {"type": "pre", "offset": off, "length": length}
                elif tag == "code":
                    ent = {"type": "code", "offset": off, "length": length}
                    if arg:
                        ent["_lang"] = arg
                elif tag == "tg-emoji":
                    if not arg.isdigit():
                        raise _EntityParseError("Invalid custom emoji identifier specified")
                    ent = {
                        "type": "custom_emoji",
                        "offset": off,
                        "length": length,
                        "custom_emoji_id": arg,
                    }
                elif tag == "blockquote":
                    ent = {
                        "type": "expandable_blockquote" if expandable else "blockquote",
                        "offset": off,
                        "length": length,
                    }
                if ent is not None:
                    ents.append(ent)
            i = j + 1
            continue
        # start tag
        j = i
        while j < n and text[j] not in _SPACES and text[j] != ">":
            j += 1
        if j >= n:
            raise _EntityParseError(
                f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
            )
        tag = text[i:j].lower()
        if tag not in _HTML_TAGS:
            raise _EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
            )
        i = j
        arg = ""
        expandable = False
        while True:
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n:
                raise _EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                )
            if text[i] == ">":
                break
            attr_begin = i
            while i < n and text[i] not in _SPACES and text[i] not in "=>":
                i += 1
            attr_name = text[attr_begin:i]
            if not attr_name:
                raise _EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{_byte_offset(text, begin)}"
                )
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n or text[i] != "=":
                if tag == "blockquote" and attr_name == "expandable":
                    expandable = True
                    continue
                raise _EntityParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {_byte_offset(text, begin)}"
                )
            i += 1
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n:
                raise _EntityParseError(
                    f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            if text[i] not in "'\"":
                token_begin = i
                while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
                    i += 1
                value = text[token_begin:i].lower()
                if i >= n or (text[i] not in _SPACES and text[i] != ">"):
                    raise _EntityParseError(
                        f"Unexpected end of name token at byte offset "
                        f"{_byte_offset(text, token_begin)}"
                    )
            else:
                quote = text[i]
                i += 1
                buf: list[str] = []
                while i < n and text[i] != quote:
                    if text[i] == "&":
                        ch, new_i, _semi = _decode_html_entity(text, i)
                        if ch is not None:
                            buf.append(ch)
                            i = new_i
                            continue
                    buf.append(text[i])
                    i += 1
                if i < n and text[i] == quote:
                    i += 1
                if i >= n:
                    raise _EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                    )
                value = "".join(buf)
            if tag == "a" and attr_name == "href":
                arg = value
            elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                arg = value[9:]
            elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                arg = value[3:]
            elif tag == "tg-emoji" and attr_name == "emoji-id":
                arg = value
            elif tag == "blockquote" and attr_name == "expandable":
                expandable = True
        if tag == "span" and arg != "spoiler":
            raise _EntityParseError(
                'Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        nested.append([tag, arg, u16, len(out), expandable])
        i += 1  # skip '>'
    if nested:
        raise _EntityParseError(f'Can\'t find end tag corresponding to start tag "{nested[-1][0]}"')
    for e in ents:
        e.pop("_lang", None)
    return "".join(out), ents


def parse_markdown_v2(text: str, users: dict | None = None):
    """Port of TDLib's parse_markdown_v2. Returns (plain_text, entities)."""
    users = users or {}
    n = len(text)
    out: list[str] = []
    ents: list[dict] = []
    nested: list[list] = []  # [type, argument, u16_begin, byte_pos(index), out_len]
    u16 = 0
    i = 0
    quote_begin: int | None = None

    def at(k: int) -> str:
        return text[k] if k < n else "\0"

    def reserved_error(c: str):
        return _EntityParseError(
            f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
        )

    while i < n:
        c = text[i]
        if c == "\\" and 0 < ord(at(i + 1)) <= 126:
            out.append(text[i + 1])
            u16 += 1
            i += 2
            continue
        in_code = bool(nested) and nested[-1][0] in ("code", "pre", "pre_code")
        if c == ">" and not in_code and (i == 0 or text[i - 1] == "\n"):
            # block quotation: consecutive lines beginning with '>'
            if quote_begin is None:
                quote_begin = u16
            i += 1
            continue
        if c == "\n" and quote_begin is not None and at(i + 1) != ">":
            if u16 > quote_begin:
                ents.append(
                    {"type": "blockquote", "offset": quote_begin, "length": u16 - quote_begin}
                )
            quote_begin = None
        reserved = frozenset("`") if in_code else _MDV2_RESERVED
        if c not in reserved:
            out.append(c)
            u16 += _u16c(c)
            i += 1
            continue
        is_end = False
        if nested:
            t = nested[-1][0]
            if t == "bold":
                is_end = c == "*"
            elif t == "italic":
                is_end = c == "_" and at(i + 1) != "_"
            elif t == "code":
                is_end = c == "`"
            elif t in ("pre", "pre_code"):
                is_end = text[i : i + 3] == "```"
            elif t in ("text_link", "custom_emoji"):
                is_end = c == "]"
            elif t == "underline":
                is_end = text[i : i + 2] == "__"
            elif t == "strikethrough":
                is_end = c == "~"
            elif t == "spoiler":
                is_end = text[i : i + 2] == "||"
        if not is_end:
            begin = i
            arg = ""
            if c == "_":
                if at(i + 1) == "_":
                    t = "underline"
                    i += 1
                else:
                    t = "italic"
            elif c == "*":
                t = "bold"
            elif c == "~":
                t = "strikethrough"
            elif c == "|":
                if at(i + 1) == "|":
                    i += 1
                    t = "spoiler"
                else:
                    raise reserved_error(c)
            elif c == "[":
                t = "text_link"
            elif c == "`":
                if text[i : i + 3] == "```":
                    i += 3
                    t = "pre"
                    le = i
                    while le < n and text[le] not in _SPACES and text[le] != "`":
                        le += 1
                    if i != le and le < n and text[le] != "`":
                        t = "pre_code"
                        arg = text[i:le]
                        i = le
                    if at(i) in "\r\n":
                        if at(i + 1) in "\r\n" and at(i) != at(i + 1):
                            i += 2
                        else:
                            i += 1
                    i -= 1
                else:
                    t = "code"
            elif c == "!" and at(i + 1) == "[":
                i += 1
                t = "custom_emoji"
            else:
                raise reserved_error(c)
            nested.append([t, arg, u16, begin, len(out)])
            i += 1
            continue
        t, arg, off, begin, out_len = nested.pop()
        skip = u16 == off
        ent = None
        if t in ("underline", "spoiler"):
            i += 1
        elif t in ("pre", "pre_code"):
            i += 2
        elif t == "text_link":
            if at(i + 1) != "(":
                url = "".join(out[out_len:])
            else:
                i += 2
                url_begin = i
                buf: list[str] = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and 0 < ord(at(i + 1)) <= 126:
                        buf.append(text[i + 1])
                        i += 2
                        continue
                    buf.append(text[i])
                    i += 1
                if at(i) != ")":
                    raise _EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, url_begin)}"
                    )
                url = "".join(buf)
            if not skip:
                ent = _link_entity(url, off, u16 - off, users)
            skip = True
        elif t == "custom_emoji":
            if at(i + 1) != "(":
                raise _EntityParseError("Custom emoji entity must contain a tg://emoji URL")
            i += 2
            url_begin = i
            buf = []
            while i < n and text[i] != ")":
                if text[i] == "\\" and 0 < ord(at(i + 1)) <= 126:
                    buf.append(text[i + 1])
                    i += 2
                    continue
                buf.append(text[i])
                i += 1
            if at(i) != ")":
                raise _EntityParseError(
                    f"Can't find end of a custom emoji URL at byte offset "
                    f"{_byte_offset(text, url_begin)}"
                )
            m = _TG_EMOJI_LINK.match("".join(buf))
            if not m:
                raise _EntityParseError("Invalid custom emoji URL specified")
            if not skip:
                ent = {
                    "type": "custom_emoji",
                    "offset": off,
                    "length": u16 - off,
                    "custom_emoji_id": m.group(1),
                }
            skip = True
        if ent is not None:
            ents.append(ent)
        if not skip:
            if t == "pre_code":
                ents.append({"type": "pre", "offset": off, "length": u16 - off, "language": arg})
            else:
                ents.append({"type": t, "offset": off, "length": u16 - off})
        i += 1
    if nested:
        t, _arg, _off, begin, _ol = nested[-1]
        raise _EntityParseError(
            f"Can't find end of {_MD_TYPE_NAMES[t]} entity at byte offset "
            f"{_byte_offset(text, begin)}"
        )
    if quote_begin is not None and u16 > quote_begin:
        ents.append({"type": "blockquote", "offset": quote_begin, "length": u16 - quote_begin})
    return "".join(out), ents


def parse_markdown(text: str, users: dict | None = None):
    """Port of TDLib's legacy parse_markdown (parse_mode "Markdown")."""
    users = users or {}
    n = len(text)
    out: list[str] = []
    ents: list[dict] = []
    u16 = 0
    i = 0

    def at(k: int) -> str:
        return text[k] if k < n else "\0"

    while i < n:
        c = text[i]
        if c == "\\" and at(i + 1) in "_*`[":
            out.append(text[i + 1])
            u16 += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            u16 += _u16c(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = False
        lang = ""
        i += 1
        if c == "`" and text[i : i + 2] == "``":
            i += 2
            is_pre = True
            le = i
            while le < n and text[le] not in _SPACES and text[le] != "`":
                le += 1
            if i != le and le < n and text[le] != "`":
                lang = text[i:le]
                i = le
            if at(i) in "\r\n":
                if at(i + 1) in "\r\n" and at(i) != at(i + 1):
                    i += 2
                else:
                    i += 1
        off = u16
        out_len = len(out)
        while i < n and (
            text[i] != end_char or (is_pre and not (at(i + 1) == "`" and at(i + 2) == "`"))
        ):
            out.append(text[i])
            u16 += _u16c(text[i])
            i += 1
        if i >= n:
            raise _EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        if off != u16:
            length = u16 - off
            if c == "_":
                ents.append({"type": "italic", "offset": off, "length": length})
            elif c == "*":
                ents.append({"type": "bold", "offset": off, "length": length})
            elif c == "[":
                url = ""
                if at(i + 1) == "(":
                    i += 2
                    buf = []
                    while i < n and text[i] != ")":
                        buf.append(text[i])
                        i += 1
                    url = "".join(buf)
                else:
                    url = "".join(out[out_len:])
                ent = _link_entity(url, off, length, users)
                if ent:
                    ents.append(ent)
            elif c == "`":
                if is_pre:
                    e = {"type": "pre", "offset": off, "length": length}
                    if lang:
                        e["language"] = lang
                    ents.append(e)
                else:
                    ents.append({"type": "code", "offset": off, "length": length})
        if is_pre:
            i += 2
        i += 1
    return "".join(out), ents


def _trim(text: str, ents: list[dict]) -> tuple[str, list[dict]]:
    """Strip leading/trailing whitespace like Telegram, fixing entity offsets."""
    stripped = text.strip(" \t\r\n\v\f")
    if stripped == text:
        return text, ents
    lead = text[: len(text) - len(text.lstrip(" \t\r\n\v\f"))]
    shift = _u16(lead)
    total = _u16(stripped)
    fixed = []
    for e in ents:
        start = max(e["offset"] - shift, 0)
        end = min(e["offset"] + e["length"] - shift, total)
        if end > start:
            e = dict(e)
            e["offset"] = start
            e["length"] = end - start
            fixed.append(e)
    return stripped, fixed


def _auto_entities(text: str, ents: list[dict]) -> list[dict]:
    """Add url/email/mention/hashtag/bot_command entities Telegram detects by itself."""
    if not text or not any(ch in text for ch in "/@#.:"):
        return ents
    ascii_text = text.isascii()
    blocked = [
        (e["offset"], e["offset"] + e["length"]) for e in ents if e["type"] in _NO_AUTO_INSIDE
    ]
    found: list[dict] = []
    taken: list[tuple[int, int]] = []

    def to16(idx: int) -> int:
        return idx if ascii_text else _u16(text[:idx])

    def add(etype: str, start: int, end: int) -> None:
        s16, e16 = to16(start), to16(end)
        for a, b in blocked:
            if s16 < b and a < e16:
                return
        for a, b in taken:
            if s16 < b and a < e16:
                return
        taken.append((s16, e16))
        found.append({"type": etype, "offset": s16, "length": e16 - s16})

    if "@" in text:
        for m in _RE_EMAIL.finditer(text):
            add("email", m.start(), m.end())
    if "." in text:
        for m in _RE_URL.finditer(text):
            start, end = m.start(), m.end()
            while end > start and text[end - 1] in ".,;:!?'":
                end -= 1
            if (
                end > start
                and text[end - 1] == ")"
                and text.count("(", start, end) < text.count(")", start, end)
            ):
                end -= 1
            if end > start:
                add("url", start, end)
    if "@" in text:
        for m in _RE_MENTION.finditer(text):
            add("mention", m.start(), m.end())
    if "#" in text:
        for m in _RE_HASHTAG.finditer(text):
            add("hashtag", m.start(), m.end())
    if "/" in text:
        for m in _RE_COMMAND.finditer(text):
            add("bot_command", m.start(), m.end())
    if not found:
        return ents
    return ents + found


def _sort_entities(ents: list[dict]) -> list[dict]:
    return sorted(ents, key=lambda e: (e["offset"], -e["length"]))


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeBotAPI:
    """Fake Telegram Bot API server. See the module docstring."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "buurtbot_test_bot",
        bot_id: int = 123456,
        latency: float = 0.0,
        enforce_limits: bool = False,
        *,
        bot_first_name: str = "Buurtbot",
        port: int = 0,
        host: str = "127.0.0.1",
        timeout_sleep: float = 15.0,
        timeout_delivers: bool = False,
        strict_html_entities: bool = True,
        max_upload_size: int = 50 * 1024 * 1024,
        time_func: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_first_name = bot_first_name
        self.latency = latency
        self.enforce_limits = enforce_limits
        self.timeout_sleep = timeout_sleep
        #: when True an injected "timeout" still performs the method (the message is sent) and
        #: only the answer is delayed; when False nothing happens and after ``timeout_sleep``
        #: seconds the server answers 504 Gateway Timeout.
        self.timeout_delivers = timeout_delivers
        self.strict_html_entities = strict_html_entities
        self.time_func = time_func
        #: Users whose privacy settings forbid links to their account: a button with
        #: ``tg://user?id=`` for one of them is refused like Telegram does
        #: (``400 BUTTON_USER_PRIVACY_RESTRICTED``).
        self.privacy_restricted_users: set[int] = set()
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._close_event: asyncio.Event | None = None

        #: The aiohttp application; extra routes (e.g. a playground) may be added before start().
        self.app = web.Application(client_max_size=max_upload_size)
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        self.app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)

        self._handlers: dict[str, tuple[str, Callable[..., Any] | None, bool]] = {}
        for name in _METHODS_KNOWN:
            impl = getattr(self, "_api_" + name, None)
            self._handlers[name.lower()] = (
                name,
                impl,
                bool(impl and asyncio.iscoroutinefunction(impl)),
            )

        self._bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }

        # recording
        self.calls: list[Call] = []
        self.internal_errors: list[BaseException] = []
        self._listeners: list[Callable[[Call], Any]] = []
        self._call_event: asyncio.Event | None = None

        # messages & chats
        self.messages_by_chat: dict[int, list[dict]] = {}
        self._bot_messages: list[dict] = []
        self._messages: dict[tuple[int, int], dict] = {}  # (chat_id, message_id) -> message
        self.deleted: set[tuple[int, int]] = set()
        self._next_mid: dict[int, int] = {}
        self.chats: dict[int, dict] = {}
        self.users: dict[int, dict] = {}
        self.reply_keyboards: dict[int, dict | None] = {}
        self.chat_actions: dict[int, str] = {}
        self.callback_answers: dict[str, dict] = {}
        self._open_callbacks: set[str] = set()
        self._callback_seq = 0
        self.polls: dict[str, dict] = {}
        self._poll_seq = 0
        self._media_group_seq = 0
        self.left_chats: set[int] = set()
        self.chat_members: dict[tuple[int, int], dict] = {}
        self.menu_buttons: dict[int | None, dict] = {}
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.webhook: dict = {"url": ""}

        # files
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_seq = 0

        # updates
        self._updates: deque[dict] = deque()
        self._next_update_id = 1
        self.confirmed_offset = 0
        self.allowed_updates: list[str] = []
        self._update_event: asyncio.Event | None = None
        self._poll_generation = 0

        # faults & limits
        self.blocked_users: set[int] = set()
        self.counters: dict[str, int] = {
            "429": 0,
            "403": 0,
            "400": 0,
            "5xx": 0,
            "timeout": 0,
            "rate_limited": 0,
        }
        self._fail_next: dict[str, deque[dict]] = {}
        self._fault_rate = 0.0
        self._fault_kinds: tuple[str, ...] = ()
        self._fault_methods: frozenset[str] | None = None
        self._fault_rng = random.Random(0)
        self._rng = random.Random(1)
        self._global_sends: deque[float] = deque()
        self._chat_sends: dict[int, deque[float]] = {}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> Self:
        if self._runner is not None:
            return self
        self._closing = False
        self._close_event = asyncio.Event()
        self._runner = web.AppRunner(
            self.app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=0.5,
            handler_cancellation=True,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._requested_port, backlog=1024)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._closing = True
        if self._close_event is not None:
            self._close_event.set()
        self._wake_updates()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def bot_user(self) -> dict:
        return dict(self._bot_user)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but return early when the server stops."""
        if seconds <= 0:
            return
        ev = self._close_event
        if ev is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ev.wait(), seconds)

    # ------------------------------------------------------------------ recording helpers

    def add_listener(self, fn: Callable[[Call], Any]) -> None:
        """Call ``fn(call)`` after every recorded call (e.g. to stream to a playground)."""
        self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[Call], Any]) -> None:
        self._listeners.remove(fn)

    def _record(self, method: str, params: dict, response: dict, status: int, at: float) -> Call:
        call = Call(method, params, at, response, status)
        self.calls.append(call)
        ev = self._call_event
        if ev is not None:
            ev.set()
            self._call_event = None
        for fn in self._listeners:
            try:
                fn(call)
            except Exception as exc:  # noqa: BLE001 - a listener must never break the server
                self.internal_errors.append(exc)
        return call

    def calls_to(self, chat_id: int | str, method: str | None = None) -> list[Call]:
        m = method.lower() if method else None
        return [
            c
            for c in self.calls
            if c.params.get("chat_id") == chat_id and (m is None or c.method.lower() == m)
        ]

    def calls_of(self, method: str) -> list[Call]:
        m = method.lower()
        return [c for c in self.calls if c.method.lower() == m]

    def last_call(self, method: str | None = None) -> Call | None:
        m = method.lower() if method else None
        for c in reversed(self.calls):
            if m is None or c.method.lower() == m:
                return c
        return None

    def sent_messages(
        self, chat_id: int | None = None, include_deleted: bool = False
    ) -> list[dict]:
        """Messages the bot created (in order), in their current state after edits."""
        msgs = self._bot_messages if chat_id is None else self.messages_by_chat.get(chat_id, [])
        if include_deleted or not self.deleted:
            return list(msgs)
        return [m for m in msgs if (m["chat"]["id"], m["message_id"]) not in self.deleted]

    def last_message(self, chat_id: int | None = None) -> dict | None:
        msgs = self.sent_messages(chat_id)
        return msgs[-1] if msgs else None

    def message(self, chat_id: int, message_id: int) -> dict | None:
        """Any known message (bot or user) by chat and id."""
        return self._messages.get((chat_id, message_id))

    def is_deleted(self, chat_id: int, message_id: int) -> bool:
        return (chat_id, message_id) in self.deleted

    def clear(self) -> None:
        """Forget recorded calls, bot messages, counters and callback answers.

        Message state (so the bot can still edit/delete older messages), message-id counters,
        files, chats/users, pending updates and fault settings are kept, so later ids never
        collide with earlier ones.
        """
        self.calls.clear()
        self.messages_by_chat.clear()
        self._bot_messages.clear()
        self.deleted.clear()
        self.callback_answers.clear()
        self.chat_actions.clear()
        self.internal_errors.clear()
        for k in self.counters:
            self.counters[k] = 0

    async def wait_for(
        self, predicate: Callable[[FakeBotAPI], Any], timeout: float = 5.0, poll: float = 0.005
    ) -> Any:
        """Wait until ``predicate(self)`` is truthy (re-checked after each call and every
        ``poll`` seconds). Returns the predicate's value; raises TimeoutError."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"FakeBotAPI.wait_for: condition not met within {timeout}s")
            if self._call_event is None:
                self._call_event = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._call_event.wait(), min(poll, remaining))

    async def wait_for_messages(
        self, chat_id: int, count: int = 1, timeout: float = 5.0
    ) -> list[dict]:
        """Wait until the bot sent at least ``count`` messages to ``chat_id``; returns them."""
        await self.wait_for(lambda api: len(api.sent_messages(chat_id)) >= count, timeout)
        return self.sent_messages(chat_id)

    async def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        await self.wait_for(lambda api: len(api.calls_of(method)) >= count, timeout)
        return self.calls_of(method)

    # ------------------------------------------------------------------ fault injection

    @staticmethod
    def _normalize_fault(error: str | int | dict) -> dict:
        if isinstance(error, dict):
            kind = str(error.get("kind") or error.get("error_code") or "400")
            fault = FakeBotAPI._normalize_fault(kind)
            if "error_code" in error:
                fault["error_code"] = int(error["error_code"])
            for key in ("description", "retry_after", "sleep", "parameters"):
                if key in error:
                    fault[key] = error[key]
            if fault["kind"] == "429" and "retry_after" in error:
                fault["description"] = error.get(
                    "description", f"Too Many Requests: retry after {error['retry_after']}"
                )
            return fault
        kind = str(error).lower()
        if kind == "429":
            return {
                "kind": "429",
                "error_code": 429,
                "retry_after": 1,
                "description": "Too Many Requests: retry after 1",
            }
        if kind == "403":
            return {"kind": "403", "error_code": 403, "description": _ERR_BLOCKED}
        if kind == "400":
            return {"kind": "400", "error_code": 400, "description": "Bad Request: chat not found"}
        if kind == "500":
            return {"kind": "500", "error_code": 500, "description": "Internal Server Error"}
        if kind == "502":
            return {"kind": "502", "error_code": 502, "description": "Bad Gateway"}
        if kind == "timeout":
            return {"kind": "timeout", "error_code": 504, "description": "Gateway Timeout"}
        if kind.isdigit():
            return {"kind": kind, "error_code": int(kind), "description": f"Error {kind}"}
        raise ValueError(f"unknown fault kind {error!r}")

    def fail_next(self, method: str, error: str | int | dict, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` fail ("*" = any method but getUpdates).

        ``error``: "429" | "403" | "400" | "500" | "502" | "timeout" or a dict such as
        ``{"error_code": 429, "retry_after": 5}`` / ``{"error_code": 400, "description": "..."}``
        / ``{"kind": "timeout", "sleep": 2}``.
        """
        fault = self._normalize_fault(error)
        q = self._fail_next.setdefault(method.lower(), deque())
        for _ in range(times):
            q.append(dict(fault))

    def set_fault_rate(
        self,
        rate: float,
        kinds: Iterable[str] = ("429", "500", "timeout", "403"),
        seed: int = 0,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Fail a random fraction ``rate`` of calls; by default of send*/edit* methods only."""
        self._fault_rate = float(rate)
        self._fault_kinds = tuple(str(k) for k in kinds)
        for k in self._fault_kinds:
            self._normalize_fault(k)  # validate
        self._fault_rng = random.Random(seed)
        self._fault_methods = None if methods is None else frozenset(m.lower() for m in methods)

    def clear_faults(self) -> None:
        self._fail_next.clear()
        self._fault_rate = 0.0

    def _pick_fault(self, lower: str) -> dict | None:
        if self._fail_next:
            q = self._fail_next.get(lower)
            if q:
                fault = q.popleft()
                if not q:
                    del self._fail_next[lower]
                return fault
            if lower != "getupdates":
                q = self._fail_next.get("*")
                if q:
                    fault = q.popleft()
                    if not q:
                        del self._fail_next["*"]
                    return fault
        if self._fault_rate > 0:
            if self._fault_methods is None:
                eligible = lower.startswith(("send", "edit"))
            else:
                eligible = lower in self._fault_methods
            if eligible and self._fault_rng.random() < self._fault_rate:
                return self._normalize_fault(self._fault_rng.choice(self._fault_kinds))
        return None

    def _count_error(self, code: int) -> None:
        if code == 429:
            self.counters["429"] += 1
        elif code == 403:
            self.counters["403"] += 1
        elif code == 400:
            self.counters["400"] += 1
        elif code >= 500:
            self.counters["5xx"] += 1

    # ------------------------------------------------------------------ flood limits

    @staticmethod
    def _is_counted_send(lower: str) -> bool:
        return (lower.startswith("send") and lower != "sendchataction") or lower in (
            "copymessage",
            "forwardmessage",
            "copymessages",
            "forwardmessages",
        )

    def _rate_check(self, chat_id: int) -> int:
        """Returns retry_after (>0) if sending now to chat_id would exceed the flood limits."""
        now = time.monotonic()
        g = self._global_sends
        while g and g[0] <= now - 1.0:
            g.popleft()
        retry = 0.0
        if len(g) >= 30:
            retry = g[0] + 1.0 - now
        window, limit = (1.0, 1) if chat_id > 0 else (60.0, 20)
        dq = self._chat_sends.get(chat_id)
        if dq is not None:
            while dq and dq[0] <= now - window:
                dq.popleft()
            if len(dq) >= limit:
                retry = max(retry, dq[0] + window - now)
        if retry > 0:
            return max(1, math.ceil(retry))
        return 0

    def _rate_commit(self, chat_id: int) -> None:
        now = time.monotonic()
        self._global_sends.append(now)
        dq = self._chat_sends.get(chat_id)
        if dq is None:
            dq = self._chat_sends[chat_id] = deque()
        dq.append(now)

    # ------------------------------------------------------------------ HTTP layer

    @staticmethod
    def _json_response(resp: dict, status: int) -> web.Response:
        return web.Response(
            body=json.dumps(resp, ensure_ascii=False).encode("utf-8"),
            status=status,
            content_type="application/json",
        )

    async def _read_params(self, request: web.Request) -> tuple[dict, dict]:
        raw: dict[str, Any] = {}
        uploads: dict[str, tuple[str | None, str | None, bytes]] = {}
        if request.query_string:
            raw.update(parse_qsl(request.query_string, keep_blank_values=True))
        if request.method == "POST" and request.body_exists:
            ctype = request.content_type
            if ctype == "multipart/form-data":
                reader = await request.multipart()
                async for part in reader:
                    if not isinstance(part, BodyPartReader):  # a nested multipart: not ours
                        continue
                    name = part.name or ""
                    if part.filename is not None:
                        data = bytes(await part.read(decode=False))
                        uploads[name] = (part.filename, part.headers.get("Content-Type"), data)
                    else:
                        raw[name] = await part.text()
            elif ctype == "application/json":
                body = await request.read()
                if body:
                    data = json.loads(body)
                    if isinstance(data, dict):
                        raw.update(data)
            else:
                form = await request.text()
                if form:
                    raw.update(parse_qsl(form, keep_blank_values=True))
        params = {k: _decode_value(k, v) for k, v in raw.items()}
        return params, uploads

    async def _handle_method(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            resp = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return self._json_response(resp, 401)
        lower = method.lower()
        canonical, impl, is_async = self._handlers.get(lower) or (method, None, False)
        try:
            params, uploads = await self._read_params(request)
        except Exception as exc:  # noqa: BLE001
            resp = {
                "ok": False,
                "error_code": 400,
                "description": f"Bad Request: can't parse request: {exc}",
            }
            self._count_error(400)
            self._record(canonical, {}, resp, 400, at)
            return self._json_response(resp, 400)
        if self.latency > 0:
            await asyncio.sleep(self.latency)

        fault = self._pick_fault(lower) if (self._fail_next or self._fault_rate) else None
        if fault is not None:
            if uploads:
                self._attach_uploads(params, uploads)
            return await self._answer_fault(fault, canonical, lower, impl, is_async, params, at)

        resp, status = await self._dispatch(canonical, lower, impl, is_async, params, uploads)
        self._record(canonical, params, resp, status, at)
        return self._json_response(resp, status)

    async def _dispatch(
        self,
        canonical: str,
        lower: str,
        impl: Callable | None,
        is_async: bool,
        params: dict,
        uploads: dict | None,
    ) -> tuple[dict, int]:
        try:
            if uploads:
                self._attach_uploads(params, uploads)
            counted = False
            chat_id = params.get("chat_id")
            if isinstance(chat_id, int) and not isinstance(chat_id, bool):
                if chat_id in self.blocked_users and (
                    lower.startswith(("send", "edit", "copy", "forward"))
                ):
                    raise ApiError(403, _ERR_BLOCKED)
                if self.enforce_limits and self._is_counted_send(lower):
                    retry = self._rate_check(chat_id)
                    if retry:
                        self.counters["rate_limited"] += 1
                        raise ApiError(
                            429, f"Too Many Requests: retry after {retry}", {"retry_after": retry}
                        )
                    counted = True
            if impl is None:
                result: Any = True
            elif is_async:
                result = await impl(params)
            else:
                result = impl(params)
            if counted:
                self._rate_commit(chat_id)  # type: ignore[arg-type]
            return {"ok": True, "result": result}, 200
        except ApiError as err:
            self._count_error(err.error_code)
            return err.to_response(), err.error_code
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug in the double: report as 500
            self.internal_errors.append(exc)
            self.counters["5xx"] += 1
            return {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: {type(exc).__name__}: {exc}",
            }, 500

    async def _answer_fault(
        self,
        fault: dict,
        canonical: str,
        lower: str,
        impl: Callable | None,
        is_async: bool,
        params: dict,
        at: float,
    ) -> web.Response:
        kind = fault["kind"]
        if kind == "timeout":
            self.counters["timeout"] += 1
            if self.timeout_delivers:
                resp, status = await self._dispatch(canonical, lower, impl, is_async, params, None)
            else:
                resp = {"ok": False, "error_code": 504, "description": "Gateway Timeout"}
                status = 504
            self._record(canonical, params, resp, status, at)
            await self._sleep(float(fault.get("sleep", self.timeout_sleep)))
            return self._json_response(resp, status)
        code = int(fault["error_code"])
        resp = {"ok": False, "error_code": code, "description": fault["description"]}
        parameters = dict(fault.get("parameters") or {})
        if code == 429:
            parameters["retry_after"] = int(fault.get("retry_after", 1))
        if parameters:
            resp["parameters"] = parameters
        self._count_error(code)
        self._record(canonical, params, resp, code, at)
        return self._json_response(resp, code)

    async def _handle_file(self, request: web.Request) -> web.Response:
        not_found = {"ok": False, "error_code": 404, "description": "Not Found"}
        if request.match_info["token"] != self.token:
            return self._json_response(not_found, 404)
        sf = self._files_by_path.get(request.match_info["file_path"])
        if sf is None:
            return self._json_response(not_found, 404)
        return web.Response(
            body=sf.data, content_type=sf.content_type or "application/octet-stream"
        )

    # ------------------------------------------------------------------ files

    def _store_file(
        self,
        data: bytes,
        kind: str,
        filename: str | None = None,
        content_type: str | None = None,
        file_id: str | None = None,
        **meta: Any,
    ) -> StoredFile:
        self._file_seq += 1
        n = self._file_seq
        kind = kind if kind in _FILE_FOLDER else "document"
        if file_id is None:
            file_id = f"{_FILE_PREFIX[kind]}{n:06d}{self.bot_id % 10**6:06d}fake"
        ext = _FILE_EXT[kind]
        if (
            kind not in ("photo", "thumbnail")
            and filename
            and "." in filename
            and mimetypes.guess_type(filename)[0]
        ):
            ext = filename.rsplit(".", 1)[1].lower()
        file_path = f"{_FILE_FOLDER[kind]}/file_{n}.{ext}"
        if content_type in (None, "", "application/octet-stream"):
            guessed = mimetypes.guess_type(filename)[0] if filename else None
            content_type = (
                guessed or _FILE_MIME.get(kind) or content_type or "application/octet-stream"
            )
        sf = StoredFile(
            file_id=file_id,
            file_unique_id=f"AQAD{n:06d}fake",
            kind=kind,
            data=bytes(data),
            file_path=file_path,
            filename=filename,
            content_type=content_type,
            meta=dict(meta),
        )
        self.files[file_id] = sf
        self._files_by_path[file_path] = sf
        if kind == "photo":
            self._make_photo_sizes(sf, meta.get("width"), meta.get("height"))
        return sf

    def _make_photo_sizes(self, sf: StoredFile, width: int | None, height: int | None) -> None:
        dims = _image_size(sf.data) if not (width and height) else (width, height)
        w, h = dims or (1280, 960)
        longest = max(w, h, 1)
        sizes: list[dict[str, Any]] = []
        bounds = [b for b in (90, 320, 800) if longest > b]
        for b in bounds:
            scale = b / longest
            alias = StoredFile(
                file_id=f"{sf.file_id}_{b}",
                file_unique_id=f"{sf.file_unique_id}_{b}",
                kind="photo",
                data=sf.data,
                file_path=f"{sf.file_path.rsplit('.', 1)[0]}_{b}.jpg",
                filename=sf.filename,
                content_type=sf.content_type,
            )
            self.files[alias.file_id] = alias
            self._files_by_path[alias.file_path] = alias
            sizes.append(
                {
                    "file_id": alias.file_id,
                    "file_unique_id": alias.file_unique_id,
                    "file_size": max(1, int(sf.size * scale * scale)),
                    "width": max(1, round(w * scale)),
                    "height": max(1, round(h * scale)),
                }
            )
        scale = min(1.0, 1280 / longest)
        sizes.append(
            {
                "file_id": sf.file_id,
                "file_unique_id": sf.file_unique_id,
                "file_size": sf.size,
                "width": max(1, round(w * scale)),
                "height": max(1, round(h * scale)),
            }
        )
        sf.meta["sizes"] = sizes
        for s in sizes[:-1]:
            self.files[s["file_id"]].meta["sizes"] = sizes

    def add_file(
        self,
        data: bytes,
        kind: str = "voice",
        file_name: str | None = None,
        mime_type: str | None = None,
        file_id: str | None = None,
        **meta: Any,
    ) -> str:
        """Register a file (as if a user uploaded it); returns its file_id."""
        return self._store_file(data, kind, file_name, mime_type, file_id, **meta).file_id

    def file_bytes(self, file_id: str) -> bytes:
        return self.files[file_id].data

    def _attach_uploads(self, params: dict, uploads: dict) -> None:
        """Store multipart file parts and put descriptors into params."""
        used: set[str] = set()

        def descriptor(name: str, kind: str) -> dict:
            filename, ctype, data = uploads[name]
            used.add(name)
            sf = self._store_file(data, kind, filename, ctype)
            return {
                "file_id": sf.file_id,
                "filename": filename,
                "size": len(data),
                "content_type": sf.content_type,
            }

        def walk(obj: Any, kind: str) -> Any:
            if isinstance(obj, str):
                if obj.startswith("attach://") and obj[9:] in uploads:
                    return descriptor(obj[9:], kind)
                return obj
            if isinstance(obj, dict):
                declared = obj.get("type")
                k = declared if isinstance(declared, str) else kind
                return {
                    key: walk(
                        v,
                        "thumbnail"
                        if key in ("thumbnail", "thumb")
                        else _FIELD_KIND.get(k, "document"),
                    )
                    for key, v in obj.items()
                }
            if isinstance(obj, list):
                return [walk(v, kind) for v in obj]
            return obj

        for key, value in list(params.items()):
            if isinstance(value, dict | list) or (
                isinstance(value, str) and value.startswith("attach://")
            ):
                params[key] = walk(value, _FIELD_KIND.get(key, "document"))
        for name in uploads:
            if name not in used:
                params[name] = descriptor(name, _FIELD_KIND.get(name, "document"))

    def _resolve_file(self, value: Any, kind: str) -> StoredFile:
        if value is None or value == "":
            raise ApiError(400, f"Bad Request: there is no {kind.replace('_', ' ')} in the request")
        if isinstance(value, dict) and "file_id" in value and value["file_id"] in self.files:
            return self.files[value["file_id"]]
        if isinstance(value, str):
            sf = self.files.get(value)
            if sf is not None:
                return sf
            if value.startswith(("http://", "https://")):
                name = value.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or None
                return self._store_file(b"", kind, name, None)
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _media_object(self, sf: StoredFile, kind: str, p: dict) -> Any:
        base = {"file_id": sf.file_id, "file_unique_id": sf.file_unique_id}
        meta = sf.meta
        if kind == "photo":
            if "sizes" not in meta:
                self._make_photo_sizes(sf, None, None)
            return [dict(s) for s in sf.meta["sizes"]]
        obj: dict[str, Any] = dict(base)
        dur = _as_int(p.get("duration"), meta.get("duration", 1))
        if kind == "voice":
            obj.update(duration=dur, mime_type=sf.content_type or "audio/ogg")
        elif kind == "audio":
            obj.update(duration=dur)
            for key in ("performer", "title"):
                if p.get(key) or meta.get(key):
                    obj[key] = p.get(key) or meta.get(key)
            if sf.filename:
                obj["file_name"] = sf.filename
            obj["mime_type"] = sf.content_type or "audio/mpeg"
        elif kind in ("video", "animation"):
            obj.update(
                width=_as_int(p.get("width"), meta.get("width", 640)),
                height=_as_int(p.get("height"), meta.get("height", 360)),
                duration=dur,
            )
            if sf.filename:
                obj["file_name"] = sf.filename
            obj["mime_type"] = sf.content_type or "video/mp4"
        elif kind == "video_note":
            obj.update(length=_as_int(p.get("length"), meta.get("length", 240)), duration=dur)
        elif kind == "sticker":
            obj.update(width=512, height=512, is_animated=False, is_video=False, type="regular")
            if p.get("emoji") or meta.get("emoji"):
                obj["emoji"] = p.get("emoji") or meta.get("emoji")
        else:  # document
            if sf.filename:
                obj["file_name"] = sf.filename
            if sf.content_type:
                obj["mime_type"] = sf.content_type
        obj["file_size"] = sf.size
        return obj

    # ------------------------------------------------------------------ messages

    def _now(self) -> int:
        return int(self.time_func())

    def _next_message_id(self, chat_id: int) -> int:
        mid = self._next_mid.get(chat_id, 0) + 1
        self._next_mid[chat_id] = mid
        return mid

    def _chat_for(self, chat_id: int) -> dict:
        chat = self.chats.get(chat_id)
        if chat is not None:
            return chat
        if chat_id > 0:
            return {"id": chat_id, "type": "private"}
        return {"id": chat_id, "type": "supergroup"}

    def _target_chat(self, p: dict, key: str = "chat_id") -> tuple[int, dict]:
        cid = p.get(key)
        if cid is None or cid == "":
            raise ApiError(400, f"Bad Request: {key} is empty")
        if isinstance(cid, str):
            if cid.startswith("@"):
                uname = cid[1:].lower()
                for chat in self.chats.values():
                    if str(chat.get("username", "")).lower() == uname:
                        return chat["id"], chat
            raise ApiError(400, "Bad Request: chat not found")
        if isinstance(cid, bool) or not isinstance(cid, int) or cid == 0:
            raise ApiError(400, "Bad Request: chat not found")
        return cid, self._chat_for(cid)

    def _format(
        self, text: Any, parse_mode: Any, entities: Any, what: str = "text"
    ) -> tuple[str, list[dict]]:
        """Returns (plain text, entities) like Telegram would store them."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        ents: list[dict]
        if isinstance(entities, list) and entities:
            plain, ents = text, [dict(e) for e in entities if isinstance(e, dict)]
        elif parse_mode:
            mode = str(parse_mode).lower()
            try:
                if mode == "html":
                    plain, ents = parse_html(text, self.strict_html_entities, self.users)
                elif mode == "markdownv2":
                    plain, ents = parse_markdown_v2(text, self.users)
                elif mode == "markdown":
                    plain, ents = parse_markdown(text, self.users)
                else:
                    raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
            except _EntityParseError as err:
                raise ApiError(400, f"Bad Request: can't parse entities: {err}") from None
        else:
            plain, ents = text, []
        plain, ents = _trim(plain, ents)
        ents = _auto_entities(plain, ents)
        return plain, _sort_entities(ents)

    def _check_markup(self, markup: Any) -> dict | None:
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            kb = markup["inline_keyboard"]
            if not isinstance(kb, list) or not all(isinstance(r, list) for r in kb):
                raise ApiError(400, "Bad Request: can't parse inline keyboard markup JSON object")
            for row in kb:
                for button in row:
                    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                        raise ApiError(
                            400,
                            "Bad Request: can't parse inline keyboard button: "
                            'Field "text" must be of type String',
                        )
                    if "callback_data" in button:
                        data = button["callback_data"]
                        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                    elif not any(k in button for k in _INLINE_BUTTON_ACTIONS):
                        raise ApiError(
                            400,
                            "Bad Request: can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard",
                        )
                    if "url" in button and _normalize_url(str(button["url"])) is None:
                        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
                    link = _TG_USER_LINK.match(str(button.get("url", "")))
                    if link and int(link.group(1)) in self.privacy_restricted_users:
                        raise ApiError(400, "Bad Request: BUTTON_USER_PRIVACY_RESTRICTED")
        elif "keyboard" in markup:
            kb = markup["keyboard"]
            if not isinstance(kb, list) or not all(isinstance(r, list) for r in kb):
                raise ApiError(400, "Bad Request: can't parse keyboard markup JSON object")
        return markup

    def _reply_to(self, p: dict, chat_id: int) -> dict | None:
        rp = p.get("reply_parameters")
        if isinstance(rp, dict):
            mid = _as_int(rp.get("message_id"))
            target_chat = _as_int(rp.get("chat_id"), chat_id)
            allow = bool(rp.get("allow_sending_without_reply"))
        else:
            mid = _as_int(p.get("reply_to_message_id"))
            target_chat = chat_id
            allow = bool(p.get("allow_sending_without_reply"))
        if not mid:
            return None
        key = (target_chat, mid)
        msg = self._messages.get(key)
        if msg is None or key in self.deleted:
            if allow:
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        reply = dict(msg)
        reply.pop("reply_to_message", None)
        return reply

    def _store_bot_message(self, msg: dict) -> None:
        chat_id = msg["chat"]["id"]
        self._messages[(chat_id, msg["message_id"])] = msg
        self.messages_by_chat.setdefault(chat_id, []).append(msg)
        self._bot_messages.append(msg)

    def _new_bot_message(
        self,
        chat_id: int,
        chat: dict,
        p: dict,
        reply: dict | None,
        markup: dict | None,
        content: dict,
    ) -> dict:
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "from": self._bot_user,
            "chat": chat,
            "date": self._now(),
        }
        thread = _as_int(p.get("message_thread_id"))
        if thread:
            msg["message_thread_id"] = thread
            msg["is_topic_message"] = True
        if reply is not None:
            msg["reply_to_message"] = reply
        msg.update(content)
        if p.get("protect_content"):
            msg["has_protected_content"] = True
        if markup is not None:
            if "inline_keyboard" in markup:
                msg["reply_markup"] = markup
            elif markup.get("remove_keyboard"):
                self.reply_keyboards[chat_id] = None
            elif "keyboard" in markup:
                self.reply_keyboards[chat_id] = markup
        self._store_bot_message(msg)
        return msg

    def _send_common(self, p: dict) -> tuple[int, dict, dict | None, dict | None]:
        chat_id, chat = self._target_chat(p)
        markup = self._check_markup(p.get("reply_markup"))
        reply = self._reply_to(p, chat_id)
        return chat_id, chat, markup, reply

    def _caption(self, p: dict) -> dict:
        caption = p.get("caption")
        if caption is None or caption == "":
            return {}
        plain, ents = self._format(
            caption, p.get("parse_mode"), p.get("caption_entities"), "caption"
        )
        if len(plain) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        out: dict[str, Any] = {}
        if plain:
            out["caption"] = plain
            if ents:
                out["caption_entities"] = ents
        if p.get("show_caption_above_media"):
            out["show_caption_above_media"] = True
        return out

    def _find_bot_message(self, p: dict, not_found: str) -> tuple[int, dict]:
        chat_id, _chat = self._target_chat(p)
        mid = _as_int(p.get("message_id"))
        if not mid:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        key = (chat_id, mid)
        msg = self._messages.get(key)
        if msg is None or key in self.deleted:
            raise ApiError(400, f"Bad Request: {not_found}")
        return chat_id, msg

    # ------------------------------------------------------------------ API methods: bot & misc

    def _api_getMe(self, p: dict) -> dict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _api_logOut(self, p: dict) -> bool:
        return True

    def _api_close(self, p: dict) -> bool:
        return True

    def _commands_key(self, p: dict) -> tuple[str, str]:
        scope = p.get("scope")
        if not isinstance(scope, dict):
            scope = {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(p.get("language_code") or "")

    def _api_setMyCommands(self, p: dict) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        clean = []
        for c in commands:
            if not isinstance(c, dict):
                raise ApiError(400, "Bad Request: can't parse BotCommand")
            name = str(c.get("command", "")).lstrip("/")
            desc = str(c.get("description", ""))
            if not _RE_COMMAND_NAME.match(name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(desc) <= 256:
                raise ApiError(
                    400,
                    "Bad Request: command description is empty"
                    if not desc
                    else "Bad Request: BOT_COMMAND_INVALID",
                )
            clean.append({"command": name, "description": desc})
        key = self._commands_key(p)
        if clean:
            self.commands[key] = clean
        else:
            self.commands.pop(key, None)
        return True

    def _api_deleteMyCommands(self, p: dict) -> bool:
        self.commands.pop(self._commands_key(p), None)
        return True

    def _api_getMyCommands(self, p: dict) -> list:
        return [dict(c) for c in self.commands.get(self._commands_key(p), [])]

    def get_commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        """Commands stored for (scope, language_code); scope defaults to {"type": "default"}."""
        return self._api_getMyCommands({"scope": scope, "language_code": language_code})

    def _api_setWebhook(self, p: dict) -> bool:
        url = str(p.get("url") or "")
        if url and not url.lower().startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": url}
        if url:
            self.webhook["max_connections"] = _as_int(p.get("max_connections"), 40)
            if isinstance(p.get("allowed_updates"), list):
                self.webhook["allowed_updates"] = p["allowed_updates"]
                self.allowed_updates = list(p["allowed_updates"])
            if p.get("secret_token"):
                self.webhook["secret_token"] = p["secret_token"]
        self._wake_updates()
        return True

    def _api_deleteWebhook(self, p: dict) -> bool:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": ""}
        return True

    def _api_getWebhookInfo(self, p: dict) -> dict:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if info["url"]:
            info["max_connections"] = self.webhook.get("max_connections", 40)
            if "allowed_updates" in self.webhook:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    def _api_getChat(self, p: dict) -> dict:
        chat_id, chat = self._target_chat(p)
        if chat_id not in self.chats and chat_id not in self.messages_by_chat:
            raise ApiError(400, "Bad Request: chat not found")
        info = dict(chat)
        info.setdefault("accent_color_id", abs(chat_id) % 7)
        info.setdefault("max_reaction_count", 11)
        info.setdefault(
            "accepted_gift_types",
            {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info

    def _api_getChatMember(self, p: dict) -> dict:
        chat_id, _chat = self._target_chat(p)
        user_id = _as_int(p.get("user_id"))
        if not user_id:
            raise ApiError(400, "Bad Request: user_id is empty")
        member = self.chat_members.get((chat_id, user_id))
        if member is not None:
            return member
        user = self._bot_user if user_id == self.bot_id else self.users.get(user_id)
        if user is None:
            raise ApiError(400, "Bad Request: user not found")
        return {"status": "member", "user": user}

    def _api_leaveChat(self, p: dict) -> bool:
        chat_id, _chat = self._target_chat(p)
        self.left_chats.add(chat_id)
        return True

    def _api_setChatMenuButton(self, p: dict) -> bool:
        chat_id = _as_int(p.get("chat_id"))
        button = p.get("menu_button")
        if button is not None and not isinstance(button, dict):
            raise ApiError(400, "Bad Request: can't parse menu button JSON object")
        self.menu_buttons[chat_id] = button or {"type": "default"}
        return True

    def _api_getChatMenuButton(self, p: dict) -> dict:
        chat_id = _as_int(p.get("chat_id"))
        button = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
        if button is None or button.get("type") == "default":
            return {"type": "commands"} if self.commands else {"type": "default"}
        return button

    def _api_answerCallbackQuery(self, p: dict) -> bool:
        qid = str(p.get("callback_query_id") or "")
        if qid not in self._open_callbacks:
            raise ApiError(400, _ERR_CALLBACK_OLD)
        text = p.get("text")
        if text is not None and len(str(text)) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_callbacks.discard(qid)
        self.callback_answers[qid] = dict(p)
        return True

    def _api_sendChatAction(self, p: dict) -> bool:
        chat_id, _chat = self._target_chat(p)
        action = p.get("action")
        if action not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions[chat_id] = action
        return True

    def _api_getFile(self, p: dict) -> dict:
        sf = self.files.get(str(p.get("file_id") or ""))
        if sf is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": sf.file_id,
            "file_unique_id": sf.file_unique_id,
            "file_size": sf.size,
            "file_path": sf.file_path,
        }

    # ------------------------------------------------------------------ API methods: sending

    def _api_sendMessage(self, p: dict) -> dict:
        chat_id, chat = self._target_chat(p)
        text = p.get("text")
        plain, ents = self._format(text, p.get("parse_mode"), p.get("entities"))
        if not plain:
            raise ApiError(400, "Bad Request: message text is empty")
        if len(plain) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        markup = self._check_markup(p.get("reply_markup"))
        reply = self._reply_to(p, chat_id)
        content: dict[str, Any] = {"text": plain}
        if ents:
            content["entities"] = ents
        lpo = p.get("link_preview_options")
        if isinstance(lpo, dict) and lpo:
            content["link_preview_options"] = lpo
        return dict(self._new_bot_message(chat_id, chat, p, reply, markup, content))

    def _send_media(self, p: dict, kind: str) -> dict:
        chat_id, chat, markup, reply = self._send_common(p)
        sf = self._resolve_file(p.get(kind), kind)
        content: dict[str, Any] = {kind: self._media_object(sf, kind, p)}
        if kind != "sticker" and kind != "video_note":
            content.update(self._caption(p))
        if p.get("has_spoiler"):
            content["has_media_spoiler"] = True
        return dict(self._new_bot_message(chat_id, chat, p, reply, markup, content))

    def _api_sendPhoto(self, p: dict) -> dict:
        return self._send_media(p, "photo")

    def _api_sendDocument(self, p: dict) -> dict:
        return self._send_media(p, "document")

    def _api_sendVoice(self, p: dict) -> dict:
        return self._send_media(p, "voice")

    def _api_sendAudio(self, p: dict) -> dict:
        return self._send_media(p, "audio")

    def _api_sendVideo(self, p: dict) -> dict:
        return self._send_media(p, "video")

    def _api_sendAnimation(self, p: dict) -> dict:
        return self._send_media(p, "animation")

    def _api_sendSticker(self, p: dict) -> dict:
        return self._send_media(p, "sticker")

    def _api_sendVideoNote(self, p: dict) -> dict:
        return self._send_media(p, "video_note")

    @staticmethod
    def _location(p: dict) -> dict:
        try:
            lat = float(p.get("latitude"))  # type: ignore[arg-type]
            lon = float(p.get("longitude"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: wrong latitude or longitude") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ApiError(400, "Bad Request: wrong latitude or longitude")
        loc: dict[str, Any] = {"latitude": lat, "longitude": lon}
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if p.get(key) is not None:
                loc[key] = p[key]
        return loc

    def _api_sendLocation(self, p: dict) -> dict:
        chat_id, chat, markup, reply = self._send_common(p)
        loc = self._location(p)
        return dict(self._new_bot_message(chat_id, chat, p, reply, markup, {"location": loc}))

    def _api_sendVenue(self, p: dict) -> dict:
        chat_id, chat, markup, reply = self._send_common(p)
        loc = self._location({"latitude": p.get("latitude"), "longitude": p.get("longitude")})
        if not p.get("title") or not p.get("address"):
            raise ApiError(400, "Bad Request: venue title and address must be non-empty")
        venue: dict[str, Any] = {"location": loc, "title": p["title"], "address": p["address"]}
        for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if p.get(key):
                venue[key] = p[key]
        content = {"venue": venue, "location": loc}
        return dict(self._new_bot_message(chat_id, chat, p, reply, markup, content))

    def _api_sendContact(self, p: dict) -> dict:
        chat_id, chat, markup, reply = self._send_common(p)
        if not p.get("phone_number") or not p.get("first_name"):
            raise ApiError(400, "Bad Request: phone number and first name must be non-empty")
        contact = {"phone_number": p["phone_number"], "first_name": p["first_name"]}
        for key in ("last_name", "vcard"):
            if p.get(key):
                contact[key] = p[key]
        return dict(self._new_bot_message(chat_id, chat, p, reply, markup, {"contact": contact}))

    def _api_sendDice(self, p: dict) -> dict:
        chat_id, chat, markup, reply = self._send_common(p)
        emoji = p.get("emoji") or "🎲"
        top = {"🎲": 6, "🎯": 6, "🎳": 6, "🏀": 5, "⚽": 5, "🎰": 64}.get(emoji, 6)
        dice = {"emoji": emoji, "value": self._rng.randint(1, top)}
        return dict(self._new_bot_message(chat_id, chat, p, reply, markup, {"dice": dice}))

    def _api_sendPoll(self, p: dict) -> dict:
        chat_id, chat, markup, reply = self._send_common(p)
        question = p.get("question")
        if not question or not isinstance(question, str):
            raise ApiError(400, "Bad Request: poll question must be non-empty")
        if len(question) > 300:
            raise ApiError(400, "Bad Request: poll question length must not exceed 300")
        options = p.get("options")
        if not isinstance(options, list):
            raise ApiError(400, "Bad Request: can't parse options JSON object")
        texts = [o.get("text") if isinstance(o, dict) else o for o in options]
        if not 2 <= len(texts) <= 12:
            raise ApiError(
                400,
                "Bad Request: poll must have at least 2 option"
                if len(texts) < 2
                else "Bad Request: poll can't have more than 12 options",
            )
        if any(not isinstance(t, str) or not t or len(t) > 100 for t in texts):
            raise ApiError(400, "Bad Request: poll options length must not exceed 100")
        self._poll_seq += 1
        poll_id = str(5000000000000000000 + self._poll_seq)
        poll: dict[str, Any] = {
            "id": poll_id,
            "question": question,
            "options": [
                {"text": t, "voter_count": 0, "persistent_id": str(i)} for i, t in enumerate(texts)
            ],
            "total_voter_count": 0,
            "is_closed": bool(p.get("is_closed", False)),
            "is_anonymous": bool(p.get("is_anonymous", True)),
            "type": p.get("type") or "regular",
            "allows_multiple_answers": bool(p.get("allows_multiple_answers", False)),
            "allows_revoting": bool(p.get("allows_revoting", True)),
            "members_only": bool(p.get("members_only", False)),
        }
        if poll["type"] == "quiz":
            ids = p.get("correct_option_ids")
            if not isinstance(ids, list) and p.get("correct_option_id") is not None:
                ids = [_as_int(p.get("correct_option_id"))]
            if isinstance(ids, list):
                poll["correct_option_ids"] = ids
        for key in ("explanation", "open_period", "close_date"):
            if p.get(key) is not None:
                poll[key] = p[key]
        self.polls[poll_id] = poll
        return dict(self._new_bot_message(chat_id, chat, p, reply, markup, {"poll": poll}))

    def _api_stopPoll(self, p: dict) -> dict:
        _chat_id, msg = self._find_bot_message(p, "message with poll to stop not found")
        poll = msg.get("poll")
        if poll is None:
            raise ApiError(400, "Bad Request: message with poll to stop not found")
        if poll["is_closed"]:
            raise ApiError(400, "Bad Request: poll has already been closed")
        poll = {**poll, "is_closed": True}
        msg["poll"] = self.polls[poll["id"]] = poll
        markup = self._check_markup(p.get("reply_markup"))
        if markup is not None and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        else:
            msg.pop("reply_markup", None)
        return dict(poll)

    def _api_sendMediaGroup(self, p: dict) -> list:
        chat_id, chat = self._target_chat(p)
        media = p.get("media")
        if not isinstance(media, list) or not media:
            raise ApiError(400, "Bad Request: can't parse media JSON object")
        if len(media) > 10:
            raise ApiError(400, "Bad Request: too much messages to send as an album")
        reply = self._reply_to(p, chat_id)
        prepared = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in (
                "photo",
                "video",
                "document",
                "audio",
            ):
                raise ApiError(400, "Bad Request: can't parse InputMedia: media type is invalid")
            kind = item["type"]
            sf = self._resolve_file(item.get("media"), kind)
            content: dict[str, Any] = {kind: self._media_object(sf, kind, item)}
            content.update(self._caption(item))
            prepared.append(content)
        self._media_group_seq += 1
        group_id = str(13000000000000000 + self._media_group_seq)
        out = []
        for content in prepared:
            content = {"media_group_id": group_id, **content}
            out.append(dict(self._new_bot_message(chat_id, chat, p, reply, None, content)))
        return out

    _COPY_KEYS = (
        "text",
        "entities",
        "photo",
        "document",
        "voice",
        "audio",
        "video",
        "animation",
        "sticker",
        "video_note",
        "location",
        "venue",
        "contact",
        "poll",
        "dice",
        "caption",
        "caption_entities",
        "link_preview_options",
    )

    def _source_message(self, p: dict) -> dict:
        src_chat, _c = self._target_chat(p, "from_chat_id")
        mid = _as_int(p.get("message_id"))
        msg = self._messages.get((src_chat, mid or 0))
        if msg is None or (src_chat, mid) in self.deleted:
            raise ApiError(400, "Bad Request: message to copy not found")
        return msg

    def _api_copyMessage(self, p: dict) -> dict:
        chat_id, chat, markup, reply = self._send_common(p)
        src = self._source_message(p)
        content = {k: src[k] for k in self._COPY_KEYS if k in src}
        if "caption" in p:
            for k in ("caption", "caption_entities"):
                content.pop(k, None)
            content.update(self._caption(p))
        msg = self._new_bot_message(chat_id, chat, p, reply, markup, content)
        return {"message_id": msg["message_id"]}

    def _api_forwardMessage(self, p: dict) -> dict:
        chat_id, chat = self._target_chat(p)
        src = self._source_message(p)
        content = {k: src[k] for k in self._COPY_KEYS if k in src}
        sender = src.get("from") or {}
        origin: dict[str, Any] = {"type": "user", "sender_user": sender, "date": src["date"]}
        if src["chat"].get("type") == "channel":
            origin = {
                "type": "channel",
                "chat": src["chat"],
                "message_id": src["message_id"],
                "date": src["date"],
            }
        content = {"forward_origin": origin, **content}
        return dict(self._new_bot_message(chat_id, chat, p, None, None, content))

    # ------------------------------------------------------------------ API methods: editing

    def _edit_result(self, msg: dict) -> dict:
        msg["edit_date"] = self._now()
        return dict(msg)

    def _api_editMessageText(self, p: dict) -> Any:
        plain, ents = self._format(p.get("text"), p.get("parse_mode"), p.get("entities"))
        if not plain:
            raise ApiError(400, "Bad Request: message text is empty")
        if len(plain) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        markup = self._check_markup(p.get("reply_markup"))
        if p.get("inline_message_id"):
            return True
        _chat_id, msg = self._find_bot_message(p, "message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        if "text" not in msg:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        new_markup = markup if markup is not None and "inline_keyboard" in markup else None
        if (
            msg["text"] == plain
            and msg.get("entities", []) == ents
            and msg.get("reply_markup") == new_markup
        ):
            raise ApiError(400, _ERR_NOT_MODIFIED)
        msg["text"] = plain
        if ents:
            msg["entities"] = ents
        else:
            msg.pop("entities", None)
        if new_markup is not None:
            msg["reply_markup"] = new_markup
        else:
            msg.pop("reply_markup", None)
        lpo = p.get("link_preview_options")
        if isinstance(lpo, dict) and lpo:
            msg["link_preview_options"] = lpo
        return self._edit_result(msg)

    def _api_editMessageCaption(self, p: dict) -> Any:
        caption = self._caption(p)
        markup = self._check_markup(p.get("reply_markup"))
        if p.get("inline_message_id"):
            return True
        _chat_id, msg = self._find_bot_message(p, "message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        if not any(k in msg for k in ("photo", "document", "video", "audio", "voice", "animation")):
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        new_markup = markup if markup is not None and "inline_keyboard" in markup else None
        if (
            msg.get("caption") == caption.get("caption")
            and msg.get("caption_entities") == caption.get("caption_entities")
            and msg.get("reply_markup") == new_markup
        ):
            raise ApiError(400, _ERR_NOT_MODIFIED)
        for k in ("caption", "caption_entities", "show_caption_above_media"):
            msg.pop(k, None)
        msg.update(caption)
        if new_markup is not None:
            msg["reply_markup"] = new_markup
        else:
            msg.pop("reply_markup", None)
        return self._edit_result(msg)

    def _api_editMessageReplyMarkup(self, p: dict) -> Any:
        markup = self._check_markup(p.get("reply_markup"))
        if p.get("inline_message_id"):
            return True
        _chat_id, msg = self._find_bot_message(p, "message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        new_markup = markup if markup is not None and "inline_keyboard" in markup else None
        if msg.get("reply_markup") == new_markup:
            raise ApiError(400, _ERR_NOT_MODIFIED)
        if new_markup is not None:
            msg["reply_markup"] = new_markup
        else:
            msg.pop("reply_markup", None)
        return self._edit_result(msg)

    def _api_editMessageMedia(self, p: dict) -> Any:
        media = p.get("media")
        if not isinstance(media, dict) or media.get("type") not in (
            "photo",
            "video",
            "document",
            "audio",
            "animation",
        ):
            raise ApiError(400, "Bad Request: can't parse InputMedia: media type is invalid")
        markup = self._check_markup(p.get("reply_markup"))
        if p.get("inline_message_id"):
            return True
        _chat_id, msg = self._find_bot_message(p, "message to edit not found")
        kind = media["type"]
        sf = self._resolve_file(media.get("media"), kind)
        for k in (
            "photo",
            "video",
            "document",
            "audio",
            "animation",
            "caption",
            "caption_entities",
        ):
            msg.pop(k, None)
        msg[kind] = self._media_object(sf, kind, media)
        msg.update(self._caption(media))
        if markup is not None and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        else:
            msg.pop("reply_markup", None)
        return self._edit_result(msg)

    def _api_editMessageLiveLocation(self, p: dict) -> Any:
        loc = self._location(p)
        if p.get("inline_message_id"):
            return True
        _chat_id, msg = self._find_bot_message(p, "message to edit not found")
        if "location" not in msg:
            raise ApiError(400, "Bad Request: message can't be edited")
        msg["location"] = {**msg["location"], **loc}
        return self._edit_result(msg)

    def _api_deleteMessage(self, p: dict) -> bool:
        chat_id, _msg = self._find_bot_message(p, "message to delete not found")
        # Telegram: a bot deletes its own messages in a private chat only within 48 hours.
        if chat_id > 0 and self._now() - int(_msg.get("date", self._now())) > 48 * 3600:
            raise ApiError(400, "Bad Request: message can't be deleted for everyone")
        self.deleted.add((chat_id, _as_int(p.get("message_id"))))  # type: ignore[arg-type]
        return True

    def _api_deleteMessages(self, p: dict) -> bool:
        chat_id, _chat = self._target_chat(p)
        ids = p.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise ApiError(400, "Bad Request: message identifiers are not specified")
        for mid in ids:
            if (chat_id, mid) in self._messages:
                self.deleted.add((chat_id, mid))
        return True

    # ------------------------------------------------------------------ updates

    def _wake_updates(self) -> None:
        ev = self._update_event
        if ev is not None:
            ev.set()
            self._update_event = None

    def _register_update(self, update: dict) -> None:
        """Learn chats, users, messages and callback ids from an update."""
        for key, obj in update.items():
            if not isinstance(obj, dict):
                continue
            if key == "callback_query":
                self._open_callbacks.add(str(obj.get("id")))
                self._learn_user(obj.get("from"))
                continue
            self._learn_user(obj.get("from"))
            chat = obj.get("chat")
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                known = self.chats.get(chat["id"])
                self.chats[chat["id"]] = {**known, **chat} if known else dict(chat)
                mid = obj.get("message_id")
                if isinstance(mid, int):
                    self._messages[(chat["id"], mid)] = obj
                    if mid > self._next_mid.get(chat["id"], 0):
                        self._next_mid[chat["id"]] = mid

    def _learn_user(self, user: Any) -> None:
        if isinstance(user, dict) and isinstance(user.get("id"), int) and not user.get("is_bot"):
            self.users[user["id"]] = user

    def push_update(self, update: dict) -> dict:
        """Queue a raw Update dict for getUpdates (assigns ``update_id`` if missing)."""
        update = dict(update)
        uid = update.get("update_id")
        if uid is None:
            uid = self._next_update_id
            update = {"update_id": uid, **update}
        self._next_update_id = max(self._next_update_id, int(uid) + 1)
        self._register_update(update)
        self._updates.append(update)
        self._wake_updates()
        return update

    def push_updates(self, updates: Iterable[dict]) -> list[dict]:
        return [self.push_update(u) for u in updates]

    def pending_updates(self) -> list[dict]:
        """Updates not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    def _confirm(self, offset: int) -> None:
        q = self._updates
        if offset > 0:
            while q and q[0]["update_id"] < offset:
                q.popleft()
            self.confirmed_offset = max(self.confirmed_offset, offset)
        elif offset < 0:
            keep = -offset
            while len(q) > keep:
                q.popleft()

    def _allowed(self, update: dict) -> bool:
        allowed = self.allowed_updates
        for key in update:
            if key == "update_id":
                continue
            if allowed:
                return key in allowed
            return key not in _DEFAULT_EXCLUDED_UPDATES
        return True

    def _collect(self, limit: int) -> list[dict]:
        q = self._updates
        if not q:
            return []
        if any(not self._allowed(u) for u in q):
            kept = [u for u in q if self._allowed(u)]
            q.clear()
            q.extend(kept)
        out = []
        for u in q:
            out.append(u)
            if len(out) >= limit:
                break
        return out

    async def _api_getUpdates(self, p: dict) -> list:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(p.get("offset"), 0) or 0
        limit = min(max(_as_int(p.get("limit"), 100) or 100, 1), 100)
        try:
            timeout = max(float(p.get("timeout") or 0), 0.0)
        except (TypeError, ValueError):
            timeout = 0.0
        if isinstance(p.get("allowed_updates"), list):
            self.allowed_updates = [str(x) for x in p["allowed_updates"]]
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_updates()  # terminates an older long poll (409 like Telegram)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = self._collect(limit)
            if result or self._closing:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            if self._update_event is None:
                self._update_event = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_event.wait(), remaining)
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure "
                    "that only one bot instance is running",
                )

    # ------------------------------------------------------------------ update builders

    @staticmethod
    def make_user(
        user_id: int,
        first_name: str,
        language_code: str | None = None,
        username: str | None = None,
        last_name: str | None = None,
        is_bot: bool = False,
    ) -> dict:
        user: dict[str, Any] = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    @staticmethod
    def private_chat(user: dict) -> dict:
        chat: dict[str, Any] = {"id": user["id"], "first_name": user["first_name"]}
        if user.get("last_name"):
            chat["last_name"] = user["last_name"]
        if user.get("username"):
            chat["username"] = user["username"]
        chat["type"] = "private"
        return chat

    def group_chat(
        self,
        chat_id: int,
        title: str = "Buurtgroep",
        chat_type: str = "supergroup",
        username: str | None = None,
    ) -> dict:
        chat: dict[str, Any] = {"id": chat_id, "title": title}
        if username:
            chat["username"] = username
        chat["type"] = chat_type
        return chat

    def _resolve_chat(self, user: dict | None, chat: dict | int | None) -> dict:
        if isinstance(chat, dict):
            return chat
        if isinstance(chat, int):
            known = self.chats.get(chat)
            if known:
                return known
            return (
                {"id": chat, "title": "Buurtgroep", "type": "supergroup"}
                if chat < 0
                else {"id": chat, "first_name": str(chat), "type": "private"}
            )
        if user is None:
            raise ValueError("chat or user required")
        return self.private_chat(user)

    def _user_message(
        self,
        user: dict | None,
        chat: dict | int | None,
        content: dict,
        reply_to: dict | None = None,
    ) -> dict:
        chat_d = self._resolve_chat(user, chat)
        msg: dict[str, Any] = {"message_id": self._next_message_id(chat_d["id"])}
        if user is not None:
            msg["from"] = user
        msg["chat"] = chat_d
        msg["date"] = self._now()
        if reply_to is not None:
            r = dict(reply_to)
            r.pop("reply_to_message", None)
            msg["reply_to_message"] = r
        msg.update(content)
        return msg

    def _text_content(self, text: str) -> dict:
        content: dict[str, Any] = {"text": text}
        ents = _sort_entities(_auto_entities(text, []))
        if ents:
            content["entities"] = ents
        return content

    def _caption_content(self, caption: str | None) -> dict:
        if not caption:
            return {}
        content: dict[str, Any] = {"caption": caption}
        ents = _sort_entities(_auto_entities(caption, []))
        if ents:
            content["caption_entities"] = ents
        return content

    def text_update(
        self, user: dict, text: str, chat: dict | int | None = None, reply_to: dict | None = None
    ) -> dict:
        """A user's text message (private chat by default); commands get bot_command entities."""
        return {"message": self._user_message(user, chat, self._text_content(text), reply_to)}

    def group_text_update(
        self,
        user: dict,
        chat_id: int,
        text: str,
        chat_type: str = "supergroup",
        title: str = "Buurtgroep",
        reply_to: dict | None = None,
    ) -> dict:
        chat = self.chats.get(chat_id) or self.group_chat(chat_id, title, chat_type)
        return self.text_update(user, text, chat, reply_to)

    def edited_text_update(
        self, user: dict, message: dict | int, text: str, chat: dict | int | None = None
    ) -> dict:
        """An ``edited_message`` for an earlier user message (dict or message_id)."""
        if isinstance(message, dict):
            chat_d = message["chat"]
            mid = message["message_id"]
            date = message.get("date", self._now())
        else:
            chat_d = self._resolve_chat(user, chat)
            mid = message
            old = self._messages.get((chat_d["id"], mid))
            date = old.get("date", self._now()) if old else self._now()
        msg: dict[str, Any] = {
            "message_id": mid,
            "from": user,
            "chat": chat_d,
            "date": date,
            "edit_date": self._now(),
        }
        msg.update(self._text_content(text))
        return {"edited_message": msg}

    def callback_update(
        self, user: dict, message: dict, data: str, chat_instance: str | None = None
    ) -> dict:
        """A callback_query pressing a button of ``message`` (a stored bot message dict)."""
        self._callback_seq += 1
        qid = str(4382000000000000000 + self._callback_seq * 7919 + user["id"] % 7919)
        msg = dict(message)
        chat_id = msg["chat"]["id"]
        if chat_instance is None:
            chat_instance = str(-(6000000000000000000 + (chat_id * 2654435761) % 10**15))
        return {
            "callback_query": {
                "id": qid,
                "from": user,
                "message": msg,
                "chat_instance": chat_instance,
                "data": data,
            }
        }

    def voice_update(
        self,
        user: dict,
        data: bytes | None = None,
        duration: int = 3,
        chat: dict | int | None = None,
        caption: str | None = None,
        file_id: str | None = None,
    ) -> dict:
        if file_id is None:
            file_id = self.add_file(
                data if data is not None else b"OggS\x00\x02" + b"\x00" * 58,
                "voice",
                mime_type="audio/ogg",
                duration=duration,
            )
        sf = self.files[file_id]
        voice = {
            "duration": duration,
            "mime_type": sf.content_type or "audio/ogg",
            "file_id": sf.file_id,
            "file_unique_id": sf.file_unique_id,
            "file_size": sf.size,
        }
        content = {"voice": voice, **self._caption_content(caption)}
        return {"message": self._user_message(user, chat, content)}

    def photo_update(
        self,
        user: dict,
        data: bytes | None = None,
        caption: str | None = None,
        chat: dict | int | None = None,
        width: int | None = None,
        height: int | None = None,
        file_id: str | None = None,
    ) -> dict:
        if file_id is None:
            payload = data if data is not None else b"\xff\xd8\xff\xe0fakejpeg" + b"\x00" * 100
            dims = _image_size(payload)
            w, h = (width, height) if width and height else (dims or (1280, 960))
            file_id = self.add_file(payload, "photo", mime_type="image/jpeg", width=w, height=h)
        sf = self.files[file_id]
        if "sizes" not in sf.meta:
            self._make_photo_sizes(sf, width, height)
        content = {"photo": [dict(s) for s in sf.meta["sizes"]], **self._caption_content(caption)}
        return {"message": self._user_message(user, chat, content)}

    def document_update(
        self,
        user: dict,
        data: bytes | None = None,
        file_name: str = "document.pdf",
        mime_type: str | None = None,
        caption: str | None = None,
        chat: dict | int | None = None,
        file_id: str | None = None,
    ) -> dict:
        if file_id is None:
            payload = data if data is not None else b"%PDF-1.4\n% fake document\n"
            file_id = self.add_file(payload, "document", file_name=file_name, mime_type=mime_type)
        sf = self.files[file_id]
        doc: dict[str, Any] = {"file_name": sf.filename or file_name}
        if sf.content_type:
            doc["mime_type"] = sf.content_type
        doc.update(file_id=sf.file_id, file_unique_id=sf.file_unique_id, file_size=sf.size)
        content = {"document": doc, **self._caption_content(caption)}
        return {"message": self._user_message(user, chat, content)}

    def location_update(
        self,
        user: dict,
        lat: float,
        lon: float,
        chat: dict | int | None = None,
        live_period: int | None = None,
        horizontal_accuracy: float | None = None,
    ) -> dict:
        loc: dict[str, Any] = {"latitude": float(lat), "longitude": float(lon)}
        if horizontal_accuracy is not None:
            loc["horizontal_accuracy"] = horizontal_accuracy
        if live_period is not None:
            loc["live_period"] = live_period
        return {"message": self._user_message(user, chat, {"location": loc})}

    def sticker_update(
        self,
        user: dict,
        emoji: str = "👍",
        chat: dict | int | None = None,
        set_name: str | None = "BuurtStickers",
    ) -> dict:
        file_id = self.add_file(
            b"RIFF\x00\x00\x00\x00WEBPVP8 fake", "sticker", mime_type="image/webp", emoji=emoji
        )
        sf = self.files[file_id]
        sticker: dict[str, Any] = {"width": 512, "height": 512, "emoji": emoji}
        if set_name:
            sticker["set_name"] = set_name
        sticker.update(
            is_animated=False,
            is_video=False,
            type="regular",
            file_id=sf.file_id,
            file_unique_id=sf.file_unique_id,
            file_size=sf.size,
        )
        return {"message": self._user_message(user, chat, {"sticker": sticker})}

    def contact_update(
        self,
        user: dict,
        phone_number: str = "+31612345678",
        first_name: str | None = None,
        last_name: str | None = None,
        contact_user_id: int | None = None,
        chat: dict | int | None = None,
        own: bool = True,
    ) -> dict:
        """A shared contact; by default the user's own (as via a request_contact button)."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or user["first_name"],
        }
        last = last_name if last_name is not None else (user.get("last_name") if own else None)
        if last:
            contact["last_name"] = last
        uid = contact_user_id if contact_user_id is not None else (user["id"] if own else None)
        if uid is not None:
            contact["user_id"] = uid
        return {"message": self._user_message(user, chat, {"contact": contact})}

    def poll_answer_update(self, user: dict, poll_id: str, option_ids: list[int]) -> dict:
        """A user's vote in a non-anonymous poll (also updates the stored poll's counts)."""
        poll = self.polls.get(poll_id)
        if poll is not None:
            options = [dict(o) for o in poll["options"]]
            for i in option_ids:
                if 0 <= i < len(options):
                    options[i]["voter_count"] += 1
            new_poll = {
                **poll,
                "options": options,
                "total_voter_count": poll["total_voter_count"] + (1 if option_ids else 0),
            }
            self.polls[poll_id] = new_poll
            for msg in self._bot_messages:
                if msg.get("poll", {}).get("id") == poll_id:
                    msg["poll"] = new_poll
        return {
            "poll_answer": {
                "poll_id": poll_id,
                "user": user,
                "option_ids": list(option_ids),
                "option_persistent_ids": [str(i) for i in option_ids],
            }
        }

    def _member(self, status: str, user: dict) -> dict:
        if status == "kicked":
            return {"user": user, "status": "kicked", "until_date": 0}
        if status == "administrator":
            return {
                "user": user,
                "status": "administrator",
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
                "can_manage_topics": False,
            }
        if status == "restricted":
            member: dict[str, Any] = {"user": user, "status": "restricted", "is_member": True}
            for perm in (
                "can_change_info",
                "can_invite_users",
                "can_pin_messages",
                "can_send_messages",
                "can_send_polls",
                "can_send_other_messages",
                "can_add_web_page_previews",
                "can_manage_topics",
                "can_send_audios",
                "can_send_documents",
                "can_send_photos",
                "can_send_videos",
                "can_send_video_notes",
                "can_send_voice_notes",
                "can_edit_tag",
                "can_react_to_messages",
            ):
                member[perm] = False
            member["until_date"] = 0
            return member
        if status == "creator":
            return {"user": user, "status": "creator", "is_anonymous": False}
        if status in ("member", "left"):
            return {"user": user, "status": status}
        raise ValueError(f"unknown chat member status {status!r}")

    def my_chat_member_update(
        self,
        user: dict,
        chat: dict | int | None = None,
        old_status: str = "member",
        new_status: str = "kicked",
    ) -> dict:
        """The bot's membership changed.

        Private chat: new_status "kicked" = user blocked the bot.
        """
        chat_d = self._resolve_chat(user, chat)
        return {
            "my_chat_member": {
                "chat": chat_d,
                "from": user,
                "date": self._now(),
                "old_chat_member": self._member(old_status, self._bot_user),
                "new_chat_member": self._member(new_status, self._bot_user),
            }
        }

    def channel_post_update(
        self, chat_id: int, text: str, title: str = "Buurtkanaal", username: str | None = None
    ) -> dict:
        chat = self.chats.get(chat_id) or self.group_chat(chat_id, title, "channel", username)
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "sender_chat": chat,
            "chat": chat,
            "date": self._now(),
        }
        msg.update(self._text_content(text))
        return {"channel_post": msg}
