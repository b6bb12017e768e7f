"""/action (organisers and workers call people to act), members' answers, /actions (live view
and managing a call), /settings (mute per group), /stop and /start (Telegram's convention)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core import i18n
from bot.core.dateparse import parse, place_in
from bot.core.i18n import N_, _, ngettext
from bot.core.ui import Button, cb, clip, esc
from bot.domain.actions import ActionsService, call_rows, call_text, plus_chats, view_of_draft
from bot.domain.onboarding import split_names
from handlers import dates
from handlers.common import (
    answer,
    button_action,
    button_expired,
    count_in,
    is_skip_word,
    parse_cb,
    parse_int,
    refuse,
    reply,
    roles,
    show,
)
from handlers.context import BotContext, registry_of
from handlers.translations import offer_versions, on_fix_text
from storage.repos.actions import Action
from storage.repos.dialogs import Dialog
from storage.timestamps import from_db, to_db

PRIVATE = filters.ChatType.PRIVATE
KIND = "action"
FIELDS = ("what", "when", "place", "why", "bring")
LIMITS = {"what": 200, "place": 200, "why": 4000, "bring": 4000, "rolename": 40}


def svc(ctx: BotContext) -> ActionsService:
    return ctx.services.actions


async def _groups_and_projects(ctx: BotContext):
    """Groups this person may call (organiser of, or in a project they work for) and projects
    they may call as a whole (workers)."""
    r = await roles(ctx)
    s = ctx.services
    groups = {}
    for pid in r.worker_of:
        for g in await s.groups.of_project(pid):
            groups[g.id] = g
    for gid in r.organiser_of:
        group = await s.groups.get(gid)
        if group is not None:
            groups[group.id] = group
    projects = [p for p in [await s.projects.get(pid) for pid in sorted(r.worker_of)] if p]
    return sorted(groups.values(), key=lambda g: g.name.lower()), projects


# ----- the /action conversation -----


async def cmd_action(update: Update, ctx: BotContext) -> None:
    r = await roles(ctx)
    if not (r.is_worker or r.is_organiser):
        await reply(update, ctx, _("Only organisers and project workers can call for action."))
        return
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "what", {}, s.clock.now())
    await reply(
        update,
        ctx,
        _(
            "<b>Call for action</b>\nWhat is going to happen? For example: <i>Protest at city"
            " hall</i>."
        ),
    )


async def _ask(update: Update, ctx: BotContext, step: str, data: dict) -> None:
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, step, data, s.clock.now())
    skip = [[Button(_("Skip"), cb("ac", "skip"))]]
    if step == "what":
        await show(update, ctx, _("What is going to happen?"))
    elif step == "when":
        now = s.clock.now()
        days = [now.date() + timedelta(days=i) for i in range(8)]
        buttons = [
            Button(i18n.format_short_date(d), cb("ac", "d", d.strftime("%Y%m%d"))) for d in days
        ]
        await show(
            update,
            ctx,
            _(
                "Which day? Tap a day, or type the date and time, for example: <i>{example}</i>."
            ).format(example=_("Tuesday 19:00")),
            [buttons[i : i + 4] for i in range(0, 8, 4)],
        )
    elif step == "place":
        hint = data.get("place_hint")
        if hint:  # said with the date ("... aan het stadhuis"): one tap to take it
            await show(
                update,
                ctx,
                _("Where is it? Tap to take <b>{place}</b>, or send another place.").format(
                    place=esc(hint)
                ),
                [[Button(clip("📍 " + hint, 60), cb("ac", "pl"))]],
            )
        else:
            await show(update, ctx, _("Where? For example: <i>Town hall, Botermarkt 1</i>."))
    elif step == "why":
        await show(update, ctx, _("Why? Say it in one or two short sentences."), skip)
    elif step == "bring":
        await show(update, ctx, _("What should people bring?"), skip)
    elif step == "roles":
        lines = [_("Do you need people for special tasks? For example: 3 people to hold banners.")]
        for name, n in data.get("roles", []):
            lines.append(
                "• "
                + ngettext(
                    "{role}: {filled} of {needed}", "{role}: {filled} of {needed}", n
                ).format(role=esc(name), filled=0, needed=n)
            )
        await show(
            update,
            ctx,
            "\n".join(lines),
            [[Button(_("➕ Add a task"), cb("ac", "ra"))], [Button(_("➡️ Next"), cb("ac", "rn"))]],
        )
    elif step == "rolename":
        await show(
            update, ctx, _("What is the task? For example: <i>hold a banner</i>, <i>driver</i>.")
        )
    elif step == "rolecount":
        nums = [1, 2, 3, 4, 5, 6, 8, 10]
        await show(
            update,
            ctx,
            _("How many people for <b>{role}</b>?").format(role=esc(data.get("rolename", ""))),
            [
                [Button(str(n), cb("ac", "rc", n)) for n in nums[:4]],
                [Button(str(n), cb("ac", "rc", n)) for n in nums[4:]],
            ],
        )
    elif step == "audience":
        await _show_audience(update, ctx, data)


async def _show_audience(update: Update, ctx: BotContext, data: dict) -> None:
    groups, projects = await _groups_and_projects(ctx)
    chosen = set(data.get("groups", []))
    rows = []
    for g in groups:
        mark = "☑️" if g.id in chosen and not data.get("project") else "⬜"
        rows.append([Button(f"{mark} {g.name}"[:60], cb("ac", "g", g.id))])
    for p in projects:
        mark = "☑️" if data.get("project") == p.id else "⬜"
        rows.append(
            [
                Button(
                    (mark + " " + _("🌍 The whole project {name}").format(name=p.name))[:60],
                    cb("ac", "p", p.id),
                )
            ]
        )
    reach = (
        len(await svc(ctx).audience(data, ctx.user.id)) if (chosen or data.get("project")) else 0
    )
    text = (
        _("Who gets the call? Tap one or more groups.")
        + "\n"
        + ngettext("It will reach {n} person.", "It will reach {n} people.", reach).format(n=reach)
    )
    chats = len(await svc(ctx).linked_chats(data)) if reach else 0
    if chats:
        text += "\n" + plus_chats(chats)
    if reach:
        rows.append([Button(_("👀 Preview"), cb("ac", "an"))])
    await show(update, ctx, text, rows)


async def _step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    data = dict(dialog.data)
    text = update.effective_message.text if update.effective_message else None
    if not text or not text.strip():
        await reply(update, ctx, _("Please send it as a text message."))
        return
    text = text.strip()
    step = dialog.step
    if step == "trfix":
        await on_fix_text(update, ctx, dialog, text)  # a corrected translation (issue 15)
        return
    if step in ("why", "bring") and is_skip_word(text):
        data[step] = None  # the button's word typed instead of tapped ("Overslaan")
        await _next(update, ctx, step, data)
        return
    if step == "roles":
        # The task typed straight away, without tapping "Add a task" first.
        if len(data.get("roles", [])) >= 8:
            await reply(update, ctx, _("That is enough tasks for one call."))
            return
        step = "rolename"
    if step in LIMITS:
        if len(text) > LIMITS[step]:
            await reply(
                update,
                ctx,
                ngettext(
                    "Please keep it shorter (at most {n} character).",
                    "Please keep it shorter (at most {n} characters).",
                    LIMITS[step],
                ).format(n=LIMITS[step]),
            )
            return
        if step == "rolename":
            # "spandoeken, koffie": two tasks, their counts asked one after the other.
            names = split_names(text, limit=8 - len(data.get("roles", [])), length=40)
            data["rolename"] = names[0] if names else text
            if len(names) > 1:
                data["role_queue"] = names[1:]
            await _ask(update, ctx, "rolecount", data)
            return
        data[step] = text
        if step == "place":
            data.pop("place_hint", None)
        elif step == "what" and (hint := place_in(text, i18n.current_language())):
            # The example itself says "Protest aan het stadhuis": offered when "where" is asked.
            data["place_hint"] = hint
        await _next(update, ctx, step, data)
        return
    if step in ("when", "hour"):
        when = await _read_when(update, ctx, text, KIND, data)
        if when is None:
            return
        data["when"] = to_db(when)
        await _next(update, ctx, "when", data)
        return
    if step == "rolecount":
        n = count_in(text)  # "3" or "3 mensen"
        if n is None or not 1 <= n <= 500:
            await reply(update, ctx, _("Please tap a number."))
            return
        data.setdefault("roles", []).append([data.pop("rolename", "?"), n])
        await _after_count(update, ctx, data)
        return
    await reply(update, ctx, _("Please tap one of the buttons above."))


async def _after_count(update: Update, ctx: BotContext, data: dict) -> None:
    """A task's count is known: the next typed task's count, or the list of tasks."""
    queue = data.pop("role_queue", [])
    if queue and len(data.get("roles", [])) < 8:
        data["rolename"] = queue[0]
        if queue[1:]:
            data["role_queue"] = queue[1:]
        await _ask(update, ctx, "rolecount", data)
        return
    await _ask(update, ctx, "roles", data)


async def _next(update: Update, ctx: BotContext, done: str, data: dict) -> None:
    data.pop("part", None)  # the hour question's part of the day is answered
    if data.pop("back", False):
        await _preview(update, ctx, data)
        return
    order = ["what", "when", "place", "why", "bring", "roles", "audience"]
    await _ask(update, ctx, order[order.index(done) + 1], data)


async def _preview(update: Update, ctx: BotContext, data: dict) -> None:
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "confirm", data, s.clock.now())
    group_name = await _longest_group_name(ctx, data)
    # Each member sees their own group's name; the preview names every group the call goes to.
    names = await _group_names(ctx, data)
    view = view_of_draft(data, i18n.comma().join(names))
    edit_rows = [
        [
            Button(_("✏️ What"), cb("ac", "e", "what")),
            Button(_("✏️ When"), cb("ac", "e", "when")),
            Button(_("✏️ Where"), cb("ac", "e", "place")),
        ],
        [Button(_("✏️ Why"), cb("ac", "e", "why")), Button(_("✏️ Bring"), cb("ac", "e", "bring"))],
    ]
    over = svc(ctx).too_long_by(data, group_name)
    if over:
        await reply(
            update,
            ctx,
            ngettext(
                "This call is too long for one message. Please make it {n} character shorter.",
                "This call is too long for one message. Please make it {n} characters shorter.",
                over,
            ).format(n=over),
            edit_rows + [[Button(_("✖ Cancel"), cb("ac", "x"))]],
        )
        return
    reach = len(await svc(ctx).audience(data, ctx.user.id))
    chats = len(await svc(ctx).linked_chats(data))
    await reply(update, ctx, call_text(view), call_rows(view, preview=True))
    await offer_versions(update, ctx, KIND, data)  # members' languages (issue 15)
    await s.dialogs.set(ctx.user.id, KIND, "confirm", data, s.clock.now())
    await reply(
        update,
        ctx,
        _("This is how members will see it.")
        + (" " + _("Each member sees the name of their own group.") if len(names) > 1 else "")
        + "\n"
        + ngettext("Send it to {n} person?", "Send it to {n} people?", reach).format(n=reach)
        + ("\n" + plus_chats(chats) if chats else ""),
        [[Button(_("📣 Send"), cb("ac", "send"))]]
        + edit_rows
        + [[Button(_("✖ Cancel"), cb("ac", "x"))]],
    )


async def _group_names(ctx: BotContext, data: dict) -> list[str]:
    return [
        g.name
        for g in [await ctx.services.groups.get(gid) for gid in await svc(ctx).target_groups(data)]
        if g
    ]


async def _longest_group_name(ctx: BotContext, data: dict) -> str:
    """Each member sees their own group's name: check the length with the longest one."""
    names = await _group_names(ctx, data)
    return max(names, key=len) if names else ""


async def _check_audience(ctx: BotContext, data: dict) -> bool:
    """Every target must still be this person's to call (roles can change, data can be forged)."""
    r = await roles(ctx)
    s = ctx.services
    if data.get("project"):
        return r.can_manage_project(int(data["project"])) and bool(
            await svc(ctx).target_groups(data)
        )
    if not data.get("groups"):
        return False
    for gid in data["groups"]:
        g = await s.groups.get(int(gid))
        if g is None or not r.can_manage_group(g.id, g.project_id):
            return False
    return True


async def on_dialog_button(update: Update, ctx: BotContext, parts: list[str]) -> None:
    s = ctx.services
    r = await roles(ctx)
    if not (r.is_worker or r.is_organiser or r.is_admin):
        await refuse(update, ctx)
        return
    dialog = await s.dialogs.get(ctx.user.id)
    if dialog is None or dialog.kind != KIND:
        await button_expired(update)
        return
    data = dict(dialog.data)
    act, arg = parts[1], (parts[2] if len(parts) > 2 else "")
    step = dialog.step
    if act == "x":
        await s.dialogs.clear(ctx.user.id)
        await answer(update)
        await show(update, ctx, _("Stopped. Nothing was sent."))
        return
    if act == "skip" and step in ("why", "bring"):
        await answer(update)
        data[step] = None
        await _next(update, ctx, step, data)
        return
    if act == "d" and step in ("when", "hour") and re.fullmatch(r"\d{8}", arg):
        await answer(update)
        if data.get("clock"):  # the time was typed first ("19u"), now the day
            day = datetime.strptime(arg, "%Y%m%d").date()
            hh, mm = (int(x) for x in data.pop("clock").split(":"))
            when = datetime.combine(day, time(hh, mm), tzinfo=s.clock.tz)
            if when <= s.clock.now():
                await answer(update, _("That time has passed. Please choose another."), alert=True)
                return
            data["when"] = to_db(when)
            await _next(update, ctx, "when", data)
            return
        data["day"] = arg
        data.pop("part", None)  # another day tapped: all the hours
        await _ask_hour(update, ctx, data)
        return
    if act == "t" and step in ("when", "hour") and re.fullmatch(r"\d{12}", arg):
        when = datetime.strptime(arg, "%Y%m%d%H%M").replace(tzinfo=s.clock.tz)
        if when <= s.clock.now():
            await answer(update, _("That time has passed. Please choose another."), alert=True)
            return
        await answer(update)
        data.pop("day", None)
        data["when"] = to_db(when)
        await _next(update, ctx, "when", data)
        return
    if (
        act == "h"
        and step == "hour"
        and data.get("day")
        and (hour := parse_int(arg)) is not None
        and hour < 24
    ):
        day = datetime.strptime(data.pop("day"), "%Y%m%d")
        when = datetime(day.year, day.month, day.day, int(arg), 0, tzinfo=s.clock.tz)
        if when <= s.clock.now():
            await answer(update, _("That time has passed. Please choose another."), alert=True)
            return
        await answer(update)
        data["when"] = to_db(when)
        await _next(update, ctx, "when", data)
        return
    if act == "pl" and step == "place" and data.get("place_hint"):
        await answer(update)
        data["place"] = data.pop("place_hint")
        await _next(update, ctx, "place", data)
        return
    if act == "ra" and step == "roles":
        if len(data.get("roles", [])) >= 8:
            await answer(update, _("That is enough tasks for one call."), alert=True)
            return
        await answer(update)
        await _ask(update, ctx, "rolename", data)
        return
    if act == "rc" and step == "rolecount" and parse_int(arg) and 1 <= int(arg) <= 500:
        await answer(update)
        data.setdefault("roles", []).append([data.pop("rolename", "?"), int(arg)])
        await _after_count(update, ctx, data)
        return
    if act == "rn" and step == "roles":
        await answer(update)
        await _ask(update, ctx, "audience", data)
        return
    if act in ("g", "p") and step == "audience":
        target = parse_int(arg)
        if target is None:
            await button_expired(update)
            return
        if act == "g":
            g = await s.groups.get(target)
            if g is None or not r.can_manage_group(g.id, g.project_id):
                await refuse(update, ctx)
                return
            chosen = [] if data.get("project") else list(data.get("groups", []))
            chosen = [x for x in chosen if x != target] if target in chosen else chosen + [target]
            data["groups"], data["project"] = chosen, None
        else:
            if not r.can_manage_project(target):
                await refuse(update, ctx)
                return
            data["project"] = None if data.get("project") == target else target
            data["groups"] = []
        await answer(update)
        await s.dialogs.set(ctx.user.id, KIND, "audience", data, s.clock.now())
        await _show_audience(update, ctx, data)
        return
    if act == "an" and step == "audience":
        if not await _check_audience(ctx, data):
            await refuse(update, ctx)
            return
        await answer(update)
        await _preview(update, ctx, data)
        return
    if act == "e" and step == "confirm" and arg in FIELDS:
        await answer(update)
        data["back"] = True
        await _ask(update, ctx, arg, data)
        return
    if act == "send" and step == "confirm":
        if not await _check_audience(ctx, data):
            await refuse(update, ctx)
            return
        if not await svc(ctx).target_groups(data) or svc(ctx).too_long_by(
            data, await _longest_group_name(ctx, data)
        ):
            await button_expired(update)
            return
        await s.dialogs.clear(ctx.user.id)
        await answer(update)
        chats = len(await svc(ctx).linked_chats(data))
        aid, reach = await svc(ctx).send(data, ctx.user)
        await show(
            update,
            ctx,
            ngettext(
                "📣 Sending to {n} person now. Below you see how far it is and who comes.",
                "📣 Sending to {n} people now. Below you see how far it is and who comes.",
                reach,
            ).format(n=reach)
            + ("\n" + plus_chats(chats) if chats else ""),
        )
        return
    await button_expired(update)


async def _on_cancel(update: Update, ctx: BotContext, dialog: Dialog) -> str | None:
    await ctx.services.dialogs.clear(ctx.user.id)
    return _("Stopped. Nothing was sent.")


# ----- members' answers, managing a call -----


async def on_ac(update: Update, ctx: BotContext) -> None:
    parts = await button_action(update)
    if parts is None:
        return
    act = parts[1]
    if act == "pv":
        await answer(update, _("This is only a preview."))
        return
    if act in ("y", "n", "r"):
        await _member_answer(update, ctx, parts)
        return
    if update.effective_chat is not None and update.effective_chat.type != "private":
        await button_expired(update)  # a group chat's post has answer buttons only
        return
    if act in ("m", "c", "cy", "ch", "f"):
        await _manage(update, ctx, parts)
        return
    if act == "ct":
        await _change_pick(update, ctx, parts)
        return
    await on_dialog_button(update, ctx, parts)


async def _member_answer(update: Update, ctx: BotContext, parts: list[str]) -> None:
    aid = parse_int(parts[2]) if len(parts) > 2 else None
    rid = parse_int(parts[3]) if len(parts) == 4 else None
    if aid is None or (parts[1] == "r" and rid is None) or (parts[1] != "r" and len(parts) != 3):
        await button_expired(update)
        return
    chat = update.effective_chat
    in_group_chat = chat is not None and chat.type != "private"
    if in_group_chat:
        # Under the post in a linked group chat: only members of that group may answer.
        action = await svc(ctx).repo.get(aid)
        assert chat is not None
        group = await svc(ctx).chat_group(action, chat.id) if action is not None else None
        if group is None:
            await button_expired(update)
            return
        if ctx.user is None or not (await roles(ctx)).is_member(group.id):
            await refuse(update, ctx)
            return
        outcome = await svc(ctx).answer_in_chat(aid, ctx.user.id, group.id, parts[1], rid)
    else:
        outcome = await svc(ctx).answer(aid, ctx.user.id, parts[1], rid)
    if outcome == "not_yours":
        await refuse(update, ctx)
        return
    if outcome in ("closed", "unknown_role"):
        await answer(update, _("This call is closed."), alert=True)
        return
    if outcome == "full":
        await answer(update, _("Sorry, this task is full. You can still come!"), alert=True)
    else:
        await answer(update, _("Thank you! You can change your answer at any time."))
    if in_group_chat:
        # The post is everyone's: it is kept up to date through the outbox, not edited for one.
        return
    shown = await svc(ctx).member_view(aid, ctx.user.id)
    if shown is not None:
        await show(update, ctx, *shown)


async def _may_manage(ctx: BotContext, action) -> bool:
    r = await roles(ctx)
    if action.created_by == ctx.user.id or r.can_manage_project(action.project_id):
        return True
    return bool(action.groups) and all(g in r.organiser_of for g in action.groups)


async def _manage(update: Update, ctx: BotContext, parts: list[str]) -> None:
    s = ctx.services
    aid = parse_int(parts[2]) if len(parts) == 3 else None
    action = await svc(ctx).repo.get(aid) if aid is not None else None
    if action is None:
        await button_expired(update)
        return
    if not await _may_manage(ctx, action):
        await refuse(update, ctx)
        return
    await answer(update)
    act = parts[1]
    over = action.start <= s.clock.now()
    if act == "m":
        text, _rows = await svc(ctx).status_for(action, ctx.user)
        rows = []
        if action.state == "sent" and not over:
            rows = [
                [Button(_("✏️ Change time or place"), cb("ac", "ch", aid))],
                [Button(_("🛑 Cancel the action"), cb("ac", "c", aid))],
            ]
        if action.state == "sent" and over and action.followup_sent_at is None:
            rows.append([Button(_("💬 Write to them"), cb("ac", "f", aid))])
        await reply(update, ctx, text, rows)
    elif act == "c" and action.state == "sent":
        await reply(
            update,
            ctx,
            _("Cancel <b>{what}</b>? Everyone who said they are coming is told.").format(
                what=esc(action.what)
            ),
            [[Button(_("🛑 Yes, cancel it"), cb("ac", "cy", aid))]],
        )
    elif act == "cy" and action.state == "sent":
        n = await svc(ctx).cancel(action.id)
        await show(
            update,
            ctx,
            ngettext("Cancelled. {n} person is told.", "Cancelled. {n} people are told.", n).format(
                n=n
            ),
        )
    elif act == "ch" and action.state == "sent" and not over:
        # A typed time alone ("19u30") or a weekday is read near the call's own day.
        was = from_db(action.starts_at, s.clock.tz)
        day = was.strftime("%Y%m%d") if was else None
        await s.dialogs.set(
            ctx.user.id, "action_change", "when", {"aid": aid, "day": day}, s.clock.now()
        )
        await reply(
            update,
            ctx,
            _("When is it now? Type the new day and time, for example: <i>{example}</i>.").format(
                example=_("Tuesday 19:00")
            ),
        )
    elif act == "f" and action.followup_sent_at is None and over:
        await s.dialogs.set(ctx.user.id, "action_follow", "text", {"aid": aid}, s.clock.now())
        await reply(update, ctx, _("Write your message to everyone who came. It is sent once."))
    else:
        await reply(update, ctx, _("This call is closed."))


async def _ask_hour(update: Update, ctx: BotContext, data: dict) -> None:
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "hour", data, s.clock.now())
    hours = dates.hours_for(data.get("part"), list(range(8, 22)))
    rows = [
        [Button(f"{h:02d}:00", cb("ac", "h", h)) for h in hours[i : i + 4]]
        for i in range(0, len(hours), 4)
    ]
    day = datetime.strptime(data["day"], "%Y%m%d").date()
    await show(
        update,
        ctx,
        _("{day}: at what time? Tap one, or type it, for example <i>19:30</i>.").format(
            day=i18n.format_date(day)
        ),
        rows,
    )


async def _read_when(
    update: Update, ctx: BotContext, text: str, kind: str, data: dict
) -> datetime | None:
    """The moment typed, read like every flow reads it (bot.core.dateparse), if it is sure and
    still to come. Otherwise the person gets the question that fits (which one, which day, what
    time) and None; what is known so far stays in the dialog. ``kind``: this /action
    conversation or the change of a sent call."""
    s = ctx.services
    now = s.clock.now()
    day = datetime.strptime(data["day"], "%Y%m%d").date() if data.get("day") else None
    result = parse(text, i18n.current_language(), now, anchor=day)
    if result.problem == "no_time" and result.day is not None and data.get("clock"):
        hh, mm = (int(x) for x in data["clock"].split(":"))
        moment = datetime.combine(result.day, time(hh, mm), tzinfo=now.tzinfo)
        result = type(result)(when=moment) if moment > now else type(result)(problem="past")
    pick = "t" if kind == KIND else "ct"
    if kind == KIND and result.place:
        # "dinsdagavond aan het stadhuis": the place is offered when it is asked, not typed twice.
        data["place_hint"] = result.place
        await s.dialogs.set(ctx.user.id, kind, "when", data, now)
    if result.when is not None:
        note = dates.assumed(result)
        if note:
            await reply(update, ctx, note)
        data.pop("clock", None)
        data.pop("day", None)
        return result.when
    if result.problem in ("ambiguous", "past") and result.candidates:
        question = (
            dates.question(result)
            if result.problem == "ambiguous"
            else _("That date has passed. Do you mean next year?")
        )
        rows = [
            [Button(i18n.format_datetime(c), cb("ac", pick, c.strftime("%Y%m%d%H%M")))]
            for c in result.candidates
        ]
        await reply(update, ctx, question, rows)
    elif result.problem == "past":
        await reply(update, ctx, _("That date has passed. Please choose a date in the future."))
    elif result.problem == "no_time" and result.day is not None and result.day >= now.date():
        data["day"] = result.day.strftime("%Y%m%d")
        data["part"] = dates.part_of_day(result)  # "dinsdagavond": the evening's hours
        if kind == KIND:
            await _ask_hour(update, ctx, data)
        else:
            await s.dialogs.set(ctx.user.id, kind, "when", data, now)
            await reply(
                update,
                ctx,
                _("{day}: at what time? Tap one, or type it, for example <i>19:30</i>.").format(
                    day=i18n.format_date(result.day)
                ),
            )
    elif result.problem == "week" or (result.problem == "no_date" and result.clock is not None):
        if result.clock is not None:
            data["clock"] = result.clock.strftime("%H:%M")
        today = now.date()
        days = [today + timedelta(days=i) for i in range(8)]
        question = _("On which day?")
        if result.problem == "week" and result.day is not None:
            # "volgende week": its days; a weekday typed next is read in that week.
            data["day"] = result.day.strftime("%Y%m%d")
            days = [result.day + timedelta(days=i) for i in range(7)]
            days = [d for d in days if d >= today]
            question = _("Which day of that week?")
        await s.dialogs.set(ctx.user.id, kind, "when", data, now)
        day_rows: list[list[Button]] | None = (
            [
                [
                    Button(i18n.format_short_date(d), cb("ac", "d", d.strftime("%Y%m%d")))
                    for d in days[i : i + 4]
                ]
                for i in (0, 4)
                if days[i : i + 4]
            ]
            if kind == KIND
            else None
        )
        await reply(update, ctx, question, day_rows)
    else:
        await reply(update, ctx, dates.not_understood())
    return None


async def _dialog_action(
    update: Update, ctx: BotContext, dialog: Dialog, *, sent_only: bool
) -> tuple[str, Action | None]:
    """The change/follow-up dialogs' prologue: the text typed and the action, if this person may
    still manage it (``sent_only``: and it is not cancelled); otherwise the dialog ends, refused."""
    text = (update.effective_message.text or "").strip() if update.effective_message else ""
    action = await svc(ctx).repo.get(int(dialog.data["aid"]))
    if (
        action is None
        or not await _may_manage(ctx, action)
        or (sent_only and action.state != "sent")
    ):
        await ctx.services.dialogs.clear(ctx.user.id)
        await refuse(update, ctx)
        return text, None
    return text, action


async def _change_step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    s = ctx.services
    text, action = await _dialog_action(update, ctx, dialog, sent_only=True)
    if action is None:
        return
    if dialog.step == "when":
        data = dict(dialog.data)
        when = await _read_when(update, ctx, text, "action_change", data)
        if when is None:
            return
        await _ask_change_place(update, ctx, action, when)
        return
    place = action.place if text == "=" or not text else text[: LIMITS["place"]]
    when = from_db(dialog.data["when"])
    assert when is not None
    await s.dialogs.clear(ctx.user.id)
    n = await svc(ctx).change(action.id, when, place)
    await reply(
        update,
        ctx,
        ngettext("Changed. {n} person is told.", "Changed. {n} people are told.", n).format(n=n),
    )


async def _change_pick(update: Update, ctx: BotContext, parts: list[str]) -> None:
    """A candidate tapped while changing a sent call's time ("Which one do you mean?")."""
    s = ctx.services
    dialog = await s.dialogs.get(ctx.user.id)
    arg = parts[2] if len(parts) == 3 else ""
    if (
        dialog is None
        or dialog.kind != "action_change"
        or dialog.step != "when"
        or not re.fullmatch(r"\d{12}", arg)
    ):
        await button_expired(update)
        return
    action = await svc(ctx).repo.get(int(dialog.data["aid"]))
    if action is None or not await _may_manage(ctx, action) or action.state != "sent":
        await s.dialogs.clear(ctx.user.id)
        await refuse(update, ctx)
        return
    when = datetime.strptime(arg, "%Y%m%d%H%M").replace(tzinfo=s.clock.tz)
    if when <= s.clock.now():
        await answer(update, _("That time has passed. Please choose another."), alert=True)
        return
    await answer(update)
    await _ask_change_place(update, ctx, action, when)


async def _ask_change_place(
    update: Update, ctx: BotContext, action: Action, when: datetime
) -> None:
    s = ctx.services
    await s.dialogs.set(
        ctx.user.id,
        "action_change",
        "place",
        {"aid": action.id, "when": to_db(when)},
        s.clock.now(),
    )
    await reply(
        update,
        ctx,
        _("And where? Send the place, or <b>=</b> to keep <i>{place}</i>.").format(
            place=esc(action.place)
        ),
    )


async def _follow_step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    s = ctx.services
    text, action = await _dialog_action(update, ctx, dialog, sent_only=False)
    if action is None:
        return
    if not text or len(text) > 3000:
        await reply(
            update,
            ctx,
            ngettext(
                "Please keep it shorter (at most {n} character).",
                "Please keep it shorter (at most {n} characters).",
                3000,
            ).format(n=3000),
        )
        return
    await s.dialogs.clear(ctx.user.id)
    n = await svc(ctx).follow_up(action.id, text)
    if n is None:
        await reply(update, ctx, _("This message was already sent."))
        return
    await reply(update, ctx, ngettext("Sent to {n} person.", "Sent to {n} people.", n).format(n=n))


async def cmd_actions(update: Update, ctx: BotContext) -> None:
    r = await roles(ctx)
    if not (r.is_worker or r.is_organiser or r.is_admin):
        await refuse(update, ctx)
        return
    found = await svc(ctx).repo.of_creator_or_groups(
        ctx.user.id, sorted(r.organiser_of), sorted(r.worker_of)
    )
    if not found:
        await reply(update, ctx, _("No calls for action yet. Send /action to make one."))
        return
    for action in found[:5]:
        text, rows = await svc(ctx).status_for(action, ctx.user)
        await reply(update, ctx, text, rows)


# ----- mute per group, /settings, /stop -----


async def _settings_rows(ctx: BotContext) -> tuple[str, list[list[Button]]]:
    s = ctx.services
    repo = svc(ctx).repo
    muted = await repo.muted_groups(ctx.user.id)
    all_muted = await repo.muted_all(ctx.user.id)
    rows = []
    for m in await s.groups.memberships(ctx.user.id):
        label = ("🔕 " if m.group.id in muted or all_muted else "🔔 ") + m.group.name
        rows.append([Button(label[:60], cb("mute", "t", m.group.id))])
    text = _("<b>Calls for action</b>\n🔔 = you get them, 🔕 = muted. Tap a group to change.")
    if all_muted:
        text += "\n\n" + _("🔕 You get no calls for action at all, from none of your groups.")
    if ctx.user.stopped_at:
        text += "\n\n" + _(
            "You said /stop: you get no calls at all. Send /start to get them again."
        )
    if not rows:
        return _("You are not in a group yet."), []
    rows.append(
        [
            Button(_("🔔 Get calls for action again"), cb("mute", "A", 0))
            if all_muted
            else Button(_("🔕 No calls for action at all"), cb("mute", "A", 0))
        ]
    )
    return text, rows


async def cmd_settings(update: Update, ctx: BotContext) -> None:
    await reply(update, ctx, *(await _settings_rows(ctx)))


async def on_mute(update: Update, ctx: BotContext) -> None:
    """``mute:g:G`` (the button under a call) mutes one group and offers to mute all calls;
    ``mute:a:0`` mutes all calls; ``mute:t:G`` / ``mute:A:0`` toggle in /settings;
    ``mute:s:0`` shows /settings (from "My groups")."""
    assert update.callback_query is not None
    parts = parse_cb(update.callback_query.data, 3)
    gid = parse_int(parts[2]) if parts else None
    if parts is None or gid is None or parts[1] not in ("g", "t", "a", "A", "s"):
        await button_expired(update)
        return
    s = ctx.services
    repo = svc(ctx).repo
    if parts[1] == "s":  # "My groups" → the calls' settings, one's own
        await answer(update)
        await reply(update, ctx, *(await _settings_rows(ctx)))
        return
    if parts[1] in ("a", "A"):  # one's own setting: anyone may
        if parts[1] == "A" and await repo.muted_all(ctx.user.id):
            await repo.set_muted_all(ctx.user.id, False, s.clock.now())
            await answer(update, _("🔔 Unmuted."))
            await show(update, ctx, *(await _settings_rows(ctx)))
            return
        await repo.set_muted_all(ctx.user.id, True, s.clock.now())
        await answer(update, _("🔕 Muted."))
        if parts[1] == "A":
            await show(update, ctx, *(await _settings_rows(ctx)))
            return
        await show(
            update,
            ctx,
            _(
                "🔕 You get no calls for action from Buurtbot any more, from none of your groups."
                " Meetings and your shifts still reach you."
            ),
            [[Button(_("🔔 Get calls for action again"), cb("mute", "A", 0))]],
        )
        return
    r = await roles(ctx)
    if not r.is_member(gid):
        await refuse(update, ctx)
        return
    group = await s.groups.get(gid)
    if parts[1] == "g":
        await repo.set_muted(ctx.user.id, gid, True, s.clock.now())
        await answer(update)
        assert group is not None  # a member's group exists
        muted_now = await repo.muted_groups(ctx.user.id)
        others = [
            m.group.name
            for m in await s.groups.memberships(ctx.user.id)
            if m.group.id not in muted_now
        ]
        text = _("🔕 You get no more calls for action from <b>{group}</b>.").format(
            group=esc(group.name)
        )
        rows = [[Button(_("🔔 Unmute"), cb("mute", "t", gid))]]
        if others:
            text += "\n" + _("You still get calls from: {groups}.").format(
                groups=esc(i18n.comma().join(others))
            )
            rows.insert(0, [Button(_("🔕 No calls for action at all"), cb("mute", "a", 0))])
        await reply(update, ctx, text, rows)
        return
    muted_groups = await repo.muted_groups(ctx.user.id)
    muted = gid in muted_groups
    await repo.set_muted(ctx.user.id, gid, not muted, s.clock.now())
    await answer(update, _("🔔 Unmuted.") if muted else _("🔕 Muted."))
    await show(update, ctx, *(await _settings_rows(ctx)))


async def cmd_stop(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    ctx.user = await s.users.set_stopped(ctx.user, s.clock.now())
    await reply(
        update,
        ctx,
        _(
            "You will get no more calls or messages from your groups. Send /start to get them"
            " again."
        ),
    )


async def start_resumes(update: Update, ctx: BotContext) -> None:
    """Runs before /start itself (own handler group): /start undoes /stop."""
    if ctx.user is not None and ctx.user.stopped_at is not None:
        s = ctx.services
        # Not the update's own change: /start itself (group 0) records the update as processed.
        async with s.db.transaction(mark=False):
            ctx.user = await s.users.set_stopped(ctx.user, None)
        await reply(
            update, ctx, _("Welcome back: you get calls and messages from your groups again.")
        )


def register(app: Application) -> None:
    registry = registry_of(app)
    registry.command("action", N_("Call people to act"), {"organiser", "worker"}, order=30)
    registry.command("actions", N_("Your calls and who comes"), {"organiser", "worker"}, order=31)
    registry.command("settings", N_("Mute or unmute calls per group"), {"member"}, order=85)
    registry.command("stop", N_("Stop all messages from the groups"), {"member"}, order=98)
    registry.dialog(KIND, _step, _on_cancel)
    registry.dialog("action_change", _change_step, _on_cancel)
    registry.dialog("action_follow", _follow_step, _on_cancel)
    app.add_handler(CommandHandler("start", start_resumes, filters=PRIVATE), group=-10)
    app.add_handler(CommandHandler("action", cmd_action, filters=PRIVATE))
    app.add_handler(CommandHandler("actions", cmd_actions, filters=PRIVATE))
    app.add_handler(CommandHandler("settings", cmd_settings, filters=PRIVATE))
    app.add_handler(CommandHandler("stop", cmd_stop, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_ac, pattern=r"^ac:"))
    app.add_handler(CallbackQueryHandler(on_mute, pattern=r"^mute:"))
