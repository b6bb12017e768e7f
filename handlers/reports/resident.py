"""Residents: the /report conversation (with its draft and the similar reports), /myreports and
what they do with their own report afterwards (add information, withdraw, answer, “solved?”)."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.core import i18n
from bot.core.i18n import _, lower_first, ngettext
from bot.core.ui import Button, cb, clip, esc
from bot.domain.reports import DESCRIPTION_MAX, ReportDraft, status_label
from handlers.common import (
    answer,
    button_action,
    button_expired,
    parse_int,
    refuse,
    reply,
    roles,
    show,
)
from handlers.context import BotContext
from handlers.reports._common import KIND, KIND_REP, ack, message_of, seconds, svc
from storage.repos.dialogs import Dialog
from storage.repos.reports import Report
from storage.timestamps import from_db

STEPS_ORDER = ("cat", "what", "photos", "where", "similar", "name", "quote", "confirm")


# ---------------------------------------------------------------- resident: the /report flow


async def cmd_report(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    r = svc(ctx)
    rl = await roles(ctx)
    found = await r.project_for(rl)
    if found is None and not await r.stranger_projects(rl):
        await reply(
            update,
            ctx,
            _("You are not part of a project yet. Ask your project worker for an invite link."),
        )
        return
    dialog = await s.dialogs.get(ctx.user.id)
    draft = await r.draft(ctx.user.id)
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
    await _start(update, ctx, rl)


async def _start(update: Update, ctx: BotContext, rl: Any) -> None:
    """A new report: its project through the person's group (they choose among several), or,
    for someone in no group yet, the project they choose (told how to join a group)."""
    r = svc(ctx)
    if await _choose_project(update, ctx, rl):
        return
    projects = await r.stranger_projects(rl)
    if len(projects) > 1:
        rows = [[Button(p.name[:40], cb("rep", "sp", p.id))] for p in projects[:30]]
        await show(
            update,
            ctx,
            _("You are not in a group yet. Which project is your neighbourhood in?"),
            rows,
        )
        return
    if projects:
        await _begin_as_stranger(update, ctx, projects[0])
        return
    found = await r.project_for(rl)
    if found is None:
        await button_expired(update)
        return
    await _begin(update, ctx, found)


async def _begin_as_stranger(update: Update, ctx: BotContext, project: Any) -> None:
    await reply(
        update,
        ctx,
        _(
            "You are not in a group yet. You can still report a problem: it goes to the project "
            "workers of “{project}”. To join a group, ask a project worker for an invite link "
            "or scan the QR code on the poster."
        ).format(project=esc(project.name)),
    )
    await _begin(update, ctx, (project.id, None))


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
    await _ask(update, ctx, "cat", ReportDraft(project_id=found[0], group_id=found[1]))


async def _ask(
    update: Update, ctx: BotContext, step: str, data: ReportDraft, kept: str | None = None
) -> None:
    """Store where the conversation is, then ask its question (after ``kept``: what was just
    received, said in the same message)."""
    s = ctx.services
    r = svc(ctx)
    if step == "similar":
        similar = await r.similar(data.project_id, data, ctx.user.id)
        if not similar or data.back:
            step = "name" if not data.back else "confirm"
        else:
            data.similar = [x.id for x in similar]
    await s.dialogs.set(ctx.user.id, KIND, step, data.to_dict(), s.clock.now())

    async def ask(text: str, rows: list[list[Button]] | None = None) -> None:
        await show(update, ctx, kept + "\n\n" + text if kept else text, rows)

    pid = data.project_id
    if step == "cat":
        cats = await r.categories(pid)
        buttons = [Button(r.category_label(c), cb("rep", "cat", c.id)) for c in cats]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        await ask(
            _("📣 What is the problem about? Tap one.") + "\n" + _("Send /cancel to stop."),
            rows,
        )
    elif step == "what":
        await ask(_("Tell us what is wrong. Type it, or send a voice note 🎤."))
    elif step == "photos":
        await ask(
            _("Do you have photos? Send one or more. Tap “Done” when you are ready.")
            + "\n"
            + _("Something to add? Send another voice note or type it."),
            [[Button(_("✅ Done / no photos"), cb("rep", "pdone"))]],
        )
    elif step == "where":
        hoods = await s.projects.neighbourhoods(pid)
        buttons = [Button(h.name[:40], cb("rep", "hood", h.id)) for h in hoods[:30]]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        await ask(
            _(
                "📍 Where is it? Share your location (📎 → Location), tap your neighbourhood, or "
                "type the address."
            ),
            rows,
        )
    elif step == "similar":
        lines = [_("Other people already reported something like this nearby:")]
        rows = []
        now = ctx.services.clock.now()
        for rep in await r.similar_reports(data.similar or []):
            households = ngettext("{n} household", "{n} households", rep.households)
            about = [rep.category, esc(rep.neighbourhood) if rep.neighbourhood else None]
            lines.append(
                "• <b>{}</b> – {} ({}, {})".format(
                    rep.reference,
                    " · ".join(part for part in about if part),
                    i18n.format_ago(rep.created_at, now),
                    households.format(n=rep.households),
                )
            )
            rows.append(
                [Button(_("🙋 Me too: {ref}").format(ref=rep.reference), cb("rep", "mt", rep.id))]
            )
        lines.append("")
        lines.append(_("Is it the same problem? Tap “Me too”. Or send your own report."))
        rows.append([Button(_("➡️ Send my own report"), cb("rep", "own"))])
        await ask("\n".join(lines), rows)
    elif step == "name":
        await ask(
            _("May the project worker see your name?"),
            [
                [
                    Button(_("✅ Yes"), cb("rep", "name", 1)),
                    Button(_("🙈 No, keep me anonymous"), cb("rep", "name", 0)),
                ]
            ],
        )
    elif step == "quote":
        await ask(
            _("May we use your story, without your name, to show policy makers what is going on?"),
            [
                [
                    Button(_("✅ Yes"), cb("rep", "quote", 1)),
                    Button(_("❌ No"), cb("rep", "quote", 0)),
                ]
            ],
        )
    elif step == "confirm":
        await ask(
            await _summary(ctx, data),
            [[Button(_("✅ Send"), cb("rep", "ok")), Button(_("✏️ Change"), cb("rep", "chg"))]],
        )


async def _summary(ctx: BotContext, data: ReportDraft) -> str:
    r = svc(ctx)
    cat = await r.draft_category(data)
    hood = await r.hood_name(data.hood)
    place = [esc(hood)] if hood else []
    if data.address:
        place.append(esc(data.address))
    if data.lat is not None and not place:
        place.append(_("location pin"))
    said = [esc(clip(data.text, 500))] if data.text else []
    if data.voice_count == 1:
        said.append(_("🎤 Voice note"))
    elif data.voice_count:
        said.append(
            ngettext("🎤 {n} voice note", "🎤 {n} voice notes", data.voice_count).format(
                n=data.voice_count
            )
        )
    what = " + ".join(said) or "?"
    yes, no = _("yes"), lower_first(_("No"))
    lines = [
        _("<b>Your report</b>"),
        _("Category: {category}").format(category=r.category_label(cat)),
        _("What: {what}").format(what=what),
        ngettext("Photos: {n}", "Photos: {n}", len(data.photos)).format(n=len(data.photos)),
        _("Where: {place}").format(place=", ".join(place) or _("not given")),
        _("Worker may see your name: {answer}").format(answer=yes if data.show_name else no),
        _("Story may be quoted without your name: {answer}").format(
            answer=yes if data.quote else no
        ),
        "",
        _("Is this right?"),
    ]
    return "\n".join(lines)


def _next(step: str, data: ReportDraft) -> str:
    if data.back and step in ("cat", "what", "photos", "where", "quote"):
        return "confirm"
    return STEPS_ORDER[STEPS_ORDER.index(step) + 1]


async def report_step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    """Messages (not buttons) while a report is being made. Nothing a person sends is dropped:
    every voice note, photo, caption and piece of a long text is stored before the answer."""
    msg = message_of(update)
    s = ctx.services
    data = ReportDraft.from_dict(dialog.data)
    at = int(msg.date.timestamp())
    raw = msg.text or msg.caption or ""
    if msg.text and dialog.step != "what" and data.continues_split(at):
        # The second piece of a text the client split: the dialog already moved on.
        if len(data.text or "") + len(raw) > DESCRIPTION_MAX:
            await reply(update, ctx, _too_long(len(data.text or "") + len(raw)))
            return
        data.join_piece(raw, at)
        await _ask(update, ctx, dialog.step, data, _("✅ I got all of your text."))
        return
    if dialog.step == "what":
        if msg.voice is not None:
            data.set_voice(msg.voice.file_id, seconds(msg.voice.duration))
            if raw.strip():
                data.add_text(raw.strip())
        elif raw.strip():
            if len(raw) > DESCRIPTION_MAX:
                await reply(update, ctx, _too_long(len(raw)))
                return
            data.set_text(raw, at if msg.text else None)
            if msg.photo:  # a captioned photo: the caption is the description
                data.photos = [*data.photos, msg.photo[-1].file_id][:10]
        elif msg.photo:
            # A photo without words: keep it, and still ask what is wrong.
            data.photos = [*data.photos, msg.photo[-1].file_id][:10]
            await s.dialogs.set(ctx.user.id, KIND, "what", data.to_dict(), s.clock.now())
            await reply(
                update,
                ctx,
                _(
                    "📷 I kept your photo. Now tell us what is wrong: type it, or send a voice "
                    "note 🎤."
                ),
            )
            return
        elif msg.sticker is not None:
            await reply(
                update,
                ctx,
                _(
                    "A sticker does not tell us what is wrong 🙂 Please type a few words, or send "
                    "a voice note."
                ),
            )
            return
        else:
            await reply(update, ctx, _("Please type what is wrong, or send a voice note."))
            return
        await _ask(update, ctx, _next("what", data), data, _kept_line(data))
    elif dialog.step == "photos":
        done = [[Button(_("✅ Done"), cb("rep", "pdone"))]]
        if msg.photo or msg.voice is not None or raw.strip():
            if msg.photo and len(data.photos) >= 10:
                await reply(
                    update,
                    ctx,
                    _("That is enough photos (10). Tap “Done”."),
                    [[Button(_("✅ Done / no photos"), cb("rep", "pdone"))]],
                )
                return
            if len(data.text or "") + len(raw) > DESCRIPTION_MAX:
                await reply(update, ctx, _too_long(len(data.text or "") + len(raw)))
                return
            if msg.photo:
                data.photos = [*data.photos, msg.photo[-1].file_id]
            if msg.voice is not None:
                data.add_voice(msg.voice.file_id, seconds(msg.voice.duration))
            if raw.strip():  # a caption, or words typed after the description
                data.add_text(raw.strip())
            await s.dialogs.set(ctx.user.id, KIND, "photos", data.to_dict(), s.clock.now())
            await reply(update, ctx, _kept_line(data) + "\n" + _("Send more, or tap “Done”."), done)
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
            inside, hood = await svc(ctx).check_location(data.project_id, lat, lon)
            if not inside:
                await reply(
                    update,
                    ctx,
                    _(
                        "That place is too far from the neighbourhoods of this project. Please "
                        "tap your neighbourhood or type the address."
                    ),
                )
                return
            data.lat, data.lon = lat, lon
            if hood and not data.hood:
                data.hood = hood
        elif msg.text:
            text = msg.text.strip()
            if len(text) > 200:
                await reply(
                    update,
                    ctx,
                    ngettext(
                        "Please keep the address short (at most {n} character).",
                        "Please keep the address short (at most {n} characters).",
                        200,
                    ).format(n=200),
                )
                return
            data.address = text
        elif msg.sticker is not None:
            await reply(
                update,
                ctx,
                _(
                    "A sticker is not a place 🙂 Please share your location, tap your "
                    "neighbourhood, or type the address."
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


def _too_long(n: int) -> str:
    return ngettext(
        "That is too long: {n} character. Please keep it under {limit}, or send a voice note.",
        "That is too long: {n} characters. Please keep it under {limit}, or send a voice note.",
        n,
    ).format(n=n, limit=DESCRIPTION_MAX)


def _kept_line(data: ReportDraft) -> str:
    """What the bot has kept of the description so far, so the person sees nothing was lost."""
    parts = []
    if data.text:
        parts.append(_("✍️ your text"))
    if data.voice_count:
        parts.append(
            ngettext("🎤 {n} voice note", "🎤 {n} voice notes", data.voice_count).format(
                n=data.voice_count
            )
        )
    if data.photos:
        parts.append(
            ngettext("📷 {n} photo", "📷 {n} photos", len(data.photos)).format(n=len(data.photos))
        )
    return _("✅ Kept: {what}.").format(what=", ".join(parts))


async def report_cancel(update: Update, ctx: BotContext, dialog: Dialog) -> str | None:
    await svc(ctx).keep_as_draft(ctx.user.id, dialog.step, ReportDraft.from_dict(dialog.data))
    return _("I kept your report as a draft. Send /report to continue it.")


async def on_rep(update: Update, ctx: BotContext) -> None:
    parts = await button_action(update)
    if parts is None:
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
        draft = await r.draft(ctx.user.id)
        if action == "resume":
            if dialog is not None and dialog.kind == KIND:
                await _ask(update, ctx, dialog.step, ReportDraft.from_dict(dialog.data))
                return
            if draft is not None:
                await r.resume_draft(ctx.user.id)
                await _ask(update, ctx, draft.step, ReportDraft.from_dict(draft.data))
                return
        await r.start_afresh(ctx.user.id, KIND)
        await _start(update, ctx, await roles(ctx))
        return
    if action == "sp":  # someone in no group chose a project: checked, the button can be forged
        pid = parse_int(parts[2]) if len(parts) == 3 else None
        chosen = [p for p in await r.stranger_projects(await roles(ctx)) if p.id == pid]
        if not chosen:
            await button_expired(update)
            return
        ack(update)
        await _begin_as_stranger(update, ctx, chosen[0])
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
    data = ReportDraft.from_dict(dialog.data)
    pid = data.project_id
    arg = parse_int(parts[2]) if len(parts) > 2 else None
    step = dialog.step
    if action == "cat" and step == "cat":
        cat = await r.category(pid, arg) if arg is not None else None
        if cat is None or not cat.active:  # hidden ones: an old button, or forged
            await answer(
                update,
                _("This category does not exist. Please tap one of the buttons."),
                alert=True,
            )
            return
        ack(update)
        data.cat = cat.id
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
        data.hood = hood.id
        await _ask(update, ctx, _next("where", data), data)
    elif action == "mt" and step == "similar" and arg in (data.similar or []):
        rep = await r.get(arg)
        if rep is None or not rep.is_open or rep.project_id != pid:
            await button_expired(update)
            return
        ack(update)
        added = await r.me_too(rep, ctx.user)
        count = await r.me_too_count(rep.id) + 1
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
        if action == "name":
            data.show_name = bool(arg)
        else:
            data.quote = bool(arg)
        await _ask(update, ctx, _next(step, data), data)
    elif action == "ok" and step == "confirm":
        ack(update)
        report = await r.create(ctx.user, data, update.update_id)
        await show(
            update,
            ctx,
            r.filed_text(report),
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
        data.back = True
        if parts[2] == "photos":
            data.photos = []
        await _ask(update, ctx, parts[2], data)
    else:
        await button_expired(update)


# ---------------------------------------------------------------- resident: /myreports


async def cmd_myreports(update: Update, ctx: BotContext) -> None:
    r = svc(ctx)
    reports = await r.of_reporter(ctx.user.id)
    if not reports:
        await reply(
            update, ctx, _("You have not reported anything yet. Send /report to report a problem.")
        )
        return
    lines = [_("<b>Your reports</b>")]
    rows = []
    for rep in reports:
        latest = await r.latest_event(rep.id)
        when = i18n.format_short_date(from_db(latest[2] if latest else rep.updated_at))
        lines.append(f"• <b>{rep.reference}</b> – {status_label(rep.status)} ({when})")
        rows.append([Button(rep.reference, cb("rep", "my", rep.id))])
    await reply(update, ctx, "\n".join(lines), rows)


async def _own_report(update: Update, ctx: BotContext, parts: list[str]) -> Report | None:
    rid = parse_int(parts[2]) if len(parts) == 3 else None
    rep = await svc(ctx).get(rid) if rid is not None else None
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
        cat = await r.category(rep.project_id, rep.category_id)
        latest = await r.latest_answer(rep.id)
        lines = [
            f"<b>{rep.reference}</b> – {r.category_label(cat)}",
            _("Status: {status}").format(status=status_label(rep.status)),
            _("Sent on {date}").format(date=i18n.format_datetime(from_db(rep.created_at))),
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


async def rep_text_step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    s = ctx.services
    r = svc(ctx)
    msg = message_of(update)
    rep = await r.get(int(dialog.data.get("rid", 0)))
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


async def menu_report(update: Update, ctx: BotContext) -> None:
    await cmd_report(update, ctx)
