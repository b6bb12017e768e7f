"""Personal data on disk: the database, its WAL/SHM, backups and exports are 0600 in a 0700
directory; a backup of a database that is not there fails and creates nothing; and each deployment
has one database path, the same in its unit or image as in the docs."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from storage.db import Database

ROOT = Path(__file__).resolve().parent.parent
# The documented database of each deployment (README / docs say exactly these).
SYSTEMD_DB = "/var/lib/buurtbot/buurtbot.sqlite3"
DOCKER_DB = "/data/buurtbot.sqlite3"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "TELEGRAM_", "DATABASE_", "LOG_"))
    }
    clean.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_database_wal_shm_and_backup_are_private_even_with_a_lax_umask(tmp_path):
    old = os.umask(0o022)  # the usual umask, which made them 0644
    try:
        db = Database(tmp_path / "data" / "buurtbot.sqlite3")
        await db.open()
        try:
            await db.migrate()
            await db.backup(tmp_path / "backups" / "copy.sqlite3")
            files = {p.name: mode(p) for p in (tmp_path / "data").iterdir()}
        finally:
            await db.close()
    finally:
        os.umask(old)
    assert files == {
        "buurtbot.sqlite3": 0o600,
        "buurtbot.sqlite3-wal": 0o600,
        "buurtbot.sqlite3-shm": 0o600,
    }
    assert mode(tmp_path / "data") == 0o700 and mode(tmp_path / "backups") == 0o700
    assert mode(tmp_path / "backups" / "copy.sqlite3") == 0o600


async def test_an_existing_readable_database_is_tightened(tmp_path):
    path = tmp_path / "old.sqlite3"
    sqlite3.connect(path).close()
    path.chmod(0o644)  # as earlier versions left it
    db = Database(path)
    await db.open()
    await db.close()
    assert mode(path) == 0o600


def test_export_file_is_private(tmp_path):
    env = {"DATABASE_PATH": str(tmp_path / "db.sqlite3")}
    assert cli(["migrate"], tmp_path, **env).returncode == 0
    out = tmp_path / "exports" / "reports.csv"
    r = cli(
        ["export", "--project", "all", "--from", "2024-01-01", "--to", "2024-12-31"]
        + ["--output", str(out)],
        tmp_path,
        **env,
    )
    assert r.returncode == 0, r.stderr
    assert mode(out) == 0o600 and mode(out.parent) == 0o700


def test_backup_of_a_missing_database_fails_and_creates_nothing(tmp_path):
    # An operator with a wrong DATABASE_PATH (the old `data/` inside the state directory).
    wrong = tmp_path / "data" / "buurtbot.sqlite3"
    target = tmp_path / "backups" / "buurtbot-2025-01-01.sqlite3"
    r = cli(["backup", str(target)], tmp_path, DATABASE_PATH=str(wrong))
    assert r.returncode != 0
    assert r.stderr.count("\n") == 1 and "no database at" in r.stderr
    assert str(wrong) in r.stderr and "DATABASE_PATH" in r.stderr and "Traceback" not in r.stderr
    assert "backup written" not in r.stdout
    assert list(tmp_path.iterdir()) == []  # no empty source, no empty target, no directories


def _unit() -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for line in (ROOT / "deploy" / "buurtbot.service").read_text().splitlines():
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, _, value = line.partition("=")
            keys.setdefault(key.strip(), []).append(value.strip())
    return keys


def _dockerfile_env() -> dict[str, str]:
    text = (ROOT / "deploy" / "Dockerfile").read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
    return env


def test_one_database_path_per_deployment():
    unit = _unit()
    unit_env = dict(v.split("=", 1) for v in unit["Environment"])
    assert unit_env["DATABASE_PATH"] == SYSTEMD_DB
    state = Path(SYSTEMD_DB).parent
    assert unit["WorkingDirectory"] == [str(state)] and unit["ReadWritePaths"] == [str(state)]
    assert unit["StateDirectory"] == ["buurtbot"] and unit["StateDirectoryMode"] == ["0700"]
    assert unit["UMask"] == ["0077"]

    docker = (ROOT / "deploy" / "Dockerfile").read_text()
    assert _dockerfile_env()["DATABASE_PATH"] == DOCKER_DB
    assert f'VOLUME ["{Path(DOCKER_DB).parent}"]' in docker
    # Same file name in both, and the same as a checkout's default (data/buurtbot.sqlite3).
    assert Path(SYSTEMD_DB).name == Path(DOCKER_DB).name == "buurtbot.sqlite3"

    # The env file (/etc/buurtbot.env, docker --env-file) wins over Environment=/ENV, so the
    # example it is copied from must not set the path; and neither does `buurtbot init`.
    example = (ROOT / ".env.example").read_text()
    assert not re.search(r"^\s*DATABASE_PATH\s*=", example, re.M)
    assert re.search(r"^# DATABASE_PATH=data/buurtbot\.sqlite3$", example, re.M)
    assert SYSTEMD_DB in example and DOCKER_DB in example
    init = (ROOT / "bot" / "cli" / "init.py").read_text()
    assert "DATABASE_PATH" not in init


def test_docs_name_the_same_database_paths():
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
    text = "\n".join(p.read_text(encoding="utf-8") for p in docs if p.exists())
    # The places the database landed before: an env file's relative path under the unit's or
    # the image's working directory.
    assert "/var/lib/buurtbot/data/" not in text and "/data/data/" not in text
    named = set(re.findall(r"(/[\w./-]*/buurtbot\.sqlite3)\b", text))
    assert named == {SYSTEMD_DB, DOCKER_DB}, named  # both deployments documented, nothing else
