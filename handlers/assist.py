"""/assist: a worker or organiser acts for a resident without Telegram (issue 17).

Pick a person of one's groups or enter someone new (first name, optional phone number, her
language, the group), read her the consent sentence in her language, and from then on every
screen of this chat acts for her (handlers/common.py ``prepare``): the main menu is hers, so
reporting, meetings, calls and shifts are the ordinary flows. /assist again shows for whom one
acts and stops it. The rules: bot/domain/assist.py; news for her: bot/core/assisted.py.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core import i18n
from bot.core.i18n import N_, _
from bot.core.settings import SUPPORTED_LANGUAGES
from bot.core.ui import Button, cb, esc
from bot.domain.assist import LIST_MAX, Acting, clean_name, clean_phone, no_phone
from handlers.common import (
    answer,
    button_expired,
    button_parts,
    forget_roles,
    is_private,
    parse_int,
    refuse,
    reply,
    show,
)
from handlers.context import BotContext, registry_of
from handlers.menus import home_rows
from storage.repos.assist import AssistedPerson
from storage.repos.dialogs import Dialog

PRIVATE = filters.ChatType.PRIVATE
KIND = "assist"


def _actor(ctx: BotContext):  # the worker herself, also while acting for someone
    return ctx.actor or ctx.user


def _name(person: AssistedPerson) -> str:
    return esc(person.first_name or _("the resident"))


async def _may_assist(update: Update, ctx: BotContext) -> bool:
    """Workers, organisers and admins; everyone else hears the one refusal."""
    s = ctx.services
    roles = await s.assist.roles_of(_actor(ctx))
    if not roles.is_staff:
        await refuse(update, ctx)
        return False
    return True


async def cmd_assist(update: Update, ctx: BotContext) -> None:
    if not await _may_assist(update, ctx):
        return
    s = ctx.services
    session = await s.assist.session(_actor(ctx))
    if session is not None:
        person = await s.assist.person_for(_actor(ctx), session.person_id)
        if person is not None:
            await reply(
                update,
                ctx,
                _(
                    "You are acting for <b>{name}</b> ({group}). Everything you tap or send "
                    "here is for {name}."
                ).format(name=_name(person), group=esc(person.group_name or "")),
                [
                    [
                        Button(
                            _("⏹ Stop acting for {name}").format(name=person.first_name or ""),
                            cb("as", "stop"),
                        )
                    ],
                    [Button(_("👥 Someone else"), cb("as", "list"))],
                ],
            )
            return
        await s.assist.stop(_actor(ctx))
    await _list(update, ctx, " ".join(ctx.args or []))


async def _list(update: Update, ctx: BotContext, name: str = "") -> None:
    s = ctx.services
    worker = _actor(ctx)
    groups = await s.assist.groups_for(worker)
    if not groups:
        await show(update, ctx, _("You have no group yet. Make one first with /newgroup."))
        return
    persons = await s.assist.persons_for(worker, name, LIST_MAX + 1)
    more = len(persons) > LIST_MAX
    persons = persons[:LIST_MAX]
    multi = len(groups) > 1
    rows = [
        [
            Button(
                ("👤 " + (p.first_name or "?") + (f" · {p.group_name}" if multi else ""))[:60],
                cb("as", "pick", p.user_id),
            )
        ]
        for p in persons
    ]
    rows.append([Button(_("➕ Someone new"), cb("as", "new"))])
    text = _(
        "<b>Act for a resident without Telegram</b>\n"
        "Someone without a smartphone or Telegram can still report a problem, answer a meeting "
        "or a call, or take a shift: you do it for them, with your phone. News for them comes "
        "to you, as “📞 Tell …”, so you can tell them."
    )
    if persons:
        text += "\n\n" + _("Pick the person, or enter someone new:")
    elif name:
        text += "\n\n" + _("Nobody whose first name starts with “{name}”.").format(name=esc(name))
    if more:
        text += "\n" + _(
            "Not everyone fits here: send /assist and the first name, e.g. /assist Maria."
        )
    await show(update, ctx, text, rows)


async def _start_acting(update: Update, ctx: BotContext, person: AssistedPerson) -> None:
    s = ctx.services
    worker = _actor(ctx)
    await s.assist.start(worker, person)
    user = await s.users.get(person.user_id)
    assert user is not None
    ctx.user, ctx.acting_for = user, Acting(user, person, False)
    forget_roles(ctx)
    rows = await home_rows(ctx)
    rows.append(
        [
            Button(
                _("⏹ Stop acting for {name}").format(name=person.first_name or ""), cb("as", "stop")
            )
        ]
    )
    text = _(
        "You are now acting for <b>{name}</b>. Tap what {name} wants to do: you report, answer "
        "and sign up for {name}, with your phone as camera and microphone."
    ).format(name=_name(person))
    if person.phone:
        text += "\n☎️ " + esc(person.phone)
    await reply(update, ctx, text, rows)


async def on_button(update: Update, ctx: BotContext) -> None:
    parts = button_parts(update)
    action = parts[1] if len(parts) > 1 else ""
    if not is_private(update) or not await _may_assist(update, ctx):
        return
    s = ctx.services
    worker = _actor(ctx)
    if action == "list" and len(parts) == 2:
        await answer(update)
        await s.assist.stop(worker)
        await _list(update, ctx)
    elif action == "stop" and len(parts) == 2:
        await answer(update)
        person = await s.assist.stop(worker)
        if person is None:
            await show(update, ctx, _("You are not acting for anyone."))
            return
        await show(
            update,
            ctx,
            _(
                "You stopped acting for {name}. What you do now is your own. News for {name} "
                "still comes to you as “📞 Tell {name}: …”."
            ).format(name=_name(person)),
        )
    elif action == "pick" and len(parts) == 3 and parse_int(parts[2]) is not None:
        person = await s.assist.person_for(worker, int(parts[2]))
        if person is None:
            await refuse(update, ctx)
            return
        busy = await s.assist.busy_with(person.user_id)
        if busy is not None and busy.worker_id != worker.id:
            other = await s.users.get(busy.worker_id)
            await answer(
                update,
                _("{worker} is acting for {name} right now.").format(
                    worker=other.display_name if other else "?", name=person.first_name or ""
                ),
                alert=True,
            )
            return
        await answer(update)
        await _start_acting(update, ctx, person)
    elif action == "new" and len(parts) == 2:
        await answer(update)
        await s.assist.stop(worker)
        await s.dialogs.set(worker.id, KIND, "name", {}, s.clock.now())
        await show(
            update,
            ctx,
            _("What is the person's first name? Only the first name is needed.")
            + "\n"
            + _("Send /cancel to stop."),
        )
    else:
        await _dialog_button(update, ctx, parts)


async def _dialog_button(update: Update, ctx: BotContext, parts: list[str]) -> None:
    s = ctx.services
    worker = _actor(ctx)
    dialog = await s.dialogs.get(worker.id)
    action = parts[1] if len(parts) > 1 else ""
    steps = {"nophone": "phone", "lang": "lang", "grp": "group", "yes": "consent", "no": "consent"}
    if dialog is None or dialog.kind != KIND or steps.get(action) != dialog.step:
        await button_expired(update)
        return
    data = dict(dialog.data)
    if action == "nophone" and len(parts) == 2:
        await answer(update)
        data["phone"] = None
        await _ask_language(update, ctx, data)
    elif action == "lang" and len(parts) == 3 and parts[2] in SUPPORTED_LANGUAGES:
        await answer(update)
        data["language"] = parts[2]
        await _ask_group(update, ctx, data)
    elif action == "grp" and len(parts) == 3 and parse_int(parts[2]) is not None:
        if await s.assist.may_use_group(worker, int(parts[2])) is None:
            await refuse(update, ctx)
            return
        await answer(update)
        data["group_id"] = int(parts[2])
        await _ask_consent(update, ctx, data)
    elif action == "no" and len(parts) == 2:
        await answer(update)
        await s.dialogs.clear(worker.id)
        await s.assist.not_entered([int(u) for u in data.get("updates", [])])
        await show(
            update,
            ctx,
            _("Nothing was stored. Without their agreement nothing can be entered for them."),
        )
    elif action == "yes" and len(parts) == 2:
        await answer(update)
        person = await s.assist.create(
            worker,
            first_name=data["name"],
            phone=data.get("phone"),
            language=data["language"],
            group_id=int(data["group_id"]),
            worker_language=i18n.current_language(),
        )
        await s.dialogs.clear(worker.id)
        if person is None:
            await refuse(update, ctx)
            return
        await s.assist.note_updates(person.user_id, [int(u) for u in data.get("updates", [])])
        await _start_acting(update, ctx, person)
    else:
        await button_expired(update)


async def _ask_language(update: Update, ctx: BotContext, data: dict) -> None:
    s = ctx.services
    await s.dialogs.set(_actor(ctx).id, KIND, "lang", data, s.clock.now())
    buttons = [Button(i18n.LANGUAGE_NAMES[c], cb("as", "lang", c)) for c in SUPPORTED_LANGUAGES]
    await show(
        update,
        ctx,
        _("Which language does {name} speak best?").format(name=esc(data["name"])),
        [buttons[0:2], buttons[2:4], buttons[4:]],
    )


async def _ask_group(update: Update, ctx: BotContext, data: dict) -> None:
    s = ctx.services
    groups = await s.assist.groups_for(_actor(ctx))
    if not groups:
        await s.dialogs.clear(_actor(ctx).id)
        await show(update, ctx, _("You have no group yet. Make one first with /newgroup."))
        return
    if len(groups) == 1:
        data["group_id"] = groups[0].id
        await _ask_consent(update, ctx, data)
        return
    await s.dialogs.set(_actor(ctx).id, KIND, "group", data, s.clock.now())
    rows = [[Button(g.name[:60], cb("as", "grp", g.id))] for g in groups[:30]]
    await show(update, ctx, _("In which group is {name}?").format(name=esc(data["name"])), rows)


async def _ask_consent(update: Update, ctx: BotContext, data: dict) -> None:
    s = ctx.services
    worker = _actor(ctx)
    group = await s.assist.may_use_group(worker, int(data["group_id"]))
    if group is None:
        await refuse(update, ctx)
        return
    project = await s.projects.get(group.project_id)
    await s.dialogs.set(worker.id, KIND, "consent", data, s.clock.now())
    sentence = s.assist.consent_text(
        data, worker.first_name or worker.display_name, project.name if project else group.name
    )
    name = esc(data["name"])
    text = (
        _("Read this to {name}, in {language}:").format(
            name=name, language=i18n.LANGUAGE_NAMES[data["language"]]
        )
        + "\n\n<blockquote>"
        + esc(sentence)
        + "</blockquote>\n\n"
        + _("Does {name} agree?").format(name=name)
    )
    rows = [
        [Button(_("✅ {name} agrees").format(name=data["name"])[:60], cb("as", "yes"))],
        [Button(_("✖ {name} does not agree").format(name=data["name"])[:60], cb("as", "no"))],
    ]
    await show(update, ctx, text, rows)


async def _step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    """Typed answers: the first name, then the phone number."""
    s = ctx.services
    text = update.message.text if update.message is not None else None
    data = dict(dialog.data)
    if dialog.step == "name":
        name = clean_name(text or "")
        if name is None:
            await reply(update, ctx, _("Please send only a first name, in letters (at most 40)."))
            return
        data["name"] = name
        data["updates"] = [*data.get("updates", []), update.update_id]
        await s.dialogs.set(_actor(ctx).id, KIND, "phone", data, s.clock.now())
        await reply(
            update,
            ctx,
            _(
                "A phone number of {name}, so you can call with news? Send it, or tap the button."
            ).format(name=esc(name)),
            [[Button(_("⏭ No phone number"), cb("as", "nophone"))]],
        )
    elif dialog.step == "phone" and no_phone(text or ""):
        data["phone"] = None
        await _ask_language(update, ctx, data)
    elif dialog.step == "phone":
        phone = clean_phone(text or "")
        if phone is None:
            await reply(
                update,
                ctx,
                _(
                    "That does not look like a phone number. Send digits, for example "
                    "0470 12 34 56, or tap “No phone number”."
                ),
                [[Button(_("⏭ No phone number"), cb("as", "nophone"))]],
            )
            return
        data["phone"] = phone
        data["updates"] = [*data.get("updates", []), update.update_id]
        await _ask_language(update, ctx, data)
    else:
        await reply(update, ctx, _("Please tap one of the buttons above."))


async def _on_cancel(update: Update, ctx: BotContext, dialog: Dialog) -> str | None:
    await ctx.services.dialogs.clear(dialog.user_id)
    await ctx.services.assist.not_entered([int(u) for u in dialog.data.get("updates", [])])
    return _("Stopped. Nothing was stored.")


def register(app: Application) -> None:
    registry = registry_of(app)
    registry.command(
        "assist", N_("Act for a resident without Telegram"), {"worker", "organiser", "admin"}, 60
    )
    registry.dialog(KIND, _step, _on_cancel)
    app.add_handler(CommandHandler("assist", cmd_assist, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^as:"))
