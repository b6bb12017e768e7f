"""One composition root: every service is built by build_services, and what the application
holds (registry, services, privacy parts, scheduled work) belongs to it alone, so two
applications built in one process never share or overwrite each other's state."""

from __future__ import annotations

import dataclasses

from bot.domain.services import Services
from bot.playground.harness import Harness


def _service_objects(services: Services) -> list[object]:
    return [getattr(services, f.name) for f in dataclasses.fields(services)]


async def test_two_applications_in_one_process_keep_their_own_state(tmp_path):
    first = Harness(tmp_path / "one", admin_ids=[1])
    second = Harness(tmp_path / "two", admin_ids=[1])
    await first.start()
    await second.start()  # built last: under module-level registries it would overwrite the first
    try:
        a, b = first.app.bot_data, second.app.bot_data
        assert a.registry is not b.registry
        assert a.registry.commands.keys() == b.registry.commands.keys()
        assert {"report", "newmeeting", "action", "roster", "forget"} <= set(a.registry.commands)
        assert a.services is not b.services
        assert a.services.db.path != b.services.db.path
        assert a.services.scheduler.names == b.services.scheduler.names
        assert a.services.privacy.parts.keys() == {
            "reports",
            "meetings",
            "actions",
            "rosters",
            "assisted",
            "translations",
        }

        # Each /forget part works with its own application's services, not the last-built ones.
        own = {id(o) for o in _service_objects(a.services)}
        other = {id(o) for o in _service_objects(b.services)}
        for part in a.services.privacy.parts.values():
            captured = [c.cell_contents for c in (part.forget.__closure__ or ())]
            assert not [c for c in captured if id(c) in other], part.name
            assert all(id(c) in own for c in captured if type(c).__name__.endswith("Service"))

        # Both answer their own people, each from its own database.
        ann1, ann2 = first.person("Ann", user_id=1), second.person("Ann", user_id=1)
        await ann1.send("/help")
        await ann2.send("/help")
        assert "/newproject" in ann1.last_text() and "/newproject" in ann2.last_text()
        for h in (first, second):
            assert (await h.rows("SELECT COUNT(*) FROM users"))[0][0] == 1
    finally:
        await second.stop()
        await first.stop()
