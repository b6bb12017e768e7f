"""SIGKILL the real bot (subprocess) 3 times at random points while it works through 5,000
backlogged updates (residents joining, writing notes, broadcasting through the outbox), restart
it each time, then count: lost, applied twice, outbox sent exactly once.

    python bench/kill_restart.py [updates] [kills]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.killtest import run_kill_test  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    kills = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        r = asyncio.run(run_kill_test(Path(tmp), n, kills, seed=7, timeout=110))
    print(f"backlog {r.updates} updates, {r.kills} SIGKILLs, {r.restarts} restarts, {r.seconds:.1f} s")
    print(f"lost: {r.lost}   applied twice: {r.applied_twice}")
    print(f"memberships: {r.memberships}/{r.memberships_expected}   notes: {r.notes}/{r.notes_expected}")
    print(
        f"outbox: {r.outbox_sent}/{r.outbox_rows} sent, {r.outbox_not_delivered} never delivered,"
        f" {r.outbox_delivered_twice} delivered twice (on the wire at a SIGKILL, or the outbox re-send race: see tests/test_faults.py)"
    )
    print(
        f"direct replies: {r.replies_missing} missing (killed between commit and reply),"
        f" {r.replies_repeated} repeated (read-only update killed between reply and 'processed')"
    )
    print(f"integrity_check: {r.integrity}   exit code after SIGTERM: {r.sigterm_exit}")


if __name__ == "__main__":
    main()
