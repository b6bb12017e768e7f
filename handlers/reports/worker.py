"""Workers: the buttons on a report's card, their reply / “not for us” relay, and /problems."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.core import i18n
from bot.core.i18n import _, ngettext
from bot.core.ui import Button, cb, esc
from bot.domain.reports import (
    CLOSED_BY_WORKER,
    CODE_OF,
    FILTER_CODES,
    STATUS_CODES,
    moves_forward,
    report_snippet,
    status_label,
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
from handlers.context import BotContext
from handlers.reports._common import KIND_RW, message_of, svc
from handlers.reports.setup import routing_cb
from storage.repos.dialogs import Dialog
from storage.repos.reports import OPEN_STATUSES, Report

PAGE = 8


# ---------------------------------------------------------------- worker side


async def _worker_report(update: Update, ctx: BotContext, rid_raw: str) -> Report | None:
    rid = parse_int(rid_raw)
    rep = await svc(ctx).get(rid) if rid is not None else None
    if rep is None:
        await button_expired(update)
        return None
    if not svc(ctx).may_act(await roles(ctx), rep):
        await refuse(update, ctx)
        return None
    return rep


async def on_rw(update: Update, ctx: BotContext) -> None:
    parts = button_parts(update)
    action = parts[1] if len(parts) > 1 else ""
    s = ctx.services
    r = svc(ctx)
    if action in ("pl", "fs", "fc", "fh"):
        await _problems_cb(update, ctx, parts)
        return
    if action.startswith("r") and action in ("rt", "rn", "rh", "rc", "rs", "rd", "rdef", "rdw"):
        await routing_cb(update, ctx, parts)
        return
    if len(parts) < 3:
        await button_expired(update)
        return
    rep = await _worker_report(update, ctx, parts[2])
    if rep is None:
        return
    msg = update.effective_message
    if msg is not None and action != "card":
        # A card that was handed to a colleague acts no more (its buttons were taken off; an
        # old copy or a forged press still lands here).
        colleague = await r.handed_to(rep.id, msg.chat_id, msg.message_id)
        if colleague is not None:
            await answer(
                update,
                _("Report {ref} is with {name} now.").format(
                    ref=rep.reference, name=colleague.display_name
                ),
                alert=True,
            )
            return
    if action not in ("nfu", "reply"):
        # A button of another report means the worker moved on: an answer they started for a
        # different report must not go out to that reporter with their next message.
        pending = await s.dialogs.get(ctx.user.id)
        if pending is not None and pending.kind == KIND_RW and pending.data.get("rid") != rep.id:
            await s.dialogs.clear(ctx.user.id)
    if action == "st" and len(parts) == 4 and parts[3] in STATUS_CODES:
        status = STATUS_CODES[parts[3]]
        if rep.status == "withdrawn":
            await answer(update, _("The reporter withdrew this report."), alert=True)
            return
        if not moves_forward(rep.status, status):
            await answer(
                update,
                _("{ref} is already: {status}. A status only moves forward.").format(
                    ref=rep.reference, status=status_label(rep.status)
                ),
            )
            return
        await r.set_status(rep, ctx.user, status)
        # The card is edited in place; a toast says it, no message on top of the card.
        await answer(update, _told(rep, status))
    elif action == "ro" and len(parts) == 3:
        if rep.status not in CLOSED_BY_WORKER:
            await answer(update, status_label(rep.status))
            return
        await r.reopen(rep, ctx.user)
        await answer(update, _told(rep, "in_progress"))
    elif action == "nfu" and len(parts) == 3 and not moves_forward(rep.status, "not_for_us"):
        await answer(
            update,
            _("{ref} is already: {status}. A status only moves forward.").format(
                ref=rep.reference, status=status_label(rep.status)
            ),
        )
    elif action == "reply" and len(parts) == 3 and rep.reporter_id is None:
        await answer(
            update, _("The reporter's data is deleted: you can no longer answer them."), alert=True
        )
    elif action in ("nfu", "reply") and len(parts) == 3:
        await answer(update)
        mode = "nfu" if action == "nfu" else "reply"
        await s.dialogs.set(ctx.user.id, KIND_RW, mode, {"rid": rep.id}, s.clock.now())
        if mode == "nfu" and rep.reporter_id is None:
            text = _(
                "Why is report {ref} not for us? It is kept with the report; the reporter's data "
                "is deleted, so they will not read it."
            ).format(ref=rep.reference)
        elif mode == "nfu":
            text = _("Why is report {ref} not for us? The reporter will read your answer.").format(
                ref=rep.reference
            )
        else:
            text = _(
                "Send your answer to the reporter of {ref}: text or a voice note. Your name is "
                "not shown."
            ).format(ref=rep.reference)
        await reply(update, ctx, text)
    elif action == "ra" and len(parts) == 3:
        await answer(update)
        workers = await s.users.many(await s.projects.worker_ids(rep.project_id))
        rows = [
            [Button(w.display_name[:40], cb("rw", "rat", rep.id, w.id))]
            for w in workers
            if w.id != rep.assigned_to
        ]
        if not rows:
            await reply(update, ctx, _("There is no other worker in this project."))
            return
        await reply(update, ctx, _("Who should take report {ref}?").format(ref=rep.reference), rows)
    elif action == "rat" and len(parts) == 4:
        uid = parse_int(parts[3])
        if uid is None or not await s.projects.is_worker(rep.project_id, uid):
            await refuse(update, ctx)
            return
        await answer(update)
        await r.reassign(rep, ctx.user, uid)
        target = await s.users.get(uid)
        await show(
            update,
            ctx,
            _("Report {ref} is now with {name}.").format(
                ref=rep.reference, name=esc(target.display_name if target else "?")
            ),
        )
    elif action == "card" and len(parts) == 3:
        await answer(update)
        reporter = await s.users.get(rep.reporter_id) if rep.reporter_id else None
        cat = await r.category(rep.project_id, rep.category_id)
        text = r.card_text(
            rep,
            cat,
            reporter,
            await r.me_too_count(rep.id),
            await r.hood_name(rep.neighbourhood_id),
            extra=await r.card_extra(rep, i18n.current_language()),
        )
        # Everything the card came with, then the conversation so far; each copy is recorded,
        # so /forget can reach it later.
        sent = [
            ((await reply(update, ctx, text, r.worker_buttons(rep, reporter))).message_id, "card")
        ]
        caption = _("Report {ref}").format(ref=rep.reference)
        photos, pin = await r.card_material(rep)
        voices = [rep.voice_file_id] if rep.voice_file_id else []
        voices += await r.repo.voices(rep.id)  # the further voice notes, in order
        tg = ctx.user.tg_id
        for voice in voices:
            sent.append(
                ((await ctx.bot.send_voice(tg, voice, caption=caption)).message_id, "voice")
            )
        for photo in photos[:10]:
            sent.append(
                ((await ctx.bot.send_photo(tg, photo, caption=caption)).message_id, "photo")
            )
        if pin is not None:
            msg = await ctx.bot.send_location(tg, latitude=pin[0], longitude=pin[1])
            sent.append((msg.message_id, "location"))
        history = await reply(update, ctx, await r.conversation_text(rep, i18n.current_language()))
        sent.append((history.message_id, "history"))
        await r.record_copies(rep, tg, sent)
    else:
        await button_expired(update)


async def rw_text_step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    s = ctx.services
    r = svc(ctx)
    msg = message_of(update)
    rep = await r.get(int(dialog.data.get("rid", 0)))
    if rep is None or not r.may_act(await roles(ctx), rep):
        await s.dialogs.clear(ctx.user.id)
        await reply(update, ctx, _("Sorry, you can't do that."))
        return
    text = (msg.text or "").strip() or None
    voice = msg.voice.file_id if msg.voice else None
    if msg.sticker is not None or not (text or voice) or (dialog.step == "nfu" and not text):
        await reply(
            update,
            ctx,
            _("Please send text or a voice note.")
            if dialog.step == "reply"
            else _("Please type the reason."),
        )
        return
    if text and len(text) > 3000:
        await reply(
            update,
            ctx,
            ngettext(
                (
                    "That is too long: {n} character. Please keep it under "
                    "{limit}, or send a voice note."
                ),
                (
                    "That is too long: {n} characters. Please keep it under "
                    "{limit}, or send a voice note."
                ),
                len(text),
            ).format(n=len(text), limit=3000),
        )
        return
    await s.dialogs.clear(ctx.user.id)
    if dialog.step == "nfu":
        if not moves_forward(rep.status, "not_for_us"):
            await reply(
                update,
                ctx,
                _("{ref} is already: {status}. A status only moves forward.").format(
                    ref=rep.reference, status=status_label(rep.status)
                ),
            )
            return
        await r.set_status(rep, ctx.user, "not_for_us", reason=text)
        await reply(update, ctx, _told(rep, "not_for_us"))
        return
    if await r.relay_to_reporter(rep, ctx.user, text, voice):
        await reply(update, ctx, _("Sent to the reporter of {ref}.").format(ref=rep.reference))
    else:
        await reply(update, ctx, _("The reporter can no longer be reached."))


def _told(rep: Report, status: str) -> str:
    """The toast after a status change: who hears of it (nobody, once the reporter's data is
    deleted and no household follows the report)."""
    if rep.reporter_id is not None:
        return _("{ref} is now: {status}. The reporter is told.").format(
            ref=rep.reference, status=status_label(status)
        )
    return _("{ref} is now: {status}.").format(ref=rep.reference, status=status_label(status))


# ---------------------------------------------------------------- /problems


async def cmd_problems(update: Update, ctx: BotContext) -> None:
    rl = await roles(ctx)
    if not (rl.is_admin or rl.is_worker):
        await refuse(update, ctx)
        return
    await _problems_page(update, ctx, "a", "-", 0, 0, edit=False)


async def _problems_page(
    update: Update, ctx: BotContext, st: str, cat: str, hood: int, page: int, edit: bool = True
) -> None:
    r = svc(ctx)
    rl = await roles(ctx)
    projects = None if rl.is_admin else sorted(rl.worker_of)
    status = FILTER_CODES.get(st)
    reports, total = await r.list_open(
        projects, status, None if cat == "-" else cat, hood or None, PAGE, page * PAGE
    )
    lines = [_("<b>Open reports</b>") + f" ({total})"]
    if not reports:
        lines.append(_("Nothing to show."))
    rows = []
    holders = await r.holders(reports)
    for rep in reports:
        c = await r.category(rep.project_id, rep.category_id)
        snippet = report_snippet(rep, 50)
        holder = (
            _("with {name}").format(name=esc(holders[rep.id]))
            if rep.id in holders
            else _("nobody has it yet")
        )
        lines.append(
            "• <b>{}</b> {} {} – {} · <i>{}</i>".format(
                rep.reference,
                c.emoji if c else "",
                STATUS_ICONS_SHORT.get(rep.status, ""),
                snippet,
                holder,
            )
        )
        rows.append(
            [Button("{} {}".format(rep.reference, c.emoji if c else ""), cb("rw", "card", rep.id))]
        )
    rows = [sum(rows[i : i + 2], []) for i in range(0, len(rows), 2)]
    rows.append(
        [
            Button(_("Status ▾"), cb("rw", "fs", cat, hood)),
            Button(_("Category ▾"), cb("rw", "fc", st, hood)),
            Button(_("Neighbourhood ▾"), cb("rw", "fh", st, cat)),
        ]
    )
    nav = []
    if page > 0:
        nav.append(Button(_("◀️ Newer"), cb("rw", "pl", st, cat, hood, page - 1)))
    if (page + 1) * PAGE < total:
        nav.append(Button(_("Older ▶️"), cb("rw", "pl", st, cat, hood, page + 1)))
    if nav:
        rows.append(nav)
    query = update.callback_query
    if edit and query is not None and query.message is not None:
        await show(update, ctx, "\n".join(lines), rows)
        message_id = query.message.message_id
    else:
        message_id = (await reply(update, ctx, "\n".join(lines), rows)).message_id
    # The list quotes each report: recorded, so /forget can reach it.
    for rep in reports:
        await r.record_copies(rep, ctx.user.tg_id, [(message_id, "list")])


STATUS_ICONS_SHORT = {"new": "🆕", "seen": "👀", "in_progress": "🔧", "forwarded": "📨"}


async def _problems_cb(update: Update, ctx: BotContext, parts: list[str]) -> None:
    rl = await roles(ctx)
    if not (rl.is_admin or rl.is_worker):
        await refuse(update, ctx)
        return
    r = svc(ctx)
    action = parts[1]
    if action == "pl" and len(parts) == 6:
        hood, page = parse_int(parts[4]), parse_int(parts[5])
        if hood is None or page is None or (parts[2] != "a" and parts[2] not in FILTER_CODES):
            await button_expired(update)
            return
        await answer(update)
        await _problems_page(update, ctx, parts[2], parts[3], hood, page)
    elif action == "fs" and len(parts) == 4:
        await answer(update)
        rows = [[Button(_("All open"), cb("rw", "pl", "a", parts[2], parts[3], 0))]]
        for status in OPEN_STATUSES:
            code = CODE_OF.get(status)
            if code:
                rows.append(
                    [Button(status_label(status), cb("rw", "pl", code, parts[2], parts[3], 0))]
                )
        await show(update, ctx, _("Show which status?"), rows)
    elif action == "fc" and len(parts) == 4:
        await answer(update)
        pids = sorted(rl.worker_of) or [p.id for p in await ctx.services.projects.all()]
        seen: dict[str, Any] = {}
        for pid in pids[:5]:
            for c in await r.categories(pid):
                seen.setdefault(c.key, c)
        buttons = [
            Button(r.category_label(c), cb("rw", "pl", parts[2], c.key, parts[3], 0))
            for c in seen.values()
        ]
        rows = [[Button(_("All categories"), cb("rw", "pl", parts[2], "-", parts[3], 0))]]
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        await show(update, ctx, _("Show which category?"), rows)
    elif action == "fh" and len(parts) == 4:
        await answer(update)
        pids = sorted(rl.worker_of) or [p.id for p in await ctx.services.projects.all()]
        rows = [[Button(_("All neighbourhoods"), cb("rw", "pl", parts[2], parts[3], 0, 0))]]
        for pid in pids[:5]:
            for h in await ctx.services.projects.neighbourhoods(pid):
                rows.append([Button(h.name[:40], cb("rw", "pl", parts[2], parts[3], h.id, 0))])
        await show(update, ctx, _("Show which neighbourhood?"), rows[:40])
    else:
        await button_expired(update)
