"""The bot's HTTP transport to the Bot API: PTB's BaseRequest on aiohttp.

Why not PTB's default (httpx): every Bot API call of a report flow pays the client's per-request
overhead, and a resident's tap costs two calls (answerCallbackQuery + the next question). Profiled
against the Bot API double, httpx/httpcore spent several times the CPU of aiohttp per request
(aiohttp is already a dependency for the webhook and the double). Behaviour is PTB's: status and
body go back to BaseRequest, which maps them to TelegramError subclasses; timeouts become TimedOut,
connection problems NetworkError.

Pacing lives here too: every call that puts a message in a chat (a handler's direct reply, PTB's
``bot.send_message``, ``query.edit_message_text``) takes its slot from the bot's one
``bot.core.pacing.Pacer`` (shared with the outbox, direct replies first), and every 429 that
comes back, from whichever caller, pauses all sends for its ``retry_after``. The outbox takes its
slot before calling (``PRE_PACED``), so its calls are not paced twice.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.core.i18n import directed_fields
from bot.core.pacing import PRE_PACED, Pacer, counted_method

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]


class AiohttpRequest(BaseRequest):
    __slots__ = (
        "_connect_timeout",
        "_connection_pool_size",
        "_media_write_timeout",
        "_pace_direct",
        "_pacer",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 32,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        write_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
        pacer: Pacer | None = None,
        pace_direct: bool = True,
    ) -> None:
        self._pacer = pacer
        # False only in the test harness (PACE_DIRECT_REPLIES): calls are not paced here, but
        # a 429 still pauses every send.
        self._pace_direct = pace_direct
        self._connection_pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._write_timeout = write_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    @staticmethod
    def parse_json_payload(payload: bytes) -> JSONDict:
        """PTB's parsing (its documented hook), minus what the bot never reads back from a
        message it sent (see _NOT_READ_BACK)."""
        data = BaseRequest.parse_json_payload(payload)
        result = data.get("result")
        if isinstance(result, list):
            for item in result:
                _trim_message(item)
        else:
            _trim_message(result)
        return data

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connection_pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        # PTB passes BaseRequest.DEFAULT_NONE for "not given" (its public marker; the type behind
        # it lives in PTB's private telegram._utils, so these parameters are typed as object).
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        pacer = self._pacer
        kind = counted_method(url.rsplit("/", 1)[-1]) if pacer is not None else None
        timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        # Unpaced (the harness) still waits out a 429 pause in the pacer like everyone else.
        unpaced = not self._pace_direct and not (pacer is not None and pacer.paused)
        if pacer is None or kind is None or unpaced or PRE_PACED.get():
            status, body = await self._send(url, method, request_data, *timeouts)
        else:
            chat = request_data.parameters.get("chat_id") if request_data is not None else None
            chat_id = chat if isinstance(chat, int) and not isinstance(chat, bool) else None
            # Edits add no message to the chat: the global budget only.
            async with pacer.slot(chat_id, per_chat=kind == "send"):
                status, body = await self._send(url, method, request_data, *timeouts)
        if status == 429 and pacer is not None:
            pacer.pause(_retry_after(body))
        return status, body

    async def _send(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = _timeout(read_timeout, self._read_timeout)
        connect = _timeout(connect_timeout, self._connect_timeout)
        pool = _timeout(pool_timeout, self._pool_timeout)
        write = _timeout(
            write_timeout, self._write_timeout if not files else self._media_write_timeout
        )
        total = None
        if read is not None and write is not None:
            total = read + write + (connect or 0) + (pool or 0)
        timeout = aiohttp.ClientTimeout(
            total=total, connect=pool, sock_connect=connect, sock_read=read
        )
        data: aiohttp.FormData | bytes | None = None
        if files:
            form = aiohttp.FormData()
            for name, value in (_fields(request_data) if request_data else {}).items():
                form.add_field(name, value)
            for name, part in files.items():
                if isinstance(part, tuple):
                    filename, content, *rest = part
                    form.add_field(
                        name,
                        content,
                        filename=filename,
                        content_type=rest[0] if rest else "application/octet-stream",
                    )
                else:
                    form.add_field(name, part)
            data = form
        headers = None
        if not files and request_data is not None:
            # Encoded here, as aiohttp would: its form and payload machinery cost more CPU per
            # call than the rest of the request.
            data = urlencode(_fields(request_data)).encode()
            headers = _FORM
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as res:
                return res.status, await res.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# What Telegram echoes in a sent or edited message that the bot never reads back: the buttons it
# just sent and the formatting of its own text. Left out before PTB builds the Message, they
# cost no objects (dozens per message with a keyboard). Updates coming in keep all their fields
# (they are decoded elsewhere, bot.runtime.intake).
_NOT_READ_BACK = ("reply_markup", "entities", "caption_entities", "link_preview_options")


def _trim_message(result: object) -> None:
    if isinstance(result, dict) and "message_id" in result:
        for name in _NOT_READ_BACK:
            result.pop(name, None)


def _fields(request_data: RequestData) -> dict[str, str]:
    """The request's fields as sent: for a right-to-left reader (the language of the person
    being answered, or of the outbox row's recipient, see api_caller) with direction marks on
    every line of the text, caption and buttons — the one place they are added."""
    return directed_fields(request_data.json_parameters)


def _timeout(given: object, default: float | None) -> float | None:
    """A timeout PTB passed, or ours when it passed BaseRequest.DEFAULT_NONE ("not given")."""
    if given is BaseRequest.DEFAULT_NONE:
        return default
    if given is None or isinstance(given, int | float):
        return given
    raise TypeError(f"timeout must be a number or None, not {type(given).__name__}")


def _retry_after(body: bytes) -> float:
    try:
        return float(json.loads(body)["parameters"]["retry_after"])
    except (ValueError, KeyError, TypeError):
        return 1.0  # a 429 without its parameter: still pause, briefly
