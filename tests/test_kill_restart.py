"""SIGKILL the real bot (a subprocess) at random points while it works through 3,000 backlogged
(bench/kill_restart.py: 5,000) updates, restart it, and check that nothing was lost and nothing
applied twice."""

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


async def test_sigkill_during_real_flows_reports_meetings_action_calls(tmp_path):
    """Residents report through /report, Jan publishes a meeting and an action call, members
    answer; 4 SIGKILLs at random moments; then time moves to every reminder and the digest."""
    from tests.killtest_flows import run_flow_kill_test

    r = await run_flow_kill_test(tmp_path, residents=10, kills=4, seed=3, timeout=120)
    summary = r.__dict__
    assert r.kills == 4, summary
    assert r.lost == 0, summary
    assert r.references_missing == 0 and r.references_told >= 5, summary
    assert r.reports_twice == 0, summary
    assert r.outbox_not_sent == 0 and r.outbox_not_delivered == 0, summary
    assert r.outbox_delivered_twice <= r.kills, summary  # on the wire at a SIGKILL
    assert r.meeting_reminders == r.meeting_reminders_expected > 0, summary
    assert r.action_reminders == r.action_reminders_expected > 0, summary
    assert r.digests >= 1, summary
    assert r.extra["rows without a snapshot"] == 0, summary
    assert r.integrity == "ok" and r.sigterm_exit == 0, summary
