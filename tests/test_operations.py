"""Running it for real: SIGTERM, webhook mode with its secret, /healthz, `buurtbot health`, and
database verbs without BOT_TOKEN."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from bot.playground.botapi_double import FakeBotAPI
from tests.killtest import ROOT, bot_env, prepare_db, start_bot


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def q(db_path: Path, sql: str):
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def until(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


def cli(args: list[str], env_extra: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "TELEGRAM_", "DATABASE_", "LOG_"))
    }
    env.update(env_extra, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_sigterm_finishes_in_flight_and_next_start_continues(tmp_path):
    loop = asyncio.get_running_loop()
    db_path, log_path = tmp_path / "db.sqlite3", tmp_path / "bot.log"
    await loop.run_in_executor(None, prepare_db, db_path)
    api = FakeBotAPI(latency=0.03)
    await api.start()
    try:
        users = [api.make_user(4_000_000 + i, f"U{i}", language_code="en") for i in range(40)]
        ids = [
            api.push_update(api.text_update(users[i % 40], "/note"))["update_id"]
            for i in range(400)
        ]
        env = bot_env(api, db_path)
        proc = start_bot(env, log_path)
        await until(lambda: len(api.calls_of("sendMessage")) >= 50)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = await loop.run_in_executor(None, lambda: proc.wait(timeout=20))
        assert code == 0
        assert time.monotonic() - t0 < 5  # in-flight finished, the rest left for the next start
        log = log_path.read_text()
        assert "left for the next start" in log and "stopped cleanly" in log
        done_first = q(db_path, "SELECT COUNT(*) FROM inbox WHERE processed_at IS NOT NULL")[0][0]
        assert done_first > 0
        proc = start_bot(env, log_path)
        await until(
            lambda: (
                q(db_path, "SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL")[0][0] == 0
                and q(db_path, "SELECT COUNT(*) FROM inbox")[0][0] == 400
            ),
            timeout=30,
        )
        proc.send_signal(signal.SIGTERM)
        assert await loop.run_in_executor(None, lambda: proc.wait(timeout=20)) == 0
        notes = dict(q(db_path, "SELECT update_id, COUNT(*) FROM kill_notes GROUP BY update_id"))
        assert sorted(notes) == sorted(ids) and set(notes.values()) == {1}
    finally:
        if proc.poll() is None:
            proc.kill()
        await api.stop()


async def test_webhook_checks_secret_stores_before_200_and_reports_health(tmp_path):
    loop = asyncio.get_running_loop()
    db_path, log_path = tmp_path / "db.sqlite3", tmp_path / "bot.log"
    await loop.run_in_executor(None, prepare_db, db_path)
    api = FakeBotAPI()
    await api.start()
    port = free_port()
    env = bot_env(
        api,
        db_path,
        WEBHOOK_URL="https://bot.example.org/tg/hook",
        WEBHOOK_SECRET="s3cret-Token_1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_LISTEN="127.0.0.1",
        LOG_FORMAT="json",
    )
    proc = start_bot(env, log_path, "--webhook")
    url = f"http://127.0.0.1:{port}"
    try:
        await until(lambda: api.webhook.get("url") == "https://bot.example.org/tg/hook")
        assert api.webhook.get("secret_token") in (None, "s3cret-Token_1")
        user = api.make_user(4_100_000, "Wendy", language_code="en")
        update = {"update_id": 777, **api.text_update(user, "/help")}
        async with aiohttp.ClientSession() as http:
            for _ in range(50):  # the server may still be starting
                try:
                    async with http.get(f"{url}/healthz") as resp:
                        health = await resp.json()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            assert health["database"] == "ok" and health["mode"] == "webhook"
            assert {
                "scheduler_running",
                "last_update_at",
                "outbox_backlog",
                "inbox_backlog",
            } <= set(health)
            async with http.post(f"{url}/tg/hook", json=update) as resp:
                assert resp.status == 403
            async with http.post(
                f"{url}/tg/hook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as resp:
                assert resp.status == 403
            assert q(db_path, "SELECT COUNT(*) FROM inbox")[0][0] == 0
            async with http.post(
                f"{url}/tg/hook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"},
            ) as resp:
                assert resp.status == 200
                # Committed before the 200 left the bot.
                assert q(db_path, "SELECT COUNT(*) FROM inbox WHERE update_id = 777")[0][0] == 1
            await until(lambda: api.sent_messages(user["id"]))
            async with http.post(
                f"{url}/tg/hook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"},
            ) as resp:
                assert resp.status == 200  # a redelivery is accepted and ignored
        proc.send_signal(signal.SIGTERM)
        assert await loop.run_in_executor(None, lambda: proc.wait(timeout=20)) == 0
        assert len(api.sent_messages(user["id"])) == 1
        records = [
            json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")
        ]
        assert any(r.get("update_id") == 777 and r.get("outcome") == "ok" for r in records)
    finally:
        if proc.poll() is None:
            proc.kill()
        await api.stop()

    # `buurtbot health` reads the same database, without BOT_TOKEN.
    r = cli(["health"], {"DATABASE_PATH": str(db_path)}, tmp_path)
    report = json.loads(r.stdout)
    assert (
        report["database"] == "ok"
        and report["inbox_backlog"] == 0
        and report["outbox_backlog"] == 0
    )
    assert report["last_update_at"] and report["scheduler_last_tick"]
    assert r.returncode == 0, r.stdout
    r = cli(["health"], {"DATABASE_PATH": str(tmp_path / "nope.sqlite3")}, tmp_path)
    assert r.returncode == 1 and json.loads(r.stdout)["database"] == "missing"


def test_database_verbs_need_no_token(tmp_path):
    env = {"DATABASE_PATH": str(tmp_path / "db.sqlite3")}
    r = cli(["migrate"], env, tmp_path)
    assert r.returncode == 0, r.stderr
    r = cli(["backup", str(tmp_path / "b.sqlite3")], env, tmp_path)
    assert r.returncode == 0, r.stderr
    assert q(tmp_path / "b.sqlite3", "PRAGMA integrity_check") == [("ok",)]
    r = cli(["run"], env, tmp_path)  # but running the bot does
    assert r.returncode == 2 and "BOT_TOKEN" in r.stderr
    r = cli(["run", "--webhook"], {**env, "BOT_TOKEN": "1:abc"}, tmp_path)
    assert r.returncode == 2 and "WEBHOOK_URL" in r.stderr
