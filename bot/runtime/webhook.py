"""Webhook mode: our own aiohttp server, so an update is committed to the inbox BEFORE Telegram
gets its 200 (PTB's webhook server answers first and stores later, losing what a crash catches).

Every request must carry the secret in X-Telegram-Bot-Api-Secret-Token; anything else is 403.
`GET /healthz` reports the bot's health (200 when healthy, 503 otherwise).
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.runtime.intake import ALLOWED_UPDATES
from bot.runtime.runner import Runtime

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_path(url: str) -> str:
    path = urlsplit(url).path or "/"
    return path if path.startswith("/") else "/" + path


class WebhookServer:
    def __init__(self, runtime: Runtime, url: str, secret: str, listen: str, port: int) -> None:
        if not secret:
            raise ValueError("WEBHOOK_SECRET is required in webhook mode")
        if not url.startswith("https://"):
            raise ValueError("WEBHOOK_URL must be an https:// address Telegram can reach")
        self.runtime = runtime
        self.url = url
        self.secret = secret.encode()
        self.listen = listen
        self.port = port
        self.path = webhook_path(url)
        self.accepting = True
        self.app = web.Application(client_max_size=4 * 1024 * 1024)
        self.app.router.add_post(self.path, self._on_update)
        self.app.router.add_get("/healthz", self._on_health)
        self._runner: web.AppRunner | None = None
        self.received = 0

    async def _on_update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("webhook: request without the right secret refused")
            return web.Response(status=403)
        if not self.accepting:
            # Telegram keeps it and delivers it again (to us after the restart).
            return web.Response(status=503)
        try:
            body: Any = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400)
        updates = body if isinstance(body, list) else [body]
        if not all(isinstance(u, dict) and isinstance(u.get("update_id"), int) for u in updates):
            return web.Response(status=400)
        try:
            await self.runtime.intake.accept(updates)
        except Exception:
            log.exception("webhook: could not store an update; Telegram will deliver it again")
            return web.Response(status=500)
        self.received += len(updates)
        return web.Response(status=200)

    async def _on_health(self, request: web.Request) -> web.Response:
        report = await self.runtime.health()
        report["mode"] = "webhook"
        return web.json_response(report, status=200 if report.get("healthy") else 503)

    async def start(self, set_webhook: bool = True) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        if self.port == 0:
            self.port = self._runner.addresses[0][1]
        if set_webhook:
            await self.runtime.app.bot.set_webhook(
                self.url,
                secret_token=self.secret.decode(),
                allowed_updates=ALLOWED_UPDATES,
                max_connections=40,
            )
        log.info("webhook: listening on %s:%d%s", self.listen, self.port, self.path)

    async def stop(self) -> None:
        """Stop taking updates (503: Telegram retries later), then close the server."""
        self.accepting = False
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
