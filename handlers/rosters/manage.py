"""Roster management for organisers and workers: /roster, the new-task and change conversation,
the task card, stopping a task, calling for volunteers and noting who came ("ro" buttons).
"""

from __future__ import annotations

import re
from datetime import date

from telegram import Update

from bot.core import dateparse, i18n
from bot.core.i18n import _, ngettext
from bot.core.ui import Button, cb, esc
from bot.domain.rosters import (
    MAX_NOTE,
    MAX_PLACE,
    MAX_TITLE,
    RULES,
    call_report,
    count_text,
    slot_block,
    slot_when,
    task_summary,
    weekday_short,
    who_line,
)
from handlers.common import (
    answer,
    button_expired,
    button_parts,
    count_in,
    is_skip_word,
    parse_int,
    refuse,
    reply,
    roles,
    show,
)
from handlers.context import BotContext
from handlers.rosters.hours import ask_year, send_hours
from handlers.rosters.shared import EDIT_FIELDS, KIND, managed_groups, may_manage, svc
from storage.repos.dialogs import Dialog
from storage.repos.rosters import SlotInfo, Task


async def cmd_roster(update: Update, ctx: BotContext) -> None:
    groups = await managed_groups(ctx)
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
                "There are no tasks yet. Tap the button to make one, for example the food"
                " distribution."
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
    stop = ""  # every step carries a Cancel button (handlers/common.py, step_rows)
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
    if not await may_manage(ctx, int(data["group_id"])):
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
            [
                # Any part can be changed here, not only made or dropped (issue 14).
                [
                    Button(_("✏️ Name"), cb("ro", "fx", "title")),
                    Button(_("🗓 Days"), cb("ro", "fx", "when")),
                ],
                [
                    Button(_("🕘 Time"), cb("ro", "fx", "time")),
                    Button(_("📍 Place"), cb("ro", "fx", "place")),
                ],
                [
                    Button(_("👥 Number"), cb("ro", "fx", "needed")),
                    Button(_("📝 Note"), cb("ro", "fx", "note")),
                ],
                [Button(_("✅ Create"), cb("ro", "ok")), Button(_("✖ Cancel"), cb("ro", "no"))],
            ],
        )
        return
    await _ask(update, ctx, step, data)


_SPAN = re.compile(
    r"^(?:van|de|from|من|saat)?\s*(?P<a>.+?)\s*(?:-|–|\btot\b|\bà\b|\bjusqu'à\b|\bto\b"
    r"|\buntil\b|\btill\b|إلى|الى|حتى|\bkadar\b)\s*(?P<b>.+)$",
    re.IGNORECASE,
)


def _time_span(text: str) -> tuple[int, int] | None:
    """A shift's hours typed as one range, when both ends are sure: (start, end) in minutes."""
    m = _SPAN.match(text.strip())
    if m is None:
        return None
    lang = i18n.current_language()
    starts = [c.hour * 60 + c.minute for c in dateparse.time_choices(m["a"], lang)]
    ends = [c.hour * 60 + c.minute for c in dateparse.time_choices(m["b"], lang)]
    if len(starts) != 1:
        return None
    ends = [e for e in ends if e > starts[0]]
    return (starts[0], ends[0]) if len(ends) == 1 else None


async def on_text(update: Update, ctx: BotContext, dialog: Dialog) -> None:
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
                ngettext(
                    "Please keep the name short (at most {n} character).",
                    "Please keep the name short (at most {n} characters).",
                    MAX_TITLE,
                ).format(n=MAX_TITLE),
            )
            return
        await _got(update, ctx, dialog, title=" ".join(text.split()))
    elif step == "dates":
        # The one parser of every flow: "14/3, 21/3", "zaterdag 14 en 21 maart", "١٤/٣ و ٢١/٣".
        lang = i18n.current_language()
        days = dateparse.parse_dates(text, lang, s.clock.now().astimezone(s.settings.tz).date())
        if not days:
            await reply(
                update,
                ctx,
                _("I could not read those dates. Send them like this: <i>14/3, 21/3, 4/4</i>."),
            )
            return
        await _got(update, ctx, dialog, dates=[d.isoformat() for d in days])
    elif step == "start" and (span := _time_span(text)) is not None:
        # "van 9 tot 12", "9u-12u": the start and the end at once, the end not asked again.
        await _got(update, ctx, dialog, start_min=span[0], end_min=span[1])
    elif step in ("start", "end"):
        # The one parser; a shift has no likely half of the day, so "7" or "half 8" is asked,
        # unless only one reading ends after the start ("9 tot 5": 17:00).
        choices = [
            c.hour * 60 + c.minute for c in dateparse.time_choices(text, i18n.current_language())
        ]
        start = dialog.data.get("draft", {}).get("start_min", -1)
        if step == "end":
            choices = [c for c in choices if c > start] or choices[:1]
        if len(choices) > 1:
            act = "sh" if step == "start" else "eh"
            await reply(
                update,
                ctx,
                _("Which one do you mean?"),
                [[Button(f"{c // 60:02d}:{c % 60:02d}", cb("ro", act, c)) for c in choices]],
            )
            return
        minutes = choices[0] if choices else None
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
    elif (
        step == "weekday"
        and (wd := dateparse.weekday_named(text, i18n.current_language())) is not None
    ):
        await _got(update, ctx, dialog, weekday=wd)  # "zaterdag" typed instead of tapped
    elif step in ("place", "note") and is_skip_word(text):
        await _got(update, ctx, dialog, **{step: "" if step == "place" else None})
    elif step == "place":
        await _got(update, ctx, dialog, place=text[:MAX_PLACE])
    elif step == "needed":
        n = count_in(text)  # "4" or "4 vrijwilligers"
        if n is None or not 1 <= n <= 50:
            await reply(update, ctx, _("Please send a number from 1 to 50."))
            return
        await _got(update, ctx, dialog, needed=n)
    elif step == "note":
        await _got(update, ctx, dialog, note=text[:MAX_NOTE])
    else:
        await reply(update, ctx, _("Please tap one of the buttons above."))


async def on_ro(update: Update, ctx: BotContext) -> None:
    parts = button_parts(update)
    s = ctx.services
    action = parts[1] if len(parts) > 1 else ""
    arg = parse_int(parts[2]) if len(parts) > 2 else None
    # Answers to the open /roster conversation.
    if action in ("rule", "nth", "wd", "sh", "eh", "n", "skip", "ok", "no", "fx"):
        dialog = await s.dialogs.get(ctx.user.id)
        if dialog is None or dialog.kind != KIND:
            await button_expired(update)
            return
        if not await may_manage(ctx, int(dialog.data["group_id"])):
            await refuse(update, ctx)
            return
        await answer(update)
        await _dialog_button(update, ctx, dialog, action, parts)
        return
    if action == "new" and len(parts) == 3:
        groups = await managed_groups(ctx)
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
        if group_id is None or not await may_manage(ctx, group_id):
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
        if not await may_manage(ctx, task.group_id):
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
        if not await may_manage(ctx, slot.group_id):
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
        if not await may_manage(ctx, slot.group_id):
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
        await send_hours(update, ctx, arg, year)
        return
    if action == "hp" and len(parts) == 3:
        if arg is None or not (await roles(ctx)).can_manage_project(arg):
            await refuse(update, ctx)
            return
        await answer(update)
        await ask_year(update, ctx, arg)
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
    elif action == "fx" and step == "confirm" and value in EDIT_FIELDS:
        # Ask that part again; the other answers stay, so the next stop is this confirmation.
        data = dict(dialog.data)
        drop = ("rule", "nth", "weekday", "dates") if value == "when" else EDIT_FIELDS[value]
        data["draft"] = {k: v for k, v in data["draft"].items() if k not in drop}
        step = _next_step(data["draft"])
        await s.dialogs.set(ctx.user.id, KIND, step, data, s.clock.now())
        await _ask(update, ctx, step, data)
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
    names = await svc(ctx).slot_names(slots)
    for sl in slots:
        lines.append(f"• {slot_when(sl)} – {count_text(sl)}")
        if names.get(sl.slot_id):
            lines.append(who_line(names[sl.slot_id]))
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
        called = await svc(ctx).call_for_volunteers(slot)
        await answer(update)
        await reply(
            update, ctx, call_report(called) + "\n\n" + slot_block(slot) + "\n" + count_text(slot)
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
