"""/export for workers (their projects) and admins (any project, or all): project → period →
categories → neighbourhoods, all with buttons; then a CSV, an Excel workbook and an HTML dossier
as documents. /sector for admins: period → the institute's sector dossier (HTML and workbook)."""

from __future__ import annotations

import logging

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core import i18n
from bot.core.i18n import N_, _, lower_first
from bot.core.ui import Button, cb, clip
from bot.domain import export_worker
from bot.domain.dossier import PERIODS, DossierMeta, build_export, file_stem, period_bounds
from bot.domain.export_worker import ExportFailed
from bot.domain.sector import build_sector
from handlers.common import answer, button_expired, parse_cb, refuse, reply, roles, show
from handlers.context import BotContext, registry_of
from storage.repos.dialogs import Dialog
from storage.repos.exports import ExportFilter, project_categories

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
KIND = "export"
SECTOR_KIND = "sector"
ALL = "*"
DONE = "."


async def _allowed_projects(ctx: BotContext) -> list | None:
    """Projects this person may export; None when they may not export at all."""
    r = await roles(ctx)
    s = ctx.services
    if r.is_admin:
        return await s.projects.all()
    if r.is_worker:
        return await s.projects.projects_of_worker(ctx.user.id)
    return None


async def cmd_export(update: Update, ctx: BotContext) -> None:
    projects = await _allowed_projects(ctx)
    if projects is None:
        await refuse(update, ctx)
        return
    if not projects:
        await reply(update, ctx, _("There are no projects yet. Send /newproject to make one."))
        return
    s = ctx.services
    # A warm export process starts now, while the person taps project and period.
    export_worker.prestart(s.clock.tz, i18n.current_language())
    await s.dialogs.set(ctx.user.id, KIND, "project", {}, s.clock.now())
    if len(projects) == 1 and not (await roles(ctx)).is_admin:
        await _ask_period(update, ctx, {"p": projects[0].id})
        return
    rows = [[Button(clip(p.name, 40), cb("ex", "p", p.id))] for p in projects]
    if (await roles(ctx)).is_admin:
        rows.append([Button(_("All projects"), cb("ex", "p", ALL))])
    await reply(update, ctx, _("Which project do you want to export?"), rows)


async def _ask_period(update: Update, ctx: BotContext, data: dict) -> None:
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "period", data, s.clock.now())
    keys = list(PERIODS)
    rows = [
        [Button(_(PERIODS[k]), cb("ex", "t", k)) for k in keys[i : i + 2]]
        for i in range(0, len(keys), 2)
    ]
    await show(update, ctx, _("Which period?"), rows)


def _project_ids(data: dict) -> tuple[int, ...] | None:
    return None if data["p"] == ALL else (int(data["p"]),)


async def _ask_categories(update: Update, ctx: BotContext, data: dict) -> None:
    s = ctx.services
    await s.dialogs.set(ctx.user.id, KIND, "cats", data, s.clock.now())
    chosen = set(data.get("c") or [])
    cats = await project_categories(s.db, _project_ids(data))
    rows = [
        [Button(("✅ " if key in chosen else "") + f"{emoji} {_(label)}", cb("ex", "c", key))]
        for key, emoji, label in cats
    ]
    rows.append(
        [
            Button(("✅ " if not chosen else "") + _("All categories"), cb("ex", "c", ALL)),
            Button(_("Next ➡"), cb("ex", "c", DONE)),
        ]
    )
    await show(update, ctx, _("Which categories? Tap to choose, then tap Next."), rows)


async def _ask_hoods(update: Update, ctx: BotContext, data: dict) -> None:
    s = ctx.services
    if data["p"] == ALL:
        await _build(update, ctx, data)
        return
    await s.dialogs.set(ctx.user.id, KIND, "hoods", data, s.clock.now())
    chosen = set(data.get("n") or [])
    hoods = await s.projects.neighbourhoods(int(data["p"]))
    rows = [
        [Button(("✅ " if h.id in chosen else "") + clip(h.name, 40), cb("ex", "n", h.id))]
        for h in hoods
    ]
    rows.append(
        [
            Button(("✅ " if not chosen else "") + _("All neighbourhoods"), cb("ex", "n", ALL)),
            Button(_("Make the export"), cb("ex", "n", DONE)),
        ]
    )
    await show(
        update, ctx, _("Which neighbourhoods? Tap to choose, then tap Make the export."), rows
    )


async def _build(update: Update, ctx: BotContext, data: dict) -> None:
    s = ctx.services
    now = s.clock.now()
    start, end = period_bounds(data["t"], now)
    project_ids = _project_ids(data)
    if project_ids is None:
        title = lower_first(_("All projects"))
    else:
        project = await s.projects.get(project_ids[0])
        title = project.name if project else "?"
    cats = await project_categories(s.db, project_ids)
    labels = {k: f"{e} {_(lbl)}" for k, e, lbl in cats}
    chosen_c = data.get("c") or []
    chosen_n = data.get("n") or []
    hood_names = {}
    if project_ids is not None:
        hood_names = {h.id: h.name for h in await s.projects.neighbourhoods(project_ids[0])}
    filters_text = (
        _("Categories: {list}").format(
            list=", ".join(labels.get(c, c) for c in chosen_c) if chosen_c else _("all")
        )
        + " · "
        + _("Neighbourhoods: {list}").format(
            list=", ".join(hood_names.get(n, "?") for n in chosen_n) if chosen_n else _("all")
        )
    )
    f = ExportFilter(start, end, project_ids, tuple(chosen_c) or None, tuple(chosen_n) or None)
    await s.dialogs.clear(ctx.user.id)
    await show(update, ctx, _("Making the export…"))
    try:
        files = await build_export(
            s.db, f, s.clock.tz, i18n.current_language(), _meta(ctx, title, filters_text)
        )
    except ExportFailed:
        log.exception("export failed")
        await show(update, ctx, _("The export could not be made. Please try again later."))
        return
    stem = file_stem(title, start, end)
    assert files.csv is not None and files.xlsx is not None and files.html is not None
    chat_id = _chat(update)
    await ctx.bot.send_document(
        chat_id,
        InputFile(files.xlsx, filename=f"{stem}.xlsx"),
        caption=i18n.ngettext(
            "{n} report, one row each, in an Excel workbook. The first sheet explains the columns.",
            "{n} reports, one row each, in an Excel workbook. The first sheet explains the"
            " columns.",
            files.rows,
        ).format(n=files.rows),
    )
    await ctx.bot.send_document(
        chat_id,
        InputFile(files.csv, filename=f"{stem}.csv"),
        caption=_("The same rows as CSV (for Excel: separator “;”)."),
    )
    await ctx.bot.send_document(
        chat_id,
        InputFile(files.html, filename=f"{stem}.html"),
        caption=_("The dossier with figures and charts. Open it in a browser."),
    )
    await show(
        update,
        ctx,
        i18n.ngettext(
            "✅ The export is ready: {n} report. The workbook, the CSV and the dossier are below.",
            "✅ The export is ready: {n} reports. The workbook, the CSV and the dossier are below.",
            files.rows,
        ).format(n=files.rows),
    )


def _chat(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


def _meta(ctx: BotContext, title: str, filters_text: str) -> DossierMeta:
    settings = ctx.services.settings
    return DossierMeta(
        title,
        filters_text,
        made_by=ctx.user.display_name,
        organisation=settings.organisation_name,
        contact=settings.organisation_contact,
        made_at=ctx.services.clock.now(),
    )


async def on_ex(update: Update, ctx: BotContext) -> None:
    assert update.callback_query is not None
    parts = parse_cb(update.callback_query.data, 3)
    projects = await _allowed_projects(ctx)
    if projects is None:
        await refuse(update, ctx)
        return
    s = ctx.services
    dialog: Dialog | None = await s.dialogs.get(ctx.user.id)
    if parts is None or dialog is None or dialog.kind != KIND:
        await button_expired(update)
        return
    action, value = parts[1], parts[2]
    data = dict(dialog.data)
    allowed = {str(p.id) for p in projects}
    # The project chosen earlier is checked again: roles may have changed since.
    chosen_project = data.get("p")
    if chosen_project is not None and (
        (chosen_project == ALL and not (await roles(ctx)).is_admin)
        or (chosen_project != ALL and str(chosen_project) not in allowed)
    ):
        await refuse(update, ctx)
        return
    if action == "p" and dialog.step == "project":
        if value == ALL and (await roles(ctx)).is_admin:
            data["p"] = ALL
        elif value in allowed:
            data["p"] = int(value)
        else:
            await refuse(update, ctx)
            return
        await answer(update)
        await _ask_period(update, ctx, data)
    elif action == "t" and dialog.step == "period" and value in PERIODS:
        data["t"] = value
        await answer(update)
        await _ask_categories(update, ctx, data)
    elif action == "c" and dialog.step == "cats":
        keys = {k for k, _e, _l in await project_categories(s.db, _project_ids(data))}
        await answer(update)
        if value == DONE:
            await _ask_hoods(update, ctx, data)
            return
        if value == ALL:
            data["c"] = []
        elif value in keys:
            chosen = set(data.get("c") or [])
            chosen ^= {value}
            data["c"] = sorted(chosen)
        else:
            await button_expired(update)
            return
        await _ask_categories(update, ctx, data)
    elif action == "n" and dialog.step == "hoods":
        await answer(update)
        if value == DONE:
            await _build(update, ctx, data)
            return
        hood_ids = {h.id for h in await s.projects.neighbourhoods(int(data["p"]))}
        if value == ALL:
            data["n"] = []
        elif value.isdigit() and int(value) in hood_ids:
            chosen = set(data.get("n") or [])
            chosen ^= {int(value)}
            data["n"] = sorted(chosen)
        else:
            await button_expired(update)
            return
        await _ask_hoods(update, ctx, data)
    else:
        await button_expired(update)


async def cmd_sector(update: Update, ctx: BotContext) -> None:
    if not (await roles(ctx)).is_admin:
        await refuse(update, ctx)
        return
    s = ctx.services
    export_worker.prestart(s.clock.tz, i18n.current_language())
    await s.dialogs.set(ctx.user.id, SECTOR_KIND, "period", {}, s.clock.now())
    keys = list(PERIODS)
    rows = [
        [Button(_(PERIODS[k]), cb("sx", "t", k)) for k in keys[i : i + 2]]
        for i in range(0, len(keys), 2)
    ]
    await reply(
        update,
        ctx,
        _(
            "The sector dossier: every project of the institute, per project and per theme."
            " Which period?"
        ),
        rows,
    )


async def on_sx(update: Update, ctx: BotContext) -> None:
    assert update.callback_query is not None
    if not (await roles(ctx)).is_admin:
        await refuse(update, ctx)
        return
    parts = parse_cb(update.callback_query.data, 3)
    s = ctx.services
    dialog: Dialog | None = await s.dialogs.get(ctx.user.id)
    if parts is None or dialog is None or dialog.kind != SECTOR_KIND or parts[2] not in PERIODS:
        await button_expired(update)
        return
    await answer(update)
    start, end = period_bounds(parts[2], s.clock.now())
    await s.dialogs.clear(ctx.user.id)
    await show(update, ctx, _("Making the sector dossier…"))
    name = s.settings.organisation_name or lower_first(_("All projects"))
    meta = _meta(ctx, name, "")
    try:
        files = await build_sector(
            s.db, ExportFilter(start, end), s.clock.tz, i18n.current_language(), meta
        )
    except ExportFailed:
        log.exception("sector dossier failed")
        await show(update, ctx, _("The export could not be made. Please try again later."))
        return
    assert files.html is not None and files.xlsx is not None
    stem = file_stem(name, start, end, prefix="sector")
    chat_id = _chat(update)
    await ctx.bot.send_document(
        chat_id,
        InputFile(files.html, filename=f"{stem}.html"),
        caption=_("The sector dossier. Open it in a browser."),
    )
    await ctx.bot.send_document(
        chat_id,
        InputFile(files.xlsx, filename=f"{stem}.xlsx"),
        caption=_("The same figures in an Excel workbook."),
    )
    await show(
        update,
        ctx,
        i18n.ngettext(
            "✅ The sector dossier is ready: {n} report. The dossier and the workbook are below.",
            "✅ The sector dossier is ready: {n} reports. The dossier and the workbook are below.",
            files.rows,
        ).format(n=files.rows),
    )


async def _step(update: Update, ctx: BotContext, dialog: Dialog) -> None:
    await reply(update, ctx, _("Please tap one of the buttons above."))


def register(app: Application) -> None:
    registry = registry_of(app)
    registry.command(
        "export", N_("Export reports: figures, CSV and a dossier"), {"admin", "worker"}, order=82
    )
    registry.command(
        "sector", N_("The sector dossier: all projects, per project and theme"), {"admin"}, order=83
    )
    registry.dialog(KIND, _step)
    registry.dialog(SECTOR_KIND, _step)
    app.add_handler(CommandHandler("export", cmd_export, filters=PRIVATE))
    app.add_handler(CommandHandler("sector", cmd_sector, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_ex, pattern=r"^ex:"))
    app.add_handler(CallbackQueryHandler(on_sx, pattern=r"^sx:"))
