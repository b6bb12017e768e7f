"""Static checks as part of the one test command (`.ci/run`): ruff's lint rules and format, and
mypy over the product packages, each with the configuration in pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What ruff looks at: the product, the tests and the benchmarks (mypy: [tool.mypy] packages).
RUFF_PATHS = ["bot", "handlers", "storage", "tests", "bench"]


def _tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def test_ruff_check_passes():
    """The rule sets selected in [tool.ruff.lint] (E, W, F, I, B, UP, SIM) at 100 columns."""
    result = _run(_tool("ruff"), "check", "--no-cache", "--output-format", "concise", *RUFF_PATHS)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_ruff_format_check_passes():
    """Every file is as `ruff format` writes it ([tool.ruff.format])."""
    result = _run(_tool("ruff"), "format", "--check", "--no-cache", *RUFF_PATHS)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_mypy_passes():
    """mypy over the product packages as [tool.mypy] configures them (bot, handlers, storage)."""
    mypy = _tool("mypy")
    # No cache in the tree: a run from a fresh clone and one after edits check the same thing.
    result = _run(mypy, "--no-incremental", "--cache-dir", "/dev/null")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
