"""`buurtbot setup FILE.toml` (issue 17): the README's example applied twice to the database of
a running bot, then the bot behaves as the file says: the invited people get their roles by
using their links, reports are routed by the file's rules, a pin inside a boundary finds its
neighbourhood, the categories carry the reader's language."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from pathlib import Path

from tests.reports_helpers import join

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "institute.toml"
INSIDE_RABOT = (51.0595, 3.7020)  # inside the Rabot polygon, ~1.1 km from its centre


async def buurtbot(*args: str, cwd: Path, **extra: str) -> tuple[int, str, str]:
    """The real command, in its own process, next to the running bot (no BOT_TOKEN: payloads)."""
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_PATH")}
    env.update(extra)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


def payloads(output: str) -> dict[str, str]:
    """'invite for Sofie Peeters (...): w_abc' -> {'Sofie Peeters': 'w_abc'}; member links by
    group name."""
    found = {}
    for line in output.splitlines():
        m = re.match(r"^(?:invite for|member link of) (.+?) \(.*\): (\S+)$", line)
        if m:
            found[m.group(1)] = m.group(2)
    return found


async def dump(h) -> list:
    tables = ("projects", "neighbourhoods", "report_categories", "groups", "routing_rules")
    return [await h.rows(f"SELECT * FROM {t} ORDER BY id") for t in tables] + [
        await h.rows("SELECT token, kind FROM invites ORDER BY token")
    ]


async def test_example_applied_twice_then_the_bot_follows_it(h, admin, tmp_path):
    work = tmp_path / "files"
    shutil.copytree(EXAMPLE.parent, work)
    db = str(h.services.settings.database_path)
    rc, out, err = await buurtbot("setup", "institute.toml", "--database", db, cwd=work)
    assert rc == 0, err
    assert "changed: project Rabot: new" in out
    links = payloads(out)
    assert set(links) >= {"Sofie Peeters", "Karim Benali", "Jan De Smet", "Huurders Rabot"}
    assert "BOT_TOKEN" in out  # says why there are no t.me links
    before = await dump(h)

    # The second run changes nothing, says so, and prints no new invites.
    rc, out2, err = await buurtbot("setup", "institute.toml", "--database", db, cwd=work)
    assert rc == 0, err
    assert out2.strip() == "no changes"
    assert await dump(h) == before
    # --dry-run of a changed file says what would change, and changes nothing.
    text = (work / "institute.toml").read_text()
    changed = text.replace('name = "Blaisantvest"', 'name = "Muide"')
    (work / "changed.toml").write_text(changed.replace('emoji = "🏠"', 'emoji = "🏘️"'))
    rc, out3, err = await buurtbot("setup", "changed.toml", "--dry-run", "--database", db, cwd=work)
    assert rc == 0, err
    assert "would change: neighbourhood Rabot / Muide: new" in out3
    assert "would change: neighbourhood Rabot / Blaisantvest: hidden (not in the file)" in out3
    assert await dump(h) == before

    # --new-invites: fresh links for who has not joined; the old ones stop working.
    rc, out5, err = await buurtbot(
        "setup", "institute.toml", "--new-invites", "--database", db, cwd=work
    )
    assert rc == 0, err
    fresh = payloads(out5)
    assert {k for k in fresh if fresh[k][:2] in ("w_", "o_")} == {
        "Sofie Peeters",
        "Karim Benali",
        "Jan De Smet",
    }
    olga = h.person("Olga", language_code="nl")
    await olga.send(f"/start {links['Karim Benali']}")
    assert "werkt niet" in olga.last_text()
    links.update(fresh)

    # The people use their links; the admins hear of the workers, the workers of the organiser.
    sofie = h.person("Sofie", language_code="nl")
    karim = h.person("Karim", language_code="fr")
    jan = h.person("Jan", language_code="nl")
    await sofie.send(f"/start {links['Sofie Peeters']}")
    await karim.send(f"/start {links['Karim Benali']}")
    await jan.send(f"/start {links['Jan De Smet']}")
    await h.settle()
    assert any("Sofie" in t and "Rabot" in t for t in admin.texts())
    assert any("Jan" in t and "Huurders Rabot" in t for t in sofie.texts())
    assert await h.rows(
        "SELECT p.name FROM project_workers w JOIN projects p ON p.id = w.project_id"
        " JOIN users u ON u.id = w.user_id WHERE u.first_name = 'Karim' ORDER BY p.name"
    ) == [("Brugse Poort",), ("Rabot",)]

    # A resident of Huurders Rabot: the file's categories in her language; a pin inside the
    # Rabot boundary; routed to Sofie by the rule Rabot × housing.
    fatima = await join(h, links["Huurders Rabot"], "Fatima", "nl")
    await fatima.send("/report")
    cats = {b for b in fatima.button_texts() if not b.startswith("✖")}  # ✖ Cancel: every step
    assert cats == {"🏠 Wonen", "⚡ Energie", "🛣️ Straat en plein"}
    await fatima.press("🏠")
    await h.push(h.api.location_update(fatima.tg, *INSIDE_RABOT))  # the place, right after
    await fatima.send("Schimmel in de badkamer")
    await fatima.press("✅")
    await fatima.press("🙈")
    await fatima.press("❌")
    await fatima.press("✅")
    await h.settle()
    rows = await h.rows(
        "SELECT n.name, u.first_name FROM reports r JOIN neighbourhoods n"
        " ON n.id = r.neighbourhood_id JOIN users u ON u.id = r.assigned_to"
    )
    assert rows == [("Rabot", "Sofie")]
    assert any("R-2026-0001" in t for t in sofie.texts())
    # Energy goes to Karim (rule: every neighbourhood × energy), in French on his side.
    await fatima.send("/report")
    await fatima.press("⚡")
    await fatima.press("Blaisantvest")
    await fatima.send("De verwarming is kapot")
    await fatima.press("✅")
    await fatima.press("🙈")
    await fatima.press("❌")
    await fatima.press("✅")
    await h.settle()
    assert (
        await h.rows(
            "SELECT u.first_name FROM reports r JOIN users u ON u.id = r.assigned_to WHERE r.id = 2"
        )
    ) == [("Karim",)]
    assert any("⚡ Énergie" in t for t in karim.texts())

    # Blaisantvest leaves the file: hidden, not deleted (its report keeps it).
    rc, out4, err = await buurtbot("setup", "changed.toml", "--database", db, cwd=work)
    assert rc == 0, err
    assert "changed: neighbourhood Rabot / Blaisantvest: hidden (not in the file)" in out4
    assert await h.rows("SELECT hidden FROM neighbourhoods WHERE name = 'Blaisantvest'") == [(1,)]
    assert await h.rows(
        "SELECT n.name FROM reports r JOIN neighbourhoods n"
        " ON n.id = r.neighbourhood_id WHERE r.id = 2"
    ) == [("Blaisantvest",)]
    # The running bot reads the changed categories at once (another process committed).
    await fatima.send("/report")
    assert "🏘️ Wonen" in fatima.button_texts()
    await fatima.press("🏘️")
    labels = [b for m in fatima.messages()[-3:] for b in fatima.button_texts(m)]
    assert "Muide" in labels and "Blaisantvest" not in labels


async def test_invalid_file_one_line_per_problem_and_nothing_changes(h, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[people.sofie]\n"
        'name = "Sofie"\n'
        "\n"
        "[[projects]]\n"
        'name = "Rabot"\n'
        'workers = ["sofie", "nobody"]\n'
        "\n"
        "  [[projects.neighbourhoods]]\n"
        '  name = "Rabot"\n'
        "  lat = 123\n"
        "  lon = 3.7\n"
        '  boundary = "missing.geojson"\n'
        "\n"
        "  [[projects.rules]]\n"
        '  category = "housing"\n'
        '  worker = "karim"\n'
    )
    db = str(h.services.settings.database_path)
    before = await h.rows("SELECT COUNT(*) FROM projects")
    rc, out, err = await buurtbot("setup", str(bad), "--database", db, cwd=tmp_path)
    assert rc == 2
    lines = err.strip().splitlines()
    assert lines[:-1] == [
        f"{bad}:6: projects[0].workers[1]: 'nobody' is not in [people] (there are: 'sofie')",
        f"{bad}:10: projects[0].neighbourhoods[0].lat: must be between -90 and 90",
        f"{bad}:12: projects[0].neighbourhoods[0].boundary: no file missing.geojson"
        " (paths are relative to the set-up file)",
        f"{bad}:16: projects[0].rules[0].worker: 'karim' is not one of this project's workers"
        " (there are: 'sofie')",
    ]
    assert "nothing was changed" in lines[-1]
    assert await h.rows("SELECT COUNT(*) FROM projects") == before


async def test_with_bot_token_it_prints_tme_links(h, tmp_path):
    work = tmp_path / "files"
    shutil.copytree(EXAMPLE.parent, work)
    rc, out, err = await buurtbot(
        "setup",
        "institute.toml",
        "--database",
        str(h.services.settings.database_path),
        cwd=work,
        BOT_TOKEN=h.api.token,
        TELEGRAM_API_BASE_URL=h.api.base_url,
    )
    assert rc == 0, err
    links = payloads(out)
    prefix = f"https://t.me/{h.api.bot_username}?start="
    assert links["Sofie Peeters"].startswith(prefix + "w_")
    assert links["Huurders Rabot"].startswith(prefix + "g_")
    assert h.api.token not in out + err


async def test_a_worker_who_forgot_is_invited_anew_never_given_roles_again(h, tmp_path):
    work = tmp_path / "files"
    shutil.copytree(EXAMPLE.parent, work)
    db = str(h.services.settings.database_path)
    rc, out, err = await buurtbot("setup", "institute.toml", "--database", db, cwd=work)
    sofie = h.person("Sofie", language_code="nl")
    await sofie.send(f"/start {payloads(out)['Sofie Peeters']}")
    await sofie.send("/forget")
    await sofie.press("🗑")
    assert await h.rows("SELECT user_id FROM project_workers") == []
    rc, out2, err = await buurtbot("setup", "institute.toml", "--database", db, cwd=work)
    assert rc == 0, err
    assert "changed: person Sofie Peeters: left (their data was removed)" in out2
    assert "Sofie Peeters" in payloads(out2)  # a new invite, for when she comes back
    assert await h.rows("SELECT user_id FROM project_workers") == []
    assert await h.rows("SELECT COUNT(*) FROM routing_rules") == [(0,)]
