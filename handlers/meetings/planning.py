"""The organiser's conversation: /newmeeting, /datepoll and changing a meeting's time or place.

Steps: title, when (or the poll's dates), repeat, place, agenda, capacity, preview, publish.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from telegram import Update

from bot.core import i18n
from bot.core.dateparse import parse, parse_time
from bot.core.i18n import _, format_short_date, ngettext
from bot.core.ui import Button, cb, clip, esc
from bot.domain.meetings import USUAL_HOURS, Draft, rule_choices, rule_label
from handlers import dates
from handlers.common import (
    answer,
    button_expired,
    count_in,
    is_skip_word,
    refuse,
    reply,
    show,
)
from handlers.context import BotContext
from handlers.meetings.shared import (
    KIND,
    MAX_OPTIONS,
    can_manage,
    changed_text,
    edited_meeting,
    from_stamp,
    managed_groups,
    num,
    stamp,
    svc,
)
from handlers.translations import offer_versions, on_fix_text
from storage.repos.dialogs import Dialog


async def cmd_newmeeting(update: Update, ctx: BotContext, mode: str = "new") -> None:
    groups = await managed_groups(ctx)
    if not groups:
        await refuse(update, ctx)
        return
    if len(groups) == 1:
        await start_planning(update, ctx, groups[0].id, mode)
        return
    rows = [[Button(clip(g.name, 60), cb("mt", "g", g.id, mode))] for g in groups[:30]]
    await reply(update, ctx, _("For which group?"), rows)


async def cmd_datepoll(update: Update, ctx: BotContext) -> None:
    await cmd_newmeeting(update, ctx, "poll")


async def start_planning(update: Update, ctx: BotContext, group_id: int, mode: str) -> None:
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
        _("What is the meeting called? For example: <i>Tenants' meeting</i>."),
    )


def day_rows(
    ctx: BotContext, mode: str, anchor: date | None = None, week_of: date | None = None
) -> list[list[Button]]:
    """Day buttons: the next 7 days; when a meeting is moved, the days around its own day
    (📌 its day) and a week later; for "volgende week", the days of that week."""
    today = ctx.services.clock.now().date()
    if week_of is not None:
        days = [
            week_of + timedelta(days=i) for i in range(7) if week_of + timedelta(days=i) > today
        ]
    elif anchor is not None:
        days = dates.days_near(anchor, today)
    else:
        days = [today + timedelta(days=i) for i in range(1, 8)]
    rows, row = [], []
    for d in days:
        label = ("📌 " if d == anchor else "") + format_short_date(d)
        row.append(Button(label, cb("mt", "d", d.strftime("%Y%m%d"))))
        if len(row) == 3:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    if mode == "new":
        rows.append([Button(_("🗳 Let the group choose a date"), cb("mt", "poll"))])
    return rows


def anchor_of(data: dict) -> date | None:
    """The day of the meeting being moved (a typed time alone or a weekday is read near it)."""
    return date.fromisoformat(data["anchor"]) if data.get("anchor") else None


async def ask_when(update: Update, ctx: BotContext, data: dict, note: str | None = None) -> None:
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "when", data, s.clock.now())
    anchor = anchor_of(data)
    if anchor is not None:
        text = _(
            "Now on {when}. Tap the new day, or type the new day and time, for example:"
            " <i>{example}</i>. A time alone keeps the day."
        ).format(when=esc(data.get("was", "")), example=_("Wednesday 19:30"))
    else:
        text = _(
            "Which day? Tap a day, or type the date and time, for example: <i>{example}</i>."
        ).format(example=_("Tuesday 19:00"))
    if note:
        text = note + "\n\n" + text
    await show(update, ctx, text, day_rows(ctx, data["mode"], anchor))


async def ask_hour(update: Update, ctx: BotContext, data: dict, day: date) -> None:
    s = ctx.services
    data = dict(data, day=day.isoformat())
    await s.dialogs.set(ctx.user.id, KIND, "hour", data, s.clock.now())
    hours = [time(h) for h in dates.hours_for(data.get("part"), list(USUAL_HOURS))]
    was = time.fromisoformat(data["was_hour"]) if data.get("was_hour") else None
    if was is not None:
        # Moving a meeting to another day: its own hour among them, marked, like its day.
        hours = sorted(set(hours) | {was})
    rows = [
        [
            Button(
                ("📌 " if h == was else "") + h.strftime("%H:%M"),
                cb("mt", "t", stamp(datetime.combine(day, h, tzinfo=s.settings.tz))),
            )
            for h in hours
        ]
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


async def on_moment(
    update: Update,
    ctx: BotContext,
    data: dict,
    when: datetime,
    note: str | None = None,
    other: datetime | None = None,
) -> None:
    """The moment is known. ``note``: what was assumed, said first; ``other``: the other
    reading ("half 8" in the morning), offered as a button while the conversation goes on."""
    s = ctx.services
    data = dict(data)
    data.pop("part", None)  # the hour question's part of the day is answered
    if when <= s.clock.now():
        await reply(update, ctx, _("That moment has already passed. Please choose a later one."))
        await ask_when(update, ctx, data)
        return
    mode = data["mode"]
    if mode == "edit":
        m = await edited_meeting(update, ctx, data)
        if m is None:
            return
        whole = data.get("scope") == "s"
        n = await svc(ctx).change(m.id, starts_at=when, whole_series=whole)
        done = changed_text(n)
        if n and whole and when.date() != anchor_of(data):
            # A series keeps its days (its rule); moving it to another day is one date at a time.
            done = _("The series keeps its days; only the hour changed.") + "\n" + done
        elif n:
            done = svc(ctx).when_text(when) + "\n" + done
        await show(update, ctx, (note + "\n" if note else "") + done)
        return
    if mode == "poll":
        options = [o for o in data.get("options", []) if o != when.isoformat()] + [when.isoformat()]
        data["options"] = sorted(options)
        await s.dialogs.set(ctx.user.id, KIND, "options", data, s.clock.now())
        await show_options(update, ctx, data, note)
        return
    data["starts"] = when.isoformat()
    head = (note + "\n" if note else "") + svc(ctx).when_text(when)
    extra = []
    if other is not None and other > s.clock.now():
        extra = [
            [
                Button(
                    _("🕗 {time} instead").format(time=i18n.format_time(other)),
                    cb("mt", "t", stamp(other)),
                )
            ]
        ]
    rule = data.get("rule_hint")
    if rule and rule in rule_choices(when.date()):
        # "elke eerste dinsdag": the repeat is already said; not asked again.
        data["rule"] = rule
        await ask_place(update, ctx, data, head + "\n🔁 " + rule_label(rule, when.date()), extra)
        return
    await s.dialogs.set(ctx.user.id, KIND, "repeat", data, s.clock.now())
    rows = [
        [Button(rule_label(r, when.date()), cb("mt", "r", r))] for r in rule_choices(when.date())
    ]
    await show(update, ctx, _("{when}. Does it repeat?").format(when=head), rows + extra)


async def show_options(
    update: Update, ctx: BotContext, data: dict, note: str | None = None
) -> None:
    tz = ctx.services.settings.tz
    opts = [datetime.fromisoformat(o).astimezone(tz) for o in data["options"]]
    lines = (
        ([note] if note else [])
        + [_("Dates to choose from:")]
        + ["• " + i18n.format_datetime(o) for o in opts]
    )
    rows = []
    if len(opts) < MAX_OPTIONS:
        rows.append([Button(_("➕ Add a date"), cb("mt", "oa"))])
    if len(opts) >= 2:
        rows.append([Button(_("✅ Done"), cb("mt", "od"))])
    else:
        lines.append(_("Add at least two dates."))
    await show(update, ctx, "\n".join(lines), rows)


async def ask_place(
    update: Update,
    ctx: BotContext,
    data: dict,
    head: str | None = None,
    extra: list[list[Button]] | None = None,
) -> None:
    s = ctx.services
    if data.get("mode") == "edit":
        await s.dialogs.set(ctx.user.id, KIND, "place", data, s.clock.now())
        await show(update, ctx, _("Where is it now? Send the new place."))
        return
    await s.dialogs.set(ctx.user.id, KIND, "place", data, s.clock.now())
    hint = data.get("place_hint")
    rows = list(extra or [])
    if hint:  # said with the date ("... in het buurthuis"): one tap to take it
        text = _("Where is it? Tap to take <b>{place}</b>, or send another place.").format(
            place=esc(hint)
        )
        rows.insert(0, [Button(clip("📍 " + hint, 60), cb("mt", "pl"))])
    else:
        text = _("Where is it? For example: <i>community centre, Rabotstraat 1</i>.")
    await show(update, ctx, (head + "\n\n" if head else "") + text, rows)


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
    assert group is not None
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
            service.poll_text(data["title"], group.name, data["place"], data.get("agenda")),
            [[Button(r[0].text, cb("mt", "pv"))] for r in service.poll_rows(0, opts, set())],
        )
    else:
        draft = draft_of(data, s.settings.tz)
        await show(
            update,
            ctx,
            service.member_text(draft, group.name, draft.rule),
            service.rsvp_rows(None, series=draft.rule != "once"),
        )
        await offer_versions(update, ctx, KIND, data)  # members' languages (issue 15)
        await s.dialogs.set(ctx.user.id, KIND, "preview", data, s.clock.now())
    members = await s.groups.count_members(group.id)
    await reply(
        update,
        ctx,
        ngettext(
            "☝️ This is what the members see. Send it to {n} member of {group}?",
            "☝️ This is what the members see. Send it to {n} members of {group}?",
            members,
        ).format(n=members, group=esc(group.name)),
        fix_rows(data)
        + [[Button(_("✅ Publish"), cb("mt", "pub")), Button(_("✖ Cancel"), cb("mt", "x"))]],
    )


def fix_rows(data: dict) -> list[list[Button]]:
    """Change any part from the preview (a date poll's dates are changed in their own list)."""
    when = (
        [] if data.get("mode") == "poll" else [Button(_("🕖 Change time"), cb("mt", "fx", "when"))]
    )
    return [
        [Button(_("✏️ Name"), cb("mt", "fx", "title")), *when],
        [
            Button(_("📍 Change place"), cb("mt", "fx", "place")),
            Button(_("📝 Agenda"), cb("mt", "fx", "agenda")),
            Button(_("👥 Number"), cb("mt", "fx", "capacity")),
        ],
    ]


async def _fix_title(update: Update, ctx: BotContext, data: dict) -> None:
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "title", data, s.clock.now())
    await show(update, ctx, _("What is the meeting called? For example: <i>Tenants' meeting</i>."))


async def on_text(update: Update, ctx: BotContext, dialog: Dialog) -> None:
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
                update,
                ctx,
                ngettext(
                    "Please keep the name short (at most {n} character).",
                    "Please keep the name short (at most {n} characters).",
                    100,
                ).format(n=100),
            )
            return
        data["title"] = " ".join(text.split())
        await (preview if data.get("fix") else ask_when)(update, ctx, data)
    elif step == "when":
        now = s.clock.now()
        result = parse(text, lang, now, anchor=anchor_of(data))
        if data["mode"] == "new":
            for key, value in (("rule_hint", result.rule), ("place_hint", result.place)):
                if value:
                    data[key] = value
            await s.dialogs.set(ctx.user.id, KIND, "when", data, now)
        if result.when is not None:
            other = (
                result.candidates[0] if "evening" in result.notes and result.candidates else None
            )
            await on_moment(update, ctx, data, result.when, dates.assumed(result), other)
        elif result.problem == "ambiguous":
            await ask_pick(update, ctx, dates.question(result), result.candidates)
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
                await ask_hour(update, ctx, dict(data, part=dates.part_of_day(result)), result.day)
        elif result.problem == "week" and result.day is not None:
            if result.clock is not None:
                data["clock"] = result.clock.strftime("%H:%M")
            await s.dialogs.set(ctx.user.id, KIND, "when", data, s.clock.now())
            await reply(
                update,
                ctx,
                _("Which day of that week?"),
                day_rows(ctx, "edit", week_of=result.day),
            )
        elif result.problem == "no_date" and result.clock is not None:
            data["clock"] = result.clock.strftime("%H:%M")
            await s.dialogs.set(ctx.user.id, KIND, "when", data, s.clock.now())
            await reply(update, ctx, _("On which day?"), day_rows(ctx, "edit", anchor_of(data)))
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
            await on_moment(update, ctx, data, datetime.combine(day, clock, tzinfo=s.settings.tz))
    elif step == "place":
        if len(text) > 200:
            await reply(
                update,
                ctx,
                ngettext(
                    "Please keep it short (at most {n} character).",
                    "Please keep it short (at most {n} characters).",
                    200,
                ).format(n=200),
            )
            return
        place = " ".join(text.split())
        data.pop("place_hint", None)
        if data["mode"] == "edit":
            m = await edited_meeting(update, ctx, data)
            if m is None:
                return
            n = await svc(ctx).change(m.id, place=place, whole_series=data.get("scope") == "s")
            await reply(update, ctx, changed_text(n))
            return
        data["place"] = place
        await (preview if data.get("fix") else ask_agenda)(update, ctx, data)
    elif step == "agenda":
        data["agenda"] = None if is_skip_word(text) else text[:500]  # "overslaan" typed
        await (preview if data.get("fix") else ask_capacity)(update, ctx, data)
    elif step == "capacity":
        # "20", "ongeveer 20 mensen", or the button's "geen limiet" typed.
        no_limit = text.strip().casefold().rstrip(".!") == _("No limit").casefold()
        capacity = 0 if no_limit else num(text) if num(text) is not None else count_in(text)
        if capacity is None or capacity > 10000:
            await reply(update, ctx, _("Please type a number, for example <i>20</i>."))
            return
        data["capacity"] = capacity
        await preview(update, ctx, data)
    elif step == "trfix":
        await on_fix_text(update, ctx, dialog, text)  # a corrected translation (issue 15)
    elif step == "notes":
        m = await edited_meeting(update, ctx, data)
        if m is None:
            return
        await svc(ctx).set_notes(m.id, text[:1000])
        await reply(update, ctx, _("Notes saved."))
    else:
        await reply(update, ctx, _("Please tap one of the buttons above."))


async def on_cancel(update: Update, ctx: BotContext, dialog: Dialog) -> str | None:
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
                update, ctx, data, datetime.combine(day.date(), time(hh, mm), tzinfo=tz)
            )
        else:
            await ask_hour(update, ctx, data, day.date())
    elif action == "t" and dialog.step in ("when", "hour", "repeat", "place") and len(p) == 3:
        when = from_stamp(p[2], tz)
        if when is None or (dialog.step in ("repeat", "place") and data["mode"] != "new"):
            await button_expired(update)
        else:
            await on_moment(update, ctx, data, when)
    elif action == "pl" and dialog.step == "place" and data.get("place_hint"):
        data["place"] = data.pop("place_hint")
        await ask_agenda(update, ctx, data)
    elif action == "r" and dialog.step == "repeat" and len(p) >= 3:
        rule = ":".join(p[2:])
        starts = datetime.fromisoformat(data["starts"]).astimezone(tz)
        if rule not in rule_choices(starts.date()):
            await button_expired(update)
            return
        data["rule"] = rule
        await (preview if data.get("fix") else ask_place)(update, ctx, data)
    elif action == "oa" and dialog.step == "options":
        await ask_when(update, ctx, data)
    elif action == "od" and dialog.step == "options" and len(data.get("options", [])) >= 2:
        await ask_place(update, ctx, data)
    elif action == "sk" and dialog.step == "agenda":
        data["agenda"] = None
        await (preview if data.get("fix") else ask_capacity)(update, ctx, data)
    elif action == "fx" and dialog.step == "preview" and len(p) == 3 and p[2] in FIXABLE:
        # A part changed from the preview: that question again, then straight back here.
        data["fix"] = True
        await FIXABLE[p[2]](update, ctx, data)
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
            draft = draft_of(data, tz)
            ids = await service.publish(draft, ctx.user.id)
            if draft.rule != "once" and ids:
                # One series, one card: say so, and which date the members got.
                members = await s.groups.count_members(draft.group_id)
                first = await service.meeting(ids[0])
                assert first is not None
                await show(
                    update,
                    ctx,
                    ngettext(
                        "Published: one series ({rule}). {n} member got one card for the next"
                        " date, {when}, and can answer for that date or for every time.",
                        "Published: one series ({rule}). {n} members got one card for the next"
                        " date, {when}, and can answer for that date or for every time.",
                        members,
                    ).format(
                        rule=i18n.lower_first(rule_label(draft.rule, draft.starts_at.date())),
                        n=members,
                        when=service.when_text(first.starts_at),
                    ),
                )
                return
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


FIXABLE = {
    "title": _fix_title,
    "when": ask_when,
    "place": ask_place,
    "agenda": ask_agenda,
    "capacity": ask_capacity,
}
