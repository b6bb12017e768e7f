"""Counts read right in every language: the natural paths where "1 leden" / "1 van 1 mensen"
were seen (issue 14). The general rule is checked by tests/test_i18n.py and tests/conftest.py."""

from __future__ import annotations

from tests.e2e_helpers import setup_world
from tests.test_meetings import plan


async def test_meeting_for_a_group_of_one_says_one_member(h, admin):
    sofie, jan, payload = await setup_world(h, admin)  # Jan is the group's one member so far
    await plan(h, jan)
    sent = [str(c.params.get("text", "")) for c in h.api.calls_to(jan.id)]  # before any edit
    asks = [t for t in sent if "Versturen naar" in t]
    assert asks and "Versturen naar 1 lid van Huurders Rabot?" in asks[-1], asks
    assert not any("1 leden" in t for t in sent)
