"""The organiser's view of the automatic translations before a meeting goes out (issue 15).

At the preview of /newmeeting the bot asks the organisation's translation server for the title,
place and agenda in every language the group's members read (in the background: the preview
does not wait), and offers 🌐 *See and correct*: each language's version, with ✏️ buttons to
send a better one. What members get is rendered from these kept versions
(bot/domain/translation.py), made once per text and language.

Callback prefix "tr". Every press re-loads the open meeting conversation and checks that the
person may still manage its group (callback data can be forged).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.core import i18n
from bot.core.i18n import _
from bot.core.ui import Button, cb, clip, esc
from handlers.common import answer, button_expired, refuse, reply
from handlers.context import BotContext
from handlers.meetings.shared import KIND, can_manage
from storage.repos.dialogs import Dialog

FIELDS = ("title", "place", "agenda")
ICONS = {"title": "📅", "place": "📍", "agenda": "📝"}
STEPS = ("preview", "trfix")
MAX_VERSION = 500


async def _targets(ctx: BotContext, data: dict) -> tuple[str, list[str]]:
    source = str(data.get("tr_source") or i18n.current_language())
    langs = await ctx.services.auto_text.group_languages(int(data["group_id"]))
    return source, sorted(langs - {source})


async def offer_versions(update: Update, ctx: BotContext, data: dict) -> None:
    """At the meeting preview: have the translations made, and offer to see and correct them."""
    auto = ctx.services.auto_text
    if not auto.translating:
        return
    data.setdefault("tr_source", i18n.current_language())
    source, langs = await _targets(ctx, data)
    if not langs:
        return
    await auto.prepare_org([data.get(f) for f in FIELDS], source, set(langs), ctx.user.id)
    names = ", ".join(i18n.LANGUAGE_NAMES.get(lang, lang) for lang in langs)
    await reply(
        update,
        ctx,
        _(
            "🌐 Members who read another language get it translated automatically: {languages}."
        ).format(languages=names),
        [[Button(_("🌐 See and correct the translations"), cb("tr", "v"))]],
    )


async def _open(ctx: BotContext) -> Dialog | None:
    dialog = await ctx.services.dialogs.get(ctx.user.id)
    if dialog is None or dialog.kind != KIND or dialog.step not in STEPS:
        return None
    if dialog.data.get("mode") == "poll" or "title" not in dialog.data:
        return None
    return dialog


async def show_versions(update: Update, ctx: BotContext, data: dict) -> None:
    auto = ctx.services.auto_text
    _source, langs = await _targets(ctx, data)
    fields = [f for f in FIELDS if data.get(f)]
    lines = [_("🌐 <b>What members who read another language will get</b>")]
    rows: list[list[Button]] = []
    for lang in langs:
        name = i18n.LANGUAGE_NAMES.get(lang, lang)
        lines += ["", f"<b>{esc(name)}</b>"]
        for f in fields:
            version = auto.version(data[f], lang)
            shown = esc(clip(version, 300)) if version else _("⏳ still being made…")
            lines.append(f"{ICONS[f]} {shown}")
        rows.append([Button(f"✏️ {name} {ICONS[f]}", cb("tr", "e", lang, f)) for f in fields])
    if not langs:
        lines.append(_("Every member reads the language you wrote in."))
    rows.append(
        [
            Button(_("🔄 Look again"), cb("tr", "v")),
            Button(_("✅ Publish"), cb("mt", "pub")),
        ]
    )
    await reply(update, ctx, "\n".join(lines), rows)


async def on_tr(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    query = update.callback_query
    parts = (query.data or "").split(":") if query is not None else []
    dialog = await _open(ctx)
    if dialog is None or len(parts) < 2:
        await button_expired(update)
        return
    data = dict(dialog.data)
    if not await can_manage(ctx, int(data["group_id"])):
        await s.dialogs.clear(ctx.user.id)
        await refuse(update, ctx)
        return
    _source, langs = await _targets(ctx, data)
    if parts[1] == "v" and len(parts) == 2:
        await answer(update)
        data.pop("trfix", None)
        await s.dialogs.set(ctx.user.id, KIND, "preview", data, s.clock.now())
        await show_versions(update, ctx, data)
    elif (
        parts[1] == "e"
        and len(parts) == 4
        and parts[2] in langs
        and parts[3] in FIELDS
        and data.get(parts[3])
    ):
        await answer(update)
        lang, field = parts[2], parts[3]
        data["trfix"] = [lang, field]
        await s.dialogs.set(ctx.user.id, KIND, "trfix", data, s.clock.now())
        await reply(
            update,
            ctx,
            _("Send the {language} version of: <i>{text}</i>").format(
                language=esc(i18n.LANGUAGE_NAMES.get(lang, lang)), text=esc(data[field])
            ),
        )
    else:
        await button_expired(update)


async def on_fix_text(update: Update, ctx: BotContext, dialog: Dialog, text: str) -> None:
    """The organiser's own version of one text in one language (step "trfix")."""
    s = ctx.services
    data = dict(dialog.data)
    fix = data.pop("trfix", None)
    if not await can_manage(ctx, int(data["group_id"])):
        await s.dialogs.clear(ctx.user.id)
        await refuse(update, ctx)
        return
    source, langs = await _targets(ctx, data)
    if not fix or fix[0] not in langs or fix[1] not in FIELDS or not data.get(fix[1]):
        await s.dialogs.set(ctx.user.id, KIND, "preview", data, s.clock.now())
        await button_expired(update)
        return
    await s.auto_text.correct_org(data[fix[1]], source, fix[0], text[:MAX_VERSION], ctx.user.id)
    await s.dialogs.set(ctx.user.id, KIND, "preview", data, s.clock.now())
    await reply(update, ctx, _("Saved. Members who read that language get your version."))
    await show_versions(update, ctx, data)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_tr, pattern=r"^tr:"))
