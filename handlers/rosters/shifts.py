"""Volunteers: /volunteer, /shifts, taking a shift, stepping back ("sh") and take-over ("tk")."""

from __future__ import annotations

from telegram import Update

from bot.core.i18n import _, ngettext
from bot.core.ui import Button, cb, esc
from bot.domain.rosters import (
    MAX_REASON,
    REASONS,
    hours_text,
    slot_block,
    slot_when,
)
from bot.domain.translation import org_text
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
from handlers.context import BotContext
from handlers.rosters.shared import BACK_KIND, svc
from storage.repos.dialogs import Dialog
from storage.repos.rosters import SlotInfo


async def cmd_volunteer(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    memberships = await s.groups.memberships(ctx.user.id)
    if not memberships:
        await reply(
            update,
            ctx,
            _(
                "You are not in a group yet. Ask your group for its link or scan the"
                " QR code on the poster."
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
                "Do you want to help as a volunteer in <b>{group}</b>? You choose the shifts"
                " yourself."
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
        title = org_text(sl.title)  # in the volunteer's language when translated (issue 15)
        if await svc(ctx).has_shift(sl.slot_id, ctx.user.id):
            lines.append("✅ {} – {} ({})".format(slot_when(sl), esc(title), _("you")))
        elif sl.missing == 0:
            lines.append("⛔ {} – {} ({})".format(slot_when(sl), esc(title), _("full")))
        else:
            lines.append(f"✋ {slot_when(sl)} – {esc(title)} ({sl.signed}/{sl.needed})")
            if len(rows) < 20:
                rows.append(
                    [
                        Button(
                            f"✋ {slot_when(sl)} {title}"[:60],
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
    if action in ("back", "why", "keep", "late"):
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
        if action == "late":
            await _tell_late(update, ctx, shift.id)
            return
        if not svc(ctx).can_step_back(slot):
            await answer(update)
            await _too_late(update, ctx, shift.id, slot)
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
        code = parts[3] if len(parts) == 4 else ""
        if code not in REASONS:
            await button_expired(update)
            return
        await _do_step_back(update, ctx, shift.id, None, code)
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


async def on_back_text(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    text = (update.effective_message.text or "").strip() if update.effective_message else ""
    if not text:
        await reply(update, ctx, _("Please send it as a text message."))
        return
    await _do_step_back(
        update, ctx, int(dialog.data["shift_id"]), " ".join(text.split())[:MAX_REASON]
    )


async def _too_late(update: Update, ctx: BotContext, shift_id: int, slot: SlotInfo) -> None:
    """Too late to step back in the bot: one tap tells the organiser, by name."""
    names = await svc(ctx).organiser_names(slot.group_id)
    organiser = ", ".join(names) or _("the organiser")
    await show(
        update,
        ctx,
        _("It is too late to step back here. Tap the button and I tell {organiser}.").format(
            organiser=esc(organiser)
        )
        + "\n\n"
        + slot_block(slot),
        [
            [
                Button(
                    _("📣 Tell {organiser} I can't come").format(organiser=organiser)[:60],
                    cb("sh", "late", shift_id),
                )
            ],
            [Button(_("↩️ No, I keep my shift"), cb("sh", "keep", shift_id))],
        ],
    )


async def _tell_late(update: Update, ctx: BotContext, shift_id: int) -> None:
    outcome = await svc(ctx).tell_late(shift_id, ctx.user)
    if outcome.code != "ok" or outcome.slot is None:
        await answer(update, _("This shift has passed."), alert=True)
        return
    await answer(update)
    told = list(outcome.extra or [])
    if told:
        text = _("I told {organiser} that you cannot come. Thank you for saying so.").format(
            organiser=esc(", ".join(told))
        )
    else:
        text = _("I could not reach an organiser. Please tell your group yourself.")
    await show(update, ctx, text + "\n\n" + slot_block(outcome.slot))


async def _do_step_back(
    update: Update,
    ctx: BotContext,
    shift_id: int,
    reason: str | None,
    reason_code: str | None = None,
) -> None:
    s = ctx.services
    await s.dialogs.clear(ctx.user.id)
    outcome = await svc(ctx).step_back(shift_id, ctx.user, reason, reason_code)
    if outcome.code == "late" and outcome.slot is not None:
        await _too_late(update, ctx, shift_id, outcome.slot)
    elif outcome.code != "ok" or outcome.slot is None:
        await show(update, ctx, _("This shift has passed."))
    elif not outcome.extra:  # nobody free to ask: not "I asked the others"
        await show(
            update,
            ctx,
            _(
                "You stepped back from {when}. No other volunteer is free to ask; the organiser"
                " knows. Thank you for telling us."
            ).format(when=slot_when(outcome.slot)),
        )
    else:
        await show(
            update,
            ctx,
            _(
                "You stepped back from {when}. I asked the other volunteers to take over. Thank you"
                " for telling us."
            ).format(when=slot_when(outcome.slot)),
        )


async def cmd_shifts(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    rsvc = svc(ctx)
    now = s.clock.now()
    shifts = await rsvc.my_shifts(ctx.user.id)
    lines = [_("<b>My shifts</b>")]
    rows: list[list[Button]] = []
    for shift, slot in shifts:
        lines.append(
            f"• {slot_when(slot)} – {esc(org_text(slot.title))}"
            + (" 📍 " + esc(org_text(slot.place)) if slot.place else "")
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
            rows.append(
                [
                    Button(
                        _("📣 I can't come: {when}").format(when=slot_when(slot))[:60],
                        cb("sh", "back", shift.id),
                    )
                ]
            )
    if not shifts:
        lines.append(_("You have no coming shifts. Send /volunteer to take one."))
    n_all, h_all, n_year, h_year = await rsvc.contribution(ctx.user.id)
    if n_all:
        lines.append("")
        lines.append(
            _(
                "💪 Your help: {done_this_year} this year ({time}); {done_in_all} in total"
                " ({time_in_all}). Thank you!"
            ).format(
                done_this_year=ngettext("{n} shift", "{n} shifts", n_year).format(n=n_year),
                time=hours_text(h_year),
                done_in_all=ngettext("{n} shift", "{n} shifts", n_all).format(n=n_all),
                time_in_all=hours_text(h_all),
            )
        )
    await show(update, ctx, "\n".join(lines), rows)


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
