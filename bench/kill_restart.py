"""SIGKILL the real bot (subprocess) 3 times at random points while it works through 5,000
backlogged updates (residents joining, writing notes, broadcasting through the outbox), restart
it each time, then count: lost, applied twice, outbox sent exactly once.

Then the same with the real features (tests/killtest_flows.py): residents report through /report,
an organiser publishes a meeting and an action call, members answer, SIGKILLs at random moments,
time moves to every reminder and the digest.

    python bench/kill_restart.py [updates] [kills] [residents for the real flows]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.killtest import run_kill_test
from tests.killtest_flows import run_flow_kill_test


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    kills = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        r = asyncio.run(run_kill_test(Path(tmp), n, kills, seed=7, timeout=110))
    print(
        f"backlog {r.updates} updates, {r.kills} SIGKILLs, {r.restarts} restarts, {r.seconds:.1f} s"
    )
    print(f"lost: {r.lost}   applied twice: {r.applied_twice}")
    print(
        f"memberships: {r.memberships}/{r.memberships_expected}"
        f"   notes: {r.notes}/{r.notes_expected}"
    )
    print(
        f"outbox: {r.outbox_sent}/{r.outbox_rows} sent, {r.outbox_not_delivered} never delivered,"
        f" {r.outbox_delivered_twice} delivered twice (on the wire at a SIGKILL,"
        " or the outbox re-send race: see tests/test_faults.py)"
    )
    print(
        f"direct replies: {r.replies_missing} missing (killed between commit and reply),"
        f" {r.replies_repeated} repeated (read-only update killed between reply and 'processed')"
    )
    print(f"integrity_check: {r.integrity}   exit code after SIGTERM: {r.sigterm_exit}")

    residents = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    with tempfile.TemporaryDirectory() as tmp:
        f = asyncio.run(
            run_flow_kill_test(Path(tmp), residents=residents, kills=6, seed=5, timeout=100)
        )
    print()
    print(
        f"real flows: {f.residents} residents, {f.updates} updates, {f.kills} SIGKILLs,"
        f" {f.seconds:.1f} s"
    )
    print(
        f"lost: {f.lost}   reports stored: {f.reports}, references told {f.references_told},"
        f" told but missing {f.references_missing}, stored twice {f.reports_twice},"
        f" filed again after a lost confirmation {f.refiled_after_lost_confirmation}"
    )
    print(
        f"outbox: {f.outbox_rows} rows, {f.outbox_not_sent} not sent,"
        f" {f.outbox_not_delivered} never delivered,"
        f" {f.outbox_delivered_twice} delivered twice (on the wire at a SIGKILL)"
    )
    print(
        f"reminders: meeting {f.meeting_reminders}/{f.meeting_reminders_expected},"
        f" action {f.action_reminders}/{f.action_reminders_expected}; digests sent {f.digests}"
    )
    print(
        f"flows restarted by people after a reply lost at a kill: {f.flows_restarted};"
        f" residents without a report: {len(f.extra.get('residents without a report', []))}"
    )
    print(f"integrity_check: {f.integrity}   exit code after SIGTERM: {f.sigterm_exit}")


if __name__ == "__main__":
    main()
