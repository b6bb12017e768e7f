"""The organiser's view of the automatic translations before a meeting or a call for action goes
out (issue 15).

At the preview of /newmeeting (title, place, agenda) and of /action (what, where, why, what to
bring, the tasks) the bot asks the organisation's translation server for these texts in every
language the members read — in the background: the preview does not wait — and offers
🌐 *See and correct*: each language's version, with ✏️ buttons to send a better one. What members
get is rendered from these kept versions (bot/domain/translation.py), made once per text and
language, not per member.

Callback prefix "tr". A press acts only on the presser's own open conversation, re-checks that
they may still manage its group (meetings; a call's audience is checked again when it is sent),
and refuses anything else (callback data can be forged).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.core import i18n
from bot.core.i18n import _
from bot.core.ui import Button, cb, clip, esc
from handlers.common import answer, button_expired, refuse, reply
from handlers.context import BotContext
from storage.repos.dialogs import Dialog

# The dialog kinds of handlers/meetings (shared.KIND) and handlers/actions (KIND); those modules
# import this one, so the names are repeated here rather than imported.
MEETING = "meeting"
ACTION = "action"
MAX_VERSION = 500
ICONS = {
    "title": "📅",
    "place": "📍",
    "agenda": "📝",
    "what": "📢",
    "why": "💬",
    "bring": "🎒",
}


@dataclass(frozen=True)
class Preview:
    """One conversation whose texts are translated before sending."""

    kind: str
    step: str  # its preview step
    publish: str  # callback data of its Send/Publish button
    publish_label: Callable[[], str]
    texts: Callable[[dict], dict[str, str]]
    languages: Callable[[BotContext, dict], Awaitable[set[str]]]
    may: Callable[[BotContext, dict], Awaitable[bool]]


def _meeting_texts(data: dict) -> dict[str, str]:
    if data.get("mode") == "poll":
        return {}
    return {f: str(data[f]) for f in ("title", "place", "agenda") if data.get(f)}


def _action_texts(data: dict) -> dict[str, str]:
    texts = {f: str(data[f]) for f in ("what", "place", "why", "bring") if data.get(f)}
    for i, role in enumerate(data.get("roles") or []):
        texts[f"r{i}"] = str(role[0])
    return texts


async def _group_languages(ctx: BotContext, data: dict) -> set[str]:
    return await ctx.services.auto_text.group_languages(int(data["group_id"]))


async def _audience_languages(ctx: BotContext, data: dict) -> set[str]:
    s = ctx.services
    audience = await s.actions.audience(data, ctx.user.id)
    default = s.settings.default_language
    return {
        i18n.resolve_language(u.language, u.tg_language, default)
        for u in await s.users.many(sorted({uid for uid, _g in audience}))
    }


async def _may_meeting(ctx: BotContext, data: dict) -> bool:
    from handlers.meetings.shared import can_manage

    return await can_manage(ctx, int(data["group_id"]))


async def _own(_ctx: BotContext, _data: dict) -> bool:
    return True  # their own conversation; /action re-checks the audience when sending


PREVIEWS = {
    MEETING: Preview(
        MEETING,
        "preview",
        cb("mt", "pub"),
        lambda: _("✅ Publish"),
        _meeting_texts,
        _group_languages,
        _may_meeting,
    ),
    ACTION: Preview(
        ACTION,
        "confirm",
        cb("ac", "send"),
        lambda: _("📣 Send"),
        _action_texts,
        _audience_languages,
        _own,
    ),
}


def _icon(field: str) -> str:
    return ICONS.get(field, "🙋")


async def _targets(ctx: BotContext, spec: Preview, data: dict) -> tuple[str, list[str]]:
    source = str(data.get("tr_source") or i18n.current_language())
    return source, sorted(await spec.languages(ctx, data) - {source})


async def offer_versions(update: Update, ctx: BotContext, kind: str, data: dict) -> None:
    """At a preview: have the translations made, and offer to see and correct them. Sets
    ``data["tr_source"]`` (the caller stores ``data`` with its preview step)."""
    auto = ctx.services.auto_text
    spec = PREVIEWS[kind]
    texts = spec.texts(data)
    if not auto.translating or not texts:
        return
    data.setdefault("tr_source", i18n.current_language())
    source, langs = await _targets(ctx, spec, data)
    if not langs:
        return
    await auto.prepare_org(list(texts.values()), source, set(langs), ctx.user.id)
    names = ", ".join(i18n.LANGUAGE_NAMES.get(lang, lang) for lang in langs)
    await reply(
        update,
        ctx,
        _(
            "🌐 Members who read another language get it translated automatically: {languages}."
        ).format(languages=names),
        [[Button(_("🌐 See and correct the translations"), cb("tr", "v"))]],
    )


async def _open(ctx: BotContext) -> tuple[Dialog, Preview] | None:
    dialog = await ctx.services.dialogs.get(ctx.user.id)
    spec = PREVIEWS.get(dialog.kind) if dialog is not None else None
    if dialog is None or spec is None or dialog.step not in (spec.step, "trfix"):
        return None
    if not spec.texts(dialog.data):
        return None
    return dialog, spec


async def show_versions(update: Update, ctx: BotContext, spec: Preview, data: dict) -> None:
    auto = ctx.services.auto_text
    _source, langs = await _targets(ctx, spec, data)
    texts = spec.texts(data)
    lines = [_("🌐 <b>What members who read another language will get</b>")]
    rows: list[list[Button]] = []
    for lang in langs:
        name = i18n.LANGUAGE_NAMES.get(lang, lang)
        lines += ["", f"<b>{esc(name)}</b>"]
        buttons = []
        for field, text in texts.items():
            version = auto.version(text, lang)
            shown = esc(clip(version, 300)) if version else _("⏳ still being made…")
            lines.append(f"{_icon(field)} {shown}")
            buttons.append(Button(f"✏️ {name} {_icon(field)}", cb("tr", "e", lang, field)))
        rows += [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    if not langs:
        lines.append(_("Every member reads the language you wrote in."))
    rows.append(
        [Button(_("🔄 Look again"), cb("tr", "v")), Button(spec.publish_label(), spec.publish)]
    )
    await reply(update, ctx, "\n".join(lines), rows)


async def on_tr(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    query = update.callback_query
    parts = (query.data or "").split(":") if query is not None else []
    found = await _open(ctx)
    if found is None or len(parts) < 2:
        await button_expired(update)
        return
    dialog, spec = found
    data = dict(dialog.data)
    if not await spec.may(ctx, data):
        await s.dialogs.clear(ctx.user.id)
        await refuse(update, ctx)
        return
    _source, langs = await _targets(ctx, spec, data)
    texts = spec.texts(data)
    if parts[1] == "v" and len(parts) == 2:
        await answer(update)
        data.pop("trfix", None)
        await s.dialogs.set(ctx.user.id, spec.kind, spec.step, data, s.clock.now())
        await show_versions(update, ctx, spec, data)
    elif parts[1] == "e" and len(parts) == 4 and parts[2] in langs and parts[3] in texts:
        await answer(update)
        lang, field = parts[2], parts[3]
        data["trfix"] = [lang, field]
        await s.dialogs.set(ctx.user.id, spec.kind, "trfix", data, s.clock.now())
        await reply(
            update,
            ctx,
            _("Send the {language} version of: <i>{text}</i>").format(
                language=esc(i18n.LANGUAGE_NAMES.get(lang, lang)), text=esc(texts[field])
            ),
        )
    else:
        await button_expired(update)


async def on_fix_text(update: Update, ctx: BotContext, dialog: Dialog, text: str) -> None:
    """The organiser's own version of one text in one language (step "trfix" of the open
    meeting or call conversation)."""
    s = ctx.services
    spec = PREVIEWS[dialog.kind]
    data = dict(dialog.data)
    fix = data.pop("trfix", None)
    if not await spec.may(ctx, data):
        await s.dialogs.clear(ctx.user.id)
        await refuse(update, ctx)
        return
    source, langs = await _targets(ctx, spec, data)
    texts = spec.texts(data)
    await s.dialogs.set(ctx.user.id, spec.kind, spec.step, data, s.clock.now())
    if not fix or fix[0] not in langs or fix[1] not in texts:
        await button_expired(update)
        return
    await s.auto_text.correct_org(texts[fix[1]], source, fix[0], text[:MAX_VERSION], ctx.user.id)
    await reply(update, ctx, _("Saved. Members who read that language get your version."))
    await show_versions(update, ctx, spec, data)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_tr, pattern=r"^tr:"))
