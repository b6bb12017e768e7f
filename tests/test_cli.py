"""`buurtbot` fails clearly on bad settings, and its verbs work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(args, env_extra, cwd):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("BOT_", "TELEGRAM_", "DATABASE_", "ADMIN_", "TIMEZONE", "DEFAULT_LANG", "LOG_")
        )
    }
    env.update(env_extra)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_token_is_one_clear_line(tmp_path):
    r = run(["run"], {}, tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0
    assert "BOT_TOKEN" in r.stderr and "Traceback" not in r.stderr


def test_invalid_timezone_named(tmp_path):
    r = run(["run"], {"BOT_TOKEN": "1:abc", "TIMEZONE": "Mars/Olympus"}, tmp_path)
    assert r.returncode == 2
    assert "TIMEZONE" in r.stderr and "Traceback" not in r.stderr


def test_invalid_admin_ids_named(tmp_path):
    r = run(["run"], {"BOT_TOKEN": "1:abc", "ADMIN_IDS": "12,abc"}, tmp_path)
    assert r.returncode == 2
    assert "ADMIN_IDS" in r.stderr and "Traceback" not in r.stderr


def test_migrate_and_backup(tmp_path):
    env = {"BOT_TOKEN": "1:abc", "DATABASE_PATH": str(tmp_path / "db.sqlite3")}
    r = run(["migrate"], env, tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "db.sqlite3").exists()
    r = run(["backup", str(tmp_path / "backup.sqlite3")], env, tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "backup.sqlite3").stat().st_size > 0
