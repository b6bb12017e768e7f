"""/hours: the volunteer hours of a project and year, as a CSV file."""

from __future__ import annotations

from telegram import InputFile, Update

from bot.core.i18n import _, ngettext
from bot.core.ui import Button, cb, esc
from bot.domain.rosters import (
    fmt_hours,
    hours_text,
)
from handlers.common import (
    refuse,
    reply,
    roles,
    show,
)
from handlers.context import BotContext
from handlers.rosters.shared import svc


async def cmd_hours(update: Update, ctx: BotContext) -> None:
    s = ctx.services
    r = await roles(ctx)
    projects = (
        await s.projects.all() if r.is_admin else await s.projects.projects_of_worker(ctx.user.id)
    )
    if not projects and r.organiser_of:
        # Not theirs to export (the project's figures), but not a bare "no" either.
        await reply(
            update,
            ctx,
            _(
                "You cannot download the hours yourself: your project worker sends them. You see"
                " who came on each shift under 🗓 Roster."
            ),
        )
        return
    if not projects:
        await refuse(update, ctx)
        return
    if len(projects) == 1:
        await ask_year(update, ctx, projects[0].id)
        return
    await reply(
        update,
        ctx,
        _("For which project?"),
        [[Button(p.name[:60], cb("ro", "hp", p.id))] for p in projects],
    )


async def ask_year(update: Update, ctx: BotContext, project_id: int) -> None:
    year = ctx.services.clock.now().astimezone(ctx.services.settings.tz).year
    await show(
        update,
        ctx,
        _("Volunteer hours: which year?"),
        [
            [
                Button(
                    _("This year ({year})").format(year=year), cb("ro", "hours", project_id, year)
                ),
                Button(
                    _("Last year ({year})").format(year=year - 1),
                    cb("ro", "hours", project_id, year - 1),
                ),
            ]
        ],
    )


async def send_hours(update: Update, ctx: BotContext, project_id: int, year: int) -> None:
    s = ctx.services
    project = await s.projects.get(project_id)
    data, summary = await svc(ctx).hours_csv(project_id, year)
    lines = [
        _("<b>Volunteer hours {year}</b> – {project}").format(
            year=year, project=esc(project.name if project else "?")
        )
    ]
    lines.append(_("Total: {time}").format(time=hours_text(summary["total"])))
    for title, hours in sorted(summary["per_task"].items()):
        lines.append(f"• {esc(title)}: {fmt_hours(hours)} h")
    lines.append(
        ngettext("{n} volunteer", "{n} volunteers", len(summary["per_person"])).format(
            n=len(summary["per_person"])
        )
    )
    caption = "\n".join(lines)[:1000]
    assert update.effective_chat is not None
    await ctx.bot.send_document(
        update.effective_chat.id,
        InputFile(data, filename=f"volunteer-hours-{year}.csv"),
        caption=caption,
    )
