"""Settings from the environment (and an optional .env file), validated once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.languages import SUPPORTED_LANGUAGES as SUPPORTED_LANGUAGES  # re-exported

Language = Literal["nl", "fr", "en", "ar", "tr"]
DEFAULT_TIMEZONE = "Europe/Brussels"
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_BASE_URL = "https://api.telegram.org/file/bot"

# The placeholder in .env.example: it has the right shape, so only this check stops it from going
# to Telegram (and ending in a 401 or, offline, a DNS error).
EXAMPLE_TOKEN = "123456789:replace-with-your-token"
_GET_TOKEN = (
    "run `buurtbot init`, or copy the token from @BotFather in Telegram (/mybots) into .env"
)
TOKEN_MISSING = f"BOT_TOKEN is not set: {_GET_TOKEN}"
TOKEN_EXAMPLE = f"BOT_TOKEN is still the example value from .env.example: {_GET_TOKEN}"
TOKEN_REJECTED = (
    "BOT_TOKEN was rejected by Telegram (it is wrong or was revoked): "
    "copy the current token from @BotFather in Telegram (/mybots > API Token) into .env, "
    "or run `buurtbot init`"
)


_TOKEN_SHAPE = "expected the form 123456789:AAH... as given by @BotFather"


def token_problem(raw: str) -> str | None:
    """Why ``raw`` cannot be a bot token, or None. Never repeats the token."""
    if raw == EXAMPLE_TOKEN:
        return "it is still the example value from .env.example"
    head, _, tail = raw.partition(":")
    if not head.isdigit() or not tail or any(c.isspace() for c in raw):
        return _TOKEN_SHAPE
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr = Field(description="Token from @BotFather")
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    telegram_file_base_url: str = DEFAULT_FILE_BASE_URL
    database_path: Path = Path("data/buurtbot.sqlite3")
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    default_language: Language = "nl"
    timezone: str = DEFAULT_TIMEZONE
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    # How long a worker or organiser invite link stays valid.
    invite_ttl_hours: int = Field(default=72, ge=1, le=24 * 90)
    # Updates from different chats processed at once (one chat is always in order).
    max_concurrent_updates: int = Field(default=64, ge=1, le=256)
    polling_timeout: int = Field(default=30, ge=0, le=50)
    # Outbox pacing: Telegram allows ~30 msg/s overall, 1/s per chat, 20/min per group.
    outbox_rate: float = Field(default=28.0, gt=0, le=30)
    outbox_chat_interval: float = Field(default=1.0, ge=0)
    outbox_group_per_minute: int = Field(default=20, ge=1, le=20)
    outbox_max_attempts: int = Field(default=6, ge=1)
    # First retry delay after a 5xx/timeout; doubles each attempt (capped at 5 minutes).
    outbox_backoff_seconds: float = Field(default=2.0, ge=0)
    # Direct replies (a handler answering the person who wrote) take their slot from the same
    # budget as the outbox (OUTBOX_RATE overall, OUTBOX_CHAT_INTERVAL per chat, direct first).
    # Only the test harness turns this off, against a Bot API double that enforces no limits;
    # a 429 still pauses every send either way.
    pace_direct_replies: bool = True
    # Floods from one person: more updates than this in any minute get one calm answer, and
    # then that person is ignored until quiet for FLOOD_QUIET_SECONDS.
    flood_max_per_minute: int = Field(default=100, ge=1)
    flood_quiet_seconds: float = Field(default=60.0, ge=0)
    # How often the scheduler looks in the database for due work.
    scheduler_tick_seconds: float = Field(default=20.0, gt=0)
    # A conversation with no answer for this long is put aside (kept as a draft where it has one).
    dialog_timeout_minutes: int = Field(default=60, ge=1)
    # Privacy: raw updates and delivered message copies are kept this many days, then removed.
    inbox_retention_days: int = Field(default=3, ge=1)
    # Reports closed longer than this are anonymised (reporter, voice, photos, free text).
    retention_days: int = Field(default=730, ge=1)

    # Problem reports (issue 3).
    # Days after "resolved" that the reporter is asked "is it solved?".
    report_solved_check_days: int = Field(default=3, ge=0, le=90)
    # Days a report may stay un-Seen before it is flagged in digests and sent to the admins.
    report_escalate_days: int = Field(default=3, ge=1, le=90)
    # Days without a first answer after which a report is listed as "waiting" in digests.
    digest_waiting_days: int = Field(default=2, ge=1, le=90)
    # Default digest time (HH:MM in TIMEZONE) for workers who did not choose one.
    digest_time: str = Field(default="08:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    # Longest answer or added information a resident may type, in characters. A description may
    # be longer: a text the Telegram client split into several messages is joined (up to 12,288).
    report_max_text: int = Field(default=2000, ge=100, le=3500)
    # A pin outside every neighbourhood boundary goes to the nearest neighbourhood centre within
    # this distance (km); further away, the resident picks the neighbourhood with buttons.
    report_nearest_km: float = Field(default=1.0, gt=0)
    # A pin further than this from every neighbourhood centre is not kept (it was shared from
    # somewhere else); the resident picks the neighbourhood or types the address (km).
    report_area_km: float = Field(default=5.0, gt=0)
    # Open reports within this distance of a pin are shown as "similar" (metres).
    report_similar_metres: float = Field(default=300.0, gt=0)
    # Printed on every dossier (who made it, whom to ask) and the institute's name in the sector
    # dossier and in `buurtbot export --aggregate`. Empty: left out.
    organisation_name: str = ""
    organisation_contact: str = ""
    # Volunteer rosters: step back until this many hours before a shift; remind this many hours
    # before; a take-over call stays open this long; weekly gaps overview (0 = Monday, local hour);
    # how many weeks ahead slots are shown.
    roster_step_back_hours: int = Field(default=12, ge=0, le=24 * 14)
    roster_remind_hours: int = Field(default=24, ge=1, le=24 * 7)
    roster_takeover_hours: int = Field(default=24, ge=1, le=24 * 14)
    roster_overview_weekday: int = Field(default=0, ge=0, le=6)
    roster_overview_hour: int = Field(default=9, ge=0, le=23)
    roster_weeks_ahead: int = Field(default=6, ge=1, le=26)
    # Webhook mode (`buurtbot run --webhook`): the public HTTPS address Telegram posts to, the
    # secret it must send in X-Telegram-Bot-Api-Secret-Token, and where our server listens
    # (behind a reverse proxy that terminates TLS).
    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)

    # Translation and transcription on the organisation's own servers (issue 15). Unset URL = off.
    # TRANSLATE_URL: a LibreTranslate-compatible server (POST {url}/translate); the key goes in
    # the request body as LibreTranslate expects.
    translate_url: str = ""
    translate_api_key: SecretStr = SecretStr("")
    # TRANSCRIBE_URL: an OpenAI-compatible speech-to-text server (POST
    # {url}/v1/audio/transcriptions); the model is required by that API (faster-whisper-server
    # takes a model id like this default; whisper.cpp's server ignores it).
    transcribe_url: str = ""
    transcribe_model: str = "Systran/faster-whisper-small"
    transcribe_api_key: SecretStr = SecretStr("")
    # Both servers: one request waits this long; a failed one is tried again after
    # AUTO_TEXT_RETRY_SECONDS, doubling each time (at most an hour), until
    # AUTO_TEXT_GIVE_UP_MINUTES after the message: then the bot stops trying for that message.
    auto_text_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    auto_text_retry_seconds: float = Field(default=30.0, gt=0)
    auto_text_give_up_minutes: int = Field(default=360, ge=1)

    @field_validator("translate_url", "transcribe_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("use a base URL like http://127.0.0.1:5000")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if raw and not (len(raw) <= 256 and all(c.isalnum() or c in "_-" for c in raw)):
            raise ValueError("use 1-256 characters A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            return [int(p) for p in parts if p]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        problem = token_problem(value.get_secret_value())
        if problem:
            raise ValueError(problem)
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_admin(self, tg_id: int | None) -> bool:
        return tg_id is not None and tg_id in self.admin_ids


def off_host_urls(settings: Settings) -> list[str]:
    """The translation/transcription URLs that are not on this host or a private network
    (the people's texts and voices would leave the organisation); a plain host name without a
    dot (a container or a LAN name) counts as private. No DNS look-up: start-up stays offline."""
    import ipaddress
    from urllib.parse import urlsplit

    found = []
    for name, url in (
        ("TRANSLATE_URL", settings.translate_url),
        ("TRANSCRIBE_URL", settings.transcribe_url),
    ):
        if not url:
            continue
        host = (urlsplit(url).hostname or "").lower()
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            private = (
                host == "localhost"
                or "." not in host
                or host.endswith((".localhost", ".local", ".lan", ".internal", ".home.arpa"))
            )
        else:
            private = ip.is_private or ip.is_loopback or ip.is_link_local
        if not private:
            found.append(f"{name}={url}")
    return found


def describe_validation_error(exc: Exception) -> str:
    """One line naming the first bad setting, for the CLI (no traceback for operators)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        for err in errors():
            loc = err.get("loc") or ("?",)
            name = str(loc[0]).upper()
            if name == "BOT_TOKEN":
                if err.get("type") == "missing":
                    return TOKEN_MISSING
                if "example value" in str(err.get("msg")):
                    return TOKEN_EXAMPLE
                return f"BOT_TOKEN is invalid ({_TOKEN_SHAPE}): {_GET_TOKEN}"
            if err.get("type") == "missing":
                return f"setting {name} is missing (put it in the environment or in .env)"
            return f"setting {name} is invalid: {err.get('msg')}"
    return f"settings are invalid: {exc}"
