"""The one factory that builds the Application, for production, tests, benchmarks and the
playground alike."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
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

from bot.core import i18n
from bot.core.clock import Clock, SystemClock
from bot.core.flood import FloodGuard
from bot.core.outbox import Outbox, SendError
from bot.core.scheduler import Scheduler
from bot.core.settings import Settings, off_host_urls
from bot.domain import translation
from bot.domain.actions import ActionsService
from bot.domain.assist import AssistService
from bot.domain.deps import Core
from bot.domain.meetings import MeetingsService
from bot.domain.places import Places
from bot.domain.privacy import (
    PersonalData,
    PrivacyService,
    auto_text_part,
    reports_part,
    reports_retention,
)
from bot.domain.privacy_features import feature_parts
from bot.domain.privacy_features import run_retention as features_retention
from bot.domain.reports import ReportsService
from bot.domain.rosters import RosterService
from bot.domain.services import Services
from bot.runtime.http import AiohttpRequest
from bot.runtime.intake import Intake, OrderedUpdateProcessor
from bot.runtime.speech import build_auto_text, telegram_voice_fetcher
from handlers.context import BotContext, BotData
from storage.db import Database
from storage.repos.dialogs import DialogsRepo
from storage.repos.groups import GroupsRepo
from storage.repos.invites import InvitesRepo
from storage.repos.projects import ProjectsRepo
from storage.repos.users import UsersRepo

log = logging.getLogger(__name__)


class AppData(BotData):
    """bot_data as the runtime fills it: the services, and the intake and update processor that
    the Runtime starts and stops."""

    def __init__(self) -> None:
        super().__init__()
        self.intake: Intake | None = None
        self.processor: OrderedUpdateProcessor | None = None


def api_caller(app: Application, language_of: Callable[[int], Awaitable[str]] | None = None):
    """Adapts PTB's request layer to the outbox (which knows no telegram types). Each row is
    sent in its recipient's language context, so the request layer gives a right-to-left
    reader's message its direction marks (bot/runtime/http.py) as it does for direct replies."""

    async def call(method: str, params: dict[str, Any]) -> Any:
        chat = params.get("chat_id")
        lang = (
            await language_of(chat)
            if language_of is not None and isinstance(chat, int) and chat > 0
            else None
        )
        try:
            with i18n.use_locale(lang):
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


def recipient_language(services: Services) -> Callable[[int], Awaitable[str]]:
    """The language an outbox row's private-chat recipient reads (stored choice, Telegram's
    language_code, the default), looked up when the row is sent."""

    async def language_of(tg_id: int) -> str:
        user = await services.users.by_tg(tg_id)
        default = services.settings.default_language
        if user is None:
            return default
        return i18n.resolve_language(user.language, user.tg_language, default)

    return language_of


def build_services(settings: Settings, clock: Clock) -> Services:
    """The composition root: every repository and service, built with what it needs, and wired
    (outbox hooks, scheduled work, the privacy parts). Handlers only call what this builds."""
    db = Database(settings.database_path)
    users = UsersRepo(db)
    projects = ProjectsRepo(db)
    groups = GroupsRepo(db)
    outbox = Outbox(
        db,
        rate=settings.outbox_rate,
        chat_interval=settings.outbox_chat_interval,
        group_per_minute=settings.outbox_group_per_minute,
        max_attempts=settings.outbox_max_attempts,
        backoff_seconds=settings.outbox_backoff_seconds,
    )
    scheduler = Scheduler(clock)
    core = Core(settings=settings, clock=clock, db=db, outbox=outbox)
    reports = ReportsService(core, users=users, projects=projects)
    meetings = MeetingsService(core, users=users, projects=projects, groups=groups)
    actions = ActionsService(core, users=users, groups=groups)
    rosters = RosterService(core, groups=groups)
    privacy = PrivacyService(settings=settings, clock=clock, db=db, users=users, outbox=outbox)
    assist = AssistService(settings=settings, clock=clock, db=db, users=users, groups=groups)
    # Translations and transcripts on the organisation's own servers (issue 15).
    auto_text = build_auto_text(core)
    reports.auto_text = auto_text
    meetings.auto_text = auto_text
    actions.auto_text = auto_text
    rosters.auto_text = auto_text
    auto_text.edit_cards_tx = reports.edit_cards_tx

    # What the outbox tells a feature about its messages (by the ref's prefix).
    outbox.on_failed("report", reports.on_card_failed)
    outbox.on_sent("report", reports.on_card_sent)
    outbox.on_sent("rcopy", reports.on_copy_sent)
    outbox.on_sent("rdig", reports.on_digest_sent)
    outbox.on_sent("acs", actions.on_status_sent)
    outbox.on_sent("acm", actions.on_member_sent)
    outbox.on_failed("acm", actions.on_member_failed)
    outbox.on_sent("rtk", rosters.on_ask_sent)
    outbox.on_sent("enr", auto_text.on_message_sent)
    outbox.on_unreachable(lambda conn, chat_id, now: users.mark_unreachable_tx(conn, chat_id, now))

    # Work the scheduler's tick asks for, in this order.
    scheduler.register("reports:solved", reports.ask_solved)
    scheduler.register("reports:escalate", reports.escalate)
    scheduler.register("reports:digest", reports.run_digests)
    scheduler.register("actions", actions.run_due)
    scheduler.register("rosters", rosters.run_due)
    scheduler.register("privacy:prune", privacy.prune)
    scheduler.register("privacy:retention", partial(reports_retention, privacy))
    scheduler.register("privacy:features_retention", partial(features_retention, db, settings))
    scheduler.register("meetings", meetings.tick)
    scheduler.register("assist:retention", partial(assist.run_retention, privacy))
    scheduler.register("auto_text", auto_text.run_due)
    scheduler.register(
        "auto_text:retention",
        lambda now: auto_text.texts.retention(now - timedelta(days=settings.inbox_retention_days)),
    )

    # Each feature's part of /mydata and /forget; /forget runs them in this order.
    privacy.add_part(reports_part(privacy, reports))
    for part in feature_parts(meetings, actions, rosters):
        privacy.add_part(part)
    privacy.add_part(PersonalData("assisted", assist.export, assist.forget))
    privacy.add_part(auto_text_part(auto_text))

    return Services(
        settings=settings,
        clock=clock,
        db=db,
        users=users,
        projects=projects,
        groups=groups,
        invites=InvitesRepo(db),
        dialogs=DialogsRepo(db),
        outbox=outbox,
        scheduler=scheduler,
        reports=reports,
        meetings=meetings,
        actions=actions,
        rosters=rosters,
        privacy=privacy,
        assist=assist,
        places=Places(projects, settings),
        auto_text=auto_text,
    )


async def _post_init(app: Application) -> None:
    services: Services = app.bot_data.services
    await services.db.open()
    await services.db.migrate()
    services.bot_username = app.bot.username or services.bot_username
    services.auto_text.fetch_voice = telegram_voice_fetcher(app.bot)
    await services.auto_text.load()
    services.auto_text.kick()  # work left by the last run is done now, not at the next tick
    from handlers import on_startup

    await on_startup(app)


async def _post_shutdown(app: Application) -> None:
    services: Services = app.bot_data.services
    await services.auto_text.close()
    await services.db.close()


def build_application(settings: Settings, clock: Clock | None = None) -> Application:
    clock = clock or SystemClock(settings.tz)
    i18n.load(settings.default_language, settings.tz)
    off_host = off_host_urls(settings)
    if off_host:
        log.warning(
            "%s: not on this host or a private network; people's texts and voice notes will be"
            " sent there (see docs/translations.md)",
            ", ".join(off_host),
        )
    services = build_services(settings, clock)
    flood = FloodGuard(
        limit=settings.flood_max_per_minute, window=60.0, quiet=settings.flood_quiet_seconds
    )
    processor = OrderedUpdateProcessor(settings.max_concurrent_updates, services.db, flood)
    context_types = ContextTypes(context=BotContext, bot_data=AppData)
    # aiohttp for the bot's calls: a fraction of httpx's CPU per request (see bot/http.py).
    # Its pacer is the outbox's: direct replies and the outbox share one budget and one 429.
    # 256 connections (PTB's default): up to 64 updates are handled at once, each with its
    # answer, its message and a side call in flight; with 32, at Telegram's latency a step's
    # calls waited for each other in waves (docs/benchmarks.md).
    request = AiohttpRequest(
        connection_pool_size=256,
        pool_timeout=30.0,
        read_timeout=15.0,
        pacer=services.outbox.pacer,
        pace_direct=settings.pace_direct_replies,
    )
    app = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .request(request)
        .get_updates_request(
            # The long poll on aiohttp too (no pacing: it sends nothing to a chat).
            AiohttpRequest(connection_pool_size=2, read_timeout=settings.polling_timeout + 15)
        )
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
    # The tasks this application starts copy it (see bot.domain.translation.active).
    translation.active.set(services.auto_text)
    app.bot_data.processor = processor
    app.bot_data.intake = Intake(app, services.db, settings.polling_timeout)
    from handlers import register_all

    register_all(app)
    return app
