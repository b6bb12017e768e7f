"""Meetings (issue 4): /newmeeting, /datepoll, /meetings, /linkchat and their buttons.

Thin: parse, check who may do it, call bot/meetings.py, reply. Callback prefixes: "mt"
(meetings) and "mp" (date polls). Every press re-loads the meeting and checks the person:
managers (organisers of the group, workers of its project, admins) change, members answer.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core import i18n
from bot.core.dateparse import parse, parse_time
from bot.core.i18n import N_, _, format_short_date, format_time, ngettext
from bot.core.ui import Button, cb, clip, esc
from bot.domain.meetings import USUAL_HOURS, Draft, MeetingsService, rule_choices, rule_label
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
from handlers.context import BotContext, registry_of
from storage.repos.dialogs import Dialog
from storage.repos.meetings import Meeting

PRIVATE = filters.ChatType.PRIVATE
KIND = "meeting"
MAX_OPTIONS = 6


def svc(ctx: BotContext) -> MeetingsService:
    return ctx.services.meetings


def num(value: str | None) -> int | None:
    if value is None or not value.isdigit() or len(value) > 15:
        return None
    return int(value)


def stamp(dt: datetime) -> str:
    return dt.strftime("%Y%m%d%H%M")


def from_stamp(value: str, tz) -> datetime | None:
    try:
        if len(value) == 12:
            return datetime.strptime(value, "%Y%m%d%H%M").replace(tzinfo=tz)
        if len(value) == 8:
            return datetime.strptime(value, "%Y%m%d").replace(tzinfo=tz)
    except ValueError:
        return None
    return None


async def managed_groups(ctx: BotContext) -> list:
    """Groups this person may organise meetings for."""
    s = ctx.services
    r = await roles(ctx)
    found = {}
    for gid in r.organiser_of:
        g = await s.groups.get(gid)
        if g:
            found[g.id] = g
    pids = r.worker_of
    if r.is_admin:
        pids = frozenset(p.id for p in await s.projects.all())
    for pid in pids:
        for g in await s.groups.of_project(pid):
            found[g.id] = g
    return sorted(found.values(), key=lambda g: g.name.lower())


async def can_manage(ctx: BotContext, group_id: int) -> bool:
    g = await ctx.services.groups.get(group_id)
    return g is not None and (await roles(ctx)).can_manage_group(g.id, g.project_id)


async def edited_meeting(update: Update, ctx: BotContext, data: dict) -> Meeting | None:
    """The meeting a change conversation (time, place, notes) is about. The conversation ends
    here; None (and the person is refused) when the meeting is gone or no longer theirs."""
    m = await svc(ctx).meeting(int(data["mid"]))
    await ctx.services.dialogs.clear(ctx.user.id)
    if m is None or not await can_manage(ctx, m.group_id):
        await refuse(update, ctx)
        return None
    return m


# ----- creating: /newmeeting and /datepoll -----


async def cmd_newmeeting(update: Update, ctx: BotContext, mode: str = "new") -> None:
    groups = await managed_groups(ctx)
    if not groups:
        await refuse(update, ctx)
        return
    if len(groups) == 1:
        await _start(update, ctx, groups[0].id, mode)
        return
    rows = [[Button(clip(g.name, 60), cb("mt", "g", g.id, mode))] for g in groups[:30]]
    await reply(update, ctx, _("For which group?"), rows)


async def cmd_datepoll(update: Update, ctx: BotContext) -> None:
    await cmd_newmeeting(update, ctx, "poll")


async def _start(update: Update, ctx: BotContext, group_id: int, mode: str) -> None:
    s = ctx.services
    await s.dialogs.set(
        ctx.user.id,
        KIND,
        "title",
        {"mode": mode, "group_id": group_id, "options": []},
        s.clock.now(),
    )
    await show(
        update,
        ctx,
        _("What is the meeting called? For example: <i>Tenants' meeting</i>.")
        + "\n"
        + _("Send /cancel to stop."),
    )


def day_rows(ctx: BotContext, mode: str) -> list[list[Button]]:
    today = ctx.services.clock.now().date()
    days = [today + timedelta(days=i) for i in range(1, 8)]
    rows, row = [], []
    for d in days:
        row.append(Button(format_short_date(d), cb("mt", "d", d.strftime("%Y%m%d"))))
        if len(row) == 3:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    if mode == "new":
        rows.append([Button(_("🗳 Let the group choose a date"), cb("mt", "poll"))])
    return rows


async def ask_when(update: Update, ctx: BotContext, data: dict, note: str | None = None) -> None:
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "when", data, s.clock.now())
    text = _(
        "Which day? Tap a day, or type the date and time, for example: <i>{example}</i>."
    ).format(example=_("Tuesday 19:00"))
    if note:
        text = note + "\n\n" + text
    await show(update, ctx, text, day_rows(ctx, data["mode"]))


async def ask_hour(update: Update, ctx: BotContext, data: dict, day: date) -> None:
    s = ctx.services
    data = dict(data, day=day.isoformat())
    await s.dialogs.set(ctx.user.id, KIND, "hour", data, s.clock.now())
    base = datetime.combine(day, time(0), tzinfo=s.settings.tz)
    rows = [
        [Button(f"{h:02d}:00", cb("mt", "t", stamp(base.replace(hour=h)))) for h in USUAL_HOURS]
    ]
    await show(
        update,
        ctx,
        _("{day}: at what time? Tap one, or type it, for example <i>19:30</i>.").format(
            day=i18n.format_date(day)
        ),
        rows,
    )


async def ask_pick(update: Update, ctx: BotContext, question: str, candidates) -> None:
    rows = [[Button(i18n.format_datetime(c), cb("mt", "t", stamp(c)))] for c in candidates]
    await reply(update, ctx, question, rows)


async def on_moment(update: Update, ctx: BotContext, dialog: Dialog, when: datetime) -> None:
    s = ctx.services
    data = dict(dialog.data)
    if when <= s.clock.now():
        await reply(update, ctx, _("That moment has already passed. Please choose a later one."))
        await ask_when(update, ctx, data)
        return
    mode = data["mode"]
    if mode == "edit":
        m = await edited_meeting(update, ctx, data)
        if m is None:
            return
        n = await svc(ctx).change(m.id, starts_at=when, whole_series=data.get("scope") == "s")
        await show(update, ctx, changed_text(n))
        return
    if mode == "poll":
        options = [o for o in data.get("options", []) if o != when.isoformat()] + [when.isoformat()]
        data["options"] = sorted(options)
        await s.dialogs.set(ctx.user.id, KIND, "options", data, s.clock.now())
        await show_options(update, ctx, data)
        return
    data["starts"] = when.isoformat()
    await s.dialogs.set(ctx.user.id, KIND, "repeat", data, s.clock.now())
    rows = [
        [Button(rule_label(r, when.date()), cb("mt", "r", r))] for r in rule_choices(when.date())
    ]
    await show(
        update, ctx, _("{when}. Does it repeat?").format(when=svc(ctx).when_text(when)), rows
    )


def changed_text(n: int) -> str:
    if n == 0:
        return _("Nothing changed.")
    return ngettext(
        "Changed {n} meeting. Everyone who said yes or maybe is told.",
        "Changed {n} meetings. Everyone who said yes or maybe is told.",
        n,
    ).format(n=n)


async def show_options(update: Update, ctx: BotContext, data: dict) -> None:
    tz = ctx.services.settings.tz
    opts = [datetime.fromisoformat(o).astimezone(tz) for o in data["options"]]
    lines = [_("Dates to choose from:")] + ["• " + i18n.format_datetime(o) for o in opts]
    rows = []
    if len(opts) < MAX_OPTIONS:
        rows.append([Button(_("➕ Add a date"), cb("mt", "oa"))])
    if len(opts) >= 2:
        rows.append([Button(_("✅ Done"), cb("mt", "od"))])
    else:
        lines.append(_("Add at least two dates."))
    await show(update, ctx, "\n".join(lines), rows)


async def ask_place(update: Update, ctx: BotContext, data: dict) -> None:
    s = ctx.services
    if data.get("mode") == "edit":
        await s.dialogs.set(ctx.user.id, KIND, "place", data, s.clock.now())
        await show(update, ctx, _("Where is it now? Send the new place."))
        return
    await s.dialogs.set(ctx.user.id, KIND, "place", data, s.clock.now())
    await show(update, ctx, _("Where is it? For example: <i>community centre, Rabotstraat 1</i>."))


async def ask_agenda(update: Update, ctx: BotContext, data: dict) -> None:
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "agenda", data, s.clock.now())
    await reply(
        update,
        ctx,
        _("What will you talk about? Send a short agenda, or tap Skip."),
        [[Button(_("Skip"), cb("mt", "sk"))]],
    )


async def ask_capacity(update: Update, ctx: BotContext, data: dict) -> None:
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "capacity", data, s.clock.now())
    rows = [
        [Button(_("No limit"), cb("mt", "c", 0))]
        + [Button(str(n), cb("mt", "c", n)) for n in (10, 15, 20, 30)]
    ]
    await show(update, ctx, _("How many people can come at most? Tap or type a number."), rows)


def draft_of(data: dict, tz) -> Draft:
    starts = (
        datetime.fromisoformat(data["starts"]).astimezone(tz)
        if data.get("starts")
        else datetime.fromisoformat(data["options"][0])
    )
    return Draft(
        group_id=int(data["group_id"]),
        title=data["title"],
        starts_at=starts,
        place=data["place"],
        agenda=data.get("agenda"),
        capacity=data.get("capacity") or None,
        rule=data.get("rule", "once"),
    )


async def preview(update: Update, ctx: BotContext, data: dict) -> None:
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "preview", data, s.clock.now())
    group = await s.groups.get(int(data["group_id"]))
    service = svc(ctx)
    if data["mode"] == "poll":
        tz = s.settings.tz

        class _O:  # options as they will be stored
            def __init__(self, i: int, iso: str) -> None:
                self.id, self.starts_at = -i - 1, datetime.fromisoformat(iso).astimezone(tz)

        opts = [_O(i, o) for i, o in enumerate(data["options"])]
        await show(
            update,
            ctx,
            service.poll_text(data["title"], group.name, data["place"]),
            [[Button(r[0].text, cb("mt", "pv"))] for r in service.poll_rows(0, opts, set())],
        )
    else:
        draft = draft_of(data, s.settings.tz)
        await show(
            update, ctx, service.member_text(draft, group.name, draft.rule), service.rsvp_rows(None)
        )
    members = await s.groups.count_members(group.id)
    await reply(
        update,
        ctx,
        _("☝️ This is what the members see. Send it to {n} members of {group}?").format(
            n=members, group=esc(group.name)
        ),
        [[Button(_("✅ Publish"), cb("mt", "pub")), Button(_("✖ Cancel"), cb("mt", "x"))]],
    )


async def _step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    s = ctx.services
    msg = update.effective_message
    text = (msg.text or "").strip() if msg else ""
    data = dict(dialog.data)
    if not text:
        await reply(update, ctx, _("Please send it as a text message."))
        return
    step = dialog.step
    lang = i18n.current_language()
    if step == "title":
        if len(text) > 100:
            await reply(
                update, ctx, _("Please keep the name short (at most {n} characters).").format(n=100)
            )
            return
        data["title"] = " ".join(text.split())
        await ask_when(update, ctx, data)
    elif step == "when":
        now = s.clock.now()
        result = parse(text, lang, now)
        if result.when is not None:
            await on_moment(update, ctx, dialog, result.when)
        elif result.problem == "ambiguous":
            await ask_pick(update, ctx, _("Which one do you mean?"), result.candidates)
        elif result.problem == "past" and result.candidates:
            await ask_pick(
                update, ctx, _("That date has passed. Do you mean next year?"), result.candidates
            )
        elif result.problem == "past":
            await reply(update, ctx, _("That date has passed. Please choose a date in the future."))
        elif result.problem == "no_time" and result.day is not None:
            if result.day < now.date():
                await reply(
                    update, ctx, _("That date has passed. Please choose a date in the future.")
                )
            else:
                await ask_hour(update, ctx, data, result.day)
        elif result.problem == "no_date" and result.clock is not None:
            data["clock"] = result.clock.strftime("%H:%M")
            await s.dialogs.set(ctx.user.id, KIND, "when", data, s.clock.now())
            await reply(update, ctx, _("On which day?"), day_rows(ctx, "edit"))
        else:
            await ask_when(update, ctx, data, _("I did not understand that date."))
    elif step == "hour":
        clock, ambiguous = parse_time(text, lang)
        day = date.fromisoformat(data["day"])
        if clock is None:
            await reply(update, ctx, _("Please type a time like <i>19:30</i>."))
        elif ambiguous:
            tz = s.settings.tz
            cands = [
                datetime.combine(day, clock, tzinfo=tz),
                datetime.combine(day, time(clock.hour + 12, clock.minute), tzinfo=tz),
            ]
            await ask_pick(update, ctx, _("Which one do you mean?"), cands)
        else:
            await on_moment(update, ctx, dialog, datetime.combine(day, clock, tzinfo=s.settings.tz))
    elif step == "place":
        if len(text) > 200:
            await reply(
                update, ctx, _("Please keep it short (at most {n} characters).").format(n=200)
            )
            return
        place = " ".join(text.split())
        if data["mode"] == "edit":
            m = await edited_meeting(update, ctx, data)
            if m is None:
                return
            n = await svc(ctx).change(m.id, place=place, whole_series=data.get("scope") == "s")
            await reply(update, ctx, changed_text(n))
            return
        data["place"] = place
        await ask_agenda(update, ctx, data)
    elif step == "agenda":
        data["agenda"] = text[:500]
        await ask_capacity(update, ctx, data)
    elif step == "capacity":
        n = num(text)
        if n is None or n > 10000:
            await reply(update, ctx, _("Please type a number, for example <i>20</i>."))
            return
        data["capacity"] = n
        await preview(update, ctx, data)
    elif step == "notes":
        m = await edited_meeting(update, ctx, data)
        if m is None:
            return
        await svc(ctx).set_notes(m.id, text[:1000])
        await reply(update, ctx, _("Notes saved."))
    else:
        await reply(update, ctx, _("Please tap one of the buttons above."))


async def _on_cancel(update: Update, ctx: BotContext, dialog: Dialog) -> str | None:
    await ctx.services.dialogs.clear(ctx.user.id)
    return None


async def on_dialog_button(update: Update, ctx: BotContext, p: list[str]) -> None:
    """Buttons that answer the open /newmeeting, /datepoll or change conversation."""
    s = ctx.services
    dialog = await s.dialogs.get(ctx.user.id)
    if dialog is None or dialog.kind != KIND:
        await button_expired(update)
        return
    data = dict(dialog.data)
    if not await can_manage(ctx, int(data["group_id"])):
        await s.dialogs.clear(ctx.user.id)
        await refuse(update, ctx)
        return
    await answer(update)
    action, tz = p[1], s.settings.tz
    if action == "poll" and dialog.step == "when":
        data["mode"] = "poll"
        await ask_when(update, ctx, data)
    elif action == "d" and dialog.step == "when" and len(p) == 3:
        day = from_stamp(p[2], tz)
        if day is None:
            await button_expired(update)
        elif data.get("clock"):
            hh, mm = (int(x) for x in data.pop("clock").split(":"))
            await on_moment(
                update, ctx, dialog, datetime.combine(day.date(), time(hh, mm), tzinfo=tz)
            )
        else:
            await ask_hour(update, ctx, data, day.date())
    elif action == "t" and dialog.step in ("when", "hour") and len(p) == 3:
        when = from_stamp(p[2], tz)
        if when is None:
            await button_expired(update)
        else:
            await on_moment(update, ctx, dialog, when)
    elif action == "r" and dialog.step == "repeat" and len(p) >= 3:
        rule = ":".join(p[2:])
        starts = datetime.fromisoformat(data["starts"]).astimezone(tz)
        if rule not in rule_choices(starts.date()):
            await button_expired(update)
            return
        data["rule"] = rule
        await ask_place(update, ctx, data)
    elif action == "oa" and dialog.step == "options":
        await ask_when(update, ctx, data)
    elif action == "od" and dialog.step == "options" and len(data.get("options", [])) >= 2:
        await ask_place(update, ctx, data)
    elif action == "sk" and dialog.step == "agenda":
        data["agenda"] = None
        await ask_capacity(update, ctx, data)
    elif action == "c" and dialog.step == "capacity" and len(p) == 3 and num(p[2]) is not None:
        data["capacity"] = num(p[2]) or None
        await preview(update, ctx, data)
    elif action == "pub" and dialog.step == "preview":
        await s.dialogs.clear(ctx.user.id)
        service = svc(ctx)
        if data["mode"] == "poll":
            options = [datetime.fromisoformat(o).astimezone(tz) for o in data["options"]]
            data["starts"] = data["options"][0]
            await service.publish_poll(draft_of(data, tz), options, ctx.user.id)
            await show(
                update,
                ctx,
                _("The date poll is sent. See the votes in /meetings and pick a date there."),
            )
        else:
            ids = await service.publish(draft_of(data, tz), ctx.user.id)
            await show(
                update,
                ctx,
                ngettext(
                    "Published: {n} meeting is sent to the members.",
                    "Published: {n} meetings are sent to the members.",
                    len(ids),
                ).format(n=len(ids)),
            )
    elif action == "x":
        await s.dialogs.clear(ctx.user.id)
        await show(update, ctx, _("Stopped. Nothing was changed."))
    else:
        await button_expired(update)


# ----- answering, the list, details, changes, attendance -----


async def on_mt(update: Update, ctx: BotContext) -> None:
    p = button_parts(update)
    if len(p) < 2:
        await button_expired(update)
        return
    action = p[1]
    if action == "pv":
        await answer(update, _("This is only a preview."))
        return
    if action in ("poll", "d", "t", "r", "oa", "od", "sk", "c", "pub", "x"):
        await on_dialog_button(update, ctx, p)
        return
    if action == "g" and len(p) == 4 and num(p[2]) is not None and p[3] in ("new", "poll"):
        if not await can_manage(ctx, num(p[2])):
            await refuse(update, ctx)
            return
        await answer(update)
        await _start(update, ctx, num(p[2]), p[3])
        return
    if action == "l":
        await answer(update)
        await cmd_meetings(update, ctx)
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
    manager = r.can_manage_group(group.id, group.project_id)
    if action in ("y", "m", "n", "ok"):
        if not r.is_member(m.group_id):
            await refuse(update, ctx)
            return
        await answer_meeting(update, ctx, m, group, action)
        return
    if action == "ics":
        if not (r.is_member(m.group_id) or manager):
            await refuse(update, ctx)
            return
        await answer(update)
        data = service.ics(m, group.name)
        try:
            # Always to the private chat, also when tapped under the group chat's post.
            await ctx.bot.send_document(
                update.effective_user.id,
                InputFile(data, filename=f"meeting-{m.id}.ics"),
                caption=_("Open this file to add the meeting to your calendar."),
            )
        except TelegramError:
            pass  # they never opened a private chat with the bot: nothing to send it to
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
        await ask_when(
            update, ctx, {"mode": "edit", "group_id": m.group_id, "mid": m.id, "scope": scope}
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
        if uid not in await s.groups.member_ids(
            m.group_id
        ) or not await service.attendance_started(m.id):
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
                "The meeting is full. You are on the waiting list; we tell you when a place is free."
            ),
            alert=True,
        )
    else:
        await answer(
            update, _("Your answer: {answer}").format(answer=service.answer_label(result.answer))
        )
    if is_private(update):
        fresh = await service.meeting(m.id)
        await show(
            update,
            ctx,
            service.member_text(fresh, group.name, await service.rule_of(fresh), result.answer),
            service.rsvp_rows(m.id),
        )


async def show_meeting(update: Update, ctx: BotContext, m: Meeting, manager: bool) -> None:
    service = svc(ctx)
    group = await ctx.services.groups.get(m.group_id)
    rsvps = await service.rsvps(m.id)
    mine = next((r.answer for r in rsvps if r.user_id == ctx.user.id), None)
    text = service.member_text(m, group.name, await service.rule_of(m), mine)
    rows = service.rsvp_rows(m.id) if (await roles(ctx)).is_member(m.group_id) else []
    if manager:
        users = {u.id: u for u in await ctx.services.users.many([r.user_id for r in rsvps])}
        lines = []
        for key in ("yes", "maybe", "no", "waiting", "offered"):
            names = [
                esc(users[r.user_id].display_name)
                for r in rsvps
                if r.answer == key and r.user_id in users
            ]
            if names:
                lines.append(
                    "{} ({}): {}".format(service.answer_label(key), len(names), ", ".join(names))
                )
        text += "\n\n" + ("\n".join(lines) if lines else _("Nobody answered yet."))
        rows = rows + [
            [
                Button(_("🕖 Change time"), cb("mt", "et", m.id)),
                Button(_("📍 Change place"), cb("mt", "ep", m.id)),
            ],
            [Button(_("❌ Cancel meeting"), cb("mt", "ec", m.id))],
        ]
    await show(update, ctx, clip(text, 4000), rows)


async def show_attendance(update: Update, ctx: BotContext, m: Meeting) -> None:
    s = ctx.services
    service = svc(ctx)
    present, answers = await service.attendance_sheet(m.id)
    member_ids = await s.groups.member_ids(m.group_id)
    order = {"yes": 0, "maybe": 1, "offered": 2, "waiting": 3}
    people = sorted(
        await s.users.many(member_ids),
        key=lambda u: (order.get(answers.get(u.id, ""), 9), u.display_name.lower()),
    )
    rows = [
        [
            Button(
                ("✅ " if u.id in present else "▫️ ") + clip(u.display_name, 40),
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
                "You are not in a group yet. Ask your group for its link or scan the QR code on the poster."
            ),
        )
        return
    meetings, mine = await service.upcoming(ctx.user.id, group_ids)
    lines = [_("<b>Upcoming meetings</b>")]
    rows: list[list[Button]] = []
    names = {}
    for m in meetings:
        if m.group_id not in names:
            names[m.group_id] = (await s.groups.get(m.group_id)).name
        local = service.local(m.starts_at)
        line = f"• {format_short_date(local)} {format_time(local)} – <b>{esc(m.title)}</b> ({esc(names[m.group_id])})"
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
        line = f"• {format_short_date(local)} – <b>{esc(m.title)}</b> ({esc(managed[m.group_id].name)}): {came}"
        if m.notes:
            line += "\n   📝 " + esc(clip(m.notes, 120))
        lines.append(line)
        rows.append(
            [Button(clip(f"✔ {format_short_date(local)} {m.title}", 60), cb("mt", "a", m.id))]
        )
    if not past:
        lines.append(_("No meetings yet."))
    await show(update, ctx, clip("\n".join(lines), 4000), rows[:20])


async def on_group_button(update: Update, ctx: BotContext, p: list[str]) -> None:
    gid = num(p[2]) if len(p) >= 3 else None
    s = ctx.services
    group = await s.groups.get(gid) if gid is not None else None
    if group is None:
        await button_expired(update)
        return
    if not (await roles(ctx)).can_manage_group(group.id, group.project_id):
        await refuse(update, ctx)
        return
    service = svc(ctx)
    action = p[1]
    if action == "lk":
        chat = update.effective_chat
        if chat is None or is_private(update):
            await button_expired(update)
            return
        await s.groups.link_chat(group.id, chat.id)
        await answer(update)
        await show(
            update,
            ctx,
            _(
                "This chat is now linked to <b>{group}</b>. New meetings will be posted here."
            ).format(group=esc(group.name)),
        )
        return
    current = await service.reminder_settings(group.id)
    day, hours = current.remind_day, current.remind_hours
    if action == "rd":
        day = 0 if day else 1
    elif action == "rh" and len(p) == 4 and num(p[3]) is not None and num(p[3]) <= 24:
        hours = num(p[3])
    if action in ("rd", "rh"):
        await service.set_reminders(group.id, day, hours)
    await answer(update)
    text = (
        _("<b>Reminders for {group}</b>").format(group=esc(group.name))
        + "\n"
        + _("The day before: {state}").format(state=_("on") if day else _("off"))
        + "\n"
        + (
            _("Reminder {n} h before").format(n=hours)
            if hours
            else _("No reminder on the day itself.")
        )
    )
    rows = [
        [Button(_("The day before: on/off"), cb("mt", "rd", group.id))],
        [
            Button(
                ("• " if hours == h else "") + (_("{n} h before").format(n=h) if h else _("off")),
                cb("mt", "rh", group.id, h),
            )
            for h in (0, 1, 2, 3)
        ],
    ]
    others = [g for g in await managed_groups(ctx) if g.id != group.id][:10]
    rows += [[Button(clip(g.name, 60), cb("mt", "rs", g.id))] for g in others]
    await show(update, ctx, text, rows)


async def cmd_linkchat(update: Update, ctx: BotContext) -> None:
    if ctx.user is None:
        return
    groups = await managed_groups(ctx)
    if not groups:
        await refuse(update, ctx)
        return
    rows = [[Button(clip(g.name, 60), cb("mt", "lk", g.id))] for g in groups[:20]]
    await reply(update, ctx, _("Which group does this chat belong to?"), rows)


# ----- date polls -----


async def on_mp(update: Update, ctx: BotContext) -> None:
    p = button_parts(update)
    pid = num(p[2]) if len(p) >= 3 else None
    service = svc(ctx)
    poll = await service.poll(pid) if pid is not None else None
    if poll is None or len(p) < 3:
        await button_expired(update)
        return
    r = await roles(ctx)
    group = await ctx.services.groups.get(poll.group_id)
    action = p[1]
    if action == "v" and len(p) == 4 and num(p[3]) is not None:
        if not r.is_member(poll.group_id):
            await refuse(update, ctx)
            return
        mine = await service.vote(poll.id, num(p[3]), ctx.user.id)
        if mine is None:
            await answer(update, _("This date poll is closed."), alert=True)
            return
        await answer(update, _("Thank you, your choice is saved."))
        options = await service.poll_options(poll.id)
        await show(
            update,
            ctx,
            service.poll_text(poll.title, group.name, poll.place),
            service.poll_rows(poll.id, options, mine),
        )
        return
    if not r.can_manage_group(group.id, group.project_id):
        await refuse(update, ctx)
        return
    if action == "o":
        await answer(update)
        options = await service.poll_options(poll.id)
        votes = await service.poll_votes(poll.id)
        users = {
            u.id: u
            for u in await ctx.services.users.many(sorted({u for v in votes.values() for u in v}))
        }
        lines = [service.poll_text(poll.title, group.name, poll.place).split("\n\n")[0], ""]
        rows = []
        for o in options:
            voters = votes.get(o.id, [])
            local = service.local(o.starts_at)
            names = ", ".join(esc(users[u].display_name) for u in voters if u in users)
            lines.append(
                "• {} – {}{}".format(
                    i18n.format_datetime(local),
                    ngettext("{n} vote", "{n} votes", len(voters)).format(n=len(voters)),
                    (": " + names) if names else "",
                )
            )
            rows.append(
                [
                    Button(
                        _("✅ Pick {date}").format(
                            date=format_short_date(local) + " " + format_time(local)
                        ),
                        cb("mp", "k", poll.id, o.id),
                    )
                ]
            )
        if poll.status != "open":
            rows = []
        await show(update, ctx, clip("\n".join(lines), 4000), rows)
    elif action == "k" and len(p) == 4 and num(p[3]) is not None:
        await answer(update)
        mid = await service.pick(poll, num(p[3]), ctx.user.id)
        if mid is None:
            await show(update, ctx, _("This date poll is closed."))
            return
        await show(update, ctx, _("The date is chosen. The meeting is sent to the members."))
    else:
        await button_expired(update)


# ----- wiring -----


async def _menu_meetings(update: Update, ctx: BotContext) -> None:
    await cmd_meetings(update, ctx)


def register(app: Application) -> None:
    registry = registry_of(app)
    registry.command(
        "meetings",
        N_("Meetings of my groups"),
        {"member", "organiser", "worker", "admin"},
        order=30,
    )
    registry.command("newmeeting", N_("Plan a meeting"), {"organiser", "worker", "admin"}, order=40)
    registry.command(
        "datepoll", N_("Let the group choose a date"), {"organiser", "worker", "admin"}, order=41
    )
    registry.menu_item(
        "meetings", N_("📅 Meetings"), {"member", "organiser", "worker"}, _menu_meetings, order=30
    )
    registry.dialog(KIND, _step, _on_cancel)
    app.add_handler(CommandHandler("newmeeting", cmd_newmeeting, filters=PRIVATE))
    app.add_handler(CommandHandler("datepoll", cmd_datepoll, filters=PRIVATE))
    app.add_handler(CommandHandler("meetings", cmd_meetings, filters=PRIVATE))
    app.add_handler(CommandHandler("linkchat", cmd_linkchat, filters=filters.ChatType.GROUPS))
    app.add_handler(CallbackQueryHandler(on_mt, pattern=r"^mt:"))
    app.add_handler(CallbackQueryHandler(on_mp, pattern=r"^mp:"))
