from __future__ import annotations

import pytest

from bot.core import i18n
from bot.playground.harness import Harness

ADMIN_ID = 1


@pytest.fixture(autouse=True)
def counts_go_through_ngettext():
    """Every test: a whole number formatted into a message without plural forms fails it
    ("Send it to 1 members"): counts go through ngettext (bot/core/i18n.py, check_counts)."""
    i18n.check_counts(True)
    i18n.count_misuses.clear()
    yield
    found = list(dict.fromkeys(i18n.count_misuses))
    i18n.count_misuses.clear()
    assert not found, "counts formatted into messages without plural forms:\n" + "\n".join(found)


@pytest.fixture
async def h(tmp_path):
    harness = Harness(tmp_path, admin_ids=[ADMIN_ID])
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
def admin(h):
    return h.person("Ann", language_code="nl", user_id=ADMIN_ID)
