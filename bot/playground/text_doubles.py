"""HTTP doubles of the two self-hosted text services Buurtbot uses (issue 15), next to the Bot API
double: a LibreTranslate server and an OpenAI-compatible speech-to-text server (as served by
faster-whisper-server, whisper.cpp's server and LocalAI). Plain ``aiohttp.web``, 127.0.0.1 only;
used by the tests, the benchmark and the playground.

They follow the public contracts, including the parts that bite:

LibreTranslate (``FakeLibreTranslate``)
  * ``POST /translate`` with JSON or form fields ``q``, ``source``, ``target``, ``format``,
    ``api_key`` → ``{"translatedText": ...}``; with ``source: "auto"`` also
    ``{"detectedLanguage": {"confidence": .., "language": ..}}`` — one language for the whole
    request, as the real server detects per batch.
  * ``q`` may be a list (a batch): the answer's ``translatedText`` is then a list.
  * 400 ``{"error": ...}`` for an empty ``q``, an unknown language, a text over
    ``char_limit`` or a batch over ``batch_limit``; 403 for a missing/wrong key when one is set.
  * ``GET /languages`` and ``GET /frontend/settings`` (``charLimit``, ``batchLimit``,
    ``keyRequired``, ...).
  The "translation" is deterministic and readable: ``[ar→nl] <text>`` (or a phrase from
  ``phrases``), so a test sees which text went where.

Speech to text (``FakeWhisper``)
  * ``POST /v1/audio/transcriptions`` multipart with ``file`` and (required) ``model``, optional
    ``language`` and ``response_format`` (``json`` default → ``{"text"}``; ``verbose_json`` →
    ``{"text", "language", "duration", "segments"}`` with the language as a lower-case English
    name, as OpenAI answers; ``text`` → plain text).
  * 400 when ``model`` or ``file`` is missing; 401 for a wrong bearer key when one is set.
  The transcript is ``transcripts[bytes]`` when set, else ``default_text``.

Both: ``latency`` per answer, ``fail_next(n, status)``, ``garbage(kind)`` (``empty``, ``html``,
``json`` (wrong shape), ``huge`` (10 MB)) and ``down`` (connection reset), and a record of every
request in ``calls``.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import BodyPartReader, web

__all__ = ["FakeLibreTranslate", "FakeWhisper"]

LANGUAGES = {
    "nl": "Dutch",
    "fr": "French",
    "en": "English",
    "ar": "Arabic",
    "tr": "Turkish",
    "de": "German",
    "es": "Spanish",
}
WHISPER_NAMES = {
    "nl": "dutch",
    "fr": "french",
    "en": "english",
    "ar": "arabic",
    "tr": "turkish",
    "de": "german",
    "es": "spanish",
}
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_TURKISH = re.compile(r"[ğışçöüĞİŞÇÖÜ]")
_FRENCH = re.compile(r"\b(le|la|les|est|une|des|dans|je|nous)\b", re.I)
_DUTCH = re.compile(r"\b(de|het|een|is|niet|ik|wij|en|van|op)\b", re.I)


def guess_language(text: str) -> str:
    """A crude detector, enough for a double: script first, then a few common words."""
    if _ARABIC.search(text):
        return "ar"
    if _TURKISH.search(text):
        return "tr"
    if _FRENCH.search(text):
        return "fr"
    if _DUTCH.search(text):
        return "nl"
    return "en"


@dataclass
class Faults:
    latency: float = 0.0
    failures: list[int] = field(default_factory=list)
    garbage_kind: str | None = None
    down: bool = False

    async def before(self, request: web.Request) -> web.StreamResponse | None:
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.down:
            # Like a crashed server: the connection closes without an answer.
            transport = request.transport
            if transport is not None:
                transport.close()
            raise web.HTTPServiceUnavailable()
        if self.failures:
            status = self.failures.pop(0)
            return web.json_response({"error": f"Injected failure {status}"}, status=status)
        kind = self.garbage_kind
        if kind == "empty":
            return web.Response(body=b"", content_type="application/json")
        if kind == "html":
            return web.Response(
                text="<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html"
            )
        if kind == "json":
            return web.json_response({"result": None, "translated": 3})
        if kind == "huge":
            return web.Response(
                body=b'{"translatedText": "' + b"a" * 10_000_000 + b'", "text": "x"}',
                content_type="application/json",
            )
        return None


class _Server:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self.faults = Faults()
        self.calls: list[dict[str, Any]] = []
        self.app = web.Application(client_max_size=30 * 1024 * 1024)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> Self:
        self._runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self._host}:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ----- fault injection -----

    def set_latency(self, seconds: float) -> None:
        self.faults.latency = seconds

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        self.faults.failures.extend([status] * n)

    def garbage(self, kind: str | None) -> None:
        """``empty``, ``html``, ``json``, ``huge``; None for proper answers again."""
        self.faults.garbage_kind = kind

    def set_down(self, down: bool = True) -> None:
        self.faults.down = down


class FakeLibreTranslate(_Server):
    def __init__(
        self,
        *,
        api_key: str | None = None,
        char_limit: int = -1,
        batch_limit: int = -1,
        phrases: dict[tuple[str, str], str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.api_key = api_key
        self.char_limit = char_limit
        self.batch_limit = batch_limit
        # (text, target) -> translation, for demos that read naturally.
        self.phrases = dict(phrases or {})
        self.app.router.add_post("/translate", self._translate)
        self.app.router.add_get("/languages", self._languages)
        self.app.router.add_get("/frontend/settings", self._settings)

    @property
    def translations(self) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["path"] == "/translate"]

    def render(self, text: str, source: str, target: str) -> str:
        return self.phrases.get((text, target)) or f"[{source}→{target}] {text}"

    async def _settings(self, request: web.Request) -> web.StreamResponse:
        self.calls.append({"path": "/frontend/settings"})
        return web.json_response(
            {
                "charLimit": self.char_limit,
                "batchLimit": self.batch_limit,
                "frontendTimeout": 500,
                "apiKeys": self.api_key is not None,
                "keyRequired": self.api_key is not None,
                "suggestions": False,
                "filesTranslation": False,
                "supportedFilesFormat": [],
                "language": {
                    "source": {"code": "auto", "name": "Auto Detect"},
                    "target": {"code": "en", "name": "English"},
                },
            }
        )

    async def _languages(self, request: web.Request) -> web.StreamResponse:
        self.calls.append({"path": "/languages"})
        codes = list(LANGUAGES)
        return web.json_response(
            [
                {"code": c, "name": n, "targets": [t for t in codes if t != c]}
                for c, n in LANGUAGES.items()
            ]
        )

    async def _translate(self, request: web.Request) -> web.StreamResponse:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                return web.json_response({"error": "Invalid JSON"}, status=400)
        else:
            body = dict(await request.post())
        self.calls.append({"path": "/translate", "body": body})
        early = await self.faults.before(request)
        if early is not None:
            return early
        if self.api_key is not None and body.get("api_key") != self.api_key:
            return web.json_response(
                {"error": "Invalid API key. Visit https://portal.libretranslate.com"},
                status=403,
            )
        q = body.get("q")
        source = body.get("source") or ""
        target = body.get("target") or ""
        if not q or (isinstance(q, list) and not all(q)):
            return web.json_response({"error": "Invalid request: missing q parameter"}, status=400)
        if not source:
            return web.json_response(
                {"error": "Invalid request: missing source parameter"}, status=400
            )
        if not target:
            return web.json_response(
                {"error": "Invalid request: missing target parameter"}, status=400
            )
        texts = q if isinstance(q, list) else [q]
        if self.batch_limit != -1 and len(texts) > self.batch_limit:
            return web.json_response(
                {
                    "error": f"Invalid request: request ({len(texts)}) exceeds text limit "
                    f"({self.batch_limit})"
                },
                status=400,
            )
        chars = sum(len(t) for t in texts)
        if self.char_limit != -1 and chars > self.char_limit:
            return web.json_response(
                {
                    "error": f"Invalid request: request ({chars}) exceeds text limit "
                    f"({self.char_limit})"
                },
                status=400,
            )
        if body.get("format", "text") not in ("text", "html"):
            return web.json_response({"error": "Invalid request: format"}, status=400)
        detected = None
        if source == "auto":
            # One language for the whole batch, like the real server.
            source = guess_language(texts[0])
            detected = {"confidence": 90.0, "language": source}
        elif source not in LANGUAGES:
            return web.json_response({"error": f"{source} is not supported"}, status=400)
        if target not in LANGUAGES:
            return web.json_response({"error": f"{target} is not supported"}, status=400)
        out = [self.render(t, source, target) for t in texts]
        answer: dict[str, Any] = {"translatedText": out if isinstance(q, list) else out[0]}
        if detected is not None:
            answer["detectedLanguage"] = (
                detected if not isinstance(q, list) else [detected] * len(q)
            )
        return web.json_response(answer)


class FakeWhisper(_Server):
    def __init__(
        self,
        *,
        api_key: str | None = None,
        default_text: str = "Er is schimmel in de badkamer.",
        default_language: str = "nl",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.api_key = api_key
        self.default_text = default_text
        self.default_language = default_language
        # Audio bytes -> (text, language code): what a given voice note "says".
        self.transcripts: dict[bytes, tuple[str, str]] = {}
        self.app.router.add_post("/v1/audio/transcriptions", self._transcribe)

    def says(self, audio: bytes, text: str, language: str) -> None:
        self.transcripts[audio] = (text, language)

    @property
    def transcriptions(self) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["path"] == "/v1/audio/transcriptions"]

    async def _transcribe(self, request: web.Request) -> web.StreamResponse:
        fields: dict[str, Any] = {}
        audio: bytes | None = None
        filename = content_type = None
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name == "file":
                    audio = bytes(await part.read())
                    filename = part.filename
                    content_type = part.headers.get("Content-Type")
                else:
                    fields[part.name or ""] = await part.text()
        self.calls.append(
            {
                "path": "/v1/audio/transcriptions",
                "fields": fields,
                "filename": filename,
                "content_type": content_type,
                "size": len(audio or b""),
                "authorization": request.headers.get("Authorization"),
            }
        )
        early = await self.faults.before(request)
        if early is not None:
            return early
        if self.api_key is not None and request.headers.get("Authorization") != (
            f"Bearer {self.api_key}"
        ):
            return web.json_response(
                {
                    "error": {
                        "message": "Incorrect API key provided",
                        "type": "invalid_request_error",
                    }
                },
                status=401,
            )
        if audio is None:
            return web.json_response(
                {"error": {"message": "file is required", "type": "invalid_request_error"}},
                status=400,
            )
        if not fields.get("model"):
            return web.json_response(
                {"error": {"message": "model is required", "type": "invalid_request_error"}},
                status=400,
            )
        text, lang = self.transcripts.get(audio, (self.default_text, self.default_language))
        if fields.get("language"):
            lang = fields["language"]
        fmt = fields.get("response_format") or "json"
        if fmt == "text":
            return web.Response(text=text, content_type="text/plain")
        if fmt == "verbose_json":
            return web.json_response(
                {
                    "task": "transcribe",
                    "language": WHISPER_NAMES.get(lang, lang),
                    "duration": 3.0,
                    "text": text,
                    "segments": [{"id": 0, "start": 0.0, "end": 3.0, "text": text}],
                }
            )
        return web.json_response({"text": text})
