"""Members' answers and the meeting card: the "mt" buttons, /meetings, history, attendance."""

from __future__ import annotations

import contextlib

from telegram import InputFile, Update
from telegram.error import TelegramError

from bot.core.i18n import _, format_short_date, format_time, ngettext
from bot.core.ui import Button, cb, clip, esc
from handlers.common import (
    answer,
    button_expired,
    button_parts,
    is_private,
    refuse,
    reply,
    roles,
    show,
)
from handlers.context import BotContext
from handlers.meetings.group_chat import on_group_button
from handlers.meetings.planning import (
    ask_place,
    ask_when,
    cmd_newmeeting,
    on_dialog_button,
    start_planning,
)
from handlers.meetings.shared import KIND, can_manage, managed_groups, num, svc
from storage.repos.meetings import Meeting
from storage.repos.users import user_names


async def on_mt(update: Update, ctx: BotContext) -> None:
    p = button_parts(update)
    if len(p) < 2:
        await button_expired(update)
        return
    action = p[1]
    if action == "pv":
        await answer(update, _("This is only a preview."))
        return
    if action in ("poll", "d", "t", "r", "oa", "od", "sk", "c", "pub", "x", "fx", "pl"):
        await on_dialog_button(update, ctx, p)
        return
    if action == "g" and len(p) == 4 and (gid := num(p[2])) is not None and p[3] in ("new", "poll"):
        if not await can_manage(ctx, gid):
            await refuse(update, ctx)
            return
        await answer(update)
        await start_planning(update, ctx, gid, p[3])
        return
    if action == "l":
        await answer(update)
        await cmd_meetings(update, ctx)
        return
    if action == "nw" and len(p) == 3 and p[2] in ("new", "poll"):
        # From the list of meetings: plan one without knowing /newmeeting (it checks who may).
        await answer(update)
        await cmd_newmeeting(update, ctx, p[2])
        return
    if action == "h":
        await answer(update)
        await show_history(update, ctx)
        return
    if action in ("lk", "rs", "rd", "rh"):
        await on_group_button(update, ctx, p)
        return
    mid = num(p[2]) if len(p) >= 3 else None
    service = svc(ctx)
    m = await service.meeting(mid) if mid is not None else None
    if m is None:
        await button_expired(update)
        return
    r = await roles(ctx)
    group = await ctx.services.groups.get(m.group_id)
    assert group is not None
    manager = r.can_manage_group(group.id, group.project_id)
    if action in ("y", "m", "n", "ok"):
        if not r.is_member(m.group_id):
            await refuse(update, ctx)
            return
        await answer_meeting(update, ctx, m, group, action)
        return
    if action in ("sy", "sx"):
        if not r.is_member(m.group_id):
            await refuse(update, ctx)
            return
        await answer_series(update, ctx, m, group, action == "sy")
        return
    if action == "ics":
        if not (r.is_member(m.group_id) or manager):
            await refuse(update, ctx)
            return
        await answer(update)
        data = service.ics(m, group.name)
        assert update.effective_user is not None
        # TelegramError: they never opened a private chat with the bot: nothing to send it to.
        with contextlib.suppress(TelegramError):
            # Always to the private chat, also when tapped under the group chat's post.
            await ctx.bot.send_document(
                update.effective_user.id,
                InputFile(data, filename=f"meeting-{m.id}.ics"),
                caption=_("Open this file to add the meeting to your calendar."),
            )
        return
    if action == "o":
        if not (r.is_member(m.group_id) or manager):
            await refuse(update, ctx)
            return
        await answer(update)
        await show_meeting(update, ctx, m, manager)
        return
    if not manager:
        await refuse(update, ctx)
        return
    await answer(update)
    scope = p[3] if len(p) == 4 and p[3] in ("o", "s") else None
    s = ctx.services
    if action in ("et", "ep", "ec") and m.series_id is not None and scope is None:
        await show(
            update,
            ctx,
            _("Only this meeting, or every next meeting of the series?"),
            [
                [Button(_("Only this one"), cb("mt", action, m.id, "o"))],
                [Button(_("The whole series"), cb("mt", action, m.id, "s"))],
            ],
        )
        return
    scope = scope or "o"
    if m.status != "published" and action in ("et", "ep", "ec", "cx"):
        await show(update, ctx, _("This meeting is cancelled."))
        return
    if action == "et":
        # Moving a meeting: the day buttons and a typed time or weekday are read near its day.
        local = service.local(m.starts_at)
        await ask_when(
            update,
            ctx,
            {
                "mode": "edit",
                "group_id": m.group_id,
                "mid": m.id,
                "scope": scope,
                "anchor": local.date().isoformat(),
                "was": service.when_text(local),
                "was_hour": local.strftime("%H:%M"),
            },
        )
    elif action == "ep":
        await ask_place(
            update, ctx, {"mode": "edit", "group_id": m.group_id, "mid": m.id, "scope": scope}
        )
    elif action == "ec":
        await show(
            update,
            ctx,
            _("Cancel <b>{title}</b>? Everyone who said yes or maybe is told.").format(
                title=esc(m.title)
            ),
            [
                [
                    Button(_("Yes, cancel it"), cb("mt", "cx", m.id, scope)),
                    Button(_("No"), cb("mt", "o", m.id)),
                ]
            ],
        )
    elif action == "cx":
        n = await service.cancel(m.id, whole_series=scope == "s")
        await show(
            update,
            ctx,
            ngettext(
                "Cancelled {n} meeting. Everyone who said yes or maybe is told.",
                "{n} meetings cancelled. Everyone who said yes or maybe is told.",
                n,
            ).format(n=n),
        )
    elif action == "a":
        if service.local(m.starts_at) > s.clock.now():
            await answer(
                update, _("You can note who came when the meeting has started."), alert=True
            )
            return
        await service.start_attendance(m.id)
        await show_attendance(update, ctx, m)
    elif action == "at" and len(p) == 4 and num(p[3]) is not None:
        uid = num(p[3])
        if uid not in await s.groups.member_ids(m.group_id) or not await service.attendance_started(
            m.id
        ):
            await button_expired(update)
            return
        await service.toggle_attendance(m.id, uid)
        await show_attendance(update, ctx, m)
    elif action == "an":
        await s.dialogs.set(
            ctx.user.id,
            KIND,
            "notes",
            {"mode": "notes", "group_id": m.group_id, "mid": m.id},
            s.clock.now(),
        )
        await reply(update, ctx, _("Send a few words about the meeting."))
    else:
        await button_expired(update)


async def answer_meeting(update: Update, ctx: BotContext, m: Meeting, group, code: str) -> None:
    service = svc(ctx)
    result = await service.answer(m.id, ctx.user.id, code)
    if result is None:
        await answer(update, _("This meeting is over or cancelled."), alert=True)
        return
    if result.answer == "waiting":
        await answer(
            update,
            _(
                "The meeting is full. You are on the waiting list; we tell you when a place is"
                " free."
            ),
            alert=True,
        )
    else:
        await answer(
            update, _("Your answer: {answer}").format(answer=service.answer_label(result.answer))
        )
    if is_private(update):
        fresh = await service.meeting(m.id)
        assert fresh is not None
        every = await service.answers_every_time(fresh, ctx.user.id)
        await show(
            update,
            ctx,
            service.member_text(
                fresh, group.name, await service.rule_of(fresh), result.answer, every
            ),
            service.rsvp_rows(m.id, fresh.series_id is not None, every),
        )


async def answer_series(update: Update, ctx: BotContext, m: Meeting, group, every: bool) -> None:
    """A member's answer for a whole series ("every time"), or back to answering per date."""
    service = svc(ctx)
    n = await service.answer_series(m.id, ctx.user.id, every)
    if n is None:
        await answer(update, _("This meeting is over or cancelled."), alert=True)
        return
    if every:
        await answer(update, _("Saved: you come every time. You get a reminder before each one."))
    else:
        await answer(update, _("Saved: you answer per date again."))
    if is_private(update):
        fresh = await service.meeting(m.id)
        assert fresh is not None
        mine = next((r.answer for r in await service.rsvps(m.id) if r.user_id == ctx.user.id), None)
        await show(
            update,
            ctx,
            service.member_text(fresh, group.name, await service.rule_of(fresh), mine, every),
            service.rsvp_rows(m.id, series=True, every=every),
        )


async def show_meeting(update: Update, ctx: BotContext, m: Meeting, manager: bool) -> None:
    service = svc(ctx)
    group = await ctx.services.groups.get(m.group_id)
    assert group is not None
    rsvps = await service.rsvps(m.id)
    mine = next((r.answer for r in rsvps if r.user_id == ctx.user.id), None)
    every = await service.answers_every_time(m, ctx.user.id)
    text = service.member_text(m, group.name, await service.rule_of(m), mine, every)
    member = (await roles(ctx)).is_member(m.group_id)
    rows = service.rsvp_rows(m.id, m.series_id is not None, every) if member else []
    if manager:
        silent = await service.unanswered(group.id, m.id)
        people = await ctx.services.users.many(sorted({r.user_id for r in rsvps} | set(silent)))
        # Told apart over everyone on the card: two Ahmeds are "Ahmed B." and "Ahmed Y.".
        label = user_names([u for u in people if not u.forgotten_at], _("(removed)"))
        lines = []
        for key in ("yes", "maybe", "no", "waiting", "offered"):
            names = [esc(label[r.user_id]) for r in rsvps if r.answer == key and r.user_id in label]
            if names:
                lines.append(
                    "{} ({}): {}".format(service.answer_label(key), len(names), ", ".join(names))
                )
        if not lines:
            lines.append(_("Nobody answered yet."))
        waiting_for = [esc(label[u]) for u in silent if u in label]
        if waiting_for:  # whom to ask: the paper list's empty boxes
            lines.append(
                "{} ({}): {}".format(_("❔ Not answered"), len(waiting_for), ", ".join(waiting_for))
            )
        text += "\n\n" + "\n".join(lines)
        rows = rows + [
            [
                Button(_("🕖 Change day or time"), cb("mt", "et", m.id)),
                Button(_("📍 Change place"), cb("mt", "ep", m.id)),
            ],
            [Button(_("❌ Cancel meeting"), cb("mt", "ec", m.id))],
        ]
    rows = rows + [[Button(_("⬅️ All meetings"), cb("mt", "l"))]]  # the way back
    await show(update, ctx, clip(text, 4000), rows)


async def show_attendance(update: Update, ctx: BotContext, m: Meeting) -> None:
    s = ctx.services
    service = svc(ctx)
    present, answers = await service.attendance_sheet(m.id)
    member_ids = await s.groups.member_ids(m.group_id)
    order = {"yes": 0, "maybe": 1, "offered": 2, "waiting": 3}
    members = await s.users.many(member_ids)
    label = user_names(members, _("(removed)"))
    people = sorted(
        members, key=lambda u: (order.get(answers.get(u.id, ""), 9), label[u.id].casefold())
    )
    rows = [
        [
            Button(
                ("✅ " if u.id in present else "▫️ ") + clip(label[u.id], 40),
                cb("mt", "at", m.id, u.id),
            )
        ]
        for u in people[:40]
    ]
    rows.append([Button(_("📝 Notes"), cb("mt", "an", m.id)), Button(_("✔ Done"), cb("mt", "l"))])
    text = (
        _("Who came to <b>{title}</b> ({when})? Tap a name to change it.").format(
            title=esc(m.title), when=service.when_text(m.starts_at)
        )
        + "\n"
        + ngettext("{n} person came.", "{n} people came.", len(present)).format(n=len(present))
    )
    await show(update, ctx, text, rows)


async def cmd_meetings(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    service = svc(ctx)
    r = await roles(ctx)
    managed = {g.id: g for g in await managed_groups(ctx)}
    group_ids = set(r.member_of) | set(managed)
    if not group_ids:
        await reply(
            update,
            ctx,
            _(
                "You are not in a group yet. Ask your group for its link or scan the"
                " QR code on the poster."
            ),
        )
        return
    meetings, mine = await service.upcoming(ctx.user.id, group_ids)
    lines = [_("<b>Upcoming meetings</b>")]
    rows: list[list[Button]] = []
    names = {}
    for m in meetings:
        if m.group_id not in names:
            group = await s.groups.get(m.group_id)
            assert group is not None
            names[m.group_id] = group.name
        local = service.local(m.starts_at)
        line = (
            f"• {format_short_date(local)} {format_time(local)} – <b>{esc(m.title)}</b>"
            f" ({esc(names[m.group_id])})"
        )
        if r.is_member(m.group_id):
            line += "\n   " + _("Your answer: {answer}").format(
                answer=service.answer_label(mine.get(m.id))
            )
        if m.group_id in managed:
            counts = await service.answer_counts(m.id)
            line += "\n   ✅ {} · 🤔 {} · ❌ {}".format(
                counts.get("yes", 0), counts.get("maybe", 0), counts.get("no", 0)
            )
            if counts.get("waiting"):
                line += " · ⏳ {}".format(counts["waiting"])
        lines.append(line)
        rows.append(
            [
                Button(
                    clip(f"{format_short_date(local)} {format_time(local)} {m.title}", 60),
                    cb("mt", "o", m.id),
                )
            ]
        )
    if not meetings:
        lines.append(_("No meetings planned."))
    for poll in await service.open_polls(managed):
        lines.append("🗳 " + _("Date poll: <b>{title}</b>").format(title=esc(poll.title)))
        rows.append([Button(clip("🗳 " + poll.title, 60), cb("mp", "o", poll.id))])
    if managed:
        # Planning is where an organiser goes from here, above all when nothing is planned.
        plan = cb("mt", "g", min(managed), "new") if len(managed) == 1 else cb("menu", "plan")
        rows.append([Button(_("📅 Plan a meeting"), plan)])
        rows.append(
            [
                Button(_("➕ Plan a meeting"), cb("mt", "nw", "new")),
            ]
        )
        rows.append([Button(_("🗳 Let the group choose a date"), cb("mt", "nw", "poll"))])
        rows.append(
            [
                Button(_("📜 History"), cb("mt", "h")),
                Button(_("⏰ Reminders"), cb("mt", "rs", min(managed))),
            ]
        )
    await show(update, ctx, clip("\n".join(lines), 4000), rows)


async def show_history(update: Update, ctx: BotContext) -> None:
    managed = {g.id: g for g in await managed_groups(ctx)}
    if not managed:
        await refuse(update, ctx)
        return
    service = svc(ctx)
    past, counts = await service.history(managed)
    lines = [_("<b>Past meetings</b>")]
    rows = []
    for m in past:
        local = service.local(m.starts_at)
        came = (
            ngettext("{n} person came", "{n} people came", counts.get(m.id, 0)).format(
                n=counts.get(m.id, 0)
            )
            if m.attendance_at
            else _("not noted yet")
        )
        line = (
            f"• {format_short_date(local)} – <b>{esc(m.title)}</b>"
            f" ({esc(managed[m.group_id].name)}): {came}"
        )
        if m.notes:
            line += "\n   📝 " + esc(clip(m.notes, 120))
        lines.append(line)
        rows.append(
            [Button(clip(f"✔ {format_short_date(local)} {m.title}", 60), cb("mt", "a", m.id))]
        )
    if not past:
        lines.append(_("No meetings yet."))
    await show(update, ctx, clip("\n".join(lines), 4000), rows[:20])
