"""Setting up (issue 13, "Setting up and exports"; issue 14, "People are not told"): routing
before any worker exists is no dead end, people hear who joined, and rule labels are words."""

from __future__ import annotations

from tests.e2e_helpers import links_in, make_group, make_project


async def test_routing_without_worker_offers_invite_and_admin_hears_when_she_joins(h, admin):
    await make_project(h, admin)
    await admin.send("/routing")
    await admin.press("➕")
    await admin.press("Alle buurten")
    await admin.press("🏠")
    # No dead end: the admin is offered the invite right there.
    assert "nog geen opbouwwerker" in admin.last_text()
    await admin.press("➕")  # ➕ Invite a worker
    payload = links_in(admin.last_text())[-1]
    sofie = h.person("Sofie", language_code="nl")
    await sofie.send(f"/start {payload}")
    await h.settle()
    told = admin.last_text()
    assert "Sofie" in told and "Rabot" in told and "opbouwwerker" in told
    # Now the rule can be made; its label is words, in the admin's language.
    await admin.send("/routing")
    await admin.press("➕")
    await admin.press("Alle buurten")
    await admin.press("🏠")
    await admin.press("Sofie")
    labels = admin.button_texts()
    assert "🗑 Wissen: alle buurten · 🏠 Wonen" in labels, labels
    assert "alle buurten · 🏠 Wonen → Sofie" in admin.last_text()


async def test_rule_label_in_french(h):
    anne = h.person("Anne", language_code="fr", user_id=1)
    await anne.send("/start")
    await make_project(h, anne)
    sofie = h.person("Sofie", language_code="nl")
    await anne.send("/projects")
    await anne.press("Rabot")
    await sofie.send(f"/start {links_in(anne.last_text())[-1]}")
    await anne.send("/routing")
    await anne.press("➕")
    await anne.press("Tous les quartiers")
    await anne.press("🏠")
    await anne.press("Sofie")
    assert "🗑 Supprimer : tous les quartiers · 🏠 Logement" in anne.button_texts()


async def test_worker_hears_when_an_organiser_joins(h, admin):
    await make_project(h, admin)
    sofie = h.person("Sofie", language_code="nl")
    await admin.send("/projects")
    await admin.press("Rabot")
    await sofie.send(f"/start {links_in(admin.last_text())[-1]}")
    _member, organiser_payload = await make_group(h, sofie)
    jan = h.person("Jan", language_code="tr")
    await jan.send(f"/start {organiser_payload}")
    await h.settle()
    assert "Jan" in sofie.last_text() and "trekker" in sofie.last_text()
    assert "Huurders Rabot" in sofie.last_text()
    # Jan himself is not told about himself.
    assert not any("daveti kullandı" in t for t in jan.texts())
