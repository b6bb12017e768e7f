from __future__ import annotations

import pytest

from bot.playground.harness import Harness

ADMIN_ID = 1


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
