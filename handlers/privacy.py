"""/mydata (everything we keep, as a JSON document) and /forget (after a confirmation button)."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core.i18n import N_, _
from bot.core.ui import Button, cb
from bot.domain.privacy import PrivacyService, forget_features_note
from handlers.common import answer, button_expired, chat_id, parse_cb, reply, show
from handlers.context import BotContext, registry_of
from handlers.menus import clear_commands
from storage.repos.dialogs import Dialog

PRIVATE = filters.ChatType.PRIVATE
KIND = "forget"
# A confirmation button older than this is not trusted any more.
CONFIRM_SECONDS = 15 * 60


def _service(ctx: BotContext) -> PrivacyService:
    return ctx.services.privacy


async def cmd_mydata(update: Update, ctx: BotContext) -> None:
    data = await _service(ctx).export(ctx.user.id)
    body = _service(ctx).export_json(data)
    assert update.effective_chat is not None
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


async def _step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    await reply(update, ctx, _("Please tap one of the buttons above."))


def register(app: Application) -> None:
    registry = registry_of(app)
    registry.command("mydata", N_("Get everything we keep about you"), {"everyone"}, order=92)
    registry.command("forget", N_("Delete your data"), {"everyone"}, order=93)
    registry.dialog(KIND, _step)
    app.add_handler(CommandHandler("mydata", cmd_mydata, filters=PRIVATE))
    app.add_handler(CommandHandler("forget", cmd_forget, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_pv, pattern=r"^pv:"))
