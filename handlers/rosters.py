"""Volunteer rosters (story 10): /roster for organisers and workers, /volunteer and /shifts for
volunteers, take-over buttons, attendance, /hours export. Thin: parse, check, call bot.domain.rosters.

Callback prefixes: ro (roster management), sh (shifts and volunteers), tk (take-over).
"""

from __future__ import annotations

from datetime import date

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core.i18n import N_, _, ngettext
from bot.core.ui import Button, cb, esc
from bot.domain.rosters import (
    MAX_NOTE,
    MAX_PLACE,
    MAX_REASON,
    MAX_TITLE,
    RULES,
    RosterService,
    count_text,
    fmt_hours,
    parse_dates,
    parse_time,
    slot_block,
    slot_when,
    task_summary,
    weekday_short,
)
from handlers.common import (
    answer,
    button_expired,
    button_parts,
    parse_int,
    refuse,
    reply,
    roles,
    show,
)
from handlers.context import BotContext, registry_of
from storage.repos.dialogs import Dialog
from storage.repos.rosters import SlotInfo, Task

PRIVATE = filters.ChatType.PRIVATE
KIND = "roster"
BACK_KIND = "roster_back"
EDIT_FIELDS = {
    "when": ("rule",),
    "title": ("title",),
    "time": ("start_min", "end_min"),
    "place": ("place",),
    "needed": ("needed",),
    "note": ("note",),
}


def svc(ctx: BotContext) -> RosterService:
    return ctx.services.rosters


async def _managed_groups(ctx: BotContext) -> list:
    """Groups whose roster this person may manage: organiser of, worker of its project, admin."""
    s = ctx.services
    r = await roles(ctx)
    project_ids = {p.id for p in await s.projects.all()} if r.is_admin else set(r.worker_of)
    out = {}
    for pid in sorted(project_ids):
        for g in await s.groups.of_project(pid):
            out[g.id] = g
    for gid in sorted(r.organiser_of):
        g = await s.groups.get(gid)
        if g is not None:
            out[g.id] = g
    return sorted(out.values(), key=lambda g: g.name.lower())


async def _may_manage(ctx: BotContext, group_id: int) -> bool:
    s = ctx.services
    g = await s.groups.get(group_id)
    return g is not None and (await roles(ctx)).can_manage_group(g.id, g.project_id)


# ----- /roster -----


async def cmd_roster(update: Update, ctx: BotContext) -> None:
    groups = await _managed_groups(ctx)
    if not groups:
        await refuse(update, ctx)
        return
    await _roster_list(update, ctx, groups)


async def _roster_list(update: Update, ctx: BotContext, groups: list) -> None:
    tasks = await svc(ctx).tasks_of([g.id for g in groups])
    names = {g.id: g.name for g in groups}
    lines = [_("<b>Volunteer rosters</b>")]
    rows: list[list[Button]] = []
    for t in tasks:
        lines.append("")
        lines.append(task_summary(t, names.get(t.group_id)))
        rows.append([Button("📋 " + t.title[:50], cb("ro", "task", t.id))])
    if not tasks:
        lines.append(
            _(
                "There are no tasks yet. Tap the button to make one, for example the food distribution."
            )
        )
    rows.append([Button(_("➕ New task"), cb("ro", "new", 0))])
    await show(update, ctx, "\n".join(lines), rows)


async def _start_new(update: Update, ctx: BotContext, group_id: int) -> None:
    s = ctx.services
    await s.dialogs.set(
        ctx.user.id,
        KIND,
        "title",
        {"mode": "new", "group_id": group_id, "draft": {}},
        s.clock.now(),
    )
    await _ask(update, ctx, "title", {"draft": {}})


async def _ask(update: Update, ctx: BotContext, step: str, data: dict) -> None:
    draft = data.get("draft", {})
    stop = "\n" + _("Send /cancel to stop.")
    if step == "title":
        await show(
            update, ctx, _("What is the task? For example: <i>Food distribution</i>.") + stop
        )
    elif step == "rule":
        await show(
            update,
            ctx,
            _("How often?"),
            [
                [
                    Button(_("Every week"), cb("ro", "rule", "weekly")),
                    Button(_("Every two weeks"), cb("ro", "rule", "biweekly")),
                ],
                [
                    Button(_("Every month"), cb("ro", "rule", "monthly")),
                    Button(_("Chosen dates"), cb("ro", "rule", "dates")),
                ],
            ],
        )
    elif step == "nth":
        labels = [
            (1, _("First")),
            (2, _("Second")),
            (3, _("Third")),
            (4, _("Fourth")),
            (-1, _("Last")),
        ]
        await show(
            update,
            ctx,
            _("Which one of the month? (For example the first Saturday.)"),
            [
                [Button(label, cb("ro", "nth", n)) for n, label in labels[:3]],
                [Button(label, cb("ro", "nth", n)) for n, label in labels[3:]],
            ],
        )
    elif step == "weekday":
        buttons = [Button(weekday_short(i), cb("ro", "wd", i)) for i in range(7)]
        await show(update, ctx, _("Which day?"), [buttons[:4], buttons[4:]])
    elif step == "dates":
        await show(
            update, ctx, _("Which dates? Send them like this: <i>14/3, 21/3, 4/4</i>.") + stop
        )
    elif step == "start":
        hours = [Button(f"{h}:00", cb("ro", "sh", h * 60)) for h in range(7, 23)]
        await show(
            update,
            ctx,
            _("What time does it start? Tap an hour, or send a time like <i>9:30</i>."),
            [hours[i : i + 4] for i in range(0, len(hours), 4)],
        )
    elif step == "end":
        first = draft.get("start_min", 0) // 60 + 1
        hours = [Button(f"{h}:00", cb("ro", "eh", h * 60)) for h in range(first, 24)]
        await show(
            update,
            ctx,
            _("What time does it end? Tap an hour, or send a time like <i>12:30</i>."),
            [hours[i : i + 4] for i in range(0, len(hours), 4)],
        )
    elif step == "place":
        await show(
            update,
            ctx,
            _("Where? For example: <i>community centre, Rabotstraat 5</i>."),
            [[Button(_("Skip"), cb("ro", "skip"))]],
        )
    elif step == "needed":
        nums = [Button(str(n), cb("ro", "n", n)) for n in range(1, 9)]
        await show(
            update,
            ctx,
            _("How many volunteers are needed each time? Tap a number or send one."),
            [nums[:4], nums[4:]],
        )
    elif step == "note":
        await show(
            update,
            ctx,
            _("Anything to bring or to know? For example: <i>bring gloves</i>."),
            [[Button(_("Skip"), cb("ro", "skip"))]],
        )


def _next_step(draft: dict) -> str:
    if "title" not in draft:
        return "title"
    if "rule" not in draft:
        return "rule"
    if draft["rule"] == "monthly" and "nth" not in draft:
        return "nth"
    if draft["rule"] != "dates" and "weekday" not in draft:
        return "weekday"
    if draft["rule"] == "dates" and "dates" not in draft:
        return "dates"
    for key, step in (
        ("start_min", "start"),
        ("end_min", "end"),
        ("place", "place"),
        ("needed", "needed"),
        ("note", "note"),
    ):
        if key not in draft:
            return step
    return "confirm"


def _draft_task(draft: dict, today: date) -> Task:
    """The task as it will be saved, for the confirmation preview (starts today, injected clock)."""
    import json

    return Task(
        0,
        0,
        draft["title"],
        draft["rule"],
        draft.get("weekday"),
        draft.get("nth"),
        json.dumps(draft.get("dates") or []),
        today.isoformat(),
        draft["start_min"],
        draft["end_min"],
        draft.get("place") or "",
        draft["needed"],
        draft.get("note"),
        None,
        "",
        None,
    )


async def _got(update: Update, ctx: BotContext, dialog: Dialog, **values: object) -> None:
    """One answer received: go to the next question, or save the change."""
    s = ctx.services
    data = dict(dialog.data)
    if not await _may_manage(ctx, int(data["group_id"])):
        await s.dialogs.clear(ctx.user.id)
        await refuse(update, ctx)
        return
    draft = dict(data.get("draft", {}))
    draft.update(values)
    data["draft"] = draft
    if data["mode"] == "edit":
        field = data["field"]
        keys = EDIT_FIELDS[field]
        if field == "time" and "end_min" not in draft:
            await s.dialogs.set(ctx.user.id, KIND, "end", data, s.clock.now())
            await _ask(update, ctx, "end", data)
            return
        if field == "when":
            step = _next_step(
                dict(draft, title="", start_min=0, end_min=0, place="", needed=1, note=None)
            )
            if step != "confirm":
                await s.dialogs.set(ctx.user.id, KIND, step, data, s.clock.now())
                await _ask(update, ctx, step, data)
                return
        task = await svc(ctx).task(int(data["task_id"]))
        await s.dialogs.clear(ctx.user.id)
        if task is None or task.stopped_at:
            await show(update, ctx, _("This task has stopped."))
            return
        told = 0
        if field == "when":
            told = await svc(ctx).change_schedule(task, draft)
            keys = ()
        for key in keys:
            told = max(told, await svc(ctx).change_task(task, key, draft[key]))
            task = await svc(ctx).task(task.id) or task
        text = (
            _("Saved.")
            + " "
            + ngettext(
                "{n} volunteer who signed up was told.",
                "{n} volunteers who signed up were told.",
                told,
            ).format(n=told)
            + "\n\n"
            + task_summary(task)
        )
        await show(
            update, ctx, text, [[Button(_("📋 Back to the task"), cb("ro", "task", task.id))]]
        )
        return
    step = _next_step(draft)
    await s.dialogs.set(ctx.user.id, KIND, step, data, s.clock.now())
    if step == "confirm":
        text = (
            _("New task:")
            + "\n\n"
            + task_summary(_draft_task(draft, ctx.services.clock.now().date()))
            + "\n\n"
            + _("Is this right?")
        )
        await show(
            update,
            ctx,
            text,
            [[Button(_("✅ Create"), cb("ro", "ok")), Button(_("✖ Cancel"), cb("ro", "no"))]],
        )
        return
    await _ask(update, ctx, step, data)


async def _step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    s = ctx.services
    text = (update.effective_message.text or "").strip() if update.effective_message else ""
    if not text:
        await reply(update, ctx, _("Please send it as a text message."))
        return
    step = dialog.step
    if step == "title":
        if len(text) > MAX_TITLE:
            await reply(
                update,
                ctx,
                _("Please keep the name short (at most {n} characters).").format(n=MAX_TITLE),
            )
            return
        await _got(update, ctx, dialog, title=" ".join(text.split()))
    elif step == "dates":
        days = parse_dates(text, s.clock.now().astimezone(s.settings.tz).date())
        if not days:
            await reply(
                update,
                ctx,
                _("I could not read those dates. Send them like this: <i>14/3, 21/3, 4/4</i>."),
            )
            return
        await _got(update, ctx, dialog, dates=[d.isoformat() for d in days])
    elif step in ("start", "end"):
        minutes = parse_time(text)
        start = dialog.data.get("draft", {}).get("start_min", -1)
        if minutes is None or (step == "end" and minutes <= start):
            await reply(
                update, ctx, _("I could not read that time. Send it like this: <i>9:30</i>.")
            )
            return
        await _got(
            update,
            ctx,
            dialog,
            **({"start_min": minutes} if step == "start" else {"end_min": minutes}),
        )
    elif step == "place":
        await _got(update, ctx, dialog, place=text[:MAX_PLACE])
    elif step == "needed":
        n = parse_int(text)
        if n is None or not 1 <= n <= 50:
            await reply(update, ctx, _("Please send a number from 1 to 50."))
            return
        await _got(update, ctx, dialog, needed=n)
    elif step == "note":
        await _got(update, ctx, dialog, note=text[:MAX_NOTE])
    else:
        await reply(update, ctx, _("Please tap one of the buttons above."))


async def _cancel(update: Update, ctx: BotContext, dialog: Dialog) -> str | None:
    await ctx.services.dialogs.clear(ctx.user.id)
    return None


async def on_ro(update: Update, ctx: BotContext) -> None:
    parts = button_parts(update)
    s = ctx.services
    action = parts[1] if len(parts) > 1 else ""
    arg = parse_int(parts[2]) if len(parts) > 2 else None
    # Answers to the open /roster conversation.
    if action in ("rule", "nth", "wd", "sh", "eh", "n", "skip", "ok", "no"):
        dialog = await s.dialogs.get(ctx.user.id)
        if dialog is None or dialog.kind != KIND:
            await button_expired(update)
            return
        if not await _may_manage(ctx, int(dialog.data["group_id"])):
            await refuse(update, ctx)
            return
        await answer(update)
        await _dialog_button(update, ctx, dialog, action, parts)
        return
    if action == "new" and len(parts) == 3:
        groups = await _managed_groups(ctx)
        if not groups:
            await refuse(update, ctx)
            return
        if arg == 0 and len(groups) > 1:
            await answer(update)
            await show(
                update,
                ctx,
                _("For which group?"),
                [[Button(g.name[:60], cb("ro", "new", g.id))] for g in groups],
            )
            return
        group_id = groups[0].id if arg == 0 else arg
        if group_id is None or not await _may_manage(ctx, group_id):
            await refuse(update, ctx)
            return
        await answer(update)
        await _start_new(update, ctx, group_id)
        return
    if action in ("task", "edit", "stop", "stopyes", "ov", "past") and len(parts) >= 3:
        task = await svc(ctx).task(arg) if arg is not None else None
        if task is None:
            await button_expired(update)
            return
        if not await _may_manage(ctx, task.group_id):
            await refuse(update, ctx)
            return
        await answer(update)
        await _task_action(update, ctx, task, action, parts)
        return
    if action in ("call", "att", "attok") and len(parts) == 3:
        slot = await svc(ctx).slot(arg) if arg is not None else None
        if slot is None:
            await button_expired(update)
            return
        if not await _may_manage(ctx, slot.group_id):
            await refuse(update, ctx)
            return
        await _slot_action(update, ctx, slot, action)
        return
    if action == "tog" and len(parts) == 3:
        shift = await svc(ctx).shift(arg) if arg is not None else None
        slot = await svc(ctx).slot(shift.slot_id) if shift else None
        if shift is None or slot is None:
            await button_expired(update)
            return
        if not await _may_manage(ctx, slot.group_id):
            await refuse(update, ctx)
            return
        if slot.end > s.clock.now():
            await answer(update, _("This shift is not over yet."), alert=True)
            return
        await svc(ctx).toggle_attended(shift.id)
        await answer(update)
        await show(update, ctx, *(await svc(ctx).attendance_view(slot)))
        return
    if action == "hours" and len(parts) == 4:
        year = parse_int(parts[3])
        if arg is None or year is None or not 2000 <= year <= 2100:
            await button_expired(update)
            return
        if not (await roles(ctx)).can_manage_project(arg):
            await refuse(update, ctx)
            return
        await answer(update)
        await _send_hours(update, ctx, arg, year)
        return
    if action == "hp" and len(parts) == 3:
        if arg is None or not (await roles(ctx)).can_manage_project(arg):
            await refuse(update, ctx)
            return
        await answer(update)
        await _ask_year(update, ctx, arg)
        return
    await button_expired(update)


async def _dialog_button(
    update: Update, ctx: BotContext, dialog: Dialog, action: str, parts: list[str]
) -> None:
    s = ctx.services
    step = dialog.step
    value = parts[2] if len(parts) > 2 else ""
    if action == "no":
        await s.dialogs.clear(ctx.user.id)
        await show(update, ctx, _("Stopped. Nothing was changed."))
        return
    if action == "rule" and step == "rule" and value in RULES:
        await _got(update, ctx, dialog, rule=value)
    elif action == "nth" and step == "nth" and value in ("1", "2", "3", "4", "-1"):
        await _got(update, ctx, dialog, nth=int(value))
    elif action == "wd" and step == "weekday" and value in "0123456" and len(value) == 1:
        await _got(update, ctx, dialog, weekday=int(value))
    elif action == "sh" and step == "start" and value.isdigit() and int(value) < 24 * 60:
        await _got(update, ctx, dialog, start_min=int(value))
    elif (
        action == "eh"
        and step == "end"
        and value.isdigit()
        and dialog.data["draft"].get("start_min", 0) < int(value) <= 24 * 60 - 1
    ):
        await _got(update, ctx, dialog, end_min=int(value))
    elif action == "eh" and step == "end" and value == str(24 * 60):
        await _got(update, ctx, dialog, end_min=24 * 60 - 1)
    elif action == "n" and step == "needed" and value.isdigit() and 1 <= int(value) <= 50:
        await _got(update, ctx, dialog, needed=int(value))
    elif action == "skip" and step in ("place", "note"):
        await _got(update, ctx, dialog, **{step: "" if step == "place" else None})
    elif action == "ok" and step == "confirm" and dialog.data.get("mode") == "new":
        task = await svc(ctx).create_task(
            int(dialog.data["group_id"]), dialog.data["draft"], ctx.user.id
        )
        await s.dialogs.clear(ctx.user.id)
        slots = await svc(ctx).coming_slots(task.id)
        text = (
            _("✅ The task is ready. Volunteers can now take shifts with /volunteer.")
            + "\n\n"
            + task_summary(task)
        )
        if slots:
            text += "\n" + _("Next: {when}").format(when=slot_when(slots[0]))
        await show(update, ctx, text, [[Button(_("📋 Open the task"), cb("ro", "task", task.id))]])
    else:
        await button_expired(update)


async def _task_card(update: Update, ctx: BotContext, task: Task) -> None:
    slots = (await svc(ctx).coming_slots(task.id))[:6]
    lines = [task_summary(task, await svc(ctx).group_name(task.group_id)), ""]
    for sl in slots:
        lines.append(f"• {slot_when(sl)} – {count_text(sl)}")
    rows = [
        [
            Button(_("✏️ Name"), cb("ro", "edit", task.id, "title")),
            Button(_("🗓 Days"), cb("ro", "edit", task.id, "when")),
        ],
        [
            Button(_("🕘 Time"), cb("ro", "edit", task.id, "time")),
            Button(_("📍 Place"), cb("ro", "edit", task.id, "place")),
        ],
        [
            Button(_("👥 Number"), cb("ro", "edit", task.id, "needed")),
            Button(_("📝 Note"), cb("ro", "edit", task.id, "note")),
        ],
        [
            Button(_("📊 Gaps"), cb("ro", "ov", task.id)),
            Button(_("✅ Who came?"), cb("ro", "past", task.id)),
        ],
        [Button(_("🛑 Stop"), cb("ro", "stop", task.id))],
    ]
    await show(update, ctx, "\n".join(lines), rows)


async def _task_action(
    update: Update, ctx: BotContext, task: Task, action: str, parts: list[str]
) -> None:
    s = ctx.services
    if task.stopped_at and action != "task":
        await show(update, ctx, _("This task has stopped."))
        return
    if action == "task":
        await _task_card(update, ctx, task)
    elif action == "edit" and len(parts) == 4 and parts[3] in EDIT_FIELDS:
        field = parts[3]
        data = {
            "mode": "edit",
            "group_id": task.group_id,
            "task_id": task.id,
            "field": field,
            "draft": {},
        }
        step = {
            "when": "rule",
            "title": "title",
            "time": "start",
            "place": "place",
            "needed": "needed",
            "note": "note",
        }[field]
        await s.dialogs.set(ctx.user.id, KIND, step, data, s.clock.now())
        await _ask(update, ctx, step, data)
    elif action == "stop":
        await show(
            update,
            ctx,
            _(
                "Stop <b>{title}</b>? Coming shifts are cancelled and the volunteers are told."
            ).format(title=esc(task.title)),
            [
                [
                    Button(_("Yes, stop it"), cb("ro", "stopyes", task.id)),
                    Button(_("No"), cb("ro", "task", task.id)),
                ]
            ],
        )
    elif action == "stopyes":
        told = await svc(ctx).stop_task(task)
        await show(
            update,
            ctx,
            _("<b>{title}</b> has stopped.").format(title=esc(task.title))
            + " "
            + ngettext(
                "{n} volunteer who signed up was told.",
                "{n} volunteers who signed up were told.",
                told,
            ).format(n=told),
        )
    elif action == "ov":
        await reply(update, ctx, *(await svc(ctx).overview(task.group_id)))
    elif action == "past":
        past = await svc(ctx).ended_slots(task.id)
        if not past:
            await reply(update, ctx, _("No shifts have ended yet."))
            return
        rows = [
            [
                Button(
                    ("✅ " if sl.attendance_at else "❔ ") + slot_when(sl),
                    cb("ro", "att", sl.slot_id),
                )
            ]
            for sl in past
        ]
        await reply(update, ctx, _("Which shift?"), rows)
    else:
        await button_expired(update)


async def _slot_action(update: Update, ctx: BotContext, slot: SlotInfo, action: str) -> None:
    s = ctx.services
    if action == "call":
        if slot.cancelled_at or slot.start <= s.clock.now():
            await answer(update, _("This shift has passed."), alert=True)
            return
        if not slot.missing:
            await answer(update, _("This shift is full. Thank you!"), alert=True)
            return
        n = await svc(ctx).call_for_volunteers(slot)
        await answer(update)
        await reply(
            update,
            ctx,
            ngettext("📣 I asked {n} free volunteer:", "📣 I asked {n} free volunteers:", n).format(
                n=n
            )
            + "\n"
            + slot_block(slot)
            + "\n"
            + count_text(slot),
        )
        return
    if slot.end > s.clock.now():
        await answer(update, _("This shift is not over yet."), alert=True)
        return
    if action == "attok":
        await svc(ctx).confirm_attendance(slot.slot_id)
        await answer(update, _("Saved."))
        slot = await svc(ctx).slot(slot.slot_id) or slot
    else:
        await answer(update)
    await show(update, ctx, *(await svc(ctx).attendance_view(slot)))


# ----- /volunteer -----


async def cmd_volunteer(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    memberships = await s.groups.memberships(ctx.user.id)
    if not memberships:
        await reply(
            update,
            ctx,
            _(
                "You are not in a group yet. Ask your group for its link or scan the QR code on the poster."
            ),
        )
        return
    if len(memberships) == 1:
        await _group_view(update, ctx, memberships[0].group.id)
        return
    mine = await svc(ctx).volunteer_groups(ctx.user.id)
    rows = [
        [
            Button(
                ("🙋 " if m.group.id in mine else "") + m.group.name[:55],
                cb("sh", "grp", m.group.id),
            )
        ]
        for m in memberships
    ]
    await reply(update, ctx, _("In which group do you want to help?"), rows)


async def _group_view(update: Update, ctx: BotContext, group_id: int) -> None:
    s = ctx.services
    group = await s.groups.get(group_id)
    if group is None:
        await button_expired(update)
        return
    if not await svc(ctx).is_volunteer(group_id, ctx.user.id):
        await show(
            update,
            ctx,
            _(
                "Do you want to help as a volunteer in <b>{group}</b>? You choose the shifts yourself."
            ).format(group=esc(group.name)),
            [[Button(_("🙋 Yes, I want to help"), cb("sh", "join", group_id))]],
        )
        return
    slots = await svc(ctx).open_slots(group_id)
    lines = [
        _("<b>Shifts in {group}</b>").format(group=esc(group.name)),
        _("Tap a shift to take it."),
    ]
    rows: list[list[Button]] = []
    for sl in slots:
        if await svc(ctx).has_shift(sl.slot_id, ctx.user.id):
            lines.append("✅ {} – {} ({})".format(slot_when(sl), esc(sl.title), _("you")))
        elif sl.missing == 0:
            lines.append("⛔ {} – {} ({})".format(slot_when(sl), esc(sl.title), _("full")))
        else:
            lines.append(f"✋ {slot_when(sl)} – {esc(sl.title)} ({sl.signed}/{sl.needed})")
            if len(rows) < 20:
                rows.append(
                    [
                        Button(
                            f"✋ {slot_when(sl)} {sl.title}"[:60],
                            cb("sh", "take", sl.slot_id),
                        )
                    ]
                )
    if not slots:
        lines.append(_("No shifts planned."))
    rows.append(
        [
            Button(_("📋 My shifts"), cb("sh", "list", 0)),
            Button(_("🛑 Stop helping"), cb("sh", "leave", group_id)),
        ]
    )
    await show(update, ctx, "\n".join(lines), rows)


async def on_sh(update: Update, ctx: BotContext) -> None:
    parts = button_parts(update)
    s = ctx.services
    if len(parts) not in (3, 4):
        await button_expired(update)
        return
    action, arg = parts[1], parse_int(parts[2])
    if arg is None:
        await button_expired(update)
        return
    r = await roles(ctx)
    if action in ("grp", "join", "leave"):
        if not r.is_member(arg):
            await refuse(update, ctx)
            return
        await answer(update)
        if action == "join":
            await svc(ctx).set_volunteer(arg, ctx.user.id, True)
        elif action == "leave":
            await svc(ctx).set_volunteer(arg, ctx.user.id, False)
            await show(
                update,
                ctx,
                _("You no longer get questions to help. Your shifts stay: see /shifts. Thank you!"),
            )
            return
        await _group_view(update, ctx, arg)
        return
    if action == "take":
        slot = await svc(ctx).slot(arg)
        if slot is None:
            await button_expired(update)
            return
        if not r.is_member(slot.group_id) or not await svc(ctx).is_volunteer(
            slot.group_id, ctx.user.id
        ):
            await refuse(update, ctx)
            return
        outcome = await svc(ctx).take_slot(arg, ctx.user.id)
        await _take_answer(update, ctx, outcome.code, outcome.slot or slot)
        return
    if action == "list":
        await answer(update)
        await cmd_shifts(update, ctx)
        return
    if action in ("back", "why", "keep"):
        shift = await svc(ctx).shift(arg)
        if shift is None or shift.user_id != ctx.user.id:
            await refuse(update, ctx) if shift is not None else await button_expired(update)
            return
        slot = await svc(ctx).slot(shift.slot_id)
        if slot is None or shift.state != "signed":
            await button_expired(update)
            return
        if action == "keep":
            await s.dialogs.clear(ctx.user.id)
            await answer(update)
            await show(
                update, ctx, _("Good, you keep your shift. Thank you!") + "\n\n" + slot_block(slot)
            )
            return
        if not svc(ctx).can_step_back(slot):
            await answer(
                update,
                _("It is too late to step back. Please tell the organiser yourself."),
                alert=True,
            )
            return
        await answer(update)
        if action == "back":
            await s.dialogs.set(
                ctx.user.id, BACK_KIND, "reason", {"shift_id": shift.id}, s.clock.now()
            )
            await show(
                update,
                ctx,
                _("Why can't you come? Send a short reason, or tap one.")
                + "\n\n"
                + slot_block(slot),
                [
                    [
                        Button(_("🤒 I am ill"), cb("sh", "why", shift.id, "ill")),
                        Button(_("📅 Something came up"), cb("sh", "why", shift.id, "other")),
                    ],
                    [Button(_("↩️ No, I keep my shift"), cb("sh", "keep", shift.id))],
                ],
            )
            return
        reason = {"ill": _("I am ill"), "other": _("Something came up")}.get(
            parts[3] if len(parts) == 4 else ""
        )
        if reason is None:
            await button_expired(update)
            return
        await _do_step_back(update, ctx, shift.id, reason)
        return
    await button_expired(update)


async def _take_answer(update: Update, ctx: BotContext, code: str, slot: SlotInfo) -> None:
    if code == "ok":
        await answer(update, _("Thank you!"))
        await show(
            update,
            ctx,
            _("✅ Thank you! You help {when}.").format(when=slot_when(slot))
            + "\n\n"
            + slot_block(slot)
            + "\n\n"
            + _("You get a reminder the day before."),
            [
                [
                    Button(_("✋ More shifts"), cb("sh", "grp", slot.group_id)),
                    Button(_("📋 My shifts"), cb("sh", "list", 0)),
                ]
            ],
        )
        return
    texts = {
        "full": _("This shift is full. Thank you!"),
        "already": _("You already have this shift."),
        "busy": _("You already have a shift at that time."),
        "past": _("This shift has passed."),
        "taken": _("Someone already took it. Thank you!"),
        "mine": _("You already took it. Thank you!"),
        "gone": _("This button no longer works. Send /help to start again."),
    }
    await answer(update, texts.get(code, texts["gone"]), alert=True)
    if code in ("full", "taken"):
        await show(update, ctx, texts[code] + "\n\n" + slot_block(slot))


async def _back_step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    text = (update.effective_message.text or "").strip() if update.effective_message else ""
    if not text:
        await reply(update, ctx, _("Please send it as a text message."))
        return
    await _do_step_back(
        update, ctx, int(dialog.data["shift_id"]), " ".join(text.split())[:MAX_REASON]
    )


async def _do_step_back(update: Update, ctx: BotContext, shift_id: int, reason: str) -> None:
    s = ctx.services
    await s.dialogs.clear(ctx.user.id)
    outcome = await svc(ctx).step_back(shift_id, ctx.user, reason)
    if outcome.code == "late":
        await show(
            update, ctx, _("It is too late to step back. Please tell the organiser yourself.")
        )
    elif outcome.code != "ok" or outcome.slot is None:
        await show(update, ctx, _("This shift has passed."))
    else:
        await show(
            update,
            ctx,
            _(
                "You stepped back from {when}. I asked the other volunteers to take over. Thank you for telling us."
            ).format(when=slot_when(outcome.slot)),
        )


# ----- /shifts -----


async def cmd_shifts(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    rsvc = svc(ctx)
    now = s.clock.now()
    shifts = await rsvc.my_shifts(ctx.user.id)
    lines = [_("<b>My shifts</b>")]
    rows: list[list[Button]] = []
    for shift, slot in shifts:
        lines.append(
            f"• {slot_when(slot)} – {esc(slot.title)}"
            + (" 📍 " + esc(slot.place) if slot.place else "")
        )
        if rsvc.can_step_back(slot):
            rows.append(
                [
                    Button(
                        _("↩️ Step back: {when}").format(when=slot_when(slot))[:60],
                        cb("sh", "back", shift.id),
                    )
                ]
            )
        elif slot.start > now:
            lines.append("  " + _("(too late to step back: please tell the organiser yourself)"))
    if not shifts:
        lines.append(_("You have no coming shifts. Send /volunteer to take one."))
    n_all, h_all, n_year, h_year = await rsvc.contribution(ctx.user.id)
    if n_all:
        lines.append("")
        lines.append(
            _(
                "💪 Your help: {shifts} this year ({hours} hours); {total_shifts} in total ({total_hours} hours). Thank you!"
            ).format(
                shifts=ngettext("{n} shift", "{n} shifts", n_year).format(n=n_year),
                hours=fmt_hours(h_year),
                total_shifts=ngettext("{n} shift", "{n} shifts", n_all).format(n=n_all),
                total_hours=fmt_hours(h_all),
            )
        )
    await show(update, ctx, "\n".join(lines), rows)


# ----- take-over -----


async def on_tk(update: Update, ctx: BotContext) -> None:
    parts = button_parts(update)
    takeover_id = parse_int(parts[2]) if len(parts) == 3 and parts[1] == "take" else None
    if takeover_id is None:
        await button_expired(update)
        return
    outcome = await svc(ctx).take_over(takeover_id, ctx.user)
    if outcome.code == "not_volunteer":
        await refuse(update, ctx)
        return
    if outcome.slot is None:
        await button_expired(update)
        return
    if outcome.code == "ok":
        await answer(update, _("Thank you!"))
        await show(
            update,
            ctx,
            _("✅ Thank you! You take over {when}.").format(when=slot_when(outcome.slot))
            + "\n\n"
            + slot_block(outcome.slot)
            + "\n\n"
            + _("You get a reminder the day before."),
        )
        return
    await _take_answer(update, ctx, outcome.code, outcome.slot)


# ----- /hours -----


async def cmd_hours(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    r = await roles(ctx)
    projects = (
        await s.projects.all() if r.is_admin else await s.projects.projects_of_worker(ctx.user.id)
    )
    if not projects:
        await refuse(update, ctx)
        return
    if len(projects) == 1:
        await _ask_year(update, ctx, projects[0].id)
        return
    await reply(
        update,
        ctx,
        _("For which project?"),
        [[Button(p.name[:60], cb("ro", "hp", p.id))] for p in projects],
    )


async def _ask_year(update: Update, ctx: BotContext, project_id: int) -> None:
    year = ctx.services.clock.now().astimezone(ctx.services.settings.tz).year
    await show(
        update,
        ctx,
        _("Volunteer hours: which year?"),
        [
            [
                Button(
                    _("This year ({year})").format(year=year), cb("ro", "hours", project_id, year)
                ),
                Button(
                    _("Last year ({year})").format(year=year - 1),
                    cb("ro", "hours", project_id, year - 1),
                ),
            ]
        ],
    )


async def _send_hours(update: Update, ctx: BotContext, project_id: int, year: int) -> None:
    s = ctx.services
    project = await s.projects.get(project_id)
    data, summary = await svc(ctx).hours_csv(project_id, year)
    lines = [
        _("<b>Volunteer hours {year}</b> – {project}").format(
            year=year, project=esc(project.name if project else "?")
        )
    ]
    lines.append(_("Total: {hours} hours").format(hours=fmt_hours(summary["total"])))
    for title, hours in sorted(summary["per_task"].items()):
        lines.append(f"• {esc(title)}: {fmt_hours(hours)} h")
    lines.append(
        ngettext("{n} volunteer", "{n} volunteers", len(summary["per_person"])).format(
            n=len(summary["per_person"])
        )
    )
    caption = "\n".join(lines)[:1000]
    await ctx.bot.send_document(
        update.effective_chat.id,
        InputFile(data, filename=f"volunteer-hours-{year}.csv"),
        caption=caption,
    )


# ----- wiring -----


async def _menu_volunteer(update: Update, ctx: BotContext) -> None:
    await cmd_volunteer(update, ctx)


async def _menu_shifts(update: Update, ctx: BotContext) -> None:
    await cmd_shifts(update, ctx)


def register(app: Application) -> None:
    registry = registry_of(app)
    registry.command("volunteer", N_("Help as a volunteer: take a shift"), {"member"}, order=30)
    registry.command("shifts", N_("My volunteer shifts"), {"member"}, order=31)
    registry.command(
        "roster", N_("Volunteer rosters of your group"), {"organiser", "worker", "admin"}, order=60
    )
    registry.command("hours", N_("Export volunteer hours (CSV)"), {"worker", "admin"}, order=75)
    registry.menu_item("volunteer", N_("🙋 Volunteer"), {"member"}, _menu_volunteer, order=40)
    registry.dialog(KIND, _step, _cancel)
    registry.dialog(BACK_KIND, _back_step, _cancel)
    app.add_handler(CommandHandler("roster", cmd_roster, filters=PRIVATE))
    app.add_handler(CommandHandler("volunteer", cmd_volunteer, filters=PRIVATE))
    app.add_handler(CommandHandler("shifts", cmd_shifts, filters=PRIVATE))
    app.add_handler(CommandHandler("hours", cmd_hours, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_ro, pattern=r"^ro:"))
    app.add_handler(CallbackQueryHandler(on_sh, pattern=r"^sh:"))
    app.add_handler(CallbackQueryHandler(on_tk, pattern=r"^tk:"))
