"""What is installed is used, and only PTB's public API is imported."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("bot", "handlers", "storage")


def _sources() -> list[tuple[Path, str]]:
    return [(p, p.read_text(encoding="utf-8")) for d in PRODUCT for p in (ROOT / d).rglob("*.py")]


def test_ptb_extras_are_only_the_ones_used():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    ptb = next(d for d in deps if d.startswith("python-telegram-bot"))
    assert re.match(r"python-telegram-bot\[job-queue\]", ptb), ptb
    # The extras we dropped would only be needed by these; our own code replaces both.
    for path, text in _sources():
        assert not re.search(r"\bAIORateLimiter\(|\brun_webhook\(|\bstart_webhook\(", text), path


def test_no_private_ptb_modules():
    private = re.compile(r"^\s*(from|import)\s+telegram(\.ext)?\._", re.M)
    offenders = [str(p.relative_to(ROOT)) for p, text in _sources() if private.search(text)]
    assert offenders == []
