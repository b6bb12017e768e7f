"""The one factory that builds the Application, for production, tests, benchmarks and the
playground alike."""

from __future__ import annotations

import logging
from typing import Any

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
)
from telegram.request import HTTPXRequest

from bot.core import i18n
from bot.core.clock import Clock, SystemClock
from bot.runtime.http import AiohttpRequest
from bot.runtime.intake import Intake, OrderedUpdateProcessor
from bot.core.outbox import SendError
from bot.domain.services import Services
from handlers.context import BotContext, BotData
from bot.core.settings import Settings

log = logging.getLogger(__name__)


class AppData(BotData):
    """bot_data as the runtime fills it: the services, and the intake and update processor that
    the Runtime starts and stops."""

    def __init__(self) -> None:
        super().__init__()
        self.intake: Intake | None = None
        self.processor: OrderedUpdateProcessor | None = None


def api_caller(app: Application):
    """Adapts PTB's request layer to the outbox (which knows no telegram types)."""

    async def call(method: str, params: dict[str, Any]) -> Any:
        try:
            return await app.bot.do_api_request(method, api_kwargs=params)
        except RetryAfter as exc:
            ra = exc.retry_after
            seconds = ra.total_seconds() if hasattr(ra, "total_seconds") else float(ra)
            raise SendError("retry_after", str(exc), seconds) from exc
        except Forbidden as exc:
            raise SendError("forbidden", exc.message) from exc
        except BadRequest as exc:
            text = exc.message.lower()
            if "not modified" in text:
                raise SendError("not_modified", exc.message) from exc
            if "chat not found" in text or "user is deactivated" in text:
                raise SendError("forbidden", exc.message) from exc
            raise SendError("bad_request", exc.message) from exc
        except (TimedOut, NetworkError) as exc:
            raise SendError("transient", type(exc).__name__) from exc

    return call


async def _post_init(app: Application) -> None:
    services: Services = app.bot_data.services
    await services.db.open()
    await services.db.migrate()
    services.bot_username = app.bot.username or services.bot_username
    from handlers import on_startup

    await on_startup(app)


async def _post_shutdown(app: Application) -> None:
    services: Services = app.bot_data.services
    await services.db.close()


def build_application(settings: Settings, clock: Clock | None = None) -> Application:
    clock = clock or SystemClock(settings.tz)
    i18n.load(settings.default_language, settings.tz)
    services = Services.create(settings, clock)
    processor = OrderedUpdateProcessor(settings.max_concurrent_updates, services.db)
    context_types = ContextTypes(context=BotContext, bot_data=AppData)
    # aiohttp for the bot's calls: a fraction of httpx's CPU per request (see bot/http.py).
    request = AiohttpRequest(connection_pool_size=32, pool_timeout=30.0, read_timeout=15.0)
    app = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .request(request)
        .get_updates_request(HTTPXRequest(connection_pool_size=2, read_timeout=settings.polling_timeout + 15))
        .updater(None)  # our Intake polls: updates are committed before they are confirmed
        .concurrent_updates(processor)
        .context_types(context_types)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=settings.tz,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.bot_data.services = services
    app.bot_data.processor = processor
    app.bot_data.intake = Intake(app, services.db, settings.polling_timeout)
    services.outbox.on_unreachable(
        lambda conn, chat_id, now: services.users.mark_unreachable_tx(conn, chat_id, now)
    )
    from handlers import register_all

    register_all(app)
    return app
