"""A newcomer's first minutes on a fresh clone: `.env` copied from .env.example, a token Telegram
rejects, and `buurtbot init` driven through its standard input against the Bot API double."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.settings import EXAMPLE_TOKEN
from bot.playground.botapi_double import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
REAL_TOKEN = "7777777:AAH-the-real-token-from-botfather"


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("BOT_", "TELEGRAM_", "DATABASE_", "ADMIN_", "TIMEZONE", "DEFAULT_LANG", "LOG_")
        )
    }
    env.update(extra, PYTHONPATH=str(ROOT))
    return env


async def buurtbot(args: list[str], cwd: Path, stdin: str = "", **env: str):
    """`python -m bot ARGS` in its own process, so the double in this loop keeps answering."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=_env(env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 60)
    return proc.returncode, out.decode(), err.decode()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_example_token_from_env_example_is_one_line_exit_2(tmp_path):
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    code, out, err = await buurtbot(["run"], tmp_path)
    assert code == 2, err
    assert err.strip().count("\n") == 0, err
    assert "BOT_TOKEN" in err and "example value" in err and "@BotFather" in err
    assert EXAMPLE_TOKEN not in out + err and "Traceback" not in err
    # Database verbs still work with that .env (they need no token).
    code, out, err = await buurtbot(["migrate"], tmp_path)
    assert code == 0, err
    assert (tmp_path / "data" / "buurtbot.sqlite3").is_file()


@pytest.mark.parametrize("status", [401, 404])
async def test_token_rejected_by_telegram_is_one_line_and_never_printed(tmp_path, status):
    rejected = "5550123:AAH-secret-wrong-token"
    async with FakeBotAPI(token="1:the-token-telegram-knows") as api:
        if status == 404:  # what Telegram answers for some malformed or deleted bots' tokens
            api = FakeBotAPI(token=rejected)
            await api.start()
            api.fail_next("getMe", {"error_code": 404, "description": "Not Found"})
        base = api.base_url
        code, out, err = await buurtbot(
            ["run"],
            tmp_path,
            BOT_TOKEN=rejected,
            TELEGRAM_API_BASE_URL=base,
            TELEGRAM_FILE_BASE_URL=api.base_file_url,
            DATABASE_PATH=str(tmp_path / "db.sqlite3"),
            LOG_LEVEL="DEBUG",  # even the most talkative log keeps the token out
        )
        if status == 404:
            await api.stop()
    assert code == 2, err
    assert rejected not in out + err and "AAH-secret" not in out + err
    lines = [line for line in err.splitlines() if line.startswith("buurtbot:")]
    assert len(lines) == 1 and "BOT_TOKEN" in lines[0] and "@BotFather" in lines[0], err
    assert "Traceback" not in err


def init_answers(*lines: str) -> str:
    return "".join(line + "\n" for line in lines)


async def test_init_writes_env_that_run_accepts(tmp_path):
    async with FakeBotAPI(token=REAL_TOKEN, bot_username="wijkhuis_bot") as api:
        base = api.base_url
        code, out, err = await buurtbot(
            ["init"],
            tmp_path,
            stdin=init_answers(
                "not a token",  # asked again
                "5550123:AAH-wrong",  # rejected by Telegram (401): asked again
                REAL_TOKEN,
                "12, abc",  # not an id: asked again
                "111222333, 444555666",
                "Mars/Olympus",  # unknown zone: asked again
                "",  # Europe/Brussels
                "xx",
                "fr",
            ),
            TELEGRAM_API_BASE_URL=base,
            TELEGRAM_FILE_BASE_URL=api.base_file_url,
        )
        assert code == 0, out + err
        # The wrong token's 401 is answered before the double records a call; the good one's is.
        assert [c.method for c in api.calls] == ["getMe"]
        assert "Telegram rejected this token" in out
        env_file = tmp_path / ".env"
        assert mode(env_file) == 0o600
        text = env_file.read_text()
        assert f"BOT_TOKEN={REAL_TOKEN}\n" in text
        assert "ADMIN_IDS=111222333,444555666\n" in text
        assert "TIMEZONE=Europe/Brussels\n" in text and "DEFAULT_LANGUAGE=fr\n" in text
        assert f"TELEGRAM_API_BASE_URL={base}\n" in text
        assert "DATABASE_PATH" not in text  # the deployment's own path must win
        assert "@wijkhuis_bot" in out and "@userinfobot" in out and "@BotFather" in out
        assert REAL_TOKEN not in out + err  # typed, never echoed back
        assert "Mars/Olympus" in out and "not a Telegram user id" in out

        # An existing .env is kept unless the operator says yes.
        code, out, _ = await buurtbot(["init"], tmp_path, stdin="n\n")
        assert code == 0 and "Kept" in out and env_file.read_text() == text

        # The settings init wrote are the ones `buurtbot run`/`migrate` read (no env vars now).
        code, out, err = await buurtbot(["migrate"], tmp_path)
        assert code == 0, err
        db = tmp_path / "data" / "buurtbot.sqlite3"
        assert mode(db) == 0o600 and mode(db.parent) == 0o700


async def test_init_stopped_half_way_writes_nothing(tmp_path):
    async with FakeBotAPI(token=REAL_TOKEN) as api:
        code, out, err = await buurtbot(
            ["init"],
            tmp_path,
            stdin=init_answers(REAL_TOKEN),  # then the input ends
            TELEGRAM_API_BASE_URL=api.base_url,
        )
    assert code == 1 and "nothing was written" in err
    assert list(tmp_path.iterdir()) == []


async def test_init_without_the_network_says_so_and_writes_nothing(tmp_path):
    code, out, err = await buurtbot(
        ["init"],
        tmp_path,
        stdin=init_answers(REAL_TOKEN),
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",  # nothing listens on the discard port
    )
    assert code == 1 and "could not reach the Bot API at 127.0.0.1:9" in err, err
    assert REAL_TOKEN not in out + err
    assert list(tmp_path.iterdir()) == []
