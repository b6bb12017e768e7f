"""Workers and admins set the feature up: /routing, /categories and the /digest settings."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.core.i18n import _, lower_first, ngettext
from bot.core.ui import Button, cb, esc
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
)
from handlers.context import BotContext
from handlers.reports._common import KIND_CAT, message_of, svc
from storage.repos.dialogs import Dialog

CAT_NAME_MAX = 40


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
    hoods = {h.id: h.name for h in await s.projects.neighbourhoods(pid)}
    cats = {c.id: c for c in await r.categories(pid)}
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
        hood_mark = hoods.get(rule.neighbourhood_id, "*") if rule.neighbourhood_id else "*"
        cat_mark = cats[rule.category_id].emoji if rule.category_id in cats else "*"
        rows.append(
            [
                Button(
                    _("🗑 Delete: {rule}").format(rule=f"{hood_mark} · {cat_mark}")[:60],
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
            or (cat and await r.category(pid, cat) is None)
        ):
            await button_expired(update)
            return
        await r.set_rule(pid, hood or None, cat or None, uid, ctx.user.id)
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
    return (
        _("Send an emoji and a name, for example: 🚲 Bicycles") + "\n" + _("Send /cancel to stop.")
    )


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
    text = await r.digest_text(ctx.user, since, now)
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
    await reply(update, ctx, text + "\n\n" + _digest_settings_text(setting), _digest_rows())


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
