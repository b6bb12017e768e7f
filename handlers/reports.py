"""Problem reports: /report (and the menu button), /myreports for residents; the worker's buttons
on a report, /problems, /routing and /digest. Callback prefixes: rep (resident), rw (worker),
dg (digest settings). The rules live in bot/reports.py."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core import i18n
from bot.core.i18n import N_, _, ngettext
from bot.core.ui import Button, cb, clip, esc
from bot.domain.reports import CODE_OF, FILTER_CODES, STATUS_CODES, ReportsService, status_label
from handlers.common import answer, button_expired, parse_cb, parse_int, refuse, reply, roles, show
from handlers.context import BotContext, registry_of
from storage.repos.dialogs import Dialog
from storage.repos.reports import OPEN_STATUSES, Report
from storage.timestamps import from_db

log = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE
KIND = "report"
KIND_REP = "rep_text"  # resident: answer / add info / "not solved" reason
KIND_RW = "rw_text"  # worker: reply / "not for us" reason
KIND_CAT = "rep_cat"  # worker/admin: a category's emoji and name (add / rename)
CAT_NAME_MAX = 40
PAGE = 8
STEPS_ORDER = ("cat", "what", "photos", "where", "similar", "name", "quote", "confirm")


def svc(ctx: BotContext) -> ReportsService:
    return ctx.services.reports


def _msg(update: Update):
    return update.effective_message


_acks: set[asyncio.Task] = set()


def ack(update: Update) -> None:
    """Stop the button's spinner without waiting for Telegram's answer: the next message is what
    the person waits for (saves one round trip per tap in the report flow)."""

    async def _run() -> None:
        try:
            await answer(update)
        except Exception:  # the spinner stops by itself after a while
            log.debug("answerCallbackQuery failed", exc_info=True)

    task = asyncio.create_task(_run())
    _acks.add(task)
    task.add_done_callback(_acks.discard)


# ---------------------------------------------------------------- resident: the /report flow


async def cmd_report(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    r = svc(ctx)
    rl = await roles(ctx)
    found = await r.project_for(rl)
    if found is None:
        await reply(
            update,
            ctx,
            _("You are not part of a project yet. Ask your project worker for an invite link."),
        )
        return
    dialog = await s.dialogs.get(ctx.user.id)
    draft = await r.repo.draft(ctx.user.id)
    if (dialog is not None and dialog.kind == KIND) or draft is not None:
        await reply(
            update,
            ctx,
            _("You have a report that you did not finish. Do you want to continue it?"),
            [
                [
                    Button(_("▶️ Continue"), cb("rep", "resume")),
                    Button(_("🆕 Start again"), cb("rep", "fresh")),
                ]
            ],
        )
        return
    if await _choose_project(update, ctx, rl):
        return
    await _begin(update, ctx, found)


async def _choose_project(update: Update, ctx: BotContext, rl: Any) -> bool:
    """A member of groups in several projects picks the project (by their group's name)."""
    choices = svc(ctx).project_choices(rl)
    if len(choices) < 2:
        return False
    groups = [await ctx.services.groups.get(gid) for _pid, gid in choices]
    rows = [[Button(g.name[:40], cb("rep", "proj", g.id))] for g in groups if g is not None]
    await show(update, ctx, _("📣 Which group is this report for?"), rows)
    return True


async def _begin(update: Update, ctx: BotContext, found: tuple[int, int | None]) -> None:
    data = {"project_id": found[0], "group_id": found[1], "photos": []}
    await _ask(update, ctx, "cat", data)


async def _ask(update: Update, ctx: BotContext, step: str, data: dict[str, Any]) -> None:
    """Store where the conversation is, then ask its question."""
    s = ctx.services
    r = svc(ctx)
    if step == "similar":
        similar = await r.similar(int(data["project_id"]), data, ctx.user.id)
        if not similar or data.get("back"):
            step = "name" if not data.get("back") else "confirm"
        else:
            data["similar"] = [x.id for x in similar]
    await s.dialogs.set(ctx.user.id, KIND, step, data, s.clock.now())
    pid = int(data["project_id"])
    if step == "cat":
        cats = await r.repo.categories(pid)
        buttons = [Button(r.category_label(c), cb("rep", "cat", c.id)) for c in cats]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        await show(
            update,
            ctx,
            _("📣 What is the problem about? Tap one.") + "\n" + _("Send /cancel to stop."),
            rows,
        )
    elif step == "what":
        await show(update, ctx, _("Tell us what is wrong. Type it, or send a voice note 🎤."))
    elif step == "photos":
        await show(
            update,
            ctx,
            _("Do you have photos? Send one or more. Tap “Done” when you are ready."),
            [[Button(_("✅ Done / no photos"), cb("rep", "pdone"))]],
        )
    elif step == "where":
        hoods = await s.projects.neighbourhoods(pid)
        buttons = [Button(h.name[:40], cb("rep", "hood", h.id)) for h in hoods[:30]]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        await show(
            update,
            ctx,
            _(
                "📍 Where is it? Share your location (📎 → Location), tap your neighbourhood, or type the address."
            ),
            rows,
        )
    elif step == "similar":
        lines = [_("Other people already reported something like this nearby:")]
        rows = []
        for rid in data["similar"]:
            rep = await r.repo.get(rid)
            if rep is None:
                continue
            snippet = esc(clip(rep.text, 80)) if rep.text else "🎤"
            count = await r.repo.me_too_count(rid) + 1
            lines.append(
                "• <b>{}</b> – {} ({})".format(
                    rep.reference,
                    snippet,
                    ngettext("{n} household", "{n} households", count).format(n=count),
                )
            )
            rows.append(
                [Button(_("🙋 Me too: {ref}").format(ref=rep.reference), cb("rep", "mt", rid))]
            )
        lines.append("")
        lines.append(_("Is it the same problem? Tap “Me too”. Or send your own report."))
        rows.append([Button(_("➡️ Send my own report"), cb("rep", "own"))])
        await show(update, ctx, "\n".join(lines), rows)
    elif step == "name":
        await show(
            update,
            ctx,
            _("May the project worker see your name?"),
            [
                [
                    Button(_("✅ Yes"), cb("rep", "name", 1)),
                    Button(_("🙈 No, keep me anonymous"), cb("rep", "name", 0)),
                ]
            ],
        )
    elif step == "quote":
        await show(
            update,
            ctx,
            _("May we use your story, without your name, to show policy makers what is going on?"),
            [
                [
                    Button(_("✅ Yes"), cb("rep", "quote", 1)),
                    Button(_("❌ No"), cb("rep", "quote", 0)),
                ]
            ],
        )
    elif step == "confirm":
        await show(
            update,
            ctx,
            await _summary(ctx, data),
            [[Button(_("✅ Send"), cb("rep", "ok")), Button(_("✏️ Change"), cb("rep", "chg"))]],
        )


async def _summary(ctx: BotContext, data: dict[str, Any]) -> str:
    r = svc(ctx)
    cat = await r.repo.category(int(data["project_id"]), int(data["cat"]))
    hood = await r.hood_name(data.get("hood"))
    place = [esc(hood)] if hood else []
    if data.get("address"):
        place.append(esc(data["address"]))
    if data.get("lat") is not None and not place:
        place.append(_("location pin"))
    what = esc(clip(data["text"], 500)) if data.get("text") else _("🎤 Voice note")
    yes, no = _("yes"), _("no")
    lines = [
        _("<b>Your report</b>"),
        _("Category: {category}").format(category=r.category_label(cat)),
        _("What: {what}").format(what=what),
        _("Photos: {n}").format(n=len(data.get("photos") or [])),
        _("Where: {place}").format(place=", ".join(place) or _("not given")),
        _("Worker may see your name: {answer}").format(answer=yes if data.get("show_name") else no),
        _("Story may be quoted without your name: {answer}").format(
            answer=yes if data.get("quote") else no
        ),
        "",
        _("Is this right?"),
    ]
    return "\n".join(lines)


def _next(step: str, data: dict[str, Any]) -> str:
    if data.get("back") and step in ("cat", "what", "photos", "where", "quote"):
        return "confirm"
    return STEPS_ORDER[STEPS_ORDER.index(step) + 1]


async def _report_step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    """Messages (not buttons) while a report is being made."""
    msg = _msg(update)
    s = ctx.services
    data = dict(dialog.data)
    limit = s.settings.report_max_text
    if dialog.step == "what":
        if msg.voice is not None:
            data.update(voice=msg.voice.file_id, voice_dur=msg.voice.duration, text=None)
        elif msg.text:
            text = msg.text.strip()
            if len(text) > limit:
                await reply(
                    update,
                    ctx,
                    _(
                        "That is too long: {n} characters. Please keep it under {limit}, or send a voice note."
                    ).format(n=len(text), limit=limit),
                )
                return
            data.update(text=text, voice=None)
        elif msg.sticker is not None:
            await reply(
                update,
                ctx,
                _(
                    "A sticker does not tell us what is wrong 🙂 Please type a few words, or send a voice note."
                ),
            )
            return
        else:
            await reply(update, ctx, _("Please type what is wrong, or send a voice note."))
            return
        await _ask(update, ctx, _next("what", data), data)
    elif dialog.step == "photos":
        if msg.photo:
            photos = list(data.get("photos") or [])
            if len(photos) >= 10:
                await reply(
                    update,
                    ctx,
                    _("That is enough photos (10). Tap “Done”."),
                    [[Button(_("✅ Done / no photos"), cb("rep", "pdone"))]],
                )
                return
            photos.append(msg.photo[-1].file_id)
            data["photos"] = photos
            await s.dialogs.set(ctx.user.id, KIND, "photos", data, s.clock.now())
            await reply(
                update,
                ctx,
                ngettext(
                    "{n} photo received. Send more, or tap “Done”.",
                    "{n} photos received. Send more, or tap “Done”.",
                    len(photos),
                ).format(n=len(photos)),
                [[Button(_("✅ Done"), cb("rep", "pdone"))]],
            )
        else:
            await reply(
                update,
                ctx,
                _("Please send a photo, or tap “Done”."),
                [[Button(_("✅ Done / no photos"), cb("rep", "pdone"))]],
            )
    elif dialog.step == "where":
        if msg.location is not None:
            lat, lon = msg.location.latitude, msg.location.longitude
            inside, hood = await svc(ctx).check_location(int(data["project_id"]), lat, lon)
            if not inside:
                await reply(
                    update,
                    ctx,
                    _(
                        "That place is too far from the neighbourhoods of this project. Please tap your neighbourhood or type the address."
                    ),
                )
                return
            data.update(lat=lat, lon=lon)
            if hood and not data.get("hood"):
                data["hood"] = hood
        elif msg.text:
            text = msg.text.strip()
            if len(text) > 200:
                await reply(
                    update,
                    ctx,
                    _("Please keep the address short (at most {n} characters).").format(n=200),
                )
                return
            data["address"] = text
        elif msg.sticker is not None:
            await reply(
                update,
                ctx,
                _(
                    "A sticker is not a place 🙂 Please share your location, tap your neighbourhood, or type the address."
                ),
            )
            return
        else:
            await reply(
                update,
                ctx,
                _("Please share your location, tap your neighbourhood, or type the address."),
            )
            return
        await _ask(update, ctx, _next("where", data), data)
    else:
        await reply(update, ctx, _("Please tap one of the buttons above."))


async def _report_cancel(update: Update, ctx: BotContext, dialog: Dialog) -> str | None:
    await svc(ctx).keep_as_draft(ctx.user.id, dialog.step, dialog.data)
    return _("I kept your report as a draft. Send /report to continue it.")


async def on_rep(update: Update, ctx: BotContext) -> None:
    data_raw = update.callback_query.data or ""
    parts = data_raw.split(":")
    if len(parts) < 2:
        await button_expired(update)
        return
    action = parts[1]
    if action in ("my", "info", "wd", "wdy", "ans", "sy", "sn"):
        await _rep_report_action(update, ctx, action, parts)
        return
    if action == "list":
        await answer(update)
        await cmd_myreports(update, ctx)
        return
    s = ctx.services
    r = svc(ctx)
    if action in ("resume", "fresh"):
        await answer(update)
        dialog = await s.dialogs.get(ctx.user.id)
        draft = await r.repo.draft(ctx.user.id)
        if action == "resume":
            if dialog is not None and dialog.kind == KIND:
                await _ask(update, ctx, dialog.step, dict(dialog.data))
                return
            if draft is not None:
                await r.resume_draft(ctx.user.id)
                await _ask(update, ctx, draft.step, draft.data)
                return
        await r.start_afresh(ctx.user.id, KIND)
        rl = await roles(ctx)
        found = await r.project_for(rl)
        if found is None:
            await button_expired(update)
            return
        if await _choose_project(update, ctx, rl):
            return
        await _begin(update, ctx, found)
        return
    if action == "proj":
        rl = await roles(ctx)
        gid = parse_int(parts[2]) if len(parts) == 3 else None
        if gid is None or gid not in rl.group_projects:
            await button_expired(update)
            return
        ack(update)
        await _begin(update, ctx, (rl.group_projects[gid], gid))
        return
    dialog = await s.dialogs.get(ctx.user.id)
    if dialog is None or dialog.kind != KIND:
        await button_expired(update)
        return
    data = dict(dialog.data)
    pid = int(data["project_id"])
    arg = parse_int(parts[2]) if len(parts) > 2 else None
    step = dialog.step
    if action == "cat" and step == "cat":
        cat = await r.repo.category(pid, arg) if arg is not None else None
        if cat is None or not cat.active:  # hidden ones: an old button, or forged
            await answer(
                update,
                _("This category does not exist. Please tap one of the buttons."),
                alert=True,
            )
            return
        ack(update)
        data["cat"] = cat.id
        await _ask(update, ctx, _next("cat", data), data)
    elif action == "pdone" and step == "photos":
        ack(update)
        await _ask(update, ctx, _next("photos", data), data)
    elif action == "hood" and step == "where":
        hood = await s.projects.neighbourhood(arg) if arg is not None else None
        if hood is None or hood.project_id != pid:
            await button_expired(update)
            return
        ack(update)
        data["hood"] = hood.id
        await _ask(update, ctx, _next("where", data), data)
    elif action == "mt" and step == "similar" and arg in (data.get("similar") or []):
        rep = await r.repo.get(arg)
        if rep is None or not rep.is_open or rep.project_id != pid:
            await button_expired(update)
            return
        ack(update)
        added = await r.me_too(rep, ctx.user)
        count = await r.repo.me_too_count(rep.id) + 1
        text = (
            _("Thank you! We counted you for report {ref}.")
            if added
            else _("You were already counted for report {ref}.")
        ).format(ref=rep.reference)
        text += " " + ngettext(
            "Now {n} household has this problem.", "Now {n} households have this problem.", count
        ).format(n=count)
        await show(update, ctx, text)
    elif action == "own" and step == "similar":
        ack(update)
        await _ask(update, ctx, "name", data)
    elif action in ("name", "quote") and step == action and arg in (0, 1):
        ack(update)
        data["show_name" if action == "name" else "quote"] = bool(arg)
        await _ask(update, ctx, _next(step, data), data)
    elif action == "ok" and step == "confirm":
        ack(update)
        report = await r.create(ctx.user, data, update.update_id)
        await show(
            update,
            ctx,
            _(
                "✅ Thank you! Your report is sent to the project worker.\nYour reference: <b>{ref}</b>"
            ).format(ref=report.reference),
            [[Button(_("📋 My reports"), cb("rep", "list"))]],
        )
    elif action == "chg" and step == "confirm":
        ack(update)
        rows = [
            [
                Button(_("Category"), cb("rep", "edit", "cat")),
                Button(_("What"), cb("rep", "edit", "what")),
            ],
            [
                Button(_("Photos"), cb("rep", "edit", "photos")),
                Button(_("Where"), cb("rep", "edit", "where")),
            ],
            [Button(_("Name and quote"), cb("rep", "edit", "name"))],
        ]
        await show(update, ctx, _("What do you want to change?"), rows)
    elif (
        action == "edit"
        and step == "confirm"
        and len(parts) == 3
        and parts[2] in ("cat", "what", "photos", "where", "name")
    ):
        ack(update)
        data["back"] = True
        if parts[2] == "photos":
            data["photos"] = []
        await _ask(update, ctx, parts[2], data)
    else:
        await button_expired(update)


# ---------------------------------------------------------------- resident: /myreports


async def cmd_myreports(update: Update, ctx: BotContext) -> None:
    r = svc(ctx)
    reports = await r.repo.of_reporter(ctx.user.id)
    if not reports:
        await reply(
            update, ctx, _("You have not reported anything yet. Send /report to report a problem.")
        )
        return
    lines = [_("<b>Your reports</b>")]
    rows = []
    for rep in reports:
        latest = await r.repo.latest_event(rep.id)
        when = i18n.format_short_date(from_db(latest[2] if latest else rep.updated_at))  # type: ignore[arg-type]
        lines.append(f"• <b>{rep.reference}</b> – {status_label(rep.status)} ({when})")
        rows.append([Button(rep.reference, cb("rep", "my", rep.id))])
    await reply(update, ctx, "\n".join(lines), rows)


async def _own_report(update: Update, ctx: BotContext, parts: list[str]) -> Report | None:
    rid = parse_int(parts[2]) if len(parts) == 3 else None
    rep = await svc(ctx).repo.get(rid) if rid is not None else None
    if rep is None:
        await button_expired(update)
        return None
    if rep.reporter_id != ctx.user.id:
        await refuse(update, ctx)
        return None
    return rep


async def _rep_report_action(
    update: Update, ctx: BotContext, action: str, parts: list[str]
) -> None:
    s = ctx.services
    r = svc(ctx)
    rep = await _own_report(update, ctx, parts)
    if rep is None:
        return
    if action == "my":
        await answer(update)
        cat = await r.repo.category(rep.project_id, rep.category_id)
        latest = await r.repo.latest_answer(rep.id)
        lines = [
            f"<b>{rep.reference}</b> – {r.category_label(cat)}",
            _("Status: {status}").format(status=status_label(rep.status)),
            _("Sent on {date}").format(date=i18n.format_datetime(from_db(rep.created_at))),  # type: ignore[arg-type]
        ]
        if rep.status_reason:
            lines.append(_("Reason: {reason}").format(reason=esc(rep.status_reason)))
        if latest is not None:
            last = esc(clip(latest[0], 300)) if latest[0] else "🎤"
            lines.append(_("Latest answer: {text}").format(text=last))
        rows = []
        if rep.is_open:
            rows.append(
                [
                    Button(_("➕ Add information"), cb("rep", "info", rep.id)),
                    Button(_("↩️ Withdraw"), cb("rep", "wd", rep.id)),
                ]
            )
        await show(update, ctx, "\n".join(lines), rows)
    elif action == "wd":
        if not rep.is_open:
            await button_expired(update)
            return
        await answer(update)
        await show(
            update,
            ctx,
            _("Do you really want to withdraw report {ref}?").format(ref=rep.reference),
            [
                [
                    Button(_("✅ Yes, withdraw"), cb("rep", "wdy", rep.id)),
                    Button(_("❌ No"), cb("rep", "my", rep.id)),
                ]
            ],
        )
    elif action == "wdy":
        if not rep.is_open:
            await button_expired(update)
            return
        await answer(update)
        await r.withdraw(rep, ctx.user)
        await show(update, ctx, _("Report {ref} is withdrawn.").format(ref=rep.reference))
    elif action in ("info", "ans", "sn"):
        if action == "info" and not rep.is_open:
            await button_expired(update)
            return
        if action == "sn" and rep.status != "resolved":
            await button_expired(update)
            return
        await answer(update)
        mode = {"info": "info", "ans": "ans", "sn": "no"}[action]
        await s.dialogs.set(ctx.user.id, KIND_REP, mode, {"rid": rep.id}, s.clock.now())
        prompts = {
            "info": _("Send what you want to add: text, a voice note or a photo."),
            "ans": _("Send your answer: text or a voice note. The project worker gets it."),
            "no": _("What is still wrong? Tell us in a few words or with a voice note."),
        }
        await reply(update, ctx, prompts[mode] + "\n" + _("Send /cancel to stop."))
    elif action == "sy":
        if rep.status != "resolved":
            await button_expired(update)
            return
        await answer(update)
        await r.solved_answer(rep, ctx.user, True)
        await show(update, ctx, _("Good to hear! Thank you for letting us know."))


async def _rep_text_step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    s = ctx.services
    r = svc(ctx)
    msg = _msg(update)
    rep = await r.repo.get(int(dialog.data.get("rid", 0)))
    if rep is None or rep.reporter_id != ctx.user.id:
        await s.dialogs.clear(ctx.user.id)
        await reply(update, ctx, _("This report no longer exists."))
        return
    text = (msg.text or msg.caption or "").strip() or None
    voice = msg.voice.file_id if msg.voice else None
    photo = msg.photo[-1].file_id if msg.photo and dialog.step == "info" else None
    if msg.sticker is not None or not (text or voice or photo):
        await reply(update, ctx, _("Please send text or a voice note."))
        return
    if text and len(text) > s.settings.report_max_text:
        await reply(
            update,
            ctx,
            _(
                "That is too long: {n} characters. Please keep it under {limit}, or send a voice note."
            ).format(n=len(text), limit=s.settings.report_max_text),
        )
        return
    await s.dialogs.clear(ctx.user.id)
    if dialog.step == "no":
        await r.solved_answer(rep, ctx.user, False, reason=text or _("(voice note)"))
        if voice:
            await r.relay_to_worker(rep, ctx.user, None, voice, None, "answer")
        await reply(
            update,
            ctx,
            _("Thank you. Report {ref} is open again; the project worker is told.").format(
                ref=rep.reference
            ),
        )
        return
    await r.relay_to_worker(
        rep, ctx.user, text, voice, photo, "info_added" if dialog.step == "info" else "answer"
    )
    await reply(update, ctx, _("Sent to the project worker."))


# ---------------------------------------------------------------- worker side


async def _worker_report(update: Update, ctx: BotContext, rid_raw: str) -> Report | None:
    rid = parse_int(rid_raw)
    rep = await svc(ctx).repo.get(rid) if rid is not None else None
    if rep is None:
        await button_expired(update)
        return None
    if not svc(ctx).may_act(await roles(ctx), rep):
        await refuse(update, ctx)
        return None
    return rep


async def on_rw(update: Update, ctx: BotContext) -> None:
    parts = (update.callback_query.data or "").split(":")
    action = parts[1] if len(parts) > 1 else ""
    s = ctx.services
    r = svc(ctx)
    if action in ("pl", "fs", "fc", "fh"):
        await _problems_cb(update, ctx, parts)
        return
    if action.startswith("r") and action in ("rt", "rn", "rh", "rc", "rs", "rd", "rdef", "rdw"):
        await _routing_cb(update, ctx, parts)
        return
    if len(parts) < 3:
        await button_expired(update)
        return
    rep = await _worker_report(update, ctx, parts[2])
    if rep is None:
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
        if rep.status == status:
            await answer(update, status_label(status))
            return
        await answer(update)
        await r.set_status(rep, ctx.user, status)
        await reply(
            update,
            ctx,
            _("{ref} is now: {status}. The reporter is told.").format(
                ref=rep.reference, status=status_label(status)
            ),
        )
    elif action in ("nfu", "reply") and len(parts) == 3:
        await answer(update)
        mode = "nfu" if action == "nfu" else "reply"
        await s.dialogs.set(ctx.user.id, KIND_RW, mode, {"rid": rep.id}, s.clock.now())
        if mode == "nfu":
            text = _("Why is report {ref} not for us? The reporter will read your answer.").format(
                ref=rep.reference
            )
        else:
            text = _(
                "Send your answer to the reporter of {ref}: text or a voice note. Your name is not shown."
            ).format(ref=rep.reference)
        await reply(update, ctx, text + "\n" + _("Send /cancel to stop."))
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
        cat = await r.repo.category(rep.project_id, rep.category_id)
        text = r.card_text(
            rep,
            cat,
            reporter,
            await r.repo.me_too_count(rep.id),
            await r.hood_name(rep.neighbourhood_id),
        )
        await reply(update, ctx, text, r.worker_buttons(rep, reporter))
        if rep.voice_file_id:
            await ctx.bot.send_voice(update.effective_chat.id, rep.voice_file_id)
    else:
        await button_expired(update)


async def _rw_text_step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    s = ctx.services
    r = svc(ctx)
    msg = _msg(update)
    rep = await r.repo.get(int(dialog.data.get("rid", 0)))
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
            _(
                "That is too long: {n} characters. Please keep it under {limit}, or send a voice note."
            ).format(n=len(text), limit=3000),
        )
        return
    await s.dialogs.clear(ctx.user.id)
    if dialog.step == "nfu":
        await r.set_status(rep, ctx.user, "not_for_us", reason=text)
        await reply(
            update,
            ctx,
            _("{ref} is now: {status}. The reporter is told.").format(
                ref=rep.reference, status=status_label("not_for_us")
            ),
        )
        return
    if await r.relay_to_reporter(rep, ctx.user, text, voice):
        await reply(update, ctx, _("Sent to the reporter of {ref}.").format(ref=rep.reference))
    else:
        await reply(update, ctx, _("The reporter can no longer be reached."))


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
    reports, total = await r.repo.list_open(
        projects, status, None if cat == "-" else cat, hood or None, PAGE, page * PAGE
    )
    lines = [_("<b>Open reports</b>") + f" ({total})"]
    if not reports:
        lines.append(_("Nothing to show."))
    rows = []
    for rep in reports:
        c = await r.repo.category(rep.project_id, rep.category_id)
        snippet = esc(clip(rep.text, 50)) if rep.text else "🎤"
        lines.append(
            "• <b>{}</b> {} {} – {}".format(
                rep.reference, c.emoji if c else "", STATUS_ICONS_SHORT.get(rep.status, ""), snippet
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
    if edit:
        await show(update, ctx, "\n".join(lines), rows)
    else:
        await reply(update, ctx, "\n".join(lines), rows)


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
            for c in await r.repo.categories(pid):
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


# ---------------------------------------------------------------- /routing


async def cmd_routing(update: Update, ctx: BotContext) -> None:
    rl = await roles(ctx)
    s = ctx.services
    projects = (
        await s.projects.all() if rl.is_admin else await s.projects.projects_of_worker(ctx.user.id)
    )
    if not (rl.is_admin or rl.is_worker):
        await refuse(update, ctx)
        return
    if not projects:
        await reply(update, ctx, _("There are no projects yet. Send /newproject to make one."))
        return
    if len(projects) == 1:
        await _routing_show(update, ctx, projects[0].id, edit=False)
        return
    await reply(
        update,
        ctx,
        _("Which project?"),
        [[Button(p.name[:40], cb("rw", "rt", p.id))] for p in projects],
    )


async def _routing_show(update: Update, ctx: BotContext, pid: int, edit: bool = True) -> None:
    s = ctx.services
    r = svc(ctx)
    project = await s.projects.get(pid)
    rules = await r.repo.rules(pid)
    names = {
        u.id: u.display_name
        for u in await s.users.many(
            list(
                {x.worker_id for x in rules}
                | ({project.default_worker_id} if project.default_worker_id else set())
            )
        )
    }
    hoods = {h.id: h.name for h in await s.projects.neighbourhoods(pid)}
    cats = {c.id: c for c in await r.repo.categories(pid)}
    default = (
        esc(names.get(project.default_worker_id, ""))
        if project.default_worker_id
        else _("nobody (the admins get it)")
    )
    lines = [
        _("<b>Who gets which reports</b> – {project}").format(project=esc(project.name)),
        _("Default: {name}").format(name=default),
    ]
    rows = []
    for rule in rules:
        where = (
            esc(hoods.get(rule.neighbourhood_id, ""))
            if rule.neighbourhood_id
            else _("all neighbourhoods")
        )
        what = (
            r.category_label(cats.get(rule.category_id))
            if rule.category_id
            else _("all categories")
        )
        lines.append(f"• {where} · {what} → {esc(names.get(rule.worker_id, '?'))}")
        rows.append(
            [
                Button(
                    _("🗑 Delete: {rule}").format(
                        rule=f"{hoods.get(rule.neighbourhood_id, '*')} · {cats[rule.category_id].emoji if rule.category_id in cats else '*'}"
                    )[:60],
                    cb("rw", "rd", rule.id),
                )
            ]
        )
    rows.append(
        [
            Button(_("➕ Add a rule"), cb("rw", "rn", pid)),
            Button(_("👤 Default worker"), cb("rw", "rdef", pid)),
        ]
    )
    if edit:
        await show(update, ctx, "\n".join(lines), rows)
    else:
        await reply(update, ctx, "\n".join(lines), rows)


async def _routing_cb(update: Update, ctx: BotContext, parts: list[str]) -> None:
    s = ctx.services
    r = svc(ctx)
    action = parts[1]
    nums = [parse_int(p) for p in parts[2:]]
    if not nums or any(n is None for n in nums):
        await button_expired(update)
        return
    if action == "rd":
        rule = await r.repo.rule(nums[0])
        if rule is None:
            await button_expired(update)
            return
        pid = rule.project_id
    else:
        pid = nums[0]
    if not (await roles(ctx)).can_manage_project(pid):
        await refuse(update, ctx)
        return
    project = await s.projects.get(pid)
    if project is None:
        await button_expired(update)
        return
    await answer(update)
    if action == "rt":
        await _routing_show(update, ctx, pid)
    elif action == "rd":
        await r.repo.delete_rule(nums[0])
        await _routing_show(update, ctx, pid)
    elif action == "rn":
        rows = [[Button(_("All neighbourhoods"), cb("rw", "rh", pid, 0))]]
        rows += [
            [Button(h.name[:40], cb("rw", "rh", pid, h.id))]
            for h in await s.projects.neighbourhoods(pid)
        ]
        await show(update, ctx, _("Which neighbourhood?"), rows[:40])
    elif action == "rh" and len(nums) == 2:
        cats = await r.repo.categories(pid)
        buttons = [Button(r.category_label(c), cb("rw", "rc", pid, nums[1], c.id)) for c in cats]
        rows = [[Button(_("All categories"), cb("rw", "rc", pid, nums[1], 0))]]
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        await show(update, ctx, _("Which category?"), rows)
    elif action == "rc" and len(nums) == 3:
        workers = await s.users.many(await s.projects.worker_ids(pid))
        rows = [
            [Button(w.display_name[:40], cb("rw", "rs", pid, nums[1], nums[2], w.id))]
            for w in workers
        ]
        await show(
            update,
            ctx,
            _("Which worker gets these reports?")
            if rows
            else _("There is no worker in this project yet."),
            rows,
        )
    elif action == "rs" and len(nums) == 4:
        _p, hood, cat, uid = nums
        if (
            not await s.projects.is_worker(pid, uid)
            or (hood and (await s.projects.neighbourhood(hood) or None) is None)
            or (cat and await r.repo.category(pid, cat) is None)
        ):
            await button_expired(update)
            return
        await r.repo.set_rule(pid, hood or None, cat or None, uid, ctx.user.id, s.clock.now())
        await _routing_show(update, ctx, pid)
    elif action == "rdef":
        workers = await s.users.many(await s.projects.worker_ids(pid))
        rows = [[Button(w.display_name[:40], cb("rw", "rdw", pid, w.id))] for w in workers]
        await show(
            update,
            ctx,
            _("Who is the default worker?")
            if rows
            else _("There is no worker in this project yet."),
            rows,
        )
    elif action == "rdw" and len(nums) == 2:
        if not await s.projects.is_worker(pid, nums[1]):
            await button_expired(update)
            return
        await s.projects.set_default_worker(pid, nums[1])
        await _routing_show(update, ctx, pid)
    else:
        await button_expired(update)


# ---------------------------------------------------------------- /categories


async def cmd_categories(update: Update, ctx: BotContext) -> None:
    rl = await roles(ctx)
    if not (rl.is_admin or rl.is_worker):
        await refuse(update, ctx)
        return
    s = ctx.services
    projects = (
        await s.projects.all() if rl.is_admin else await s.projects.projects_of_worker(ctx.user.id)
    )
    if not projects:
        await reply(update, ctx, _("There are no projects yet. Send /newproject to make one."))
        return
    if len(projects) == 1:
        await _categories_show(update, ctx, projects[0].id, edit=False)
        return
    await reply(
        update,
        ctx,
        _("Which project?"),
        [[Button(p.name[:40], cb("rcat", "p", p.id))] for p in projects],
    )


async def _categories_show(update: Update, ctx: BotContext, pid: int, edit: bool = True) -> None:
    r = svc(ctx)
    project = await ctx.services.projects.get(pid)
    cats = await r.repo.categories(pid, hidden=True)
    lines = [
        _("<b>Report categories</b> – {project}").format(
            project=esc(project.name if project else "?")
        ),
        _("Tap a category to rename or hide it. 🙈 = hidden: residents do not see it."),
    ]
    buttons = [
        Button(r.category_label(c) + ("" if c.active else " 🙈"), cb("rcat", "c", c.id))
        for c in cats
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([Button(_("➕ Add a category"), cb("rcat", "add", pid))])
    if edit:
        await show(update, ctx, "\n".join(lines), rows)
    else:
        await reply(update, ctx, "\n".join(lines), rows)


def _cat_prompt() -> str:
    return (
        _("Send an emoji and a name, for example: 🚲 Bicycles") + "\n" + _("Send /cancel to stop.")
    )


async def on_rcat(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    r = svc(ctx)
    parts = parse_cb(update.callback_query.data, 3)
    num = parse_int(parts[2]) if parts else None
    if parts is None or num is None or parts[1] not in ("p", "add", "c", "rn", "h"):
        await button_expired(update)
        return
    action = parts[1]
    cat = None
    if action in ("p", "add"):
        pid = num
    else:
        cat = await r.repo.category_by_id(num)
        if cat is None:
            await button_expired(update)
            return
        pid = cat.project_id
    if not (await roles(ctx)).can_manage_project(pid):
        await refuse(update, ctx)
        return
    if await s.projects.get(pid) is None:
        await button_expired(update)
        return
    if action == "h" and cat is not None and cat.active and len(await r.repo.categories(pid)) <= 1:
        await answer(update, _("Keep at least one category for residents."), alert=True)
        return
    await answer(update)
    if action == "p":
        await _categories_show(update, ctx, pid)
    elif action == "add":
        await s.dialogs.set(ctx.user.id, KIND_CAT, "add", {"pid": pid}, s.clock.now())
        await reply(update, ctx, _("A new category for reports.") + "\n" + _cat_prompt())
    elif cat is not None and action == "c":
        state = (
            _("Shown to residents.")
            if cat.active
            else _("Hidden: residents do not see it. Old reports keep it.")
        )
        rows = [
            [
                Button(_("✏️ Rename"), cb("rcat", "rn", cat.id)),
                Button(_("🙈 Hide") if cat.active else _("👁 Show again"), cb("rcat", "h", cat.id)),
            ],
            [Button(_("◀️ Back"), cb("rcat", "p", pid))],
        ]
        await show(update, ctx, f"<b>{r.category_label(cat)}</b>\n{state}", rows)
    elif cat is not None and action == "rn":
        await s.dialogs.set(
            ctx.user.id, KIND_CAT, "rename", {"pid": pid, "cid": cat.id}, s.clock.now()
        )
        await reply(
            update,
            ctx,
            _("New name for {category}.").format(category=r.category_label(cat))
            + "\n"
            + _cat_prompt(),
        )
    elif cat is not None and action == "h":
        await r.repo.change_category(cat, active=0 if cat.active else 1)
        await _categories_show(update, ctx, pid)


def parse_category(text: str) -> tuple[str | None, str] | None:
    """'🚲 Bicycles' -> ('🚲', 'Bicycles'); 'Bicycles' -> (None, 'Bicycles'); None when unusable."""
    text = " ".join(text.split())
    emoji: str | None = None
    first, _sep, rest = text.partition(" ")
    if rest and len(first) <= 8 and not any(ch.isalnum() for ch in first):
        emoji, text = first, rest
    if not text or len(text) > CAT_NAME_MAX or any(ch in text for ch in "<>&"):
        return None
    return emoji, text


async def _cat_text_step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    s = ctx.services
    r = svc(ctx)
    pid = int(dialog.data.get("pid", 0))
    if not (await roles(ctx)).can_manage_project(pid):
        await s.dialogs.clear(ctx.user.id)
        await refuse(update, ctx)
        return
    msg = _msg(update)
    parsed = parse_category(msg.text or "") if msg.text else None
    if parsed is None:
        await reply(
            update,
            ctx,
            _("Please send a short name (at most {n} characters, no &lt; &gt; &amp;).").format(
                n=CAT_NAME_MAX
            )
            + "\n"
            + _cat_prompt(),
        )
        return
    emoji, name = parsed
    await s.dialogs.clear(ctx.user.id)
    if dialog.step == "rename":
        cat = await r.repo.category(pid, int(dialog.data.get("cid", 0)))
        if cat is None:
            await reply(update, ctx, _("This category no longer exists."))
            return
        values: dict[str, Any] = {"custom_label": name}
        if emoji:
            values["emoji"] = emoji
        await r.repo.change_category(cat, **values)
    else:
        await r.repo.add_category(pid, emoji or "📌", name)
    await reply(update, ctx, _("Saved."))
    await _categories_show(update, ctx, pid, edit=False)


# ---------------------------------------------------------------- /digest


def _digest_settings_text(setting) -> str:
    if setting.frequency == "off":
        return _("Your digest is off.")
    if setting.frequency == "weekly":
        return _("You get a digest every week on Monday at {time}.").format(time=setting.time_local)
    return _("You get a digest every day at {time}.").format(time=setting.time_local)


def _digest_rows() -> list[list[Button]]:
    return [
        [
            Button(_("Daily"), cb("dg", "f", "daily")),
            Button(_("Weekly"), cb("dg", "f", "weekly")),
            Button(_("Off"), cb("dg", "f", "off")),
        ],
        [
            Button(t, cb("dg", "t", t.replace(":", "")))
            for t in ("07:00", "08:30", "12:00", "17:00")
        ],
    ]


async def cmd_digest(update: Update, ctx: BotContext) -> None:
    rl = await roles(ctx)
    if not rl.is_worker:
        await refuse(update, ctx)
        return
    s = ctx.services
    r = svc(ctx)
    now = s.clock.now()
    since = await r.digest_window_start(ctx.user.id)
    text = await r.digest_text(ctx.user, since, now)
    if text is None:
        text = _("Nothing new since your last digest.")
    else:
        await r.mark_digest_sent(ctx.user.id, now)
    setting = await r.repo.digest_setting(ctx.user.id)
    await reply(update, ctx, text + "\n\n" + _digest_settings_text(setting), _digest_rows())


async def on_dg(update: Update, ctx: BotContext) -> None:
    rl = await roles(ctx)
    if not rl.is_worker:
        await refuse(update, ctx)
        return
    parts = parse_cb(update.callback_query.data, 3) or parse_cb(update.callback_query.data, 2)
    s = ctx.services
    r = svc(ctx)
    if parts is None:
        await button_expired(update)
        return
    now = s.clock.now()
    if parts[1] == "f" and len(parts) == 3 and parts[2] in ("daily", "weekly", "off"):
        await r.repo.set_digest(ctx.user.id, now, frequency=parts[2])
    elif parts[1] == "t" and len(parts) == 3 and parts[2] in ("0700", "0830", "1200", "1700"):
        await r.repo.set_digest(ctx.user.id, now, time_local=parts[2][:2] + ":" + parts[2][2:])
    elif parts[1] != "set":
        await button_expired(update)
        return
    await answer(update)
    setting = await r.repo.digest_setting(ctx.user.id)
    await show(update, ctx, _digest_settings_text(setting), _digest_rows())


# ---------------------------------------------------------------- wiring


async def _menu_report(update: Update, ctx: BotContext) -> None:
    await cmd_report(update, ctx)


def register(app: Application) -> None:
    registry = registry_of(app)
    registry.command("report", N_("Report a problem"), {"everyone"}, order=10)
    registry.command("myreports", N_("My reports and their answers"), {"everyone"}, order=11)
    registry.command("problems", N_("Open reports of your project"), {"worker", "admin"}, order=20)
    registry.command("routing", N_("Who gets which reports"), {"worker", "admin"}, order=21)
    registry.command("digest", N_("Your digest now, and when you get it"), {"worker"}, order=22)
    registry.command(
        "categories", N_("Report categories of your project"), {"worker", "admin"}, order=23
    )
    registry.menu_item("report", N_("📣 Report a problem"), {"everyone"}, _menu_report, order=10)
    registry.dialog(KIND, _report_step, _report_cancel)
    registry.dialog(KIND_REP, _rep_text_step)
    registry.dialog(KIND_RW, _rw_text_step)
    registry.dialog(KIND_CAT, _cat_text_step)
    app.add_handler(CommandHandler("report", cmd_report, filters=PRIVATE))
    app.add_handler(CommandHandler("myreports", cmd_myreports, filters=PRIVATE))
    app.add_handler(CommandHandler("problems", cmd_problems, filters=PRIVATE))
    app.add_handler(CommandHandler("routing", cmd_routing, filters=PRIVATE))
    app.add_handler(CommandHandler("digest", cmd_digest, filters=PRIVATE))
    app.add_handler(CommandHandler("categories", cmd_categories, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_rep, pattern=r"^rep:"))
    app.add_handler(CallbackQueryHandler(on_rw, pattern=r"^rw:"))
    app.add_handler(CallbackQueryHandler(on_dg, pattern=r"^dg:"))
    app.add_handler(CallbackQueryHandler(on_rcat, pattern=r"^rcat:"))
