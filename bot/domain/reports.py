"""Problem reports: the rules (routing, status changes, relaying, me-too, the "is it solved?"
question, escalation and digests). No telegram imports: messages to others are outbox rows."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.core import i18n
from bot.core.access import Roles
from bot.core.assisted import entered_by_label
from bot.core.i18n import N_, _, ngettext
from bot.core.ui import MAX_TEXT, Button, cb, clip, esc, text_message
from bot.domain.deps import Core
from bot.domain.translation import AutoTextService, CardExtra
from storage.repos import report_privacy as rp
from storage.repos.assist import AssistRepo
from storage.repos.dialogs import DialogsRepo
from storage.repos.outbox import OutboxRepo
from storage.repos.projects import Project, ProjectsRepo
from storage.repos.reports import (
    Category,
    DigestSetting,
    Draft,
    HistoryItem,
    Report,
    ReportsRepo,
    Rule,
)
from storage.repos.texts import TextsRepo
from storage.repos.users import User, UsersRepo
from storage.timestamps import from_db, to_db

log = logging.getLogger(__name__)

STATUS_LABELS = {
    "new": N_("New"),
    "seen": N_("Seen"),
    "in_progress": N_("In progress"),
    "forwarded": N_("Forwarded to policy/authority"),
    "resolved": N_("Resolved"),
    "not_for_us": N_("Not for us"),
    "withdrawn": N_("Withdrawn"),
}
STATUS_ICONS = {
    "new": "🆕",
    "seen": "👀",
    "in_progress": "🔧",
    "forwarded": "📨",
    "resolved": "✅",
    "not_for_us": "🚫",
    "withdrawn": "↩️",
}
# The default categories' labels (stored as msgids in report_categories.label_msgid).
CATEGORY_LABELS = (
    N_("Housing"),
    N_("Energy"),
    N_("Street & public space"),
    N_("Safety"),
    N_("Cleanliness"),
    N_("Noise"),
    N_("Social services & benefits"),
    N_("Health"),
    N_("Other"),
)
# Short codes in callback data (64-byte limit).
STATUS_CODES = {
    "s": "seen",
    "p": "in_progress",
    "f": "forwarded",
    "r": "resolved",
    "n": "not_for_us",
}
# A status moves only forward through the card's buttons (an old card, a second worker's card
# or a forged button cannot undo what was done); going back is the explicit Reopen.
STATUS_RANK = {
    "new": 0,
    "seen": 1,
    "in_progress": 2,
    "forwarded": 3,
    "resolved": 4,
    "not_for_us": 4,
    "withdrawn": 5,
}
CLOSED_BY_WORKER = ("resolved", "not_for_us")


def moves_forward(old: str, new: str) -> bool:
    return STATUS_RANK.get(new, 0) > STATUS_RANK.get(old, 0)


# /problems filters ("w" = new: waiting for someone to look at it).
FILTER_CODES = {**STATUS_CODES, "w": "new"}
CODE_OF = {v: k for k, v in FILTER_CODES.items()}


def status_label(status: str) -> str:
    return STATUS_ICONS.get(status, "") + " " + _(STATUS_LABELS.get(status, status))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


# A long text is split by the Telegram client into messages of at most 4096 characters, sent
# within a second or two. A text that arrives within SPLIT_WINDOW_S seconds (by the messages'
# Telegram dates, so a bot that was down still joins them) after a piece of at least
# SPLIT_PIECE_MIN characters continues that piece: nobody types 3,500 characters and then a
# second message within three seconds, so the rule does not catch two separate messages.
SPLIT_WINDOW_S = 3
SPLIT_PIECE_MIN = 3500
# The longest description: three full Telegram messages. The card shows the first CARD_TEXT
# characters; the rest follows it in plain messages, so the worker gets every word.
DESCRIPTION_MAX = 3 * 4096
CARD_TEXT = 3000
CONTINUATION = 4000


@dataclass
class ReportDraft:
    """A report being made: what the resident answered so far. Kept in the dialogs table (and in
    report_drafts when put aside) as JSON with the keys of ``to_dict``; ``from_dict`` also reads
    drafts stored before this class existed (the same keys, any of them missing)."""

    project_id: int
    group_id: int | None = None
    photos: list[str] = field(default_factory=list)
    cat: int | None = None
    text: str | None = None
    voice: str | None = None  # the voice note's file id
    voice_dur: int | None = None
    # Further voice notes after the first, [file id, seconds] each, in the order sent.
    voices: list[list[Any]] = field(default_factory=list)
    # The Telegram date (Unix seconds) of the latest typed piece, and whether that piece was as
    # long as a piece the client cut off (so a text right after it continues it).
    # text_glue: that piece was cut hard (4096 characters, ending inside a word), so the next
    # piece goes on without a space.
    text_at: int | None = None
    text_cut: bool = False
    text_glue: bool = False
    hood: int | None = None
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    show_name: bool | None = None
    quote: bool | None = None
    similar: list[int] | None = None  # the similar reports offered (their ids)
    # The report this household said "me too" to: what it tells goes to that report.
    joined: int | None = None
    where_msg: int | None = None  # the "where is it?" question: its buttons go when it is answered
    # The step to go back to after the place and the similar reports, when they were asked
    # again in the middle (a pin sent while describing, a draft from before the new order).
    then: str | None = None
    back: bool = False  # changing one answer from the summary: back to "confirm" after it

    def set_voice(self, file_id: str, duration: int | None) -> None:
        """The description is (again) this voice note."""
        self.voice, self.voice_dur, self.text, self.voices = file_id, duration, None, []
        self.text_at, self.text_cut, self.text_glue = None, False, False

    def add_voice(self, file_id: str, duration: int | None) -> None:
        """One more voice note: people speak in two or three short ones."""
        if self.voice is None:
            self.voice, self.voice_dur = file_id, duration
        else:
            self.voices.append([file_id, duration])

    @property
    def placed(self) -> bool:
        """Was the place answered (a neighbourhood, a pin or an address)?"""
        return self.hood is not None or self.lat is not None or self.address is not None

    @property
    def described(self) -> bool:
        """Did the person tell anything yet (words, a voice note, a photo)?"""
        return bool(self.text or self.voice or self.photos)

    @property
    def voice_count(self) -> int:
        return (1 if self.voice else 0) + len(self.voices)

    def set_text(self, raw: str, at: int | None = None) -> None:
        """The description is (again) this text (a voice note given before is dropped)."""
        self.text, self.voice, self.voice_dur, self.voices = raw.strip(), None, None, []
        self._piece(raw, at)

    def _piece(self, raw: str, at: int | None) -> None:
        self.text_at, self.text_cut = at, len(raw) >= SPLIT_PIECE_MIN
        self.text_glue = len(raw) >= 4096 and not raw[-1:].isspace()

    def add_text(self, text: str, sep: str = "\n") -> None:
        """More words for the description (a caption, or what was typed after it)."""
        self.text = self.text + sep + text if self.text else text
        self.text_at, self.text_cut, self.text_glue = None, False, False

    def continues_split(self, at: int) -> bool:
        """Is a text sent at ``at`` (Telegram date) the next piece of the latest one?"""
        return (
            self.text_cut
            and self.text_at is not None
            and 0 <= at - self.text_at <= (SPLIT_WINDOW_S)
        )

    def join_piece(self, raw: str, at: int) -> None:
        """Append the next piece of a client-split text as it was cut: the client cuts at a
        space or line break where it can (and drops it), else in the middle of a word."""
        sep = "" if self.text_glue or raw[:1].isspace() else " "
        self.text = (self.text or "") + sep + raw.rstrip()
        self._piece(raw, at)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: the three keys every draft has, then only the answers given (text and
        voice: the other one is null once one of them is given)."""
        out: dict[str, Any] = {
            "project_id": self.project_id,
            "group_id": self.group_id,
            "photos": list(self.photos),
        }
        optional = {
            "cat": self.cat,
            "text": self.text,
            "voice": self.voice,
            "voice_dur": self.voice_dur,
            "voices": [list(v) for v in self.voices] or None,
            "text_at": self.text_at,
            "text_cut": True if self.text_cut else None,
            "text_glue": True if self.text_glue else None,
            "hood": self.hood,
            "lat": self.lat,
            "lon": self.lon,
            "address": self.address,
            "show_name": self.show_name,
            "quote": self.quote,
            "similar": self.similar,
            "joined": self.joined,
            "where_msg": self.where_msg,
            "then": self.then,
        }
        given = self.text is not None or self.voice is not None
        for key, value in optional.items():
            if value is not None or (given and key in ("text", "voice")):
                out[key] = value
        if self.back:
            out["back"] = True
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportDraft:
        def num(key: str) -> int | None:
            value = data.get(key)
            return int(value) if value is not None else None

        return cls(
            project_id=int(data["project_id"]),
            group_id=num("group_id"),
            photos=list(data.get("photos") or []),
            cat=num("cat"),
            text=data.get("text"),
            voice=data.get("voice"),
            voice_dur=data.get("voice_dur"),
            voices=[list(v) for v in data.get("voices") or []],
            text_at=num("text_at"),
            text_cut=bool(data.get("text_cut")),
            text_glue=bool(data.get("text_glue")),
            hood=data.get("hood"),
            lat=data.get("lat"),
            lon=data.get("lon"),
            address=data.get("address"),
            show_name=data.get("show_name"),
            quote=data.get("quote"),
            similar=data.get("similar"),
            joined=num("joined"),
            where_msg=data.get("where_msg"),
            then=data.get("then"),
            back=bool(data.get("back")),
        )


@dataclass(frozen=True)
class SimilarReport:
    """A report like the one being made, offered for "me too"; households = reporter + me-toos.

    Only what is not personal: another resident never sees the reporter's words, voice, photos,
    name or exact place — the category, the neighbourhood, when, and how many households."""

    id: int
    reference: str
    category: str
    neighbourhood: str | None
    created_at: datetime
    households: int


@dataclass(frozen=True)
class Recipient:
    user_id: int | None
    chat_id: int
    language: str


def report_snippet(report: Report, limit: int) -> str:
    """What a report says, for a worker's list: its text, 🎤 for a voice note, or that the words
    are gone (the reporter deleted their data, or retention removed them) — never a 🎤 for a
    voice note that does not exist."""
    if report.text:
        return esc(clip(report.text, limit))
    if report.voice_file_id:
        return "🎤"
    return _("(words removed: the reporter deleted their data)")


def copy_ref(report_id: int, kind: str, user_id: int | None) -> str:
    """The outbox ref of a message that carries a report's personal data besides its card (the
    on_sent hook records it in report_copies, so /forget can reach it). ``user_id``: whose data
    (the reporter, or the neighbour whose words and photos were added)."""
    return f"rcopy:{report_id}:{kind}:{user_id or 0}"


# A bot may delete its own messages in a private chat only within 48 hours; with a margin for
# the outbox's pace, older ones are edited (text, caption) or recorded as kept.
DELETE_WINDOW = timedelta(hours=47)
MEDIA_KINDS = ("voice", "photo", "location", "relay_voice", "relay_photo")


@dataclass(frozen=True)
class CleanResult:
    """What /forget did to the copies in other people's chats."""

    edited: int = 0
    deleted: int = 0
    kept: int = 0


class ReportsService:
    def __init__(self, core: Core, *, users: UsersRepo, projects: ProjectsRepo) -> None:
        self.settings, self.clock = core.settings, core.clock
        self.db, self.outbox = core.db, core.outbox
        self.users = users
        self.projects = projects
        self.repo = ReportsRepo(core.db)
        # Translations and transcripts on cards and relays (issue 15); None = off.
        self.auto_text: AutoTextService | None = None

    # ----- helpers -----

    def lang_of(self, user: User | None) -> str:
        if user is None:
            return self.settings.default_language
        return i18n.resolve_language(
            user.language, user.tg_language, self.settings.default_language
        )

    async def keep_as_draft(self, user_id: int, step: str, draft: ReportDraft) -> None:
        """A report conversation put aside (/cancel, time-out) becomes the person's draft."""
        async with self.db.transaction() as conn:
            await ReportsRepo.save_draft_tx(
                conn, user_id, draft.project_id, step, draft.to_dict(), self.clock.now()
            )
            await DialogsRepo.clear_tx(conn, user_id)

    async def start_afresh(self, user_id: int, dialog_kind: str) -> None:
        """Forget the draft and any open report conversation before a new report."""
        async with self.db.transaction() as conn:
            await ReportsRepo.drop_draft_tx(conn, user_id)
            await DialogsRepo.clear_tx(conn, user_id, dialog_kind)

    async def resume_draft(self, user_id: int) -> None:
        async with self.db.transaction() as conn:
            await ReportsRepo.drop_draft_tx(conn, user_id)

    async def recipient(self, user_id: int | None) -> Recipient | None:
        if user_id is None:
            return None
        user = await self.users.get(user_id)
        if user is None or user.tg_id is None:
            return None
        return Recipient(user.id, user.tg_id, self.lang_of(user))

    async def admin_recipients(self) -> list[Recipient]:
        out = []
        for tg in self.settings.admin_ids:
            user = await self.users.by_tg(tg)
            out.append(Recipient(user.id if user else None, tg, self.lang_of(user)))
        return out

    def category_label(self, cat: Category | None) -> str:
        """Default categories translated; a project's own ones as they were typed (they are the
        organisation's words). Custom labels hold no < > (refused on input), so this is safe in
        HTML and in button text alike."""
        if cat is None:
            return "?"
        if cat.labels:
            names = json.loads(cat.labels)
            name = names.get(i18n.current_language()) or names.get(self.settings.default_language)
            if name:
                return f"{cat.emoji} {name}"
        if cat.custom_label is not None:
            return f"{cat.emoji} {cat.custom_label}"
        return f"{cat.emoji} {_(cat.label_msgid)}"

    async def hood_name(self, hood_id: int | None) -> str | None:
        if not hood_id:
            return None
        hood = await self.projects.neighbourhood(hood_id)
        return hood.name if hood else None

    async def draft_category(self, draft: ReportDraft) -> Category | None:
        return await self.repo.category(draft.project_id, int(draft.cat))  # type: ignore[arg-type]

    def place_label(self, report: Report, hood_name: str | None) -> str:
        parts = []
        if hood_name:
            parts.append(esc(hood_name))
        if report.address:
            parts.append(esc(report.address))
        if report.lat is not None:  # the pin follows the card
            parts.append(_("location pin"))
        return i18n.join_list(parts) or _("not given")

    @staticmethod
    def project_choices(roles: Roles) -> list[tuple[int, int]]:
        """(project, group) per project the person is a group member of: their lowest group id
        in each project, sorted. More than one means the resident chooses."""
        seen: dict[int, int] = {}
        for gid in sorted(roles.group_projects):
            seen.setdefault(roles.group_projects[gid], gid)
        return sorted(seen.items(), key=lambda pg: pg[1])

    async def stranger_projects(self, roles: Roles) -> list[Project]:
        """Someone in no group (and no worker or admin) may still report a problem — a
        neighbour who only heard of the bot must not hit a dead end — to a project they choose
        (the only one, or by name). Empty for everyone else: they report through their group."""
        if roles.member_of or roles.worker_of or roles.is_admin:
            return []
        return await self.projects.all()

    async def project_for(self, roles: Roles) -> tuple[int, int | None] | None:
        """The project a resident reports to: through their group, else a worker's own project,
        else the only project there is. (Several projects: see project_choices.)"""
        choices = self.project_choices(roles)
        if choices:
            return choices[0]
        if roles.worker_of:
            return min(roles.worker_of), None
        projects = await self.projects.all()
        if len(projects) == 1:
            return projects[0].id, None
        return None

    # ----- reading, for the screens (handlers ask the service, not the repository) -----

    async def get(self, report_id: int) -> Report | None:
        return await self.repo.get(report_id)

    async def draft(self, user_id: int) -> Draft | None:
        """The report the person put aside, if any."""
        return await self.repo.draft(user_id)

    async def categories(self, project_id: int, hidden: bool = False) -> list[Category]:
        return await self.repo.categories(project_id, hidden=hidden)

    async def category(self, project_id: int, category_id: int) -> Category | None:
        return await self.repo.category(project_id, category_id)

    async def category_by_id(self, category_id: int) -> Category | None:
        return await self.repo.category_by_id(category_id)

    async def me_too_count(self, report_id: int) -> int:
        return await self.repo.me_too_count(report_id)

    async def followed(self, user_id: int) -> list[Report]:
        """Reports this person said "me too" to: they follow them in /myreports."""
        return await self.repo.followed(user_id)

    async def follows(self, report_id: int, user_id: int) -> bool:
        return await self.repo.follows(report_id, user_id)

    async def of_reporter(self, user_id: int) -> list[Report]:
        return await self.repo.of_reporter(user_id)

    async def latest_event(self, report_id: int) -> tuple[str, str | None, str] | None:
        return await self.repo.latest_event(report_id)

    async def latest_answer(
        self, report_id: int, language: str | None = None
    ) -> tuple[str | None, str | None] | None:
        """(text, voice) of the newest answer to the reporter; the text in ``language`` when
        its translation was kept (the reporter read it so when it was relayed)."""
        latest = await self.repo.latest_answer(report_id)
        if latest is None or not latest[0] or language is None or self.auto_text is None:
            return latest
        shown = await self.auto_text.texts.kept_translation(latest[0], language)
        return (shown or latest[0], latest[1])

    async def list_open(
        self,
        project_ids: list[int] | None,
        status: str | None,
        category_key: str | None,
        neighbourhood_id: int | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Report], int]:
        return await self.repo.list_open(
            project_ids, status, category_key, neighbourhood_id, limit, offset
        )

    async def rules(self, project_id: int) -> list[Rule]:
        return await self.repo.rules(project_id)

    async def rule(self, rule_id: int) -> Rule | None:
        return await self.repo.rule(rule_id)

    async def delete_rule(self, rule_id: int) -> None:
        await self.repo.delete_rule(rule_id)

    async def set_rule(
        self, project_id: int, hood: int | None, cat: int | None, worker: int, by: int
    ) -> None:
        await self.repo.set_rule(project_id, hood, cat, worker, by, self.clock.now())

    async def add_category(self, project_id: int, emoji: str, label: str) -> Category:
        return await self.repo.add_category(project_id, emoji, label)

    async def change_category(self, cat: Category, **values: Any) -> None:
        await self.repo.change_category(cat, **values)

    async def digest_setting(self, user_id: int) -> DigestSetting:
        return await self.repo.digest_setting(user_id)

    async def set_digest(self, user_id: int, now: datetime, **values: Any) -> None:
        await self.repo.set_digest(user_id, now, **values)

    # ----- creating a report -----

    async def create(self, user: User, draft: ReportDraft, update_id: int | None) -> Report:
        """The report, its photos, its routing and the worker's messages in one transaction."""
        now = self.clock.now()
        project_id = draft.project_id
        cat = await self.repo.category(project_id, int(draft.cat))  # type: ignore[arg-type]
        assert cat is not None
        worker = await self.repo.route(project_id, draft.hood, cat.id)
        targets = [t for t in [await self.recipient(worker)] if t is not None]
        to_admins = not targets
        if to_admins:
            targets = await self.admin_recipients()
        hood_name = await self.hood_name(draft.hood)
        async with self.db.transaction() as conn:
            if update_id is not None:
                existing = await ReportsRepo.by_update_tx(conn, update_id)
                if existing is not None:
                    return existing
            seq, reference = await ReportsRepo.next_reference_tx(conn, now.year)
            report = await ReportsRepo.insert_returning_tx(
                conn,
                {
                    "reference": reference,
                    "year": now.year,
                    "seq": seq,
                    "project_id": project_id,
                    "group_id": draft.group_id,
                    "reporter_id": user.id,
                    "category_id": cat.id,
                    "category_key": cat.key,
                    "text": draft.text,
                    "voice_file_id": draft.voice,
                    "voice_duration": draft.voice_dur,
                    "neighbourhood_id": draft.hood,
                    "lat": draft.lat,
                    "lon": draft.lon,
                    "address": draft.address,
                    "show_name": 1 if draft.show_name else 0,
                    "quote_ok": 1 if draft.quote else 0,
                    "assigned_to": worker,
                    "language": self.lang_of(user),
                    "created_at": to_db(now),
                    "updated_at": to_db(now),
                    "source_update_id": update_id,
                },
            )
            report_id = report.id
            photos = list(draft.photos)
            if photos:
                await ReportsRepo.add_photos_tx(conn, report_id, photos, user.id, now)
            voices = [(str(v[0]), v[1]) for v in draft.voices]
            if voices:
                await ReportsRepo.add_voices_tx(conn, report_id, voices, user.id, now)
            await ReportsRepo.event_tx(
                conn, report_id, "created", now, actor_id=user.id, new_status="new"
            )
            if worker is not None:
                await ReportsRepo.event_tx(conn, report_id, "assigned", now, target_id=worker)
            if to_admins:
                await ReportsRepo.event_tx(conn, report_id, "to_admins", now, reason="no worker")
            for t in targets:
                await self.enqueue_card(
                    conn,
                    report,
                    t,
                    cat,
                    photos,
                    user,
                    now,
                    me_too=0,
                    hood_name=hood_name,
                    voices=[v[0] for v in voices],
                )
            await ReportsRepo.drop_draft_tx(conn, user.id)
            await DialogsRepo.clear_tx(conn, user.id)
        self.outbox.wake()
        return report

    @staticmethod
    def filed_text(report: Report) -> str:
        """What the resident reads once the report is made: honest about who has it."""
        if report.assigned_to is None:
            return _(
                "✅ Thank you! Your report is registered.\nYour reference: <b>{ref}</b>\nThis "
                "project has no project worker yet, so for now the bot's administrators have "
                "it. The first project worker who joins gets it."
            ).format(ref=report.reference)
        return _(
            "✅ Thank you! Your report is sent to the project worker.\nYour reference: <b>{ref}</b>"
        ).format(ref=report.reference)

    def worker_buttons(self, report: Report, reporter: User | None) -> list[list[Button]]:
        """Only the moves that are still possible: forward statuses, or Reopen once closed."""
        rid = report.id
        if report.status == "withdrawn":
            return []
        # Nobody to answer once the reporter's data is deleted: no Reply that promises it.
        answer = [Button(_("💬 Reply"), cb("rw", "reply", rid))] if report.reporter_id else []
        if report.status in CLOSED_BY_WORKER:
            rows = [[Button(_("🔁 Reopen"), cb("rw", "ro", rid)), *answer]]
        else:
            statuses = [
                Button(label, cb("rw", "st", rid, code))
                for label, code, status in (
                    (_("👀 Seen"), "s", "seen"),
                    (_("🔧 In progress"), "p", "in_progress"),
                    (_("📨 Forwarded"), "f", "forwarded"),
                    (_("✅ Resolved"), "r", "resolved"),
                )
                if moves_forward(report.status, status)
            ]
            rows = [statuses[i : i + 2] for i in range(0, len(statuses), 2)]
            rows.append([Button(_("🚫 Not for us"), cb("rw", "nfu", rid)), *answer])
        rows.append([Button(_("👥 Reassign"), cb("rw", "ra", rid))])
        # A direct link only to a public @username, and only with the reporter's consent to show
        # her name. No tg://user?id= link: Telegram refuses the whole card when her privacy
        # settings forbid it (BUTTON_USER_PRIVACY_RESTRICTED), and 💬 Reply connects them anyway.
        if report.show_name and reporter is not None and reporter.username:
            url = f"https://t.me/{reporter.username}"
            rows[-1].append(Button(_("✉️ Message reporter"), url=url))
        return rows

    def card_text(
        self,
        report: Report,
        cat: Category | None,
        reporter: User | None,
        me_too: int,
        hood_name: str | None,
        more_voices: int = 0,
        extra: CardExtra | None = None,
    ) -> str:
        """``more_voices``: how many voice notes follow the first one; ``extra``: automatic
        translations and transcripts (issue 15), within what the card leaves free."""
        who = (
            esc(reporter.display_name)
            if (report.show_name and reporter is not None)
            else _("anonymous")
        )
        if reporter is not None and reporter.entered_by is not None:  # assisted mode
            who = entered_by_label(report.show_name, reporter.first_name, reporter.entered_by)
        lines = [
            _("📣 <b>Report {ref}</b>").format(ref=report.reference),
            _("Category: {category}").format(category=self.category_label(cat)),
            _("Where: {place}").format(place=self.place_label(report, hood_name)),
            _("From: {who}").format(who=who),
            _("Status: {status}").format(status=status_label(report.status)),
        ]
        if report.language:
            # So the worker answers in a language the reporter reads.
            lines.append(
                _("Language: {language}").format(language=i18n.language_both(report.language))
            )
        if report.reporter_id is None:
            lines.append(_("The reporter's data is deleted: you can no longer answer them."))
        if me_too:
            lines.append(
                ngettext(
                    "{n} other household said “me too”.",
                    "{n} other households said “me too”.",
                    me_too,
                ).format(n=me_too)
            )
        if report.text:
            lines += ["", esc(clip(report.text, CARD_TEXT))]
            if len(report.text) > CARD_TEXT:
                lines.append(_("(The text goes on in the next message.)"))
        if report.voice_file_id:
            n = 1 + more_voices
            lines += [] if report.text else [""]
            lines.append(
                _("🎤 Voice note: see below.")
                if n == 1
                else ngettext(
                    "🎤 {n} voice note: see below.", "🎤 {n} voice notes: see below.", n
                ).format(n=n)
            )
        text = "\n".join(lines)
        return text + extra.render(MAX_TEXT - len(text)) if extra is not None else text

    async def card_extra(self, report: Report, lang: str) -> CardExtra | None:
        """The automatic texts of a card shown again (/problems), in ``lang``."""
        if self.auto_text is None:
            return None
        async with self.db.transaction(mark=False) as conn:
            return await self.auto_text.card_tx(conn, report, lang, self.clock.now())

    @staticmethod
    def text_continuation(text: str | None) -> list[str]:
        """The rest of a description longer than the card holds, in plain-text messages."""
        if not text or len(text) <= CARD_TEXT:
            return []
        rest = text[CARD_TEXT:]
        return [rest[i : i + CONTINUATION] for i in range(0, len(rest), CONTINUATION)]

    async def enqueue_card(
        self,
        conn: aiosqlite.Connection,
        report: Report,
        to: Recipient,
        cat: Category | None,
        photos: list[str],
        reporter: User | None,
        now: datetime,
        me_too: int,
        hood_name: str | None,
        dedupe: str | None = None,
        voices: list[str] | None = None,
    ) -> None:
        """Never awaits the database itself: it runs inside the caller's transaction.
        ``voices``: the report's voice notes after the first (report_voices), in order."""
        more = list(voices or [])
        every_voice = [report.voice_file_id, *more] if report.voice_file_id else []
        extra = (
            await self.auto_text.card_tx(conn, report, to.language, now) if self.auto_text else None
        )
        with i18n.use_locale(to.language):
            text = self.card_text(report, cat, reporter, me_too, hood_name, len(more), extra)
            rows = self.worker_buttons(report, reporter)
            caption = _("Report {ref}").format(ref=report.reference)
            goes_on = _("Report {ref}, the text goes on:").format(ref=report.reference)
            voice_captions = [
                caption
                if len(every_voice) == 1
                else ngettext(
                    "Report {ref} · voice note {i} of {n}",
                    "Report {ref} · voice note {i} of {n}",
                    len(every_voice),
                ).format(ref=report.reference, i=i + 1, n=len(every_voice))
                for i in range(len(every_voice))
            ]
        ref = f"report:{report.id}"
        await self.outbox.enqueue_tx(
            conn,
            to.chat_id,
            "sendMessage",
            text_message(to.chat_id, text, rows),
            ref=ref,
            dedupe_key=dedupe,
            now=now,
        )
        uid = report.reporter_id
        for i, part in enumerate(self.text_continuation(report.text)):
            # Plain text: nothing to escape, so a piece can be cut anywhere.
            await self.outbox.enqueue_tx(
                conn,
                to.chat_id,
                "sendMessage",
                {"chat_id": to.chat_id, "text": goes_on + "\n\n" + part},
                ref=copy_ref(report.id, "text", uid),
                now=now,
                dedupe_key=f"{dedupe}:t{i}" if dedupe else None,
            )
        for i, voice in enumerate(every_voice):
            await self.outbox.enqueue_tx(
                conn,
                to.chat_id,
                "sendVoice",
                {"voice": voice, "caption": voice_captions[i]},
                ref=copy_ref(report.id, "voice", uid),
                now=now,
                dedupe_key=(f"{dedupe}:v" + (str(i) if i else "")) if dedupe else None,
            )
        for i, photo in enumerate(photos[:10]):
            await self.outbox.enqueue_tx(
                conn,
                to.chat_id,
                "sendPhoto",
                {"photo": photo, "caption": caption},
                ref=copy_ref(report.id, "photo", uid),
                now=now,
                dedupe_key=f"{dedupe}:p{i}" if dedupe else None,
            )
        if report.lat is not None and report.lon is not None:
            await self.outbox.enqueue_tx(
                conn,
                to.chat_id,
                "sendLocation",
                {"latitude": report.lat, "longitude": report.lon},
                ref=copy_ref(report.id, "location", uid),
                now=now,
                dedupe_key=f"{dedupe}:l" if dedupe else None,
            )

    # ----- similar reports / me too -----

    async def similar(self, project_id: int, draft: ReportDraft, user_id: int) -> list[Report]:
        """At most three open reports of the same category, in the same neighbourhood or within
        report_similar_metres of the pin, not the person's own."""
        cat = int(draft.cat)  # type: ignore[arg-type]
        pin = draft.lat is not None and draft.lon is not None
        if not pin and not draft.hood:
            return []
        # Without a pin only the neighbourhood counts: SQLite finds the three newest.
        found = await self.repo.similar(project_id, cat, draft.hood, user_id, near_pin=pin)
        out = []
        limit = self.settings.report_similar_metres
        for r in found:
            if (
                draft.hood
                and r.neighbourhood_id == draft.hood
                or (
                    draft.lat is not None
                    and draft.lon is not None
                    and r.lat is not None
                    and r.lon is not None
                    and distance_m(draft.lat, draft.lon, r.lat, r.lon) <= limit
                )
            ):
                out.append(r)
        return out[:3]

    async def similar_reports(self, ids: list[int]) -> list[SimilarReport]:
        """The similar reports offered (by id, in that order; gone ones left out), each with the
        households that have the problem: the reporter and everyone who said "me too"."""
        out = []
        for rid in ids:
            rep = await self.repo.get(rid)
            if rep is None:
                continue
            count = await self.repo.me_too_count(rid) + 1
            category = await self.repo.category(rep.project_id, rep.category_id)
            out.append(
                SimilarReport(
                    rep.id,
                    rep.reference,
                    self.category_label(category),
                    await self.hood_name(rep.neighbourhood_id),
                    from_db(rep.created_at),
                    count,
                )
            )
        return out

    async def me_too(
        self, report: Report, user: User, then: tuple[str, str, dict[str, Any]] | None = None
    ) -> bool:
        """Count the household (once). ``then``: the conversation goes on (kind, step, data), so
        that it can add its own words to the report; else it ends here."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            added = await ReportsRepo.me_too_tx(conn, report.id, user.id, now)
            if added:
                await ReportsRepo.event_tx(conn, report.id, "me_too", now, actor_id=user.id)
                await ReportsRepo.update_tx(conn, report.id, {"updated_at": to_db(now)})
                await self.edit_cards_tx(conn, report.id, now)
            await ReportsRepo.drop_draft_tx(conn, user.id)
            if then is None:
                await DialogsRepo.clear_tx(conn, user.id)
            else:
                await DialogsRepo.set_tx(conn, user.id, then[0], then[1], then[2], now)
        if added:
            self.outbox.wake()
        return added

    async def add_to_report(self, report: Report, user: User, draft: ReportDraft) -> None:
        """A household that said "me too" tells its own story: its words, voice notes and photos
        are added to the report (with its answers to the name and quote questions) and go to
        the report's worker, in one transaction."""
        now = self.clock.now()
        responsible = await self.recipient(report.assigned_to)
        targets = [responsible] if responsible is not None else await self.admin_recipients()
        voices = ([draft.voice] if draft.voice else []) + [str(v[0]) for v in draft.voices]
        async with self.db.transaction() as conn:
            await ReportsRepo.me_too_tx(conn, report.id, user.id, now)
            await ReportsRepo.me_too_words_tx(
                conn, report.id, user.id, draft.text, bool(draft.show_name), bool(draft.quote)
            )
            if draft.text:
                await ReportsRepo.message_tx(
                    conn, report.id, "to_worker", user.id, now, text=draft.text
                )
            for voice in voices:
                await ReportsRepo.message_tx(
                    conn, report.id, "to_worker", user.id, now, voice=voice
                )
            for photo in draft.photos:
                await ReportsRepo.message_tx(
                    conn, report.id, "to_worker", user.id, now, photo=photo
                )
            await ReportsRepo.event_tx(conn, report.id, "me_too_words", now, actor_id=user.id)
            await ReportsRepo.update_tx(conn, report.id, {"updated_at": to_db(now)})
            for to in targets:
                with i18n.use_locale(to.language):
                    who = esc(user.display_name) if draft.show_name else _("a household")
                    head = _("🙋 Report {ref}: {who} has this problem too and tells:").format(
                        ref=report.reference, who=who
                    )
                    if user.entered_by is not None:  # assisted mode: who typed it, for whom
                        label = entered_by_label(
                            bool(draft.show_name), user.first_name, user.entered_by
                        )
                        head += "\n" + _("From: {who}").format(who=label)
                    rows = [[Button(_("📋 Open the report"), cb("rw", "card", report.id))]]
                # In the worker's language, the household's own words one tap away (issue 15).
                if draft.text and await self._relay_translated_tx(
                    conn, to, user, report, head, draft.text, None, rows
                ):
                    pass
                elif draft.text:
                    await self.outbox.enqueue_tx(
                        conn,
                        to.chat_id,
                        "sendMessage",
                        text_message(to.chat_id, clip(head + "\n\n" + esc(draft.text), 4000), rows),
                        ref=copy_ref(report.id, "relay_text", user.id),
                        now=now,
                    )
                for voice in voices:
                    if await self._relay_translated_tx(
                        conn, to, user, report, head, None, voice, rows
                    ):
                        continue
                    await self.outbox.enqueue_tx(
                        conn,
                        to.chat_id,
                        "sendVoice",
                        {"voice": voice, "caption": head, "parse_mode": "HTML"},
                        ref=copy_ref(report.id, "relay_voice", user.id),
                        now=now,
                    )
                for photo in draft.photos[:10]:
                    await self.outbox.enqueue_tx(
                        conn,
                        to.chat_id,
                        "sendPhoto",
                        {"photo": photo, "caption": head, "parse_mode": "HTML"},
                        ref=copy_ref(report.id, "relay_photo", user.id),
                        now=now,
                    )
            await ReportsRepo.drop_draft_tx(conn, user.id)
            await DialogsRepo.clear_tx(conn, user.id)
        self.outbox.wake()

    # ----- copies in workers' chats: recorded, so /forget reaches them -----

    async def on_copy_sent(self, ref: str, chat_id: int, message_id: int | None) -> None:
        """Outbox hook for "rcopy:<report>:<kind>:<user>": remember where the copy is."""
        try:
            _prefix, rid, kind, uid = ref.split(":", 3)
            report_id, user_id = int(rid), int(uid) or None
        except ValueError:
            return
        if message_id is None:
            return
        async with self.db.transaction(mark=False) as conn:
            await rp.record_copy_tx(
                conn, report_id, user_id, chat_id, message_id, kind, self.clock.now()
            )

    async def on_digest_sent(self, ref: str, chat_id: int, message_id: int | None) -> None:
        """Outbox hook for "rdig:<report ids>": a digest quotes these reports' words."""
        ids = [int(x) for x in ref.split(":", 1)[1].split(",") if x.isdigit()]
        if message_id is not None and ids:
            await self.record_digest(ids, chat_id, message_id)

    async def record_digest(self, report_ids: list[int], chat_id: int, message_id: int) -> None:
        now = self.clock.now()
        async with self.db.transaction(mark=False) as conn:
            for rid in dict.fromkeys(report_ids):
                report = await ReportsRepo.get_tx(conn, rid)
                if report is not None and report.reporter_id is not None:
                    await rp.record_copy_tx(
                        conn, rid, report.reporter_id, chat_id, message_id, "digest", now
                    )

    async def record_copies(
        self, report: Report, chat_id: int, sent: list[tuple[int, str]]
    ) -> None:
        """Copies sent directly (the card re-sent from /problems): (message id, kind) each."""
        now = self.clock.now()
        async with self.db.transaction(mark=False) as conn:
            for message_id, kind in sent:
                await rp.record_copy_tx(
                    conn, report.id, report.reporter_id, chat_id, message_id, kind, now
                )

    async def clean_copies_tx(
        self,
        conn: aiosqlite.Connection,
        user_id: int,
        report_ids: list[int],
        now: datetime,
        handled: set[tuple[int, int]] | None = None,
    ) -> CleanResult:
        """After /forget anonymised the reports (same transaction): every card and copy that
        carried this person's data is edited to the anonymised version or deleted, through the
        outbox. What Telegram does not let us reach (media older than 48 hours: a photo or voice
        note cannot be deleted then, only its caption edited) is recorded as kept."""
        edited = deleted = kept = 0
        for rid in report_ids:
            edited += await self.edit_cards_tx(conn, rid, now)
        reports: dict[int, Report | None] = {}
        for copy in await rp.copies_of_tx(conn, user_id):
            if copy.report_id not in reports:
                reports[copy.report_id] = await ReportsRepo.get_tx(conn, copy.report_id)
            report = reports[copy.report_id]
            if report is None:
                continue
            chat, mid = copy.chat_id, copy.message_id
            if handled and (chat, mid) in handled:
                # Already edited with only her data cut out (its text was still kept).
                await rp.mark_copy_tx(conn, copy.id, now)
                edited += 1
                continue
            young = (from_db(copy.sent_at) or now) > now - DELETE_WINDOW
            with i18n.use_locale(self.lang_of(await self.users.by_tg(chat))):
                caption = _("Report {ref}").format(ref=report.reference)
                if copy.kind == "card":
                    method, params = (
                        "editMessageText",
                        await self._card_params_tx(conn, report, chat, mid),
                    )
                elif copy.kind == "history":
                    text = await self.history_text(conn, report)
                    # Keep who handed it over, as the message said before her data went.
                    reader = await self.users.by_tg(chat)
                    by = (
                        await ReportsRepo.handed_by_tx(conn, report.id, reader.id)
                        if reader is not None
                        else None
                    )
                    actor = await self.users.get(by) if by is not None else None
                    if actor is not None:
                        head = _("👥 {name} handed report {ref} over to you.").format(
                            name=esc(actor.display_name), ref=report.reference
                        )
                        text = head + "\n\n" + text
                    text = clip(text, 4000)
                    method, params = (
                        "editMessageText",
                        text_message(chat, text, message_id=mid),
                    )
                elif copy.kind in MEDIA_KINDS and young:
                    method, params = "deleteMessage", {"message_id": mid}
                elif copy.kind in ("voice", "photo", "relay_voice", "relay_photo"):
                    # Too old to delete: at least no name or words stay in its caption.
                    method, params = "editMessageCaption", {"message_id": mid, "caption": caption}
                elif copy.kind == "location":
                    await rp.mark_copy_tx(conn, copy.id, now, kept="too_old")
                    kept += 1
                    continue
                elif copy.kind == "digest":
                    text = _(
                        "🗑 This overview is out of date: a reporter deleted their data. Send "
                        "/digest for a new one."
                    )
                    method, params = "editMessageText", text_message(chat, text, message_id=mid)
                elif copy.kind == "list":
                    text = _(
                        "🗑 This list is out of date: a reporter deleted their data. Send "
                        "/problems for the current list."
                    )
                    method, params = "editMessageText", text_message(chat, text, message_id=mid)
                else:  # text, relay_text: a text can always be edited
                    text = _(
                        "🗑 Report {ref}: this message was removed because the person who sent "
                        "it deleted their data."
                    ).format(ref=report.reference)
                    method, params = "editMessageText", text_message(chat, text, message_id=mid)
            await self.outbox.enqueue_tx(conn, chat, method, params, now=now)
            if method == "editMessageCaption" and copy.kind != "location":
                await rp.mark_copy_tx(conn, copy.id, now, kept="too_old")
                kept += 1
            else:
                await rp.mark_copy_tx(conn, copy.id, now)
                if method == "deleteMessage":
                    deleted += 1
                else:
                    edited += 1
        return CleanResult(edited, deleted, kept)

    async def _card_params_tx(
        self, conn: aiosqlite.Connection, report: Report, chat_id: int, message_id: int
    ) -> dict[str, Any]:
        """An edit of a card copy to the report as it is now (in the current locale)."""
        cat = await self.repo.category(report.project_id, report.category_id)
        reporter = await self.users.get(report.reporter_id) if report.reporter_id else None
        text = self.card_text(
            report,
            cat,
            reporter,
            await ReportsRepo.me_too_count_tx(conn, report.id),
            await self.hood_name(report.neighbourhood_id),
            len(await ReportsRepo.voices_tx(conn, report.id)),
        )
        rows = self.worker_buttons(report, reporter)
        return text_message(chat_id, text, rows, message_id=message_id)

    async def requeue_cards_tx(
        self, conn: aiosqlite.Connection, cards: list[tuple[int, int]], now: datetime
    ) -> None:
        """Cards that were still waiting in the outbox when the reporter left: the anonymised
        report goes out instead (its photos and voice notes are gone with her)."""
        for rid, chat_id in cards:
            report = await ReportsRepo.get_tx(conn, rid)
            if report is None:
                continue
            to = Recipient(None, chat_id, self.lang_of(await self.users.by_tg(chat_id)))
            cat = await self.repo.category(report.project_id, report.category_id)
            await self.enqueue_card(
                conn,
                report,
                to,
                cat,
                [],
                None,
                now,
                me_too=await ReportsRepo.me_too_count_tx(conn, rid),
                hood_name=await self.hood_name(report.neighbourhood_id),
            )

    # ----- the worker's card, kept up to date -----

    async def on_card_sent(self, ref: str, chat_id: int, message_id: int | None) -> None:
        """Outbox hook for "report:<id>": remember where the card is. It was rendered when it
        was queued; if the report moved on since (status, "me too"), bring it up to date."""
        try:
            report_id = int(ref.split(":", 1)[1])
        except (IndexError, ValueError):
            return
        if message_id is None:
            return
        async with self.db.transaction(mark=False) as conn:
            await ReportsRepo.remember_card_tx(conn, report_id, chat_id, message_id)
            sent_text = await OutboxRepo.sent_text_tx(conn, ref, chat_id, message_id)
            queued = await self.edit_cards_tx(
                conn, report_id, self.clock.now(), only_chat=chat_id, unless_text=sent_text
            )
        if queued:
            self.outbox.wake()

    async def edit_cards_tx(
        self,
        conn: aiosqlite.Connection,
        report_id: int,
        now: datetime,
        *,
        only_chat: int | None = None,
        unless_text: str | None = None,
    ) -> int:
        """Queue an edit of every delivered card of the report with its current status and
        "me too" count, in each recipient's language. Inside the caller's transaction."""
        cards = [
            card
            for card in await ReportsRepo.card_states_tx(conn, report_id)
            if only_chat in (None, card[0])
        ]
        if not cards:
            return 0
        report = await ReportsRepo.get_tx(conn, report_id)
        if report is None:
            return 0
        count = await ReportsRepo.me_too_count_tx(conn, report_id)
        more_voices = len(await ReportsRepo.voices_tx(conn, report_id))
        cat = await self.repo.category(report.project_id, report.category_id)
        reporter = await self.users.get(report.reporter_id) if report.reporter_id else None
        hood_name = await self.hood_name(report.neighbourhood_id)
        queued = 0
        for chat_id, message_id, handed_to in cards:
            lang = self.lang_of(await self.users.by_tg(chat_id))
            extra = (
                await self.auto_text.card_tx(conn, report, lang, now) if self.auto_text else None
            )
            with i18n.use_locale(lang):
                if handed_to is not None:
                    # Nothing of the reporter stays on a card its holder no longer has.
                    text = self.handed_text(report, await self.users.get(handed_to))
                    rows = []
                else:
                    text = self.card_text(
                        report, cat, reporter, count, hood_name, more_voices, extra
                    )
                    rows = self.worker_buttons(report, reporter)
            if text == unless_text:
                continue
            await self.outbox.enqueue_tx(
                conn,
                chat_id,
                "editMessageText",
                text_message(chat_id, text, rows, message_id=message_id),
                now=now,
            )
            queued += 1
        return queued

    def handed_text(self, report: Report, colleague: User | None) -> str:
        return _("👥 Report {ref} was handed to {name}.").format(
            ref=report.reference, name=esc(colleague.display_name if colleague else "?")
        )

    async def handed_to(self, report_id: int, chat_id: int, message_id: int) -> User | None:
        """The colleague a card was handed to, when the tapped message is such a card."""
        uid = await self.repo.handed_to(report_id, chat_id, message_id)
        return await self.users.get(uid) if uid is not None else None

    # ----- history: for the handover message and the card re-sent from /problems -----

    async def history_text(self, conn: aiosqlite.Connection, report: Report) -> str:
        """What happened so far, in the current locale: statuses (who, when), hand-overs,
        reopens, the answers given to the reporter (what was promised) and what they wrote."""
        items = await ReportsRepo.history_tx(conn, report.id)
        names: dict[int, str] = {}

        async def name(uid: int | None) -> str:
            if uid is None:
                return _("a project worker")
            if uid not in names:
                user = await self.users.get(uid)
                names[uid] = esc(user.display_name) if user else _("a project worker")
            return names[uid]

        entered: dict[int, str] = {}

        async def via(uid: int | None, show_name: bool) -> str:
            """Assisted mode: " (entered by Sofie for a resident)" for words a worker typed for
            someone without Telegram, so the worker knows whom to ask; else nothing."""
            if uid is None:
                return ""
            if uid not in entered:
                user = await self.users.get(uid)
                entered[uid] = (
                    " (" + entered_by_label(show_name, user.first_name, user.entered_by) + ")"
                    if user is not None and user.entered_by is not None
                    else ""
                )
            return entered[uid]

        reader = i18n.current_language()

        async def said(item: HistoryItem) -> str:
            if item.text:
                # A resident's words in the reader's language when their translation was kept
                # (the new worker did not get the relayed message); marked as automatic.
                if self.auto_text is not None and item.kind != "to_reporter":
                    shown = await TextsRepo.kept_translation_tx(conn, item.text, reader)
                    if shown and shown != item.text:
                        return "“" + esc(clip(shown, 300)) + "” 🌐"
                return "“" + esc(clip(item.text, 300)) + "”"
            return _("🎤 Voice note") if item.voice else "…"

        lines = [_("<b>So far</b>")]
        for item in items:
            when = i18n.format_datetime(from_db(item.created_at))
            if item.kind == "status":
                line = _("{when}: {status}, by {name}").format(
                    when=when,
                    status=status_label(item.new_status or ""),
                    name=await name(item.actor_id),
                )
            elif item.kind == "assigned":
                line = _("{when}: handed to {name}").format(
                    when=when, name=await name(item.target_id)
                )
            elif item.kind == "reopened":
                line = _("{when}: opened again").format(when=when)
            elif item.kind == "to_reporter":
                line = _("{when}: {name} answered the reporter: {text}").format(
                    when=when, name=await name(item.actor_id), text=await said(item)
                )
            elif item.actor_id is not None and item.actor_id != report.reporter_id:
                # Households that said "me too" stay unnamed here, also when entered for them.
                line = _("{when}: a household that said “me too” wrote: {text}").format(
                    when=when, text=await said(item)
                ) + await via(item.actor_id, False)
            else:
                line = _("{when}: the reporter wrote: {text}").format(
                    when=when, text=await said(item)
                ) + await via(item.actor_id, bool(report.show_name))
            lines.append("• " + line)
        if len(lines) == 1:
            lines.append(_("Nothing has happened yet: no status change, no answer."))
        return "\n".join(lines)

    async def conversation_text(self, report: Report, language: str) -> str:
        async with self.db.transaction(mark=False) as conn:
            with i18n.use_locale(language):
                return clip(await self.history_text(conn, report), 4000)

    async def card_material(self, report: Report) -> tuple[list[str], tuple[float, float] | None]:
        """The photos and the pin of a report, for the card re-sent from /problems."""
        pin = (
            (report.lat, report.lon) if report.lat is not None and report.lon is not None else None
        )
        return await self.repo.photos(report.id), pin

    async def holders(self, reports: list[Report]) -> dict[int, str]:
        """Report id -> the display name of the worker who holds it (missing: nobody yet)."""
        out = {}
        for rep in reports:
            if rep.assigned_to is not None:
                user = await self.users.get(rep.assigned_to)
                if user is not None:
                    out[rep.id] = user.display_name
        return out

    # ----- worker side -----

    def may_act(self, roles: Any, report: Report) -> bool:
        return roles.is_admin or report.project_id in roles.worker_of

    async def _notify_reporter_tx(
        self,
        conn: aiosqlite.Connection,
        to: Recipient | None,
        report: Report,
        build,
        now: datetime,
        dedupe: str | None = None,
        followers: bool = True,
    ) -> None:
        if to is not None:
            with i18n.use_locale(to.language):
                text, rows = build()
            await self.outbox.enqueue_tx(
                conn,
                to.chat_id,
                "sendMessage",
                text_message(to.chat_id, text, rows),
                ref=f"rnote:{report.id}",
                dedupe_key=dedupe,
                now=now,
            )
        # Every household that said "me too" follows the report: it hears the same news.
        default = self.settings.default_language
        fans = await ReportsRepo.followers_tx(conn, report.id) if followers else []
        for uid, chat, language, tg_language in fans:
            if to is not None and chat == to.chat_id:
                continue
            with i18n.use_locale(i18n.resolve_language(language, tg_language, default)):
                text, rows = build()
            await self.outbox.enqueue_tx(
                conn,
                chat,
                "sendMessage",
                text_message(chat, text, rows),
                ref=f"rnote:{report.id}",
                dedupe_key=f"{dedupe}:f{uid}" if dedupe else None,
                now=now,
            )

    async def set_status(
        self, report: Report, actor: User, status: str, reason: str | None = None
    ) -> Report:
        now = self.clock.now()
        values: dict[str, Any] = {"status": status, "updated_at": to_db(now)}
        if reason is not None:
            values["status_reason"] = reason
        if report.seen_at is None:
            values["seen_at"] = to_db(now)
        if report.first_answer_at is None:
            values["first_answer_at"] = to_db(now)
        if status == "resolved":
            values["resolved_at"] = to_db(now)
            values["solved_asked_at"] = None
            values["solved_answer"] = None
        if status in ("resolved", "not_for_us"):
            values["closed_at"] = to_db(now)
        cat = await self.repo.category(report.project_id, report.category_id)
        to = await self.recipient(report.reporter_id)
        async with self.db.transaction() as conn:
            await ReportsRepo.update_tx(conn, report.id, values)
            await ReportsRepo.event_tx(
                conn,
                report.id,
                "status",
                now,
                actor_id=actor.id,
                old_status=report.status,
                new_status=status,
                reason=reason,
            )

            def build():
                text = _("Update on your report {ref} ({category}): {status}").format(
                    ref=report.reference,
                    category=self.category_label(cat),
                    status=status_label(status),
                )
                if reason:
                    text += "\n" + _("Reason: {reason}").format(reason=esc(reason))
                return text, [[Button(_("📋 My reports"), cb("rep", "my", report.id))]]

            await self._notify_reporter_tx(conn, to, report, build, now)
            await self.edit_cards_tx(conn, report.id, now)
            updated = await ReportsRepo.get_tx(conn, report.id)
        self.outbox.wake()
        assert updated is not None
        return updated

    async def relay_to_reporter(
        self, report: Report, worker: User, text: str | None, voice: str | None
    ) -> bool:
        now = self.clock.now()
        to = await self.recipient(report.reporter_id)
        if to is None:
            return False
        async with self.db.transaction() as conn:
            await ReportsRepo.message_tx(
                conn, report.id, "to_reporter", worker.id, now, text=text, voice=voice
            )
            values: dict[str, Any] = {"updated_at": to_db(now)}
            if report.first_answer_at is None:
                values["first_answer_at"] = to_db(now)
            if report.seen_at is None:
                values["seen_at"] = to_db(now)
            if report.status == "new":
                # Whoever answered has seen it: "new" next to a first-answer time is a lie.
                values["status"] = "seen"
            await ReportsRepo.update_tx(conn, report.id, values)
            if report.status == "new":
                await ReportsRepo.event_tx(
                    conn,
                    report.id,
                    "status",
                    now,
                    actor_id=worker.id,
                    old_status="new",
                    new_status="seen",
                )
                await self.edit_cards_tx(conn, report.id, now)
            with i18n.use_locale(to.language):
                head = _("💬 Answer from the project worker about your report {ref}:").format(
                    ref=report.reference
                )
                rows = [[Button(_("💬 Answer"), cb("rep", "ans", report.id))]]
            if await self._relay_translated_tx(conn, to, worker, report, head, text, voice, rows):
                pass  # in her language, the original one tap away (issue 15)
            elif voice:
                await self.outbox.enqueue_tx(
                    conn,
                    to.chat_id,
                    "sendVoice",
                    {
                        "voice": voice,
                        "caption": head,
                        "parse_mode": "HTML",
                        "reply_markup": {"inline_keyboard": [[b.to_dict() for b in rows[0]]]},
                    },
                    now=now,
                )
            else:
                body = head + "\n\n" + esc(text or "")
                await self.outbox.enqueue_tx(
                    conn, to.chat_id, "sendMessage", text_message(to.chat_id, body, rows), now=now
                )
        self.outbox.wake()
        return True

    async def relay_to_worker(
        self,
        report: Report,
        reporter: User,
        text: str | None,
        voice: str | None,
        photo: str | None,
        kind: str,
    ) -> None:
        """An answer of the reporter, or information they add later, to the responsible worker."""
        now = self.clock.now()
        responsible = await self.recipient(report.assigned_to)
        targets = [responsible] if responsible is not None else await self.admin_recipients()
        async with self.db.transaction() as conn:
            await ReportsRepo.message_tx(
                conn, report.id, "to_worker", reporter.id, now, text=text, voice=voice, photo=photo
            )
            if photo:
                await ReportsRepo.add_photos_tx(conn, report.id, [photo], reporter.id, now)
            await ReportsRepo.event_tx(conn, report.id, kind, now, actor_id=reporter.id)
            await ReportsRepo.update_tx(conn, report.id, {"updated_at": to_db(now)})
            for to in targets:
                with i18n.use_locale(to.language):
                    who = esc(reporter.display_name) if report.show_name else _("anonymous")
                    if reporter.entered_by is not None:  # assisted mode
                        who = entered_by_label(
                            report.show_name, reporter.first_name, reporter.entered_by
                        )
                    if kind == "info_added":
                        head = _("➕ More information on report {ref} from {who}:").format(
                            ref=report.reference, who=who
                        )
                    else:
                        head = _("💬 Answer on report {ref} from {who}:").format(
                            ref=report.reference, who=who
                        )
                    rows = [[Button(_("💬 Reply"), cb("rw", "reply", report.id))]]
                markup = {"inline_keyboard": [[b.to_dict() for b in rows[0]]]}
                if await self._relay_translated_tx(
                    conn, to, reporter, report, head, text, voice, rows, photo
                ):
                    pass  # in the worker's language, the original one tap away (issue 15)
                elif voice:
                    await self.outbox.enqueue_tx(
                        conn,
                        to.chat_id,
                        "sendVoice",
                        {
                            "voice": voice,
                            "caption": head,
                            "parse_mode": "HTML",
                            "reply_markup": markup,
                        },
                        ref=copy_ref(report.id, "relay_voice", reporter.id),
                        now=now,
                    )
                elif photo:
                    cap = head + ("\n" + esc(clip(text, 800)) if text else "")
                    await self.outbox.enqueue_tx(
                        conn,
                        to.chat_id,
                        "sendPhoto",
                        {
                            "photo": photo,
                            "caption": cap,
                            "parse_mode": "HTML",
                            "reply_markup": markup,
                        },
                        ref=copy_ref(report.id, "relay_photo", reporter.id),
                        now=now,
                    )
                else:
                    await self.outbox.enqueue_tx(
                        conn,
                        to.chat_id,
                        "sendMessage",
                        text_message(to.chat_id, head + "\n\n" + esc(text or ""), rows),
                        ref=copy_ref(report.id, "relay_text", reporter.id),
                        now=now,
                    )
        self.outbox.wake()

    async def _relay_translated_tx(
        self,
        conn: aiosqlite.Connection,
        to: Recipient,
        sender: User,
        report: Report,
        head: str,
        text: str | None,
        voice: str | None,
        rows: list[list[Button]],
        photo: str | None = None,
    ) -> bool:
        """A relayed text or voice note that needs translating or transcribing for its reader:
        queued with a note, completed later (bot/domain/translation.py). False: send as is."""
        if self.auto_text is None:
            return False
        return await self.auto_text.relay_tx(
            conn,
            chat_id=to.chat_id,
            reader_id=to.user_id,
            subject_id=sender.id,
            source=self.lang_of(sender),
            target=to.language,
            head=head,
            text=text,
            voice=voice,
            markup={"inline_keyboard": [[b.to_dict() for b in row] for row in rows]},
            report_id=report.id,
            now=self.clock.now(),
            photo=photo,
        )

    async def reassign(self, report: Report, actor: User, worker_id: int) -> Report:
        """The report goes to a colleague: the other cards become "handed to <colleague>"
        without buttons, and the colleague gets who handed it over and its history (statuses,
        the answers given: what was promised), then the card."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            updated = await self._assign_tx(conn, report, worker_id, now, actor=actor)
        self.outbox.wake()
        return updated

    async def _assign_tx(
        self,
        conn: aiosqlite.Connection,
        report: Report,
        worker_id: int,
        now: datetime,
        *,
        actor: User | None,
    ) -> Report:
        to = await self.recipient(worker_id)
        reporter = await self.users.get(report.reporter_id) if report.reporter_id else None
        cat = await self.repo.category(report.project_id, report.category_id)
        hood_name = await self.hood_name(report.neighbourhood_id)
        await ReportsRepo.update_tx(
            conn, report.id, {"assigned_to": worker_id, "updated_at": to_db(now)}
        )
        await ReportsRepo.event_tx(
            conn,
            report.id,
            "assigned",
            now,
            actor_id=actor.id if actor else None,
            target_id=worker_id,
        )
        await ReportsRepo.hand_cards_tx(conn, report.id, to.chat_id if to else None, worker_id)
        await self.edit_cards_tx(conn, report.id, now)
        updated = await ReportsRepo.get_tx(conn, report.id)
        assert updated is not None
        if to is not None:
            if actor is not None:
                with i18n.use_locale(to.language):
                    head = _("👥 {name} handed report {ref} over to you.").format(
                        name=esc(actor.display_name), ref=report.reference
                    )
                    text = clip(head + "\n\n" + await self.history_text(conn, updated), 4000)
                await self.outbox.enqueue_tx(
                    conn,
                    to.chat_id,
                    "sendMessage",
                    text_message(to.chat_id, text),
                    ref=copy_ref(report.id, "history", report.reporter_id),
                    now=now,
                )
            photos = await ReportsRepo.photos_tx(conn, report.id)
            count = await ReportsRepo.me_too_count_tx(conn, report.id)
            await self.enqueue_card(
                conn,
                updated,
                to,
                cat,
                photos,
                reporter,
                now,
                me_too=count,
                hood_name=hood_name,
                voices=await ReportsRepo.voices_tx(conn, report.id),
            )
        return updated

    async def adopt_unassigned(self, project_id: int, worker_id: int) -> int:
        """A worker joined: every open report of the project that nobody holds (filed before
        the project had a worker) becomes theirs, with its card and an entry in their digest
        (through the "assigned" event); the reporter is told a worker has it now. Only
        reports nobody holds, so the first worker to join gets them all. Returns how many."""
        orphans = await self.repo.unassigned_open(project_id)
        if not orphans:
            return 0
        now = self.clock.now()
        async with self.db.transaction(mark=False) as conn:
            for report in orphans:
                await self._assign_tx(conn, report, worker_id, now, actor=None)
                to = await self.recipient(report.reporter_id)

                def build(report: Report = report) -> tuple[str, list[list[Button]]]:
                    text = _("Your report {ref} is now with a project worker.").format(
                        ref=report.reference
                    )
                    return text, [[Button(_("📋 My reports"), cb("rep", "my", report.id))]]

                await self._notify_reporter_tx(
                    conn, to, report, build, now, dedupe=f"adopted:{report.id}"
                )
        self.outbox.wake()
        return len(orphans)

    @staticmethod
    async def _reopen_tx(
        conn: aiosqlite.Connection,
        report: Report,
        actor_id: int,
        now: datetime,
        changes: dict[str, Any],
        reason: str | None = None,
    ) -> None:
        """Open a closed report again (in progress), with the event that says who did it."""
        fields: dict[str, Any] = {
            "status": "in_progress",
            "reopened_count": report.reopened_count + 1,
            "reopened_at": to_db(now),
            "resolved_at": None,
            "closed_at": None,
            "updated_at": to_db(now),
        }
        await ReportsRepo.update_tx(conn, report.id, {**fields, **changes})
        await ReportsRepo.event_tx(
            conn,
            report.id,
            "reopened",
            now,
            actor_id=actor_id,
            old_status=report.status,
            new_status="in_progress",
            reason=reason,
        )

    async def reopen(self, report: Report, actor: User) -> Report:
        """The explicit way back: a worker opens a closed report again (in progress)."""
        now = self.clock.now()
        cat = await self.repo.category(report.project_id, report.category_id)
        to = await self.recipient(report.reporter_id)
        async with self.db.transaction() as conn:
            await self._reopen_tx(
                conn, report, actor.id, now, {"solved_asked_at": None, "solved_answer": None}
            )

            def build() -> tuple[str, list[list[Button]]]:
                text = _("Update on your report {ref} ({category}): {status}").format(
                    ref=report.reference,
                    category=self.category_label(cat),
                    status=status_label("in_progress"),
                )
                return text, [[Button(_("📋 My reports"), cb("rep", "my", report.id))]]

            await self._notify_reporter_tx(conn, to, report, build, now)
            await self.edit_cards_tx(conn, report.id, now)
            updated = await ReportsRepo.get_tx(conn, report.id)
        self.outbox.wake()
        assert updated is not None
        return updated

    async def on_card_failed(self, ref: str, chat_id: int, state: str) -> None:
        """The worker cannot be reached (blocked the bot): the project's other workers and the
        admins get the report instead, and this is recorded."""
        try:
            report_id = int(ref.split(":", 1)[1])
        except (IndexError, ValueError):
            return
        report = await self.repo.get(report_id)
        if report is None:
            return
        now = self.clock.now()
        failed = await self.users.by_tg(chat_id)
        targets: dict[int, Recipient] = {}
        for uid in await self.projects.worker_ids(report.project_id):
            r = await self.recipient(uid)
            if r is not None and r.chat_id != chat_id:
                user = await self.users.get(uid)
                if user is not None and user.unreachable_at is None:
                    targets[r.chat_id] = r
        for r in await self.admin_recipients():
            if r.chat_id != chat_id:
                targets.setdefault(r.chat_id, r)
        reporter = await self.users.get(report.reporter_id) if report.reporter_id else None
        cat = await self.repo.category(report.project_id, report.category_id)
        photos = await self.repo.photos(report.id)
        voices = await self.repo.voices(report.id)
        count = await self.repo.me_too_count(report.id)
        hood_name = await self.hood_name(report.neighbourhood_id)
        async with self.db.transaction(mark=False) as conn:
            await ReportsRepo.event_tx(
                conn,
                report.id,
                "undeliverable",
                now,
                target_id=failed.id if failed else None,
                reason=state,
            )
            for to in targets.values():
                await self.enqueue_card(
                    conn,
                    report,
                    to,
                    cat,
                    photos,
                    reporter,
                    now,
                    me_too=count,
                    hood_name=hood_name,
                    dedupe=f"reroute:{report.id}:{to.chat_id}",
                    voices=voices,
                )
            if targets:
                await ReportsRepo.event_tx(
                    conn,
                    report.id,
                    "rerouted",
                    now,
                    reason=",".join(str(t.user_id or "admin") for t in targets.values()),
                )
        self.outbox.wake()

    # ----- resident side after reporting -----

    async def withdraw(self, report: Report, user: User) -> None:
        now = self.clock.now()
        to = await self.recipient(report.assigned_to)
        async with self.db.transaction() as conn:
            await ReportsRepo.update_tx(
                conn,
                report.id,
                {"status": "withdrawn", "updated_at": to_db(now), "closed_at": to_db(now)},
            )
            await ReportsRepo.event_tx(
                conn,
                report.id,
                "withdrawn",
                now,
                actor_id=user.id,
                old_status=report.status,
                new_status="withdrawn",
            )
            await self.edit_cards_tx(conn, report.id, now)
            if to is not None:
                with i18n.use_locale(to.language):
                    text = _("↩️ Report {ref} was withdrawn by the reporter.").format(
                        ref=report.reference
                    )
                await self.outbox.enqueue_tx(
                    conn, to.chat_id, "sendMessage", text_message(to.chat_id, text), now=now
                )
            cat = await self.repo.category(report.project_id, report.category_id)

            def build() -> tuple[str, list[list[Button]]]:
                text = _("Update on your report {ref} ({category}): {status}").format(
                    ref=report.reference,
                    category=self.category_label(cat),
                    status=status_label("withdrawn"),
                )
                return text, [[Button(_("📋 My reports"), cb("rep", "my", report.id))]]

            # The households that said "me too" hear the outcome (the reporter knows it).
            await self._notify_reporter_tx(conn, None, report, build, now)
        self.outbox.wake()

    async def solved_answer(
        self, report: Report, user: User, solved: bool, reason: str | None = None
    ) -> None:
        now = self.clock.now()
        to = await self.recipient(report.assigned_to)
        targets = [to] if to else await self.admin_recipients()
        async with self.db.transaction() as conn:
            if solved:
                await ReportsRepo.update_tx(
                    conn, report.id, {"solved_answer": "yes", "updated_at": to_db(now)}
                )
                await ReportsRepo.event_tx(conn, report.id, "solved_yes", now, actor_id=user.id)
            else:
                await self._reopen_tx(
                    conn,
                    report,
                    user.id,
                    now,
                    {"solved_answer": "no", "status_reason": reason},
                    reason=reason,
                )
                await self.edit_cards_tx(conn, report.id, now)
                for t in targets:
                    with i18n.use_locale(t.language):
                        text = (
                            _(
                                "🔁 Report {ref} is not solved, says the reporter. It is open "
                                "again."
                            ).format(ref=report.reference)
                            + "\n"
                            + _("Reason: {reason}").format(reason=esc(reason or ""))
                        )
                        rows = [[Button(_("💬 Reply"), cb("rw", "reply", report.id))]]
                    await self.outbox.enqueue_tx(
                        conn,
                        t.chat_id,
                        "sendMessage",
                        text_message(t.chat_id, text, rows),
                        ref=copy_ref(report.id, "relay_text", user.id),  # her reason
                        now=now,
                    )
        self.outbox.wake()

    # ----- scheduled work -----

    async def ask_solved(self, now: datetime) -> None:
        cutoff = now - timedelta(days=self.settings.report_solved_check_days)
        rows = await self.repo.resolved_unasked(cutoff)
        for rid in rows:
            report = await self.repo.get(rid)
            if report is None:
                continue
            cat = await self.repo.category(report.project_id, report.category_id)
            to = await self.recipient(report.reporter_id)
            async with self.db.transaction(mark=False) as conn:
                await ReportsRepo.update_tx(conn, rid, {"solved_asked_at": to_db(now)})

                def build(
                    report: Report = report, cat: Category | None = cat, rid: int = rid
                ) -> tuple[str, list[list[Button]]]:
                    text = _(
                        "Your report {ref} ({category}) was marked as resolved. Is the problem "
                        "solved?"
                    ).format(ref=report.reference, category=self.category_label(cat))
                    return text, [
                        [
                            Button(_("👍 Yes, solved"), cb("rep", "sy", rid)),
                            Button(_("👎 No"), cb("rep", "sn", rid)),
                        ]
                    ]

                await self._notify_reporter_tx(
                    conn,
                    to,
                    report,
                    build,
                    now,
                    dedupe=f"solved:{rid}:{report.resolved_at}",
                    followers=False,  # the question is the reporter's to answer
                )
        if rows:
            self.outbox.wake()

    async def escalate(self, now: datetime) -> None:
        cutoff = now - timedelta(days=self.settings.report_escalate_days)
        rows = await self.repo.unseen_unescalated(cutoff)
        if not rows:
            return
        admins = await self.admin_recipients()
        for rid in rows:
            report = await self.repo.get(rid)
            if report is None:
                continue
            project = await self.projects.get(report.project_id)
            cat = await self.repo.category(report.project_id, report.category_id)
            async with self.db.transaction(mark=False) as conn:
                await ReportsRepo.update_tx(conn, rid, {"escalated_at": to_db(now)})
                await ReportsRepo.event_tx(conn, rid, "escalated", now)
                for a in admins:
                    with i18n.use_locale(a.language):
                        text = ngettext(
                            (
                                "⚠️ Report {ref} ({category}, project {project}) has not been "
                                "seen for {days} day."
                            ),
                            (
                                "⚠️ Report {ref} ({category}, project {project}) has not been "
                                "seen for {days} days."
                            ),
                            self.settings.report_escalate_days,
                        ).format(
                            ref=report.reference,
                            category=self.category_label(cat),
                            project=esc(project.name if project else "?"),
                            days=self.settings.report_escalate_days,
                        )
                        rows_ = self.worker_buttons(report, None)
                    await self.outbox.enqueue_tx(
                        conn,
                        a.chat_id,
                        "sendMessage",
                        text_message(a.chat_id, text, rows_),
                        dedupe_key=f"escalate:{rid}:{a.chat_id}",
                        now=now,
                    )
        self.outbox.wake()

    # ----- digests -----

    def last_slot(
        self, now: datetime, frequency: str, time_local: str, weekday: int
    ) -> datetime | None:
        if frequency == "off":
            return None
        local = now.astimezone(self.settings.tz)
        hh, mm = (int(x) for x in time_local.split(":"))
        slot = local.replace(hour=hh, minute=mm, second=0, microsecond=0)
        if frequency == "weekly":
            slot -= timedelta(days=(slot.weekday() - weekday) % 7)
            if slot > local:
                slot -= timedelta(days=7)
        elif slot > local:
            slot -= timedelta(days=1)
        return slot

    async def digest_text(
        self, worker: User, since: datetime, now: datetime, listed: list[int] | None = None
    ) -> str | None:
        """The digest for one worker in the current locale; None when there is nothing to say.
        ``listed`` collects the reports it quotes (recorded as copies, for /forget)."""
        uid = worker.id
        new = await self.repo.new_for(uid, since, now)
        wait_cut = now - timedelta(days=self.settings.digest_waiting_days)
        esc_cut = to_db(now - timedelta(days=self.settings.report_escalate_days))
        waiting = await self.repo.waiting_for(uid, wait_cut)
        reopened = await self.repo.reopened_for(uid, since, now)
        metoo = await self.repo.me_too_since(uid, since, now)
        told = await AssistRepo(self.db).news_since(uid, since, now)  # assisted mode
        if not (new or waiting or reopened or metoo or told):
            return None
        counts = await self.repo.open_per_category(uid)

        async def line(report: Report) -> str:
            cat = await self.repo.category(report.project_id, report.category_id)
            snippet = report_snippet(report, 60)
            if listed is not None:
                listed.append(report.id)
            return f"• <b>{report.reference}</b> {self.category_label(cat)} – {snippet}"

        parts = [_("📰 <b>Your digest</b> ({date})").format(date=i18n.format_datetime(now))]
        if new:
            parts += [
                "",
                ngettext("<b>{n} new report</b>", "<b>{n} new reports</b>", len(new)).format(
                    n=len(new)
                ),
            ]
            parts += [await line(r) for r in new[:30]]
        if waiting:
            parts += [
                "",
                ngettext(
                    "<b>{n} report waiting for a first answer for more than {days} days</b>",
                    "<b>{n} reports waiting for a first answer for more than {days} days</b>",
                    len(waiting),
                ).format(n=len(waiting), days=self.settings.digest_waiting_days),
            ]
            for r in waiting[:30]:
                flag = (
                    " ⚠️ " + _("not seen") if (r.seen_at is None and r.created_at <= esc_cut) else ""
                )
                parts.append(await line(r) + flag)
        if reopened:
            parts += [
                "",
                ngettext(
                    "<b>{n} report opened again</b>",
                    "<b>{n} reports opened again</b>",
                    len(reopened),
                ).format(n=len(reopened)),
            ]
            parts += [await line(r) for r in reopened[:30]]
        if metoo:
            parts += ["", _("<b>New “me too”s</b>")]
            parts += [f"• <b>{ref}</b>: +{n}" for ref, n in metoo[:30]]
        if told:
            parts += ["", _("<b>📞 News you passed on to residents without Telegram</b>")]
            parts += [
                f"• {esc(n.first_name or '?')}: {esc(clip(n.summary, 80))}" for n in told[:30]
            ]
        if counts:
            parts += ["", _("<b>Open reports per category</b>")]
            for pid, cid, n in counts:
                parts.append(f"• {self.category_label(await self.repo.category(pid, cid))}: {n}")
        return clip("\n".join(parts), 4000)

    async def digest_window_start(self, user_id: int) -> datetime:
        setting = await self.repo.digest_setting(user_id)
        if setting.last_sent_at:
            return from_db(setting.last_sent_at)
        joined = await self.repo.worker_since(user_id)
        # Joined in the same second as a report (tests, fast set-ups) must still see it.
        return (joined or self.clock.now()) - timedelta(minutes=1)

    async def mark_digest_sent(self, user_id: int, now: datetime) -> None:
        await self.repo.set_digest(user_id, now, last_sent_at=to_db(now))

    async def run_digests(self, now: datetime) -> None:
        for due in await self.repo.digest_schedule():
            uid, joined, freq, tlocal, wday, last = (
                due.user_id,
                due.joined_at,
                due.frequency,
                due.time_local,
                due.weekday,
                due.last_sent_at,
            )
            slot = self.last_slot(
                now, freq or "daily", tlocal or self.settings.digest_time, wday or 0
            )
            if slot is None:
                continue
            # The window starts at the last digest really sent (or when they joined); an
            # empty slot only records that it was looked at (checked_at).
            since = from_db(last) or ((from_db(joined) or now) - timedelta(minutes=1))
            looked = from_db(due.checked_at)
            if since is None or since >= slot or (looked is not None and looked >= slot):
                continue
            user = await self.users.get(uid)
            if user is None or user.tg_id is None:
                continue
            listed: list[int] = []
            with i18n.use_locale(self.lang_of(user)):
                text = await self.digest_text(user, since, now, listed)
                rows_ = [[Button(_("⚙️ Digest settings"), cb("dg", "set"))]]
            async with self.db.transaction(mark=False) as conn:
                if text:
                    await self.outbox.enqueue_tx(
                        conn,
                        user.tg_id,
                        "sendMessage",
                        text_message(user.tg_id, text, rows_),
                        # The reports it quotes: recorded when sent, so /forget reaches it.
                        ref="rdig:" + ",".join(str(i) for i in dict.fromkeys(listed)),
                        dedupe_key=f"digest:{uid}:{slot.isoformat(timespec='minutes')}",
                        now=now,
                    )
                    await ReportsRepo.mark_digest_sent_tx(conn, uid, self.settings.digest_time, now)
                else:
                    await ReportsRepo.mark_digest_checked_tx(
                        conn, uid, self.settings.digest_time, now
                    )
            if text:
                self.outbox.wake()
