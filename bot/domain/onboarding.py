"""Invites: one-time expiring links for workers and organisers, reusable member links, QR
posters; what a member who joins late gets of the group's plans."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.core import i18n
from bot.core.i18n import N_, _, ngettext
from bot.core.ui import Button, cb, clip, esc, text_message
from bot.domain.reports import Recipient
from bot.domain.services import Services
from storage.repos.actions import ActionsRepo
from storage.repos.groups import Group
from storage.repos.invites import Invite, RedeemResult, redeem
from storage.repos.projects import Project

WORKER_PREFIX = "w_"
ORGANISER_PREFIX = "o_"
MEMBER_PREFIX = "g_"
# Telegram allows 64 characters of A-Z a-z 0-9 _ - in a start payload.
_PAYLOAD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def new_token() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, 96 bits


def valid_payload(payload: str) -> bool:
    return 0 < len(payload) <= 64 and set(payload) <= _PAYLOAD_CHARS


async def create_worker_invite(s: Services, project_id: int, created_by: int) -> Invite:
    return await s.invites.create(
        new_token(),
        "worker",
        project_id,
        None,
        created_by,
        s.clock.now(),
        timedelta(hours=s.settings.invite_ttl_hours),
    )


async def create_organiser_invite(s: Services, group: Group, created_by: int) -> Invite:
    return await s.invites.create(
        new_token(),
        "organiser",
        group.project_id,
        group.id,
        created_by,
        s.clock.now(),
        timedelta(hours=s.settings.invite_ttl_hours),
    )


async def create_group(s: Services, project_id: int, name: str, created_by: int) -> Group:
    """The group and the end of the worker's /newgroup conversation, in one transaction
    (the repositories' own transactions join the outer one)."""
    async with s.db.transaction():
        group = await s.groups.create(project_id, name, new_token(), created_by, s.clock.now())
        await s.dialogs.clear(created_by)
    return group


def member_link(s: Services, group: Group) -> str:
    return s.deep_link(MEMBER_PREFIX + group.member_token)


def invite_link(s: Services, invite: Invite) -> str:
    prefix = WORKER_PREFIX if invite.kind == "worker" else ORGANISER_PREFIX
    return s.deep_link(prefix + invite.token)


async def use_invite(s: Services, token: str, user_id: int) -> tuple[str, Invite | None]:
    """Redeem the invite; the people it concerns hear that it was used (in the same
    transaction): the admin who made a worker invite (every admin for one printed by
    `buurtbot setup`), the project's workers for an organiser."""
    async with s.db.transaction() as conn:
        outcome, invite = await redeem(s.db, token, user_id, s.clock.now())
        if outcome == RedeemResult.OK and invite is not None:
            await _tell_joined_tx(s, conn, invite, user_id)
    if outcome == RedeemResult.OK:
        s.outbox.wake()
    return outcome, invite


async def _tell_joined_tx(s: Services, conn: Any, invite: Invite, user_id: int) -> None:
    user = await s.users.get(user_id)
    name = esc(user.display_name) if user else "?"
    recipients: list[Recipient] = []
    if invite.kind == "worker":
        project = await s.projects.get(invite.project_id)
        where = esc(project.name) if project else "?"
        creator = await s.reports.recipient(invite.created_by)
        recipients = [creator] if creator else await s.reports.admin_recipients()
        text = N_("✅ {name} used the invite and is now a project worker of <b>{where}</b>.")
    else:
        group = await s.groups.get(invite.group_id or 0)
        where = esc(group.name) if group else "?"
        ids = [*await s.projects.worker_ids(invite.project_id)]
        if invite.created_by is not None and invite.created_by not in ids:
            ids.append(invite.created_by)
        found = [await s.reports.recipient(uid) for uid in ids if uid != user_id]
        recipients = [r for r in found if r is not None]
        text = N_("✅ {name} used the invite and is now an organiser of <b>{where}</b>.")
    for to in recipients:
        if to.user_id == user_id:
            continue
        with i18n.use_locale(to.language):
            body = _(text).format(name=name, where=where)
        await s.outbox.enqueue_tx(
            conn,
            to.chat_id,
            "sendMessage",
            text_message(to.chat_id, body),
            dedupe_key=f"joined:{invite.token}:{to.chat_id}",
            now=s.clock.now(),
        )


def qr_png(url: str) -> bytes:
    """A QR code big enough to scan from a printed A4 poster across a room."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=16, border=4)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


async def create_project(
    s: Services, name: str, neighbourhoods: list[str], created_by: int
) -> Project:
    """The project and the end of the admin's /newproject conversation, in one transaction."""
    async with s.db.transaction():
        project = await s.projects.create(name, neighbourhoods, created_by, s.clock.now())
        await s.dialogs.clear(created_by)
    return project


def split_names(text: str, limit: int = 50, length: int = 60) -> list[str]:
    """'Rabot, Blaisantvest\\nBrugse Poort' -> names, deduplicated, in order."""
    seen: dict[str, str] = {}
    for piece in text.replace("\n", ",").replace(";", ",").split(","):
        name = " ".join(piece.split())[:length]
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())[:limit]


# ----- late joiners -----

CATCH_UP_ITEMS = 3  # per kind: the message stays short; /meetings has the rest


@dataclass(frozen=True)
class CatchUp:
    text: str
    rows: list[list[Button]]


async def catch_up(s: Services, user_id: int, group_id: int) -> CatchUp | None:
    """What a member who just joined ``group_id`` missed: its coming meetings, its open calls
    for action (the member becomes one of the call's recipients, so the answer buttons work and
    the organiser's count includes them) and shifts that still need volunteers. One short
    message in the current locale; None when there is nothing."""
    group = await s.groups.get(group_id)
    user = await s.users.get(user_id)
    if group is None or user is None:
        return None
    now = s.clock.now()
    meetings = []
    series: set[int] = set()
    for m in await s.meetings.repo.upcoming([group_id], now, limit=20):
        if m.series_id is not None and m.series_id in series:
            continue  # a series shows once, with its next date
        if m.series_id is not None:
            series.add(m.series_id)
        meetings.append(m)
    meetings = meetings[:CATCH_UP_ITEMS]
    calls = []
    if user.stopped_at is None and group_id not in await s.actions.repo.muted_groups(user_id):
        found = await s.actions.repo.of_creator_or_groups(-1, [group_id], [])
        calls = sorted(
            (a for a in found if a.state == "sent" and a.start > now and group_id in a.groups),
            key=lambda a: a.starts_at,
        )[:CATCH_UP_ITEMS]
    if calls:
        async with s.db.transaction() as conn:
            for a in calls:
                if await s.actions.repo.recipient(a.id, user_id) is None:
                    await ActionsRepo.add_recipient_tx(conn, a.id, user_id, group_id)
                    await ActionsRepo.set_total_tx(conn, a.id, a.total + 1)
    free = [x for x in await s.rosters.open_slots(group_id) if x.signed < x.needed]
    if not (meetings or calls or free):
        return None
    tz = s.settings.tz
    lines = [_("<b>{group}</b> has planned:").format(group=esc(group.name))]
    rows: list[list[Button]] = []
    # Answered here, the message stays this list (home:cm / home:ca in handlers/start.py), with
    # each answer marked, so one tap does not hide the other plans.
    mine = await s.meetings.repo.answers_of(user_id, [m.id for m in meetings])
    for m in meetings:
        local = s.meetings.local(m.starts_at)
        when = f"{i18n.format_short_date(local)} {i18n.format_time(local)}"
        line = f"📅 {when} – {esc(m.title)}"
        if m.id in mine:
            line += " · " + s.meetings.answer_label(mine[m.id])
        lines.append(line)
        rows.append(
            [
                Button(clip("✅ " + m.title, 40), cb("home", "cm", m.id, "y")),
                Button(_("❌ No"), cb("home", "cm", m.id, "n")),
            ]
        )
    for a in calls:
        local = a.start.astimezone(tz)
        when = f"{i18n.format_short_date(local)} {i18n.format_time(local)}"
        line = f"📣 {when} – {esc(a.what)}"
        rec = await s.actions.repo.recipient(a.id, user_id)
        if rec is not None and rec.answer:
            line += " · " + (_("✅ I'm coming") if rec.answer == "coming" else _("❌ I can't"))
        lines.append(line)
        rows.append(
            [
                Button(clip("✅ " + a.what, 40), cb("home", "ca", a.id, "y")),
                Button(_("❌ I can't"), cb("home", "ca", a.id, "n")),
            ]
        )
        if await s.actions.repo.roles(a.id):  # its tasks are taken on the call itself
            rows.append(
                [
                    Button(
                        clip(_("🙋 Tasks: {what}").format(what=a.what), 40), cb("home", "cv", a.id)
                    )
                ]
            )
    if free:
        lines.append(
            ngettext(
                "🙋 {n} shift still needs volunteers.",
                "🙋 {n} shifts still need volunteers.",
                len(free),
            ).format(n=len(free))
        )
        rows.append([Button(_("🙋 Take a shift"), cb("sh", "grp", group_id))])
    if meetings or calls:
        lines.append(_("Are you coming? Tap your answer."))
    return CatchUp("\n".join(lines), rows)
