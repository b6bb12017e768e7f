"""Clients of the organisation's own text servers (issue 15), with httpx (already installed with
python-telegram-bot; async, timeouts, multipart, streaming to cap an answer's size):

* ``LibreTranslateClient`` — ``POST {url}/translate`` (JSON: ``q``, ``source``, ``target``,
  ``format: "text"``, ``api_key`` in the body), the char and batch limits read from
  ``GET {url}/frontend/settings``; a text longer than the limit is cut at sentence or word
  boundaries and sent piece by piece, one text (one language) per request, never a mixed batch.
* ``SpeechToTextClient`` — ``POST {url}/v1/audio/transcriptions`` (multipart ``file`` as
  ``voice.ogg`` / ``audio/ogg``, ``model``, ``response_format=verbose_json`` for the spoken
  language), a bearer key when one is set.

Both turn every failure into ``AutoTextError``: transient (network, 5xx, 429, garbage: empty,
HTML, wrong JSON, an answer over the size cap) is tried again later; permanent (400, 401, 403,
404, 413: the request itself is wrong) stops. Texts are never logged.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import httpx

from bot.domain.translation import AutoTextError, Transcript

log = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 2_000_000
_PERMANENT = {400, 401, 403, 404, 405, 413, 415, 422}
_CUT = re.compile(r"(?<=[.!?。؟])\s+|\n+")

# Whisper's verbose_json names the language in English ("arabic"); some servers give the code.
WHISPER_LANGUAGES = {
    "dutch": "nl",
    "flemish": "nl",
    "french": "fr",
    "english": "en",
    "arabic": "ar",
    "turkish": "tr",
    "german": "de",
    "spanish": "es",
    "italian": "it",
    "portuguese": "pt",
    "polish": "pl",
    "romanian": "ro",
    "bulgarian": "bg",
    "russian": "ru",
    "ukrainian": "uk",
    "persian": "fa",
    "pashto": "ps",
    "somali": "so",
    "tigrinya": "ti",
    "amharic": "am",
    "berber": "ber",
    "kurdish": "ku",
    "albanian": "sq",
    "chinese": "zh",
}


def language_code(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    low = value.strip().lower()
    if low in WHISPER_LANGUAGES:
        return WHISPER_LANGUAGES[low]
    if re.fullmatch(r"[a-z]{2,3}(-[a-z]{2,4})?", low):
        return low.split("-")[0]
    return None


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters, cut after a sentence, else at a space."""
    if limit <= 0 or len(text) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max((m.end() for m in _CUT.finditer(window)), default=0)
        if cut < limit // 3:
            space = window.rfind(" ")
            cut = space + 1 if space > limit // 3 else limit
        pieces.append(rest[:cut].strip())
        rest = rest[cut:]
    if rest.strip():
        pieces.append(rest.strip())
    return [p for p in pieces if p]


async def _read_capped(response: httpx.Response) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise AutoTextError("answer too large", permanent=False)
    return bytes(body)


def _status_error(what: str, status: int) -> AutoTextError:
    return AutoTextError(f"{what}: HTTP {status}", permanent=status in _PERMANENT)


class LibreTranslateClient:
    def __init__(self, url: str, api_key: str = "", timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._char_limit: int | None = None
        self.calls = 0

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _request(self, method: str, path: str, **kw: Any) -> Any:
        try:
            async with self._http().stream(method, self.url + path, **kw) as response:
                body = await _read_capped(response)
                status = response.status_code
        except httpx.HTTPError as exc:
            raise AutoTextError(f"translate: {type(exc).__name__}", permanent=False) from exc
        if status != 200:
            raise _status_error("translate", status)
        try:
            return json.loads(body)
        except ValueError as exc:
            raise AutoTextError("translate: not JSON", permanent=False) from exc

    async def char_limit(self) -> int:
        """The server's --char-limit (-1: none), read once; 2,000 when it does not say."""
        if self._char_limit is None:
            try:
                data = await self._request("GET", "/frontend/settings")
                limit = int(data.get("charLimit", -1)) if isinstance(data, dict) else 2000
            except (AutoTextError, TypeError, ValueError):
                return 2000  # not cached: asked again next time
            self._char_limit = limit
        return self._char_limit

    async def translate(self, text: str, source: str, target: str) -> tuple[str, str]:
        """``text`` in ``target``; returns (translation, source language used or detected)."""
        if not text.strip():
            return text, source
        limit = await self.char_limit()
        out: list[str] = []
        detected = source
        for piece in split_text(text, limit if limit > 0 else 0):
            body: dict[str, Any] = {
                "q": piece,
                "source": source,
                "target": target,
                "format": "text",
            }
            if self.api_key:
                body["api_key"] = self.api_key
            self.calls += 1
            data = await self._request("POST", "/translate", json=body)
            if not isinstance(data, dict):
                raise AutoTextError("translate: wrong JSON", permanent=False)
            if "error" in data and "translatedText" not in data:
                raise AutoTextError("translate: error answer", permanent=False)
            translated = data.get("translatedText")
            if not isinstance(translated, str) or not translated.strip():
                raise AutoTextError("translate: no translatedText", permanent=False)
            if len(translated) > 10 * len(piece) + 1000:
                raise AutoTextError("translate: answer out of proportion", permanent=False)
            if source == "auto":
                found = data.get("detectedLanguage")
                if isinstance(found, dict) and isinstance(found.get("language"), str):
                    detected = found["language"]
            out.append(translated.strip())
        return "\n".join(out) if "\n" in text else " ".join(out), detected


class SpeechToTextClient:
    def __init__(self, url: str, model: str, api_key: str = "", timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self.calls = 0

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def transcribe(self, audio: bytes, language: str | None = None) -> Transcript:
        data = {"model": self.model, "response_format": "verbose_json"}
        if language:
            data["language"] = language
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self.calls += 1
        try:
            async with self._http().stream(
                "POST",
                self.url + "/v1/audio/transcriptions",
                data=data,
                files={"file": ("voice.ogg", audio, "audio/ogg")},
                headers=headers,
            ) as response:
                body = await _read_capped(response)
                status = response.status_code
                kind = response.headers.get("content-type", "")
        except httpx.HTTPError as exc:
            raise AutoTextError(f"transcribe: {type(exc).__name__}", permanent=False) from exc
        if status != 200:
            raise _status_error("transcribe", status)
        if kind.startswith("text/plain"):
            # A server that ignores response_format: the text, without its language.
            text = body.decode("utf-8", "replace").strip()
            if not text or text.lstrip().startswith("<"):
                raise AutoTextError("transcribe: empty or HTML", permanent=False)
            return Transcript(text, None)
        try:
            answer = json.loads(body)
        except ValueError as exc:
            raise AutoTextError("transcribe: not JSON", permanent=False) from exc
        if not isinstance(answer, dict) or not isinstance(answer.get("text"), str):
            raise AutoTextError("transcribe: wrong JSON", permanent=False)
        return Transcript(answer["text"].strip(), language_code(answer.get("language")))


def telegram_voice_fetcher(bot: Any) -> Any:
    """Downloads a voice note by its file_id through the bot's own Bot API server (getFile,
    then the file URL), so the audio goes from Telegram straight to our transcriber."""

    async def fetch(file_id: str) -> bytes:
        tg_file = await bot.get_file(file_id)
        return bytes(await tg_file.download_as_bytearray())

    return fetch


def build_auto_text(core: Any) -> Any:
    """The translation/transcription service with the clients the settings ask for."""
    from bot.domain.translation import AutoTextService

    settings = core.settings
    timeout = settings.auto_text_timeout_seconds
    translator = (
        LibreTranslateClient(
            settings.translate_url, settings.translate_api_key.get_secret_value(), timeout
        )
        if settings.translate_url
        else None
    )
    transcriber = (
        SpeechToTextClient(
            settings.transcribe_url,
            settings.transcribe_model,
            settings.transcribe_api_key.get_secret_value(),
            timeout,
        )
        if settings.transcribe_url
        else None
    )
    return AutoTextService(core, translator, transcriber)
