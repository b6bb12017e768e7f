"""Residents: the /report conversation (with its draft and the similar reports), /myreports and
what they do with their own report afterwards (add information, withdraw, answer, “solved?”)."""

from __future__ import annotations

from typing import Any

from telegram import KeyboardButton, Message, ReplyKeyboardMarkup, Update

from bot.core import i18n
from bot.core.i18n import _, lower_first, ngettext
from bot.core.ui import Button, cb, clip, esc
from bot.domain.reports import DESCRIPTION_MAX, ReportDraft, status_label
from handlers.common import (
    answer,
    button_action,
    button_expired,
    chat_id,
    drop_buttons,
    parse_int,
    refuse,
    reply,
    roles,
    show,
    with_retry,
)
from handlers.context import BotContext
from handlers.menus import send_keyboard
from handlers.reports._common import KIND, KIND_REP, ack, message_of, seconds, svc
from storage.repos.dialogs import Dialog
from storage.repos.reports import Report
from storage.timestamps import from_db

# The open similar reports are offered right after category and place, before anyone has to
# describe anything: "me too" is one tap, and a household that joins may still tell its story.
STEPS_ORDER = ("cat", "where", "similar", "what", "photos", "name", "quote", "confirm")


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
    update: Update,
    ctx: BotContext,
    step: str,
    data: ReportDraft,
    kept: str | None = None,
    fresh: bool = False,
) -> None:
    """Store where the conversation is, then ask its question (after ``kept``: what was just
    received, said in the same message; ``fresh``: in a new message, also after a button)."""
    s = ctx.services
    r = svc(ctx)
    if step == "similar":
        # Also after changing the place from the summary: the new place may have it open.
        similar = await r.similar(data.project_id, data, ctx.user.id)
        if not similar:
            step = _after_similar(data)
        else:
            data.similar = [x.id for x in similar]
    await s.dialogs.set(ctx.user.id, KIND, step, data.to_dict(), s.clock.now())

    async def ask(text: str, rows: list[list[Button]] | None = None) -> None:
        text = kept + "\n\n" + text if kept else text
        if fresh:
            await reply(update, ctx, text, rows)
        else:
            await show(update, ctx, text, rows)

    pid = data.project_id
    if step == "cat":
        cats = await r.categories(pid)
        buttons = [Button(r.category_label(c), cb("rep", "cat", c.id)) for c in cats]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        await ask(
            _("📣 What is the problem about? Tap one."),
            rows,
        )
    elif step == "joined":
        await ask(
            _(
                "Do you want to tell the project worker about your own situation? Type it, send "
                "a voice note 🎤 or a photo."
            ),
            [
                [Button(_("✅ No, that is all"), cb("rep", "mtdone"))],
            ],
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
        await _ask_where(update, ctx, data, kept)
    elif step == "hood":
        rows = await _hood_rows(ctx, pid)
        rows.append([Button(_("❓ I do not know"), cb("rep", "hood", 0))])
        # A new message whose buttons go when it is answered (kept in where_msg).
        which = _("Which neighbourhood is it in? Tap one.")
        sent = await reply(update, ctx, kept + "\n\n" + which if kept else which, rows)
        data.where_msg = sent.message_id
        await s.dialogs.set(ctx.user.id, KIND, step, data.to_dict(), s.clock.now())
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
    if data.lat is not None:  # the pin is kept too: say so, not only the neighbourhood
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
    joined = await r.get(data.joined) if data.joined else None
    lines = [
        _("<b>What you add to report {ref}</b>").format(ref=joined.reference)
        if joined
        else _("<b>Your report</b>"),
        _("Category: {category}").format(category=r.category_label(cat)),
        _("What: {what}").format(what=what),
        ngettext("Photos: {n}", "Photos: {n}", len(data.photos)).format(n=len(data.photos)),
        _("Where: {place}").format(place=i18n.join_list(place) or _("not given")),
        _("Worker may see your name: {answer}").format(answer=yes if data.show_name else no),
        _("Story may be quoted without your name: {answer}").format(
            answer=yes if data.quote else no
        ),
        "",
        _("Is this right?"),
    ]
    return "\n".join(lines)


def _next(step: str, data: ReportDraft) -> str:
    if data.back and step in ("cat", "what", "photos", "quote"):
        return "confirm"
    if step == "where":
        # Also after changing the place from the summary: the new place may have the same
        # problem open (offered), else back to where the person was (``_after_similar``).
        return "similar"
    if step == "joined":
        return "photos"
    nxt = STEPS_ORDER[STEPS_ORDER.index(step) + 1]
    if _unplaced_after(nxt, data):
        data.then = nxt  # a conversation from before the place was asked first: then on
        return "where"
    return nxt


def _unplaced_after(step: str, data: ReportDraft) -> bool:
    """A step past the place while no place was given (a report, not a "me too")."""
    past = step in STEPS_ORDER and STEPS_ORDER.index(step) > STEPS_ORDER.index("where")
    return past and not data.placed and not data.joined and data.cat is not None


def _after_similar(data: ReportDraft) -> str:
    """Where the conversation goes after the similar reports (none, or "send my own")."""
    then, data.then = data.then, None
    if then:  # the place came in the middle (a pin while describing): back to that step
        return then
    if data.back:
        return "confirm"
    return "photos" if data.described else "what"


def _resume_at(step: str, data: ReportDraft) -> str:
    """The step a draft continues at: its own, or the place first for a draft from before the
    place came right after the category (then on to its step)."""
    if _unplaced_after(step, data):
        data.then = None if step == "similar" else step
        return "where"
    return step


async def report_step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    """Messages (not buttons) while a report is being made. Nothing a person sends is dropped:
    every voice note, photo, caption and piece of a long text is stored before the answer."""
    msg = message_of(update)
    s = ctx.services
    data = ReportDraft.from_dict(dialog.data)
    at = int(msg.date.timestamp())
    raw = msg.text or msg.caption or ""
    if dialog.step == "joined":
        # Counted for a report: what they send now is their own story for it.
        dialog = Dialog(dialog.user_id, dialog.kind, "what", dialog.data, dialog.updated_at)
    told = msg.voice is not None or bool(msg.photo) or bool(raw.strip())
    if dialog.step == "similar" and told and data.then in ("what", "photos"):
        # Offered the similar reports because of a pin sent while describing: what they send
        # now goes on with the step they were at. (Told at a first offer, it is kept with the
        # offer still open: see the "similar" branch below.)
        own, data.then = data.then, None
        dialog = Dialog(dialog.user_id, dialog.kind, own, dialog.data, dialog.updated_at)
    if msg.text and dialog.step != "what" and data.continues_split(at):
        # The second piece of a text the client split: the dialog already moved on.
        if len(data.text or "") + len(raw) > DESCRIPTION_MAX:
            await reply(update, ctx, _too_long(len(data.text or "") + len(raw)))
            return
        data.join_piece(raw, at)
        await _ask(update, ctx, dialog.step, data, _("✅ I got all of your text."))
        return
    if (
        msg.location is not None
        and dialog.step in ("similar", "what", "photos")
        and not data.joined
    ):
        await _pin_later(update, ctx, dialog.step, data)
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
    elif dialog.step in ("where", "hood"):
        await _place_message(update, ctx, dialog.step, data)
    elif dialog.step == "similar" and not data.back and (raw.strip() or msg.voice or msg.photo):
        # Told the story instead of tapping (a worker at a desk types what Maria says): kept as
        # the description, and the similar reports stay offered with it.
        if len(data.text or "") + len(raw) > DESCRIPTION_MAX:
            await reply(update, ctx, _too_long(len(data.text or "") + len(raw)))
            return
        if msg.voice is not None:
            data.add_voice(msg.voice.file_id, seconds(msg.voice.duration))
        if raw.strip():
            if data.text or data.voice:  # nothing sent before is dropped
                data.add_text(raw.strip())
            else:
                data.set_text(raw, at if msg.text else None)
        if msg.photo:
            data.photos = [*data.photos, msg.photo[-1].file_id][:10]
        await _ask(update, ctx, "similar", data, _kept_line(data))
    else:
        await reply(update, ctx, _("Please tap one of the buttons above."))


# ---------------------------------------------------------------- the place step
# "Where is it?" comes with a reply-keyboard button that shares the location in one tap, then
# the neighbourhoods as buttons (the last message). Whatever the answer (a pin, a tap, an
# address), both keyboards go: the question's buttons are removed and the reply keyboard is
# replaced by the line saying what was kept. A pin goes to its neighbourhood (boundary, else
# nearest centre); when none fits, or after a typed address, the resident picks with buttons.


async def _hood_rows(ctx: BotContext, pid: int) -> list[list[Button]]:
    hoods = await ctx.services.projects.neighbourhoods(pid)
    buttons = [Button(h.name[:40], cb("rep", "hood", h.id)) for h in hoods[:30]]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def _location_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(_("📍 Send my location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=_("Or type the address"),
    )


async def _send(update: Update, ctx: BotContext, text: str, keyboard: object) -> Message:
    chat = chat_id(update)
    return await with_retry(
        lambda: ctx.bot.send_message(chat, text, reply_markup=keyboard)  # type: ignore[arg-type]
    )


async def _ask_where(update: Update, ctx: BotContext, data: ReportDraft, kept: str | None) -> None:
    """First the question with the one-tap location button (a reply keyboard), then, as the
    last message, the neighbourhood buttons: people answer the message at the bottom."""
    s = ctx.services
    query = update.callback_query
    if query is not None and query.message is not None:
        drop_buttons(update, ctx, query.message.message_id)  # the previous step's buttons go
    rows = await _hood_rows(ctx, data.project_id)
    if ctx.acting_for is not None:
        # A worker acting for a resident: "my location" would be the worker's phone, and the
        # keyboard at the bottom is the worker's own. One message, the place asked in words.
        if rows:
            ask = _(
                "📍 Where is it? Tap the neighbourhood, share the place (📎 → Location) or type "
                "the address."
            )
        else:
            ask = _("📍 Where is it? Share the place (📎 → Location) or type the address.")
        sent = await reply(update, ctx, kept + "\n\n" + ask if kept else ask, rows)
        data.where_msg = sent.message_id if rows else None
        await s.dialogs.set(ctx.user.id, KIND, "where", data.to_dict(), s.clock.now())
        return
    if rows:
        text = _("📍 Where is it? If you are there now, tap “📍 Send my location” below.")
    else:
        text = _("📍 Where is it? Tap “📍 Send my location” below, or type the address.")
    await _send(update, ctx, kept + "\n\n" + text if kept else text, _location_keyboard())
    data.where_msg = None
    if rows:
        sent = await reply(update, ctx, _("Or tap the neighbourhood, or type the address."), rows)
        data.where_msg = sent.message_id
    await s.dialogs.set(ctx.user.id, KIND, "where", data.to_dict(), s.clock.now())


async def _place_line(ctx: BotContext, data: ReportDraft) -> str:
    hood = await svc(ctx).hood_name(data.hood)
    parts = [esc(hood)] if hood else []
    if data.address:
        parts.append(esc(data.address))
    if data.lat is not None:  # the pin stays with the neighbourhood tapped after it
        parts.append(_("location pin"))
    return _("✅ Where: {place}").format(place=i18n.join_list(parts) or _("not given"))


async def _leave_place(
    update: Update, ctx: BotContext, data: ReportDraft, pick: bool, line: str | None = None
) -> None:
    """The place is answered: remove the question's buttons and the reply keyboard, then ask
    for the neighbourhood (``pick``, when none is known yet) or go on."""
    if data.where_msg is not None:
        drop_buttons(update, ctx, data.where_msg)  # already gone or too old: nothing to remove
        data.where_msg = None
    # The location button's keyboard goes: the main keyboard comes back with the line (when
    # acting for someone there was none; the worker's own keyboard stays).
    said = line or await _place_line(ctx, data)
    kept = None
    if ctx.acting_for is None:
        await send_keyboard(update, ctx, said)
    else:
        kept = said  # said with the next question
    ask_hood = pick and data.hood is None and bool(await _hood_rows(ctx, data.project_id))
    await _ask(update, ctx, "hood" if ask_hood else _next("where", data), data, kept, fresh=True)


async def _pin_later(update: Update, ctx: BotContext, step: str, data: ReportDraft) -> None:
    """A pin shared after the place was answered (while describing, with the photos, or when
    the similar reports are shown, via 📎 → Location): it is the exact place. Its neighbourhood
    (boundary, else nearest centre) replaces the one given; none found keeps it. When that place
    has open similar reports not offered yet, they come first ("me too"), then the same step."""
    msg = message_of(update)
    assert msg.location is not None
    lat, lon = msg.location.latitude, msg.location.longitude
    found = await ctx.services.places.locate(data.project_id, lat, lon)
    if found.far:  # shared from somewhere else: the place stays as it was
        far = _(
            "📍 That place is far from the neighbourhoods of this project, so I did not keep it."
        )
        await _ask(update, ctx, step, data, far)
        return
    data.lat, data.lon = lat, lon
    if found.hood_id is not None:
        data.hood = found.hood_id
    line = await _place_line(ctx, data)
    offered = set(data.similar or [])
    similar = await svc(ctx).similar(data.project_id, data, ctx.user.id)
    if step != "similar" and any(x.id not in offered for x in similar):
        data.then = step
        step = "similar"
    await _ask(update, ctx, step, data, line)


async def _place_message(update: Update, ctx: BotContext, step: str, data: ReportDraft) -> None:
    """A message at the place step (or while picking the neighbourhood): a pin, an address."""
    msg = message_of(update)
    if msg.location is not None:
        lat, lon = msg.location.latitude, msg.location.longitude
        found = await ctx.services.places.locate(data.project_id, lat, lon)
        if found.far:  # shared from somewhere else: not kept, the resident picks
            data.lat = data.lon = None
            data.hood = None
            far = _(
                "📍 That place is far from the neighbourhoods of this project, so I did not keep "
                "it."
            )
            await _leave_place(update, ctx, data, pick=True, line=far)
            return
        data.lat, data.lon = lat, lon
        data.hood = found.hood_id
        await _leave_place(update, ctx, data, pick=True)
        return
    if msg.text and not msg.text.startswith("/"):
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
        named = [
            h
            for h in await ctx.services.projects.neighbourhoods(data.project_id)
            if h.name.casefold() == text.casefold()
        ]
        if named:  # the neighbourhood's name, typed instead of tapped
            data.hood = named[0].id
        else:
            data.address = text
        await _leave_place(update, ctx, data, pick=True)
        return
    if msg.sticker is not None:
        await reply(
            update,
            ctx,
            _(
                "A sticker is not a place 🙂 Please share your location, tap your "
                "neighbourhood, or type the address."
            ),
        )
        return
    await reply(
        update,
        ctx,
        _("Please share your location, tap your neighbourhood, or type the address."),
    )


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
    return _("✅ Kept: {what}.").format(what=i18n.join_list(parts))


async def report_cancel(update: Update, ctx: BotContext, dialog: Dialog) -> str | None:
    data = ReportDraft.from_dict(dialog.data)
    if data.cat is None and not (data.text or data.voice or data.photos):
        # Nothing was entered: no draft to keep, and none claimed.
        await ctx.services.dialogs.clear(ctx.user.id)
        return None
    await svc(ctx).keep_as_draft(ctx.user.id, dialog.step, data)
    kept = _("I kept your report as a draft. Send /report to continue it.")
    if dialog.step == "where" and ctx.acting_for is None:
        # Stopped at the place question: the location button's keyboard goes, the main one is
        # back (at "hood", after a pin or an address, it is back already).
        await send_keyboard(
            update, ctx, _("👇 Your main buttons are now at the bottom of the screen.")
        )
    return kept


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
                data = ReportDraft.from_dict(dialog.data)
                await _ask(update, ctx, _resume_at(dialog.step, data), data)
                return
            if draft is not None:
                await r.resume_draft(ctx.user.id)
                data = ReportDraft.from_dict(draft.data)
                await _ask(update, ctx, _resume_at(draft.step, data), data)
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
        # The category message loses its buttons: the next question repeats what was tapped.
        kept = "✅ " + esc(r.category_label(cat))
        await _ask(update, ctx, _next("cat", data), data, kept=kept)
    elif action == "pdone" and step == "photos":
        ack(update)
        await _ask(update, ctx, _next("photos", data), data)
    elif action == "hood" and step in ("where", "hood"):
        hood = await s.projects.neighbourhood(arg) if arg else None
        if arg != 0 and (hood is None or hood.project_id != pid or hood.hidden):
            await button_expired(update)
            return
        ack(update)
        data.hood = hood.id if hood is not None else None
        await _leave_place(update, ctx, data, pick=False)
    elif action == "mt" and step == "similar" and arg in (data.similar or []):
        rep = await r.get(arg)
        if rep is None or not rep.is_open or rep.project_id != pid:
            await button_expired(update)
            return
        ack(update)
        # Counted at once (one tap is enough); then they may tell their own story for it. What
        # they already told goes with it: told at this step, photos come next; a place changed
        # from the summary goes on to the consent questions.
        data.joined = rep.id
        data.then = None  # its place is the report's
        step_after = ("name" if data.back else "photos") if data.described else "joined"
        added = await r.me_too(rep, ctx.user, (KIND, step_after, data.to_dict()))
        count = await r.me_too_count(rep.id) + 1
        text = (
            _("Thank you! We counted you for report {ref}.")
            if added
            else _("You were already counted for report {ref}.")
        ).format(ref=rep.reference)
        text += " " + ngettext(
            "Now {n} household has this problem.", "Now {n} households have this problem.", count
        ).format(n=count)
        text += "\n" + _("You will hear when its status changes (see /myreports).")
        await _ask(update, ctx, step_after, data, text)
    elif action == "mtdone" and step == "joined":
        ack(update)
        await s.dialogs.clear(ctx.user.id)
        await show(
            update,
            ctx,
            _("Thank you! You will hear when something changes."),
            [[Button(_("📋 My reports"), cb("rep", "list"))]],
        )
    elif action == "own" and step == "similar":
        ack(update)
        await _ask(update, ctx, _after_similar(data), data)
    elif action in ("name", "quote") and step == action and arg in (0, 1):
        ack(update)
        if action == "name":
            data.show_name = bool(arg)
        else:
            data.quote = bool(arg)
        await _ask(update, ctx, _next(step, data), data)
    elif action == "ok" and step == "confirm" and data.joined:
        joined = await r.get(data.joined)
        if joined is None or joined.project_id != pid:
            await button_expired(update)
            return
        ack(update)
        await r.add_to_report(joined, ctx.user, data)
        await show(
            update,
            ctx,
            _(
                "✅ Thank you! What you told is added to report <b>{ref}</b>; the project worker "
                "gets it. You will hear when its status changes."
            ).format(ref=joined.reference),
            [[Button(_("📋 My reports"), cb("rep", "list"))]],
        )
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
        if data.joined:  # added to a report: its category and place are that report's
            rows = [[rows[0][1], rows[1][0]], rows[2]]
        await show(update, ctx, _("What do you want to change?"), rows)
    elif (
        action == "edit"
        and step == "confirm"
        and len(parts) == 3
        and parts[2] in ("cat", "what", "photos", "where", "name")
        and not (data.joined and parts[2] in ("cat", "where"))
    ):
        ack(update)
        data.back = True
        if parts[2] == "photos":
            data.photos = []
        if parts[2] == "where":  # a new place replaces the old one (pin, address, neighbourhood)
            data.hood, data.lat, data.lon, data.address = None, None, None, None
        await _ask(update, ctx, parts[2], data)
    else:
        await button_expired(update)


# ---------------------------------------------------------------- resident: /myreports


async def cmd_myreports(update: Update, ctx: BotContext) -> None:
    r = svc(ctx)
    reports = await r.of_reporter(ctx.user.id)
    # The reports they said "me too" to are theirs to follow too (marked 🙋).
    followed = [f for f in await r.followed(ctx.user.id) if f.id not in {x.id for x in reports}]
    if not reports and not followed:
        await reply(
            update, ctx, _("You have not reported anything yet. Send /report to report a problem.")
        )
        return
    lines = [_("<b>Your reports</b>")]
    rows = []
    for rep in [*reports, *followed]:
        latest = await r.latest_event(rep.id)
        when = i18n.format_short_date(from_db(latest[2] if latest else rep.updated_at))
        mark = "🙋 " if rep in followed else ""
        lines.append(f"• {mark}<b>{rep.reference}</b> – {status_label(rep.status)} ({when})")
        rows.append([Button(mark + rep.reference, cb("rep", "my", rep.id))])
    await reply(update, ctx, "\n".join(lines), rows)


async def _own_report(update: Update, ctx: BotContext, parts: list[str]) -> Report | None:
    rid = parse_int(parts[2]) if len(parts) == 3 else None
    rep = await svc(ctx).get(rid) if rid is not None else None
    if rep is None:
        await button_expired(update)
        return None
    if rep.reporter_id != ctx.user.id and not (
        # A household that said "me too" follows the report: it may look, not act on it.
        parts[1] == "my" and await svc(ctx).follows(rep.id, ctx.user.id)
    ):
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
        latest = await r.latest_answer(rep.id, i18n.current_language())
        lines = [
            f"<b>{rep.reference}</b> – {r.category_label(cat)}",
            _("Status: {status}").format(status=status_label(rep.status)),
            _("Sent on {date}").format(date=i18n.format_datetime(from_db(rep.created_at))),
        ]
        if rep.status_reason:
            lines.append(_("Reason: {reason}").format(reason=esc(rep.status_reason)))
        if latest is not None and rep.reporter_id == ctx.user.id:
            # An answer to the reporter is hers; a household that follows sees the status.
            last = esc(clip(latest[0], 300)) if latest[0] else "🎤"
            lines.append(_("Latest answer: {text}").format(text=last))
        rows = []
        if rep.is_open and rep.reporter_id == ctx.user.id:
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
        await reply(update, ctx, prompts[mode])
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
