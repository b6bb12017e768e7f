"""Action calls (story 7): rally people fast, see who comes, remind them, tell them of changes.

No telegram imports: messages are outbox rows built with bot.core.ui. Every call goes out in one
transaction (the action, one recipient row per person, one outbox row per person), so a crash
never half-sends a call; the organiser's live view is one message edited in place through the
outbox (priority lane, coalesced), throttled to every 3 s or 10 %.
"""

from __future__ import annotations

import html
import logging
import re
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.core import i18n
from bot.core.access import load_roles
from bot.core.i18n import _, ngettext
from bot.core.outbox import Outbox
from bot.core.ui import MAX_TEXT, Button, cb, esc, inline_keyboard, text_message
from bot.domain.deps import Core
from bot.domain.translation import AutoTextService, translation_mark
from storage.repos.actions import Action, ActionsRepo, Tally
from storage.repos.groups import GroupsRepo
from storage.repos.users import User, UsersRepo, user_names
from storage.timestamps import from_db

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 3.0
REMIND_DAY = timedelta(hours=24)
REMIND_SOON = timedelta(hours=2)
FOLLOWUP_WINDOW = timedelta(days=7)
_TAGS = re.compile(r"<[^>]+>")


def visible_length(text: str) -> int:
    """Characters Telegram counts (UTF-16 units of the text without HTML markup)."""
    plain = html.unescape(_TAGS.sub("", text))
    return len(plain.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class CallView:
    """What a call says, for a draft (preview) or a sent action."""

    action_id: int | None
    what: str
    start: datetime
    place: str
    why: str | None
    bring: str | None
    roles: list[tuple[int, str, int]]  # (role id or position, name, needed)
    group_id: int | None
    group_name: str


def view_of_draft(draft: dict[str, Any], group_name: str) -> CallView:
    start = from_db(draft["when"])
    assert start is not None
    roles = [(i, str(n), int(k)) for i, (n, k) in enumerate(draft.get("roles", []))]
    return CallView(
        None,
        draft["what"],
        start,
        draft["place"],
        draft.get("why"),
        draft.get("bring"),
        roles,
        None,
        group_name,
    )


def call_text(view: CallView, filled: dict[int, int] | None = None, mine: str | None = None) -> str:
    """The call as a member sees it, in the current language. User text is escaped here."""
    filled = filled or {}
    lines = [_("📣 <b>Call for action</b>"), "", f"<b>{esc(view.what)}</b>"]
    lines.append(_("🗓 When: {when}").format(when=i18n.format_datetime(view.start)))
    lines.append(_("📍 Where: {place}").format(place=esc(view.place)))
    if view.why:
        lines.append(_("💬 Why: {why}").format(why=esc(view.why)))
    if view.bring:
        lines.append(_("🎒 Bring: {bring}").format(bring=esc(view.bring)))
    if view.roles:
        lines.append("")
        lines.append(_("<b>We need:</b>"))
        for rid, name, needed in view.roles:
            got = filled.get(rid, 0)
            if got >= needed:
                lines.append(
                    "• "
                    + ngettext(
                        "{role}: full ({needed} of {needed})",
                        "{role}: full ({needed} of {needed})",
                        needed,
                    ).format(role=esc(name), needed=needed)
                )
            else:
                lines.append(
                    "• "
                    + ngettext(
                        "{role}: {filled} of {needed}", "{role}: {filled} of {needed}", needed
                    ).format(role=esc(name), filled=got, needed=needed)
                )
    if view.group_name:
        lines.append("")
        lines.append(_("From: {group}").format(group=esc(view.group_name)))
    if mine:
        lines.append("")
        lines.append(mine)
    return "\n".join(lines)


def call_rows(
    view: CallView, filled: dict[int, int] | None = None, preview: bool = False, chat: bool = False
) -> list[list[Button]]:
    """The answer buttons; ``chat``: under the post in a group chat (no per-person mute there)."""
    filled = filled or {}
    aid = view.action_id or 0

    def data(*parts: object) -> str:
        return cb("ac", "pv") if preview else cb("ac", *parts)

    rows = [[Button(_("✅ I'm coming"), data("y", aid)), Button(_("❌ I can't"), data("n", aid))]]
    for rid, name, needed in view.roles:
        if filled.get(rid, 0) >= needed:
            label = _("⛔ {role}: full").format(role=name)
        else:
            label = _("🙋 I'll do it: {role}").format(role=name)
        rows.append([Button(label[:60], data("r", aid, rid))])
    if (view.group_id is not None and not chat) or preview:
        mute = cb("ac", "pv") if preview else cb("mute", "g", view.group_id)
        rows.append([Button(_("🔕 No more calls from this group"), mute)])
    return rows


@dataclass(frozen=True)
class AnswerNames:
    """Who answered a call, by name: only people of groups the viewer organises (or works for),
    as the privacy notice says ("the organisers of your group see your answers")."""

    coming: list[str]
    cant: list[str]
    per_role: dict[int, list[str]]


NAMES_SHOWN = 30  # per line; a call to 600 people must still fit one message


def name_list(names: list[str]) -> str:
    """Escaped names, at most NAMES_SHOWN, then "and N more" (the direction marks for Arabic
    are added where the message is sent: i18n.directed)."""
    shown = i18n.comma().join(esc(n) for n in names[:NAMES_SHOWN])
    rest = len(names) - NAMES_SHOWN
    if rest > 0:
        shown += " " + ngettext("and {n} more", "and {n} more", rest).format(n=rest)
    return shown


def plus_chats(n: int) -> str:
    """The reach's "+ group chat" part: the call is also posted in linked group chats."""
    return ngettext("+ {n} group chat", "+ {n} group chats", n).format(n=n)


def answer_line(answer: str | None, role_name: str | None) -> str | None:
    if answer == "coming" and role_name:
        return _("Your answer: I'll do it: {role}").format(role=esc(role_name))
    if answer == "coming":
        return _("Your answer: I'm coming")
    if answer == "cant":
        return _("Your answer: I can't")
    return None


class ActionsService:
    def __init__(self, core: Core, *, users: UsersRepo, groups: GroupsRepo) -> None:
        self.settings, self.clock = core.settings, core.clock
        self.db, self.outbox = core.db, core.outbox
        self.users = users
        self.groups = groups
        self.repo = ActionsRepo(core.db)
        self.auto_text: AutoTextService | None = None  # organisers' texts translated (issue 15)
        self._progress_at: dict[int, float] = {}
        self._progress_bucket: dict[int, int] = {}

    def lang_of(self, user: User) -> str:
        return i18n.resolve_language(
            user.language, user.tg_language, self.settings.default_language
        )

    # ----- audience -----

    async def target_groups(self, draft: dict[str, Any]) -> list[int]:
        if draft.get("project"):
            return [g.id for g in await self.groups.of_project(int(draft["project"]))]
        return [int(g) for g in draft.get("groups", [])]

    async def audience(self, draft: dict[str, Any], sender_id: int) -> list[tuple[int, int]]:
        return [
            (u, g)
            for u, g in await self.repo.audience(await self.target_groups(draft))
            if u != sender_id
        ]

    async def linked_chats(self, draft: dict[str, Any]) -> list[Any]:
        """Target groups with a linked Telegram group chat (/linkchat): the call is posted there
        too."""
        groups = [await self.groups.get(gid) for gid in await self.target_groups(draft)]
        return [g for g in groups if g is not None and g.chat_id]

    async def view(self, action: Action, group_id: int | None) -> CallView:
        roles = await self.repo.roles(action.id)
        group = await self.groups.get(group_id) if group_id else None
        return CallView(
            action.id,
            action.what,
            action.start,
            action.place,
            action.why,
            action.bring,
            [(r.id, r.name, r.needed) for r in roles],
            group_id,
            group.name if group else "",
        )

    def too_long_by(self, draft: dict[str, Any], group_name: str) -> int:
        """How many characters the longest translation of this call is over one message."""
        view = view_of_draft(draft, group_name)
        worst = 0
        for lang in ("nl", "fr", "en", "ar", "tr"):
            with i18n.use_locale(lang):
                worst = max(
                    worst, visible_length(call_text(view, mine=answer_line("coming", "x" * 40)))
                )
        return max(0, worst - MAX_TEXT)

    # ----- sending -----

    # ----- in each member's language (issue 15) -----

    def _shown(self, text: str) -> str:
        return self.auto_text.shown(text) if self.auto_text else text

    def _local(self, view: CallView) -> CallView:
        """The call's texts in the current locale's language where a translation is kept."""
        if self.auto_text is None:
            return view
        return replace(
            view,
            what=self._shown(view.what),
            place=self._shown(view.place),
            why=self._shown(view.why) if view.why else view.why,
            bring=self._shown(view.bring) if view.bring else view.bring,
            roles=[(rid, self._shown(name), k) for rid, name, k in view.roles],
        )

    def _call(self, view: CallView) -> tuple[str, list[list[Button]]]:
        """A member's call: translated and marked so, unless that would not fit a message."""
        local = self._local(view)
        if local != view:
            text = call_text(local) + "\n\n" + translation_mark()
            if visible_length(text) <= MAX_TEXT:
                return text, call_rows(local)
        return call_text(view), call_rows(view)

    async def send(self, draft: dict[str, Any], sender: User) -> tuple[int, int]:
        """The call to everyone in the audience, in one transaction. Returns (action id, reach)."""
        now = self.clock.now()
        audience = await self.audience(draft, sender.id)
        users = {u.id: u for u in await self.users.many([u for u, _g in audience])}
        group_names: dict[int, str] = {}
        for gid in {g for _u, g in audience}:
            group = await self.groups.get(gid)
            assert group is not None  # the audience comes from memberships of existing groups
            group_names[gid] = group.name
        groups = await self.target_groups(draft)
        first = await self.groups.get(groups[0])
        assert first is not None
        async with self.db.transaction() as conn:
            aid = await ActionsRepo.create_tx(conn, first.project_id, sender.id, draft, now)
            roles = await ActionsRepo.roles_tx(conn, aid)

            def view_for(gid: int, group_name: str) -> CallView:
                """The call as sent: the draft's view with the stored action and its roles."""
                draft_view = view_of_draft(draft, group_name)
                return replace(draft_view, action_id=aid, roles=roles, group_id=gid)

            rendered: dict[tuple[str, int], tuple[str, list[list[Button]]]] = {}
            for uid, gid in audience:
                user = users.get(uid)
                if user is None or user.tg_id is None:
                    continue
                await ActionsRepo.add_recipient_tx(conn, aid, uid, gid)
                lang = self.lang_of(user)
                if (lang, gid) not in rendered:  # the same for everyone of a language and group
                    view = view_for(gid, group_names.get(gid, ""))
                    with i18n.use_locale(lang):
                        rendered[(lang, gid)] = self._call(view)
                payload = text_message(user.tg_id, *rendered[(lang, gid)])
                await Outbox.enqueue_tx(
                    conn,
                    user.tg_id,
                    "sendMessage",
                    payload,
                    batch=f"action:{aid}",
                    ref=f"acm:{aid}:{uid}",
                    dedupe_key=f"ac:call:{aid}:{uid}",
                )
            chats = await self.linked_chats(draft)
            for group in chats:  # one post per linked group chat, paced by the outbox (20/min)
                view = view_for(group.id, group.name)
                with i18n.use_locale(self.settings.default_language):
                    payload = text_message(
                        group.chat_id, call_text(view), call_rows(view, chat=True)
                    )
                await Outbox.enqueue_tx(
                    conn,
                    group.chat_id,
                    "sendMessage",
                    payload,
                    batch=f"action-chat:{aid}",
                    ref=f"acg:{aid}:{group.id}",
                    dedupe_key=f"ac:chat:{aid}:{group.id}",
                )
            await ActionsRepo.set_total_tx(conn, aid, len(audience))
            action = await ActionsRepo.get_tx(conn, aid)
            with i18n.use_locale(self.lang_of(sender)):
                text, rows = self.status_text(
                    action, roles, Tally(len(audience), 0, 0, {}), None, len(chats)
                )
            assert sender.tg_id is not None  # the organiser who just tapped Send
            await Outbox.enqueue_tx(
                conn,
                sender.tg_id,
                "sendMessage",
                text_message(sender.tg_id, text, rows),
                ref=f"acs:{aid}",
                dedupe_key=f"ac:status:{aid}",
                priority=1,
            )
        self.outbox.wake()
        return aid, len(audience)

    # ----- the organiser's live view -----

    def status_text(
        self,
        action: Action,
        roles: list[tuple[int, str, int]],
        tally: Tally,
        progress: dict[str, int] | None,
        chats: int = 0,
        names: AnswerNames | None = None,
    ) -> tuple[str, list[list[Button]]]:
        lines = [f"📣 <b>{esc(action.what)}</b>", i18n.format_datetime(action.start)]
        if action.state == "cancelled":
            lines.append(_("🛑 Cancelled."))
        total = action.total
        if progress is not None:
            sent = progress.get("sent", 0)
            open_ = progress.get("pending", 0) + progress.get("sending", 0)
            lost = progress.get("unreachable", 0) + progress.get("failed", 0)
            if open_ and action.state != "cancelled":
                lines.append(
                    ngettext(
                        "Sending… {sent} of {total} sent", "Sending… {sent} of {total} sent", total
                    ).format(sent=sent, total=total)
                )
            else:
                lines.append(
                    ngettext(
                        "Sent to {sent} of {total} person.",
                        "Sent to {sent} of {total} people.",
                        total,
                    ).format(sent=sent, total=total)
                )
            lines.append(ngettext("Not reachable: {n}", "Not reachable: {n}", lost).format(n=lost))
        else:
            lines.append(
                ngettext(
                    "Sending… {sent} of {total} sent", "Sending… {sent} of {total} sent", total
                ).format(sent=0, total=total)
            )
        if chats:
            lines.append(plus_chats(chats))
        lines.append(
            ngettext("✅ Coming: {n}", "✅ Coming: {n}", tally.coming).format(n=tally.coming)
            + "   "
            + ngettext("❌ Can't: {n}", "❌ Can't: {n}", tally.cant).format(n=tally.cant)
        )
        if names is not None and names.coming:
            lines.append("✅ " + name_list(names.coming))
        if names is not None and names.cant:
            lines.append("❌ " + name_list(names.cant))
        for rid, name, needed in roles:
            line = "• " + ngettext(
                "{role}: {filled} of {needed}", "{role}: {filled} of {needed}", needed
            ).format(role=esc(name), filled=tally.filled.get(rid, 0), needed=needed)
            if names is not None and names.per_role.get(rid):
                line += " – " + name_list(names.per_role[rid])
            lines.append(line)
        rows = [[Button(_("⚙️ Manage"), cb("ac", "m", action.id))]] if action.state == "sent" else []
        return "\n".join(lines), rows

    async def progress(self, aid: int) -> dict[str, int]:
        return await self.repo.progress(aid)

    async def status_for(self, action: Action, viewer: User) -> tuple[str, list[list[Button]]]:
        """The organiser's view of a call, with the names ``viewer`` may see."""
        roles = [(r.id, r.name, r.needed) for r in await self.repo.roles(action.id)]
        chats = await self.repo.chat_post_count(action.id)
        return self.status_text(
            action,
            roles,
            await self.repo.tally(action.id),
            await self.progress(action.id),
            chats,
            await self.answer_names(action, viewer),
        )

    async def answer_names(self, action: Action, viewer: User) -> AnswerNames:
        """The names of who answered, limited to the groups ``viewer`` may manage: someone who
        organises one of two groups called sees the names of their own group only."""
        who = await load_roles(self.db, viewer.id, self.settings.is_admin(viewer.tg_id))
        visible: dict[int, bool] = {}
        answered = []
        for rec in await self.repo.answered(action.id):
            gid = rec.group_id
            if gid is None:
                continue
            if gid not in visible:
                group = await self.groups.get(gid)
                visible[gid] = group is not None and who.can_manage_group(gid, group.project_id)
            if visible[gid]:
                answered.append(rec)
        people = await self.users.many(sorted({r.user_id for r in answered}))
        label = user_names([u for u in people if not u.forgotten_at], _("(removed)"))
        coming: list[str] = []
        cant: list[str] = []
        per_role: dict[int, list[str]] = {}
        for rec in answered:
            if rec.user_id not in label:
                continue
            if rec.answer == "coming":
                coming.append(label[rec.user_id])
                if rec.role_id is not None:
                    per_role.setdefault(rec.role_id, []).append(label[rec.user_id])
            elif rec.answer == "cant":
                cant.append(label[rec.user_id])
        return AnswerNames(coming, cant, per_role)

    # ----- the post in linked group chats -----

    async def chat_group(self, action: Action, chat_id: int) -> Any | None:
        """The target group of this action whose linked chat is ``chat_id`` (None: not posted
        there)."""
        targets = action.groups
        if action.whole_project:
            targets = [g.id for g in await self.groups.of_project(action.project_id)]
        for gid in targets:
            group = await self.groups.get(gid)
            if group is not None and group.chat_id == chat_id:
                return group
        return None

    async def answer_in_chat(
        self, aid: int, user_id: int, group_id: int, kind: str, role_id: int | None
    ) -> str:
        """An answer tapped under the group chat's post. The caller checked membership; someone
        who got no private call (muted, joined later, never started the bot) is counted too."""
        action = await self.repo.get(aid)
        if action is None or action.state != "sent" or action.start <= self.clock.now():
            return "closed"
        if await self.repo.recipient(aid, user_id) is None:
            async with self.db.transaction(mark=False) as conn:
                await ActionsRepo.add_recipient_tx(conn, aid, user_id, group_id)
        return await self.answer(aid, user_id, kind, role_id)

    async def refresh_chat_posts(self, aid: int, closed_note: str | None = None) -> None:
        """Keep the group chats' posts in step (tasks filled / full, or cancelled): the newest
        version replaces a pending one, so a busy call costs the chat few of its 20 sends a
        minute."""
        action = await self.repo.get(aid)
        if action is None:
            return
        posts = await self.repo.chat_posts(aid)
        if not posts:
            return
        tally = await self.repo.tally(aid)
        async with self.db.transaction(mark=False) as conn:
            for ref, chat_id, state, message_id in posts:
                gid = int(str(ref).split(":")[2])
                view = await self.view(action, gid)
                with i18n.use_locale(self.settings.default_language):
                    text = call_text(view, tally.filled)
                    rows = (
                        call_rows(view, tally.filled, chat=True) if action.state == "sent" else []
                    )
                    if action.state != "sent":
                        text += "\n\n" + _("🛑 Cancelled.")
                if state == "pending":
                    await Outbox.replace_pending_tx(
                        conn,
                        chat_id,
                        "sendMessage",
                        text_message(chat_id, text, rows),
                        ref=ref,
                        priority=0,
                    )
                elif state == "sent" and message_id is not None:
                    payload: dict[str, Any] = {
                        "message_id": message_id,
                        "text": text,
                        "parse_mode": "HTML",
                        "reply_markup": inline_keyboard(rows),
                    }
                    await Outbox.replace_pending_tx(
                        conn, chat_id, "editMessageText", payload, ref=f"acgu:{aid}:{gid}"
                    )
        self.outbox.wake()

    async def refresh_status(self, aid: int) -> None:
        """Edit the organiser's live view in place (through the outbox, coalesced)."""
        action = await self.repo.get(aid)
        if action is None or action.status_message_id is None or action.created_by is None:
            return
        owner = await self.users.get(action.created_by)
        if owner is None or owner.tg_id is None:
            return
        with i18n.use_locale(self.lang_of(owner)):
            text, rows = await self.status_for(action, owner)
        payload: dict[str, Any] = {
            "message_id": action.status_message_id,
            "text": text,
            "parse_mode": "HTML",
            "reply_markup": inline_keyboard(rows),
        }
        async with self.db.transaction(mark=False) as conn:
            await Outbox.replace_pending_tx(
                conn,
                action.status_chat_id or owner.tg_id,
                "editMessageText",
                payload,
                ref=f"acu:{aid}",
            )
        self.outbox.wake()

    async def on_status_sent(self, ref: str, chat_id: int, message_id: int | None) -> None:
        aid = int(ref.split(":")[1])
        await self.repo.set_status_message(aid, chat_id, message_id)
        await self._maybe_progress(aid, force=True)

    async def on_member_sent(self, ref: str, chat_id: int, message_id: int | None) -> None:
        await self._maybe_progress(int(ref.split(":")[1]))

    async def on_member_failed(self, ref: str, chat_id: int, state: str) -> None:
        await self._maybe_progress(int(ref.split(":")[1]))

    async def _maybe_progress(self, aid: int, force: bool = False) -> None:
        """Throttled: every 3 s or each 10 %, and always the final tally."""
        counts = await self.progress(aid)
        total = sum(counts.values()) or 1
        open_ = counts.get("pending", 0) + counts.get("sending", 0)
        bucket = (total - open_) * 10 // total
        now = time.monotonic()
        due = (
            force
            or open_ == 0
            or now - self._progress_at.get(aid, 0.0) >= PROGRESS_EVERY_SECONDS
            or bucket > self._progress_bucket.get(aid, 0)
        )
        if not due:
            return
        self._progress_at[aid] = now
        self._progress_bucket[aid] = bucket
        await self.refresh_status(aid)
        if open_ == 0 and any(counts.values()):
            await self._tell_sent(aid, counts)

    async def _tell_sent(self, aid: int, counts: dict[str, int]) -> None:
        """Once every member's call is out: the organiser is told it reached them (the tap on
        Send only said it is being sent). Once per call (dedupe key)."""
        action = await self.repo.get(aid)
        if action is None or action.created_by is None or action.state == "cancelled":
            return
        owner = await self.users.get(action.created_by)
        if owner is None or owner.tg_id is None:
            return
        sent = counts.get("sent", 0)
        total = sum(counts.values())
        lost = total - sent
        with i18n.use_locale(self.lang_of(owner)):
            text = ngettext(
                "✅ <b>{what}</b>: the call reached {sent} of {total} person.",
                "✅ <b>{what}</b>: the call reached {sent} of {total} people.",
                total,
            ).format(what=esc(action.what), sent=sent, total=total)
            if lost:
                text += "\n" + ngettext(
                    "{n} could not be reached (blocked the bot or left Telegram).",
                    "{n} could not be reached (blocked the bot or left Telegram).",
                    lost,
                ).format(n=lost)
        async with self.db.transaction(mark=False) as conn:
            await Outbox.enqueue_tx(
                conn,
                owner.tg_id,
                "sendMessage",
                text_message(owner.tg_id, text),
                dedupe_key=f"ac:sent:{aid}",
                now=self.clock.now(),
                priority=1,
            )
        self.outbox.wake()

    # ----- members' answers -----

    async def answer(self, aid: int, user_id: int, kind: str, role_id: int | None) -> str:
        """'ok' | 'full' | 'closed' | 'not_yours' | 'unknown_role'."""
        action = await self.repo.get(aid)
        if action is None or action.state != "sent" or action.start <= self.clock.now():
            return "closed"
        if await self.repo.recipient(aid, user_id) is None:
            return "not_yours"
        roles = {r.id: r for r in await self.repo.roles(aid)}
        if role_id is not None and role_id not in roles:
            return "unknown_role"
        async with self.db.transaction() as conn:
            if role_id is not None:
                taken = await ActionsRepo.role_filled_tx(conn, aid, role_id, user_id)
                if taken >= roles[role_id].needed:
                    return "full"
            await ActionsRepo.answer_tx(
                conn, aid, user_id, "cant" if kind == "n" else "coming", role_id, self.clock.now()
            )
        await self.refresh_status(aid)
        if roles:  # the group chats' posts show the tasks' counts
            await self.refresh_chat_posts(aid)
        return "ok"

    async def member_view(self, aid: int, user_id: int) -> tuple[str, list[list[Button]]] | None:
        action = await self.repo.get(aid)
        rec = await self.repo.recipient(aid, user_id)
        if action is None or rec is None:
            return None
        original = await self.view(action, rec.group_id)
        view = self._local(original)
        tally = await self.repo.tally(aid)
        role_name = next((n for rid, n, _k in view.roles if rid == rec.role_id), None)
        mine = answer_line(rec.answer, role_name)
        if view != original:  # marked as on the call itself, the answer still last
            mine = translation_mark() + ("\n\n" + mine if mine else "")
        text = call_text(view, tally.filled, mine)
        if action.state != "sent":
            return text + "\n\n" + _("🛑 Cancelled."), []
        return text, call_rows(view, tally.filled)

    # ----- reminders, changes, cancellation, follow-up -----

    async def _notify_coming(
        self, action: Action, render, key: str | None, answered_before: datetime | None = None
    ) -> int:
        """One message to everyone who said they are coming (not to people who said /stop)."""
        ids = await self.repo.coming_user_ids(action.id, answered_before)
        users = [
            u for u in await self.users.many(ids) if u.tg_id is not None and u.stopped_at is None
        ]
        if not users:
            return 0
        async with self.db.transaction(mark=False) as conn:
            for user in users:
                with i18n.use_locale(self.lang_of(user)):
                    text, rows = render(user)
                assert user.tg_id is not None  # filtered above
                await Outbox.enqueue_tx(
                    conn,
                    user.tg_id,
                    "sendMessage",
                    text_message(user.tg_id, text, rows),
                    batch=f"action-note:{action.id}",
                    dedupe_key=key.format(uid=user.id) if key else None,
                )
        self.outbox.wake()
        return len(users)

    def _brief(self, action: Action) -> str:
        return (
            f"<b>{esc(self._shown(action.what))}</b>\n"
            + _("🗓 When: {when}").format(when=i18n.format_datetime(action.start))
            + "\n"
            + _("📍 Where: {place}").format(place=esc(self._shown(action.place)))
        )

    def reminder_head(self, action: Action, now: datetime) -> str:
        """The reminder's first line, so the day-before and the two-hours-before reminders do
        not look the same: "tomorrow at 19:00" / "today, in 2 hours (19:00)"."""
        tz = self.settings.tz
        start, today = action.start.astimezone(tz), now.astimezone(tz).date()
        time_text = i18n.format_time(action.start)
        if start.date() == today:
            n = max(1, round((action.start - now).total_seconds() / 3600))
            return ngettext(
                "⏰ Today, in {n} hour ({time}): you said you are coming.",
                "⏰ Today, in {n} hours ({time}): you said you are coming.",
                n,
            ).format(n=n, time=time_text)
        if start.date() == today + timedelta(days=1):
            return _("⏰ Tomorrow at {time}: you said you are coming.").format(time=time_text)
        return _("⏰ Reminder: you said you are coming.")

    async def run_due(self, now: datetime) -> None:
        for action in await self.repo.upcoming(now, now + REMIND_DAY):
            kind = "soon" if action.start - now <= REMIND_SOON else "day"

            def render(user: Any, action: Action = action) -> tuple[str, list[list[Button]]]:
                text = self.reminder_head(action, now) + "\n\n" + self._brief(action)
                return text, [[Button(_("❌ I can't after all"), cb("ac", "n", action.id))]]

            # Someone who said yes only after a reminder was due needs no reminder of that kind.
            cutoff = action.start - (REMIND_SOON if kind == "soon" else REMIND_DAY)
            await self._notify_coming(
                action, render, f"ac:rem:{action.id}:{{uid}}:{kind}:{action.starts_at}", cutoff
            )
        for action in await self.repo.just_over(now, now - FOLLOWUP_WINDOW):
            owner = await self.users.get(action.created_by) if action.created_by else None
            if owner is None or owner.tg_id is None:
                continue
            coming = len(await self.repo.coming_user_ids(action.id))
            with i18n.use_locale(self.lang_of(owner)):
                text = (
                    _(
                        "<b>{what}</b> is over. Thank the people who came and tell them what"
                        " happens next?"
                    ).format(what=esc(action.what))
                    + "\n"
                    + ngettext(
                        "{n} person said they were coming.",
                        "{n} people said they were coming.",
                        coming,
                    ).format(n=coming)
                )
                rows = [[Button(_("💬 Write to them"), cb("ac", "f", action.id))]]
            async with self.db.transaction(mark=False) as conn:
                await Outbox.enqueue_tx(
                    conn,
                    owner.tg_id,
                    "sendMessage",
                    text_message(owner.tg_id, text, rows),
                    dedupe_key=f"ac:after:{action.id}",
                )
            self.outbox.wake()

    async def change(self, aid: int, start: datetime, place: str) -> int:
        action = await self.repo.get(aid)
        assert action is not None
        await self.repo.change(aid, start, place)
        action = await self.repo.get(aid)
        assert action is not None

        def render(user: Any) -> tuple[str, list[list[Button]]]:
            return _(
                "✏️ <b>Changed</b>: the action has a new time or place."
            ) + "\n\n" + self._brief(action), [[Button(_("❌ I can't"), cb("ac", "n", aid))]]

        n = await self._notify_coming(action, render, None)
        await self.refresh_status(aid)
        await self.refresh_chat_posts(aid)
        return n

    async def cancel(self, aid: int) -> int:
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await ActionsRepo.cancel_tx(conn, aid, now)
            await Outbox.cancel_batch_tx(conn, f"action:{aid}")
        action = await self.repo.get(aid)
        assert action is not None

        def render(user: Any) -> tuple[str, list[list[Button]]]:
            return _(
                "🛑 <b>Cancelled</b>: this action does not take place."
            ) + "\n\n" + self._brief(action), []

        n = await self._notify_coming(action, render, f"ac:cancel:{aid}:{{uid}}")
        await self.refresh_status(aid)
        await self.refresh_chat_posts(aid)
        return n

    async def follow_up(self, aid: int, text: str) -> int | None:
        """The one message after the action to those who came; None when already sent."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if not await ActionsRepo.mark_followup_tx(conn, aid, now):
                return None
        action = await self.repo.get(aid)
        assert action is not None

        def render(user: Any) -> tuple[str, list[list[Button]]]:
            return _("💬 After <b>{what}</b>:").format(what=esc(action.what)) + "\n\n" + esc(
                text
            ), []

        return await self._notify_coming(action, render, f"ac:follow:{aid}:{{uid}}")
