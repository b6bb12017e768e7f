"""Workers and admins set the feature up: /routing, /categories and the /digest settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import TelegramError

from bot.core.i18n import _, lower_first, ngettext
from bot.core.ui import Button, cb, esc
from bot.domain.onboarding import split_names
from bot.domain.places import BOUNDARY_MAX_BYTES, BoundaryError, centroid, parse_boundary
from handlers.common import (
    answer,
    button_data,
    button_expired,
    parse_cb,
    parse_int,
    refuse,
    reply,
    roles,
    show,
    with_retry,
)
from handlers.context import BotContext
from handlers.reports._common import KIND_CAT, KIND_NB, message_of, svc
from storage.repos.dialogs import Dialog

CAT_NAME_MAX = 40


# ---------------------------------------------------------------- /routing


async def cmd_routing(update: Update, ctx: BotContext) -> None:
    await _for_a_project(update, ctx, _routing_show, "rw", "rt")


async def _routing_show(update: Update, ctx: BotContext, pid: int, edit: bool = True) -> None:
    s = ctx.services
    r = svc(ctx)
    project = await s.projects.get(pid)
    assert project is not None  # the caller checked that this person manages it
    rules = await r.rules(pid)
    names = {
        u.id: u.display_name
        for u in await s.users.many(
            list(
                {x.worker_id for x in rules}
                | ({project.default_worker_id} if project.default_worker_id else set())
            )
        )
    }
    hoods = {h.id: h.name for h in await s.projects.neighbourhoods(pid, hidden=True)}
    cats = {c.id: c for c in await r.categories(pid, hidden=True)}
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
            else lower_first(_("All neighbourhoods"))
        )
        what = (
            r.category_label(cats.get(rule.category_id))
            if rule.category_id
            else lower_first(_("All categories"))
        )
        lines.append(f"• {where} · {what} → {esc(names.get(rule.worker_id, '?'))}")
        # Plain words, not marks: "all neighbourhoods · 🏠 Housing" (button text is not HTML).
        label = "{} · {}".format(
            hoods.get(rule.neighbourhood_id, "?")
            if rule.neighbourhood_id
            else lower_first(_("All neighbourhoods")),
            what,
        )
        rows.append(
            [Button(_("🗑 Delete: {rule}").format(rule=label)[:60], cb("rw", "rd", rule.id))]
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


async def _no_worker_yet(update: Update, ctx: BotContext, pid: int) -> None:
    """No dead end: the project has no worker to route to yet, so offer the invite (admins make
    invites; a worker asks one)."""
    if (await roles(ctx)).is_admin:
        await show(
            update,
            ctx,
            _(
                "There is no worker in this project yet. Invite one: tap the button and send "
                "them the link. You are told when they join; then make the rule."
            ),
            [
                [Button(_("➕ Invite a worker"), cb("proj", "invite", pid))],
                [Button(_("◀️ Back"), cb("rw", "rt", pid))],
            ],
        )
        return
    await show(
        update,
        ctx,
        _("There is no worker in this project yet. Ask an admin for a worker invite."),
        [[Button(_("◀️ Back"), cb("rw", "rt", pid))]],
    )


async def routing_cb(update: Update, ctx: BotContext, parts: list[str]) -> None:
    s = ctx.services
    r = svc(ctx)
    action = parts[1]
    parsed = [parse_int(p) for p in parts[2:]]
    nums = [n for n in parsed if n is not None]
    if not parsed or len(nums) != len(parsed):
        await button_expired(update)
        return
    if action == "rd":
        rule = await r.rule(nums[0])
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
        await r.delete_rule(nums[0])
        await _routing_show(update, ctx, pid)
    elif action == "rn":
        rows = [[Button(_("All neighbourhoods"), cb("rw", "rh", pid, 0))]]
        rows += [
            [Button(h.name[:40], cb("rw", "rh", pid, h.id))]
            for h in await s.projects.neighbourhoods(pid)
        ]
        await show(update, ctx, _("Which neighbourhood?"), rows[:40])
    elif action == "rh" and len(nums) == 2:
        cats = await r.categories(pid)
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
        if not rows:
            await _no_worker_yet(update, ctx, pid)
            return
        await show(update, ctx, _("Which worker gets these reports?"), rows)
    elif action == "rs" and len(nums) == 4:
        _p, hood, cat, uid = nums
        if (
            not await s.projects.is_worker(pid, uid)
            or (hood and (await s.projects.neighbourhood(hood) or None) is None)
            or (cat and await r.category(pid, cat) is None)
        ):
            await button_expired(update)
            return
        await r.set_rule(pid, hood or None, cat or None, uid, ctx.user.id)
        await _routing_show(update, ctx, pid)
    elif action == "rdef":
        workers = await s.users.many(await s.projects.worker_ids(pid))
        rows = [[Button(w.display_name[:40], cb("rw", "rdw", pid, w.id))] for w in workers]
        if not rows:
            await _no_worker_yet(update, ctx, pid)
            return
        await show(update, ctx, _("Who is the default worker?"), rows)
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
    await _for_a_project(update, ctx, _categories_show, "rcat")


async def _for_a_project(
    update: Update,
    ctx: BotContext,
    show_one: Callable[..., Awaitable[None]],
    feature: str,
    action: str = "p",
) -> None:
    """A worker's or admin's set-up screen of one project: at once when there is one, else
    which project first (buttons ``feature:action:<id>``)."""
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
        await show_one(update, ctx, projects[0].id, edit=False)
        return
    await reply(
        update,
        ctx,
        _("Which project?"),
        [[Button(p.name[:40], cb(feature, action, p.id))] for p in projects],
    )


async def _categories_show(update: Update, ctx: BotContext, pid: int, edit: bool = True) -> None:
    r = svc(ctx)
    project = await ctx.services.projects.get(pid)
    cats = await r.categories(pid, hidden=True)
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
    return _("Send an emoji and a name, for example: 🚲 Bicycles")


async def on_rcat(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    r = svc(ctx)
    parts = parse_cb(button_data(update), 3)
    num = parse_int(parts[2]) if parts else None
    if parts is None or num is None or parts[1] not in ("p", "add", "c", "rn", "h"):
        await button_expired(update)
        return
    action = parts[1]
    cat = None
    if action in ("p", "add"):
        pid = num
    else:
        cat = await r.category_by_id(num)
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
    if action == "h" and cat is not None and cat.active and len(await r.categories(pid)) <= 1:
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
        await r.change_category(cat, active=0 if cat.active else 1)
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


async def cat_text_step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    s = ctx.services
    r = svc(ctx)
    pid = int(dialog.data.get("pid", 0))
    if not (await roles(ctx)).can_manage_project(pid):
        await s.dialogs.clear(ctx.user.id)
        await refuse(update, ctx)
        return
    msg = message_of(update)
    parsed = parse_category(msg.text or "") if msg.text else None
    if parsed is None:
        await reply(
            update,
            ctx,
            ngettext(
                "Please send a short name (at most {n} character, no &lt; &gt; &amp;).",
                "Please send a short name (at most {n} characters, no &lt; &gt; &amp;).",
                CAT_NAME_MAX,
            ).format(n=CAT_NAME_MAX)
            + "\n"
            + _cat_prompt(),
        )
        return
    emoji, name = parsed
    await s.dialogs.clear(ctx.user.id)
    if dialog.step == "rename":
        cat = await r.category(pid, int(dialog.data.get("cid", 0)))
        if cat is None:
            await reply(update, ctx, _("This category no longer exists."))
            return
        values: dict[str, Any] = {"custom_label": name}
        if emoji:
            values["emoji"] = emoji
        await r.change_category(cat, **values)
    else:
        await r.add_category(pid, emoji or "📌", name)
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
            Button(_("Digest off"), cb("dg", "f", "off")),
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
    listed: list[int] = []
    text = await r.digest_text(ctx.user, since, now, listed)
    if text is None:
        # Speak of a previous digest only when one was really sent.
        had_one = (await r.digest_setting(ctx.user.id)).last_sent_at is not None
        text = (
            _("Nothing new since your last digest.")
            if had_one
            else _("Nothing new since you became a project worker.")
        )
    else:
        await r.mark_digest_sent(ctx.user.id, now)
    setting = await r.digest_setting(ctx.user.id)
    sent = await reply(update, ctx, text + "\n\n" + _digest_settings_text(setting), _digest_rows())
    if listed:  # the reports it quotes: recorded, so /forget reaches this message too
        await r.record_digest(listed, ctx.user.tg_id, sent.message_id)


async def on_dg(update: Update, ctx: BotContext) -> None:
    rl = await roles(ctx)
    if not rl.is_worker:
        await refuse(update, ctx)
        return
    parts = parse_cb(button_data(update), 3) or parse_cb(button_data(update), 2)
    s = ctx.services
    r = svc(ctx)
    if parts is None:
        await button_expired(update)
        return
    now = s.clock.now()
    if parts[1] == "f" and len(parts) == 3 and parts[2] in ("daily", "weekly", "off"):
        await r.set_digest(ctx.user.id, now, frequency=parts[2])
    elif parts[1] == "t" and len(parts) == 3 and parts[2] in ("0700", "0830", "1200", "1700"):
        await r.set_digest(ctx.user.id, now, time_local=parts[2][:2] + ":" + parts[2][2:])
    elif parts[1] != "set":
        await button_expired(update)
        return
    await answer(update)
    setting = await r.digest_setting(ctx.user.id)
    await show(update, ctx, _digest_settings_text(setting), _digest_rows())


# ---------------------------------------------------------------- /neighbourhoods
# A neighbourhood's place on the map: its centre (a location pin) and, optionally, its boundary
# (a GeoJSON file). With them, a resident's pin finds its neighbourhood by itself.


async def cmd_neighbourhoods(update: Update, ctx: BotContext) -> None:
    await _for_a_project(update, ctx, _hoods_show, "nb")


async def _hoods_show(update: Update, ctx: BotContext, pid: int, edit: bool = True) -> None:
    project = await ctx.services.projects.get(pid)
    hoods = await ctx.services.projects.neighbourhoods(pid)
    lines = [
        _("<b>Neighbourhoods</b> – {project}").format(
            project=esc(project.name if project else "?")
        ),
        _(
            "📍 = centre on the map, 🗺 = boundary. With them, a resident's location finds its "
            "neighbourhood. Tap a neighbourhood to set them."
        ),
    ]
    if not hoods:
        lines.append(_("No neighbourhoods yet."))
    rows = []
    for h in hoods[:40]:
        marks = ("📍" if h.lat is not None else "") + ("🗺" if h.boundary else "")
        lines.append(f"• {esc(h.name)} {marks}".rstrip())
        rows.append([Button(f"{h.name[:40]} {marks}".rstrip(), cb("nb", "h", h.id))])
    rows.append([Button(_("➕ Add neighbourhoods"), cb("nb", "add", pid))])
    if edit:
        await show(update, ctx, "\n".join(lines), rows)
    else:
        await reply(update, ctx, "\n".join(lines), rows)


def _geo_prompt(name: str) -> str:
    return (
        _(
            "Send the centre of <b>{name}</b> as a location: 📎 → Location, move the map to "
            "the place, and send it."
        ).format(name=esc(name))
        + " "
        + _("You can also type its coordinates, for example: <code>51.0627, 3.7120</code>.")
        + "\n"
        + _(
            "Or send its boundary as a GeoJSON file (a Polygon or MultiPolygon, for example "
            "drawn on geojson.io or from the city's open data)."
        )
        + "\n"
        + _("Send /cancel to stop.")
    )


async def on_nb(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    parts = parse_cb(button_data(update), 3)
    num = parse_int(parts[2]) if parts else None
    if parts is None or num is None or parts[1] not in ("p", "add", "h", "nob"):
        await button_expired(update)
        return
    action = parts[1]
    hood = None
    if action in ("p", "add"):
        pid = num
    else:
        hood = await s.projects.neighbourhood(num)
        if hood is None or hood.hidden:
            await button_expired(update)
            return
        pid = hood.project_id
    if not (await roles(ctx)).can_manage_project(pid):
        await refuse(update, ctx)
        return
    if await s.projects.get(pid) is None:
        await button_expired(update)
        return
    await answer(update)
    if action == "p":
        await _hoods_show(update, ctx, pid)
    elif action == "add":
        await s.dialogs.set(ctx.user.id, KIND_NB, "add", {"pid": pid}, s.clock.now())
        await reply(
            update,
            ctx,
            _(
                "Which neighbourhoods do you want to add? Send them separated by commas, "
                "for example: <i>Rabot, Blaisantvest, Brugse Poort</i>."
            )
            + "\n"
            + _("Send /cancel to stop."),
        )
    elif hood is not None and action == "h":
        await s.dialogs.set(
            ctx.user.id, KIND_NB, "geo", {"pid": pid, "hid": hood.id}, s.clock.now()
        )
        rows = [[Button(_("◀️ Back"), cb("nb", "p", pid))]]
        if hood.boundary:
            rows.insert(0, [Button(_("🗑 Remove the boundary"), cb("nb", "nob", hood.id))])
        await show(update, ctx, _geo_prompt(hood.name), rows)
    elif hood is not None and action == "nob":
        await s.projects.set_boundary(hood.id, None)
        await s.dialogs.clear(ctx.user.id)
        await _hoods_show(update, ctx, pid)


def _typed_point(text: str) -> tuple[float, float] | None:
    """'51.0627, 3.7120' (latitude, longitude, as maps copy them) -> the point, else None."""
    parts = text.replace(";", ",").split(",")
    if len(parts) != 2:
        return None
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


async def nb_step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    """The admin's answer: names to add, or a neighbourhood's pin or GeoJSON file."""
    s = ctx.services
    pid = int(dialog.data.get("pid", 0))
    if not (await roles(ctx)).can_manage_project(pid):
        await s.dialogs.clear(ctx.user.id)
        await refuse(update, ctx)
        return
    msg = message_of(update)
    if dialog.step == "add":
        names = split_names(msg.text or "")
        if not names:
            await reply(update, ctx, _("Please send the names as text, separated by commas."))
            return
        async with s.db.transaction():  # the names and the end of the conversation
            added = await s.projects.add_names(pid, names)
            await s.dialogs.clear(ctx.user.id)
        await reply(
            update,
            ctx,
            ngettext("Added {n} neighbourhood.", "Added {n} neighbourhoods.", len(added)).format(
                n=len(added)
            ),
        )
        await _hoods_show(update, ctx, pid, edit=False)
        return
    hood = await s.projects.neighbourhood(int(dialog.data.get("hid", 0)))
    if hood is None or hood.project_id != pid:
        await s.dialogs.clear(ctx.user.id)
        await reply(update, ctx, _("This neighbourhood no longer exists."))
        return
    if msg.location is not None:
        await s.projects.set_centre(hood.id, msg.location.latitude, msg.location.longitude)
        await s.dialogs.clear(ctx.user.id)
        await reply(update, ctx, _("Saved: the centre of {name}.").format(name=esc(hood.name)))
        await _hoods_show(update, ctx, pid, edit=False)
        return
    typed = _typed_point(msg.text or "")
    if typed is not None:  # "51.0627, 3.7120", copied from a map
        await s.projects.set_centre(hood.id, *typed)
        await s.dialogs.clear(ctx.user.id)
        await reply(update, ctx, _("Saved: the centre of {name}.").format(name=esc(hood.name)))
        await _hoods_show(update, ctx, pid, edit=False)
        return
    doc = msg.document
    if doc is None:
        await reply(update, ctx, _geo_prompt(hood.name))
        return
    if (doc.file_size or 0) > BOUNDARY_MAX_BYTES:
        await reply(update, ctx, _("That file is too large for a boundary (at most 2 MB)."))
        return
    try:
        file = await with_retry(lambda: ctx.bot.get_file(doc.file_id), "getFile")
        content = bytes(await file.download_as_bytearray())
    except TelegramError:
        await reply(update, ctx, _("I could not fetch that file. Please send it again."))
        return
    try:
        geometry = parse_boundary(content, hood.name)
    except BoundaryError as exc:
        await reply(
            update,
            ctx,
            _("That file is not a boundary I can use: {why}.").format(
                why=f"<code>{esc(exc)}</code>"
            )
            + "\n"
            + _("Send a GeoJSON Polygon or MultiPolygon, or a Feature with one."),
        )
        return
    await s.projects.set_boundary(hood.id, geometry)
    if hood.lat is None:  # a boundary gives a centre too (for the nearest-centre rule)
        lat, lon = centroid(geometry)
        await s.projects.set_centre(hood.id, lat, lon)
    await s.dialogs.clear(ctx.user.id)
    await reply(update, ctx, _("Saved: the boundary of {name}.").format(name=esc(hood.name)))
    await _hoods_show(update, ctx, pid, edit=False)
