"""The playground: the real bot (same factory, same handlers) against the Bot API double, a
demo world, and a small web page with phones that talk to it.

The page only talks to this server (127.0.0.1): it reads the double's records (the messages the
bot sent, in their current state after edits), pushes Update JSON built by the double's own
builders, and moves the injected clock. Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import mimetypes
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.playground import demo
from bot.playground.botapi_double import Call
from bot.playground.harness import Harness
from bot.playground.text_doubles import FakeLibreTranslate, FakeWhisper

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
BOT_USERNAME = "BuurtbotDemoBot"
# Methods that change what a phone shows (getUpdates every second must not wake the page).
_QUIET = frozenset(
    {
        "getUpdates",
        "getMe",
        "getFile",
        "getMyCommands",
        "getChat",
        "logOut",
        "close",
        "deleteWebhook",
        "setWebhook",
        "getWebhookInfo",
    }
)


@dataclass
class PlaygroundHarness(Harness):
    """A Harness that also keeps what the people sent (the double keeps only the bot's side
    in order) and stamps messages with the injected clock."""

    user_messages: dict[int, list[dict[str, Any]]] = field(default_factory=dict, init=False)
    callback_users: dict[str, int] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.api_options = {
            "bot_username": BOT_USERNAME,
            "time_func": lambda: self.clock.now().timestamp(),
            **self.api_options,
        }

    async def push(self, update: dict[str, Any], settle: bool = True) -> None:
        msg = update.get("message")
        if isinstance(msg, dict) and msg.get("chat", {}).get("type") == "private":
            self.user_messages.setdefault(msg["chat"]["id"], []).append(msg)
        query = update.get("callback_query")
        if isinstance(query, dict):
            self.callback_users[str(query["id"])] = int(query["from"]["id"])
        await super().push(update, settle)


def next_time_of_day(now: datetime, at: time) -> datetime:
    """The next moment strictly after ``now`` at local time ``at``."""
    candidate = datetime.combine(now.date(), at, tzinfo=now.tzinfo)
    if candidate <= now:
        candidate = datetime.combine(now.date() + timedelta(days=1), at, tzinfo=now.tzinfo)
    return candidate


class Playground:
    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self.h: PlaygroundHarness | None = None
        self.version = 0
        self.generation = 0  # bumped by reset: the page forgets what it drew
        self._changed = asyncio.Event()
        self._lock = asyncio.Lock()  # clock moves and resets never overlap
        self.toasts: dict[int, dict[str, Any]] = {}
        # The organisation's own translation and speech-to-text servers, as doubles on
        # 127.0.0.1 (issue 15): what people write and say reaches each reader in their language.
        self.translate: FakeLibreTranslate | None = None
        self.transcribe: FakeWhisper | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._delete_db()
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        if self.translate is None:
            self.translate = await FakeLibreTranslate(phrases=demo.PHRASES).start()
            self.transcribe = await FakeWhisper(
                default_text=demo.SPOKEN[0], default_language=demo.SPOKEN[1]
            ).start()
        assert self.transcribe is not None
        h = PlaygroundHarness(
            self.db_path.parent,
            admin_ids=list(demo.ADMIN_IDS),
            start_time=demo.START,
            overrides={
                "database_path": self.db_path,
                "translate_url": self.translate.url,
                "transcribe_url": self.transcribe.url,
            },
        )
        await h.start()
        h.api.add_listener(self._on_call)
        self.h = h
        await demo.seed(h)
        self._bump()

    async def stop(self, servers: bool = True) -> None:
        if self.h is not None:
            h, self.h = self.h, None
            await h.stop()
        if servers:
            for double in (self.translate, self.transcribe):
                if double is not None:
                    await double.stop()
            self.translate = self.transcribe = None

    async def reset(self) -> None:
        async with self._lock:
            await self.stop(servers=False)
            self.toasts.clear()
            self.generation += 1
            await self.start()

    def _delete_db(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(self.db_path) + suffix).unlink(missing_ok=True)

    # ------------------------------------------------------------------ change notification

    def _bump(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    def _on_call(self, call: Call) -> None:
        if call.method in _QUIET:
            return
        if call.method == "answerCallbackQuery" and call.params.get("text") and self.h:
            uid = self.h.callback_users.get(str(call.params.get("callback_query_id")))
            if uid is not None:
                self.toasts[uid] = {
                    "text": str(call.params["text"]),
                    "alert": bool(call.params.get("show_alert")),
                    "version": self.version + 1,
                }
        self._bump()

    async def wait_change(self, since: int, timeout: float) -> None:
        if self.version != since:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    # ------------------------------------------------------------------ what the page shows

    @property
    def harness(self) -> PlaygroundHarness:
        if self.h is None:
            raise web.HTTPServiceUnavailable(text="the playground is restarting")
        return self.h

    def config(self) -> dict[str, Any]:
        h = self.harness
        return {
            "people": [
                {"id": p.id, "name": p.name, "lang": p.lang, "role": p.role, "label": p.label}
                for p in demo.PEOPLE
            ],
            "neighbourhoods": [
                {"name": n.name, "lat": n.lat, "lon": n.lon} for n in demo.NEIGHBOURHOODS
            ],
            "features": sorted({name for name, _step in demo.FEATURE_STEPS}),
            "bot": {"username": h.api.bot_username, "name": h.api.bot_first_name},
            "default_phones": [demo.RESIDENTS[0].id, demo.JAN.id, demo.SOFIE.id, demo.ANN.id],
        }

    def clock_info(self) -> dict[str, Any]:
        now = self.harness.clock.now()
        return {"iso": now.isoformat(), "text": now.strftime("%a %d %b %Y, %H:%M")}

    def commands_for(self, user_id: int) -> list[dict[str, str]]:
        api = self.harness.api
        mine = api.get_commands({"type": "chat", "chat_id": user_id})
        if mine:
            return mine
        user = api.users.get(user_id) or {}
        return api.get_commands(None, str(user.get("language_code") or "")) or api.get_commands(
            None, ""
        )

    def chat(self, user_id: int) -> dict[str, Any]:
        h = self.harness
        items = [_view(m, "bot") for m in h.api.sent_messages(user_id)]
        items += [_view(m, "me") for m in h.user_messages.get(user_id, [])]
        items.sort(key=lambda m: m["id"])
        keyboard = h.api.reply_keyboards.get(user_id)
        return {
            "messages": items,
            "keyboard": (keyboard or {}).get("keyboard"),
            "commands": self.commands_for(user_id),
            "toast": self.toasts.get(user_id),
        }

    def posters(self) -> list[dict[str, Any]]:
        """QR posters the bot handed out anywhere: a phone may 'scan' one."""
        out = []
        for m in self.harness.api.sent_messages():
            if m.get("photo") and m.get("caption"):
                for payload in demo.payloads(m["caption"]):
                    if payload.startswith("g_"):
                        title = m["caption"].split("\n")[0]
                        out.append(
                            {
                                "payload": payload,
                                "title": title,
                                "file_id": m["photo"][-1]["file_id"],
                            }
                        )
        seen: set[str] = set()
        newest_first = []
        for p in reversed(out):
            if p["payload"] not in seen:
                seen.add(p["payload"])
                newest_first.append(p)
        return newest_first

    def state(self, users: list[int]) -> dict[str, Any]:
        return {
            "version": self.version,
            "generation": self.generation,
            "clock": self.clock_info(),
            "chats": {str(u): self.chat(u) for u in users},
            "posters": self.posters(),
        }

    # ------------------------------------------------------------------ what people do

    def person(self, user_id: int) -> dict[str, Any]:
        who = demo.person_by_id(user_id)
        if who is None:
            raise web.HTTPNotFound(text="unknown demo person")
        return self.harness.api.make_user(who.id, who.name, language_code=who.lang)

    async def push(self, update: dict[str, Any]) -> None:
        h = self.harness
        try:
            await h.push(update)
        except TimeoutError:
            log.warning("playground: the bot took long to answer")
        self._bump()

    async def send_text(self, user_id: int, text: str) -> None:
        await self.push(self.harness.api.text_update(self.person(user_id), text))

    async def press(self, user_id: int, message_id: int, data: str) -> None:
        api = self.harness.api
        message = api.message(user_id, message_id)
        if message is None:
            raise web.HTTPNotFound(text="unknown message")
        await self.push(api.callback_update(self.person(user_id), message, data))

    async def send_photo(self, user_id: int, data: bytes, caption: str | None) -> None:
        await self.push(
            self.harness.api.photo_update(self.person(user_id), data=data, caption=caption or None)
        )

    async def send_voice(self, user_id: int, data: bytes, duration: int) -> None:
        await self.push(
            self.harness.api.voice_update(
                self.person(user_id), data=data, duration=max(1, duration)
            )
        )

    async def send_location(self, user_id: int, lat: float, lon: float) -> None:
        await self.push(self.harness.api.location_update(self.person(user_id), lat, lon))

    async def move_clock(self, action: str) -> None:
        async with self._lock:
            h = self.harness
            now = h.clock.now()
            if action == "hour":
                target = now + timedelta(hours=1)
            elif action == "day":
                target = now + timedelta(days=1)
            elif action == "0830":
                target = next_time_of_day(now, time(8, 30))
            else:
                raise web.HTTPBadRequest(text="unknown clock action")
            await h.advance_to(target)
            self._bump()


def _view(m: dict[str, Any], side: str) -> dict[str, Any]:
    """A message as the page draws it (plain text + Telegram entities: drawn safely in JS)."""
    out: dict[str, Any] = {
        "id": m["message_id"],
        "from": side,
        "date": m.get("date", 0),
        "edited": "edit_date" in m,
    }
    if "text" in m:
        out["text"] = m["text"]
        out["entities"] = m.get("entities", [])
    if "caption" in m:
        out["text"] = m["caption"]
        out["entities"] = m.get("caption_entities", [])
    if m.get("photo"):
        out["photo"] = m["photo"][-1]["file_id"]
    for kind in ("voice", "audio"):
        if m.get(kind):
            out["audio"] = m[kind]["file_id"]
            out["duration"] = m[kind].get("duration")
    if m.get("document"):
        doc = m["document"]
        out["document"] = {
            "file_id": doc["file_id"],
            "name": doc.get("file_name") or "file",
            "mime": doc.get("mime_type") or "",
            "size": doc.get("file_size", 0),
        }
    if m.get("location"):
        out["location"] = {"lat": m["location"]["latitude"], "lon": m["location"]["longitude"]}
        near = min(
            demo.NEIGHBOURHOODS,
            key=lambda n: (
                (n.lat - out["location"]["lat"]) ** 2 + (n.lon - out["location"]["lon"]) ** 2
            ),
        )
        out["location"]["near"] = near.name
    markup = m.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    if isinstance(markup, dict) and markup.get("inline_keyboard"):
        out["buttons"] = markup["inline_keyboard"]
    return out


# ---------------------------------------------------------------------- the web app


def make_app(pg: Playground) -> web.Application:
    routes = web.RouteTableDef()

    @routes.get("/")
    async def index(_request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    @routes.get("/static/{name}")
    async def static(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in {"app.js", "i18n.js", "style.css", "index.html"}:
            raise web.HTTPNotFound()
        return web.FileResponse(STATIC / name, headers={"Cache-Control": "no-store"})

    @routes.get("/api/config")
    async def config(_request: web.Request) -> web.Response:
        return web.json_response(pg.config())

    @routes.get("/api/state")
    async def state(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "-1"))
        wait = min(float(request.query.get("wait", "0")), 25.0)
        if wait > 0:
            await pg.wait_change(since, wait)
        users = [
            int(u)
            for u in request.query.get("users", "").split(",")
            if u.strip().lstrip("-").isdigit()
        ]
        return web.json_response(pg.state(users))

    @routes.get("/files/{file_id}")
    async def files(request: web.Request) -> web.Response:
        sf = pg.harness.api.files.get(request.match_info["file_id"])
        if sf is None:
            raise web.HTTPNotFound()
        ctype = (
            sf.content_type
            or mimetypes.guess_type(sf.filename or "")[0]
            or "application/octet-stream"
        )
        headers = {"Cache-Control": "no-store"}
        if request.query.get("download"):
            name = sf.filename or sf.file_path.rsplit("/", 1)[-1]
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return web.Response(body=sf.data, content_type=ctype.split(";")[0], headers=headers)

    async def body(request: web.Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="JSON expected") from None
        if not isinstance(data, dict):
            raise web.HTTPBadRequest(text="JSON object expected")
        return data

    def ok() -> web.Response:
        return web.json_response({"ok": True, "version": pg.version})

    @routes.post("/api/send")
    async def send(request: web.Request) -> web.Response:
        data = await body(request)
        text = str(data.get("text") or "").strip()
        if not text:
            raise web.HTTPBadRequest(text="empty text")
        await pg.send_text(int(data["user"]), text[:4096])
        return ok()

    @routes.post("/api/press")
    async def press(request: web.Request) -> web.Response:
        data = await body(request)
        await pg.press(int(data["user"]), int(data["message_id"]), str(data["data"]))
        return ok()

    @routes.post("/api/location")
    async def location(request: web.Request) -> web.Response:
        data = await body(request)
        await pg.send_location(int(data["user"]), float(data["lat"]), float(data["lon"]))
        return ok()

    @routes.post("/api/upload")
    async def upload(request: web.Request) -> web.Response:
        form = await request.post()
        user = int(str(form.get("user")))
        kind = str(form.get("kind"))
        part = form.get("file")
        if not isinstance(part, web.FileField):
            raise web.HTTPBadRequest(text="file expected")
        data = part.file.read()
        if kind == "photo":
            await pg.send_photo(user, data, str(form.get("caption") or ""))
        elif kind == "voice":
            try:
                duration = round(float(str(form.get("duration") or 3)))
            except ValueError:
                duration = 3
            await pg.send_voice(user, data, duration)
        else:
            raise web.HTTPBadRequest(text="kind is photo or voice")
        return ok()

    @routes.post("/api/clock")
    async def clock(request: web.Request) -> web.Response:
        data = await body(request)
        await pg.move_clock(str(data.get("action")))
        return web.json_response({"ok": True, "clock": pg.clock_info()})

    @routes.post("/api/reset")
    async def reset(_request: web.Request) -> web.Response:
        await pg.reset()
        return ok()

    app = web.Application(client_max_size=20 * 1024 * 1024)
    app.add_routes(routes)
    return app


async def serve(db_path: Path, host: str, port: int) -> tuple[Playground, web.AppRunner, str]:
    """Start the bot, seed the demo and serve the page; returns (playground, runner, url)."""
    pg = Playground(db_path)
    await pg.start()
    runner = web.AppRunner(
        make_app(pg), access_log=None, handle_signals=False, shutdown_timeout=0.5
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError:  # port taken: leave nothing running behind
        await runner.cleanup()
        await pg.stop()
        raise
    bound = runner.addresses[0][1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return pg, runner, f"http://{shown}:{bound}/"
