"""A direct reply hit by 429 / 5xx / a timeout is tried again (bounded), so the person still gets
it; 400/403 are not retried; and a reply that keeps failing gives up within the wait budget.
A 429 is waited out once, by the shared pacer (which pauses every send), not by the reply."""

from __future__ import annotations

import pytest

from handlers import common


@pytest.fixture
def waits(monkeypatch, h):
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    async def fake_pause(seconds: float) -> None:
        slept.append(float(round(seconds)))  # the rest of the pause, measured on the loop

    monkeypatch.setattr(common, "_sleep", fake_sleep)
    # The 429 pause of every send (bot.core.pacing) is waited out through the same record.
    monkeypatch.setattr(h.services.outbox.pacer, "_sleep", fake_pause)
    return slept


def sends_to(h, person) -> list:
    return [c for c in h.api.calls_of("sendMessage") if c.params.get("chat_id") == person.id]


async def test_reply_after_429_waits_retry_after_and_arrives(h, waits):
    p = h.person("Rita")
    h.api.fail_next("sendMessage", {"error_code": 429, "retry_after": 3})
    await p.send("/help")
    assert waits == [3.0]
    calls = sends_to(h, p)
    assert [c.ok for c in calls] == [False, True]
    assert p.last_text()  # the help text arrived
    assert await h.rows("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL") == [(0,)]


async def test_reply_after_5xx_and_timeout_arrives(h, waits):
    p = h.person("Rita")
    h.api.fail_next("sendMessage", "500")
    h.api.fail_next("sendMessage", {"kind": "timeout", "sleep": 0.05})
    await p.send("/help")
    assert waits == list(common.REPLY_BACKOFF)
    assert [c.ok for c in sends_to(h, p)] == [False, False, True]


async def test_button_edit_is_retried_too(h, admin, waits):
    await admin.send("/newproject")
    h.api.fail_next("editMessageText", "502")
    await admin.press_data("np:cancel", admin.last())
    assert waits == [common.REPLY_BACKOFF[0]]
    edits = [c for c in h.api.calls_of("editMessageText") if c.params.get("chat_id") == admin.id]
    assert [c.ok for c in edits] == [False, True]


async def test_403_is_not_retried_and_long_retry_after_gives_up(h, waits):
    p = h.person("Rita")
    h.api.fail_next("sendMessage", "403")
    await p.send("/help")
    assert waits == []
    q = h.person("Quinten")
    h.api.fail_next("sendMessage", {"error_code": 429, "retry_after": 60})
    await q.send("/help")
    # Over the reply's wait budget: not retried; every send paused for the 60 s (faked here),
    # then the error handler's apology goes out.
    assert waits == [60]
    assert "Nothing you sent is lost" in q.last_text() or "niets" in q.last_text().lower()


async def test_attempts_are_bounded(h, waits):
    p = h.person("Rita")
    h.api.fail_next("sendMessage", "500", times=common.REPLY_ATTEMPTS)
    await p.send("/help")
    assert len(waits) == common.REPLY_ATTEMPTS - 1
    # The reply was lost after REPLY_ATTEMPTS tries; the error handler's apology got through.
    assert len(sends_to(h, p)) == common.REPLY_ATTEMPTS + 1


async def test_button_whose_edit_keeps_failing_gets_the_apology_in_the_chat(h, admin, waits):
    await admin.send("/newproject")
    h.api.fail_next("editMessageText", "500", times=common.REPLY_ATTEMPTS)
    await admin.press_data("np:cancel", admin.last())
    # The press was answered already, so the apology cannot be an alert: it comes as a message.
    assert "niets" in admin.last_text().lower() or "Nothing you sent is lost" in admin.last_text()
