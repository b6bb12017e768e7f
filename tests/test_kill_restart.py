"""SIGKILL the real bot (a subprocess) at random points while it works through 3,000 backlogged (bench/kill_restart.py: 5,000)
updates, restart it, and check that nothing was lost and nothing applied twice."""

from __future__ import annotations


from tests.killtest import run_kill_test



async def test_sigkill_loses_nothing_and_applies_nothing_twice(tmp_path):
    r = await run_kill_test(tmp_path, n_updates=3000, kills=2, seed=11, timeout=150)
    summary = r.__dict__
    assert r.kills == 2, summary
    assert r.lost == 0, summary
    assert r.applied_twice == 0, summary
    assert r.memberships == r.memberships_expected, summary
    assert r.notes == r.notes_expected, summary
    # Every outbox row was sent and reached Telegram; a row on the wire at a SIGKILL may be sent
    # again (at-least-once for that one message, by the outbox's design).
    assert r.outbox_sent == r.outbox_rows > 0, summary
    assert r.outbox_not_delivered == 0, summary
    assert r.outbox_delivered_twice <= r.kills * 2, summary
    assert r.integrity == "ok", summary
    assert r.sigterm_exit == 0, summary
