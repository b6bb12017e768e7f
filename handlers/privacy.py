"""/mydata (everything we keep, as a JSON document) and /forget (after a confirmation button)."""

from __future__ import annotations

from typing import Any

from telegram import InputFile, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    TypeHandler,
    filters,
)

from bot.core import i18n
from bot.core.i18n import N_, _, ngettext
from bot.core.ui import Button, cb, clip, esc
from bot.domain.privacy import PrivacyService, forget_copies_note, forget_features_note
from bot.domain.reports import status_label
from handlers.common import answer, button_expired, chat_id, is_private, parse_cb, reply, show
from handlers.context import BotContext, registry_of
from handlers.menus import clear_commands
from storage.repos.dialogs import Dialog
from storage.timestamps import from_db

PRIVATE = filters.ChatType.PRIVATE
KIND = "forget"
# A confirmation button older than this is not trusted any more.
CONFIRM_SECONDS = 15 * 60


def _service(ctx: BotContext) -> PrivacyService:
    return ctx.services.privacy


def _summary(data: dict[str, Any]) -> str:
    """What we keep, for a person (in her language, short): then the complete file follows."""
    you = data.get("you") or {}
    lines = [_("<b>What the bot keeps about you</b>")]
    name = " ".join(p for p in (you.get("first_name"), you.get("last_name")) if p) or "—"
    language = you.get("chosen_language") or you.get("telegram_language")
    lines.append(
        _("👤 Your name: {name} · your language: {language}").format(
            name=esc(name), language=i18n.LANGUAGE_NAMES.get(language or "", language or "—")
        )
    )
    groups = [
        (_("{group} (organiser)") if m["role"] == "organiser" else "{group}").format(
            group=esc(m["group_name"])
        )
        for m in data.get("memberships", [])
    ]
    lines.append(
        _("👥 Your groups: {groups}").format(groups=", ".join(groups))
        if groups
        else _("👥 You are in no group.")
    )
    reports = (data.get("reports") or {}).get("your_reports", [])
    if reports:
        lines.append(
            ngettext("📣 Your report:", "📣 Your {n} reports:", len(reports)).format(n=len(reports))
        )
        for r in reports[-10:]:
            label = r.get("category_name") or r.get("category") or ""
            if not r.get("category_own_words"):
                label = _(label)
            when = from_db(r.get("created_at"))
            lines.append(
                "• <b>{ref}</b> – {emoji} {label} – {status}{when}".format(
                    ref=r["reference"],
                    emoji=r.get("category_emoji") or "",
                    label=esc(label),
                    status=status_label(r["status"]),
                    when=f" ({i18n.format_short_date(when)})" if when else "",
                )
            )
    else:
        lines.append(_("📣 You have not reported a problem."))
    me_too = (data.get("reports") or {}).get("me_too_you_said", [])
    if me_too:
        lines.append(
            _("🙋 You said “me too” to: {refs}").format(
                refs=", ".join(m["reference"] for m in me_too[-10:])
            )
        )
    meetings = len((data.get("meetings") or {}).get("answers", []))
    calls = len((data.get("actions") or {}).get("calls_you_got", []))
    shifts = len((data.get("rosters") or {}).get("shifts", []))
    if meetings or calls or shifts:
        counts = [
            ngettext("{n} meeting", "{n} meetings", meetings).format(n=meetings),
            ngettext("{n} call for action", "{n} calls for action", calls).format(n=calls),
            ngettext("{n} volunteer shift", "{n} volunteer shifts", shifts).format(n=shifts),
        ]
        lines.append(_("📅 Your answers: {list}.").format(list=i18n.comma().join(counts)))
    lines += [
        "",
        _("<b>Who sees what</b>"),
        _(
            "The project workers of your project see your reports, with your name only if you "
            "allowed it. The organisers of your groups see your answers to meetings and calls, "
            "and your shifts. Nobody else."
        ),
        "",
        _("Send /forget to have it removed."),
        _("The file below holds all of it, for a computer or for someone who helps you."),
    ]
    return clip("\n".join(lines), 4000)


async def cmd_mydata(update: Update, ctx: BotContext) -> None:
    data = await _service(ctx).export(ctx.user.id)
    body = _service(ctx).export_json(data)
    assert update.effective_chat is not None
    # First what a person can read, in her language; then the complete machine-readable file.
    await reply(update, ctx, _summary(data))
    await ctx.bot.send_document(
        update.effective_chat.id,
        document=InputFile(body, filename="my-data-buurtbot.json"),
        caption=_("This is everything we keep about you. Send /forget to have it removed."),
    )


async def cmd_forget(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "confirm", {}, s.clock.now())
    text = (
        _("<b>Remove your data?</b>")
        + "\n"
        + _(
            "We delete your name, your Telegram link, your language, your groups and the "
            "messages you sent. Your reports stay in the statistics, without your name, voice "
            "notes or photos. This cannot be undone."
        )
        + "\n"
        + forget_features_note()
        + "\n"
        + forget_copies_note()
    )
    await reply(
        update,
        ctx,
        text,
        [
            [Button(_("🗑 Yes, delete my data"), cb("pv", "yes"))],
            [Button(_("✖ No, keep it"), cb("pv", "no"))],
        ],
    )


async def on_pv(update: Update, ctx: BotContext) -> None:
    assert update.callback_query is not None
    parts = parse_cb(update.callback_query.data, 2)
    s = ctx.services
    if parts is None or parts[1] not in ("yes", "no"):
        await button_expired(update)
        return
    # Only a confirmation this person was just asked for counts (the button acts on the
    # presser's own data only, but a stale or forged press must not delete anything).
    dialog = await s.dialogs.get(ctx.user.id)
    if dialog is None or dialog.kind != KIND or dialog.age_seconds(s.clock.now()) > CONFIRM_SECONDS:
        await button_expired(update)
        return
    await answer(update)
    if parts[1] == "no":
        await s.dialogs.clear(ctx.user.id)
        await show(update, ctx, _("Good. Nothing was deleted."))
        return
    await _service(ctx).forget(ctx.user.id)
    ctx.user = None
    await clear_commands(ctx.bot, chat_id(update))  # no roles left: no personal command menu
    await show(
        update,
        ctx,
        _(
            "Your data is deleted. Goodbye! If you write to the bot again, you start as a new"
            " person."
        ),
    )


async def greet_returning(update: Update, ctx: BotContext) -> None:
    """Group -99, right after prepare: a person the bot does not know yet who once used /forget
    (an old button, an old menu, a message) is greeted as the new person they are, with the
    privacy notice, and what they tapped does nothing. Anyone else new goes on as before (an
    admin who never wrote, a forged button: the handlers check them as usual)."""
    if ctx.user is None or not ctx.user_created or ctx.user.tg_id is None:
        return
    if not is_private(update) or not (update.message or update.callback_query):
        return
    s = ctx.services
    if not await _service(ctx).came_back(ctx.user.tg_id):
        return
    msg = update.message
    if msg is not None and (msg.text or "").startswith("/start"):
        return  # /start greets a new person with the notice itself
    from handlers.start import language_rows, privacy_text

    await answer(update)
    ctx.user = await s.users.mark_privacy_seen(ctx.user, s.clock.now())
    text = "\n\n".join(
        [
            _(
                "Hello! You deleted your data earlier, so the bot does not know you any more: "
                "you start as a new person. Nothing of what you did before is kept."
            ),
            _("I will talk to you in <b>English</b>. Is that right? Tap your language."),
            privacy_text(s.settings),
        ]
    )
    await reply(update, ctx, text, language_rows())
    raise ApplicationHandlerStop


async def _step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    await reply(update, ctx, _("Please tap one of the buttons above."))


def register(app: Application) -> None:
    registry = registry_of(app)
    registry.command("mydata", N_("Get everything we keep about you"), {"everyone"}, order=92)
    registry.command("forget", N_("Delete your data"), {"everyone"}, order=93)
    registry.dialog(KIND, _step)
    app.add_handler(TypeHandler(Update, greet_returning), group=-99)
    app.add_handler(CommandHandler("mydata", cmd_mydata, filters=PRIVATE))
    app.add_handler(CommandHandler("forget", cmd_forget, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_pv, pattern=r"^pv:"))
