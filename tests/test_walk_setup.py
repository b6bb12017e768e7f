"""Ann, coordinator of an institute, sets it up the way the README tells her: she copies the
example, writes her own projects and neighbourhoods in it (with the slips people make: a
misspelt neighbourhood, an English category key for her Dutch one, a name with a capital, a
decimal comma), reads what `buurtbot setup` says, fixes the file, runs it again, and sends the
invites. Every line she reads must say what to write instead, and the run's report must say
which rule and which roles it made, in names she wrote."""

from __future__ import annotations

import shutil

from tests.test_setup_file import EXAMPLE, buurtbot, payloads

HERS = """\
[people.lies]
name = "Lies Janssens"

[people.ahmed]
name = "Ahmed El Amrani"

[people.mieke]
name = "Mieke Claes"

[[projects]]
key = "kiel"
name = "Kiel"
workers = ["lies", "ahmed"]
default_worker = "Lies"

  [[projects.neighbourhoods]]
  name = "Kiel"
  lat = 51.1930
  lon = 4.3960

  [[projects.neighbourhoods]]
  name = "Hoboken"
  lat = 51.1750
  lon = 4.3500

  [[projects.categories]]
  key = "wonen"
  emoji = "🏠"
  name = { nl = "Wonen", fr = "Logement", en = "Housing", ar = "السكن", tr = "Konut" }

  [[projects.categories]]
  key = "energie"
  emoji = "⚡"
  name = { nl = "Energie", fr = "Énergie", en = "Energy", ar = "الطاقة", tr = "Enerji" }

  [[projects.rules]]
  neighbourhood = "Kiell"
  category = "wonen"
  worker = "lies"

  [[projects.rules]]
  category = "energy"
  worker = "ahmed"

  [[projects.groups]]
  key = "huurders-kiel"
  name = "Huurders Kiel"
  organisers = ["miekke"]

[[projects]]
key = "Seefhoek 2"
name = "Seefhoek"
workers = ["ahmed"]
default_worker = "ahmed"

  [[projects.neighbourhoods]]
  name = "Seefhoek"
  lat = 51.2270
  lon = 4.4250
"""


def line(text: str) -> int:
    return next(n for n, raw in enumerate(HERS.splitlines(), 1) if text in raw)


async def test_ann_writes_her_own_file_fixes_it_from_the_messages_and_invites(h, admin, tmp_path):
    work = tmp_path / "antwerpen"
    shutil.copytree(EXAMPLE.parent, work)
    db = str(h.services.settings.database_path)
    path = work / "antwerpen.toml"

    # First a decimal comma, as she writes numbers every day: one line, with the fix.
    path.write_text(HERS.replace("lat = 51.1750", "lat = 51,1750"))
    rc, out, err = await buurtbot("setup", "antwerpen.toml", "--database", db, cwd=work)
    assert rc == 2 and out == ""
    assert err.splitlines()[0].startswith(
        f"antwerpen.toml:{line('51.1750')}: a number takes a decimal point: 51.1750"
        " (not valid TOML:"
    )
    # A name without its closing quote.
    path.write_text(HERS.replace('name = "Hoboken"', 'name = "Hoboken'))
    rc, out, err = await buurtbot("setup", "antwerpen.toml", "--database", db, cwd=work)
    assert rc == 2
    where = line('"Hoboken"')
    assert f"antwerpen.toml:{where}: a text between quotes needs its closing quote" in err

    # The file as she wrote it: every slip says what she meant.
    path.write_text(HERS)
    rc, out, err = await buurtbot("setup", "antwerpen.toml", "--database", db, cwd=work)
    assert rc == 2
    at = {
        "default": line('default_worker = "Lies"'),
        "hood": line('"Kiell"'),
        "cat": line('category = "energy"'),
        "org": line('"miekke"'),
        "key": line('"Seefhoek 2"'),
    }
    assert err.splitlines() == [
        f"antwerpen.toml:{at['default']}: projects[0].default_worker: 'Lies' is not one of this"
        " project's workers; did you mean 'lies'?",
        f"antwerpen.toml:{at['hood']}: projects[0].rules[0].neighbourhood: 'Kiell' is not a"
        " neighbourhood of this project; did you mean 'Kiel'?",
        f"antwerpen.toml:{at['cat']}: projects[0].rules[1].category: 'energy' is not a category"
        " key of this project; did you mean 'energie'?",
        f"antwerpen.toml:{at['org']}: projects[0].groups[0].organisers[0]: 'miekke' is not in"
        " [people]; did you mean 'mieke'?",
        f"antwerpen.toml:{at['key']}: projects[1].key: a key is lower-case letters, digits, -"
        " and _, e.g. 'seefhoek-2'",
        "buurtbot setup: 5 problem(s); nothing was changed.",
    ]
    assert await h.rows("SELECT COUNT(*) FROM projects WHERE name = 'Kiel'") == [(0,)]

    # She does what the lines say; the run tells her which rule and which roles, by name.
    fixed = (
        HERS.replace('default_worker = "Lies"', 'default_worker = "lies"')
        .replace('"Kiell"', '"Kiel"')
        .replace('category = "energy"', 'category = "energie"')
        .replace('"miekke"', '"mieke"')
        .replace('"Seefhoek 2"', '"seefhoek-2"')
    )
    path.write_text(fixed)
    rc, out, err = await buurtbot("setup", "antwerpen.toml", "--database", db, cwd=work)
    assert rc == 0, err
    assert "changed: routing rule in Kiel (Kiel, wonen → Lies Janssens): new" in out
    assert (
        "changed: routing rule in Kiel (every neighbourhood, energie → Ahmed El Amrani): new" in out
    )
    assert (
        "changed: person Lies Janssens: roles (worker in Kiel, gets what no rule catches in Kiel)"
        in out
    )
    assert "changed: person Mieke Claes: roles (organiser of Huurders Kiel)" in out
    links = payloads(out)
    assert set(links) >= {"Lies Janssens", "Ahmed El Amrani", "Mieke Claes", "Huurders Kiel"}

    # Again, unchanged: nothing happens and no invites.
    rc, out2, err = await buurtbot("setup", "antwerpen.toml", "--database", db, cwd=work)
    assert (rc, out2.strip()) == (0, "no changes")

    # A rule she changes later is named too, old and new alike.
    path.write_text(fixed.replace('neighbourhood = "Kiel"', 'neighbourhood = "Hoboken"'))
    rc, out3, err = await buurtbot("setup", "antwerpen.toml", "--database", db, cwd=work)
    assert rc == 0, err
    assert "changed: routing rule in Kiel (Kiel, wonen → Lies Janssens): removed" in out3
    assert "changed: routing rule in Kiel (Hoboken, wonen → Lies Janssens): new" in out3

    # The workers use their invites; Ann hears of them, and /routing shows her rules.
    lies = h.person("Lies", language_code="nl")
    ahmed = h.person("Ahmed", language_code="nl")
    await lies.send(f"/start {links['Lies Janssens']}")
    await ahmed.send(f"/start {links['Ahmed El Amrani']}")
    await h.settle()
    assert any("Lies" in t and "Kiel" in t for t in admin.texts())
    await admin.send("/routing")
    seen = "\n".join(admin.texts()[-3:]) + " ".join(
        b for m in admin.messages()[-3:] for b in admin.button_texts(m)
    )
    assert "Kiel" in seen and "Seefhoek" in seen  # her two projects to pick from
    await admin.press("Kiel")
    print(admin.texts()[-2:], admin.button_texts())
    shown = admin.last_text()
    assert "Hoboken" in shown and "Lies" in shown and "Ahmed" in shown


def _aggregate(institute: str, cells: list[tuple[str, str, str]], reports: int) -> dict:
    """An institute's file as `buurtbot export --aggregate` writes it: every cell "<5"."""
    return {
        "format": "buurtbot-aggregate",
        "version": 1,
        "institute": institute,
        "from": "2026-01-01",
        "to": "2026-03-31",
        "made_at": "2026-04-01T09:00:00+02:00",
        "suppression": {"below": 5, "marker": "<5", "note": "counts of 1 to 4 are given as '<5'"},
        "themes": {"cleanliness": "Cleanliness", "housing": "Housing"},
        "cells": [
            {"project": p, "theme": t, "neighbourhood": None, "month": m, "reports": "<5"}
            | {"me_too": 0}
            for p, t, m in cells
        ],
        "totals": [
            {"project": p, "theme": t, "reports": None, "me_too": 0, "resolved_share": None}
            | {"median_first_answer_hours": None, "median_resolution_hours": None}
            for p, t, _m in cells
        ],
        "projects": [
            {"project": "Rabot", "reports": reports, "me_too": 0, "resolved_share": None}
            | {"median_first_answer_hours": None, "median_resolution_hours": None}
        ],
        "institute_total": {"reports": reports, "me_too": 0, "resolved_share": None}
        | {"median_first_answer_hours": None, "median_resolution_hours": None},
    }


async def test_the_sector_merges_three_files_and_the_sums_stay_within_the_totals(tmp_path):
    """Three institutes, 3 + 3 + 2 reports, each in small cells ("<5"): the sector's months
    and themes may not claim more than the institutes' exact totals (not "4–16" next to a
    total of 8), and a month that holds all of an institute's reports is exact."""
    import json
    import re

    names = []
    for name, reports in (("Gent", 3), ("Brussel", 3), ("Leuven", 2)):
        cells = [("Rabot", "housing", "2026-02"), ("Rabot", "cleanliness", "2026-02")]
        path = tmp_path / f"{name.lower()}.json"
        path.write_text(json.dumps(_aggregate(f"Samenlevingsopbouw {name}", cells, reports)))
        names.append(path.name)
    rc, out, err = await buurtbot(
        "sector-report", *names, "--output", "sector.html", "--language", "nl", cwd=tmp_path
    )
    assert rc == 0, err
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (tmp_path / "sector.html").read_text()))
    assert "Meldingen 8" in page
    assert "feb 2026 8 0" in page  # every report is in February: exact
    assert "jan 2026 0 0" in page
    theme = page[page.index("Per thema") :]
    assert "Wonen 3–8 0" in theme and "Netheid 3–8 0" in theme


async def test_ann_asks_the_sector_dossier_for_last_quarter(h, admin):
    """Quarterly reporting: on 2 March Ann wants October–December, not "the last 3 months"
    (2 December – 2 March). "Last quarter" is a button of /sector and /export."""
    from datetime import timedelta

    from tests.e2e_helpers import setup_world
    from tests.reports_helpers import file_report, join
    from tests.test_export_people import _docs

    sofie, _jan, payload = await setup_world(h, admin)
    fatima = await join(h, payload, "Fatima", "nl")
    h.clock.set(h.clock.now() - timedelta(days=80))  # mid-December
    await file_report(h, fatima, text="Schimmel in de badkamer")
    h.clock.set(h.clock.now() + timedelta(days=75))  # late February: this quarter
    await file_report(h, fatima, text="De lift is kapot")
    await h.advance_to(h.start_time)

    await admin.send("/sector")
    assert "Vorig kwartaal" in admin.button_texts()
    await admin.press("Vorig kwartaal")
    await h.settle()
    for _ in range(50):  # the dossier is made off the event loop
        if "html" in _docs(h, admin):
            break
        await h.advance(seconds=1)
    html = _docs(h, admin)["html"].decode()
    assert "1 oktober 2025 tot woensdag 31 december 2025" in html
    assert "Schimmel" not in html  # no texts in the sector dossier; the count says it
    edited = [m["text"] for m in admin.messages() if "klaar" in (m.get("text") or "")]
    assert edited and "1 melding" in edited[-1]

    # Sofie finds the same button for her project's export.
    await sofie.send("/export")
    assert "Vorig kwartaal" in sofie.button_texts()


async def test_karima_reads_a_home_screen_that_does_not_assume_a_man(h, admin):
    """Karima reads Arabic: the question on every home screen was the masculine "ماذا تريد أن
    تفعل؟"; now a form that addresses a woman and a man alike."""
    from tests.e2e_helpers import setup_world
    from tests.reports_helpers import join

    _sofie, _jan, payload = await setup_world(h, admin)
    karima = await join(h, payload, "Karima", "ar")
    await karima.send("/start")
    shown = "\n".join(karima.texts())
    assert "بماذا يمكنني مساعدتك؟" in shown
    assert "تريد أن تفعل" not in shown


async def test_run_from_another_folder_says_a_new_database_was_made(tmp_path):
    """Ann keeps her file in her documents, not in the bot's folder: without the bot's .env
    there, setup makes a new database the bot never reads, and the invites would not work.
    The last line says so, with the file's place; the next run there says nothing of it."""
    docs = tmp_path / "Documenten"
    shutil.copytree(EXAMPLE.parent, docs)
    rc, out, err = await buurtbot("setup", "institute.toml", cwd=docs)
    assert rc == 0, err
    made = docs / "data" / "buurtbot.sqlite3"
    assert out.splitlines()[-1] == (
        f"note: there was no database at {made}: a new one was made; the bot must use this same"
        " file (DATABASE_PATH in its .env; run setup in the bot's folder or give --database)"
    )
    rc, out2, err = await buurtbot("setup", "institute.toml", cwd=docs)
    assert (rc, out2.strip()) == (0, "no changes")
