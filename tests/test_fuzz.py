"""10,000+ generated updates of every kind, from every role, to the real bot (a subprocess, as in
production): no unhandled exception, an answer to every private message and button press, the
database intact, and no message text or name in the INFO log."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import time
from collections import Counter

from bot.playground.botapi_double import FakeBotAPI
from tests.fuzz_world import build_world, button_shapes, forge, uncovered
from tests.killtest import bot_env, start_bot
from tests.world import ROLE_IDS

N = int(os.environ.get("FUZZ_UPDATES", "10000"))
SECRET_WORD = "Qzxwvut"  # in every generated text and name: must never reach the INFO log

SPECIALS = [
    "<b>bold</b>",
    "<script>alert(1)</script>",
    "a & b",
    "&amp;",
    "&#x0;",
    "<a href='x'>",
    "</i>",
    "*bold* _it_ `code` [link](http://x) ~~s~~ ||sp||",
    "\\",
    "{name}",
    "%s %d",
    "{0}",
    "\x00",
    "مرحبا بالعالم",
    "שלום",
    "\u202eevil\u202c",
    "a\u200bb\u200cc\u200dd\ufeff",
    "😀👨‍👩‍👧",
    "\n\n\t",
    "' OR 1=1; --",
    "DROP TABLE users;",
    "null",
    "undefined",
    "\ud7ff",
    "ñ" * 3,
]
# Every registered command is added by the test (tests/fuzz_world.py enumerates the app).
COMMANDS = ["/frobnicate", "/start@buurtbot_test_bot", "/HELP", "/"]
TOKENS = ["zz"]  # the world's real invite payloads are added by the test
SHAPES = button_shapes()  # every feature's real button data, from the code
REAL_IDS: list[int] = [1, 2, 3]  # replaced by the world's real object ids


def fuzz_text(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.03:
        return SECRET_WORD + rng.choice(SPECIALS) * rng.randint(300, 1500)  # far over 4096
    parts = [rng.choice(SPECIALS) for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.5:
        parts.insert(0, rng.choice(COMMANDS))
    if rng.random() < 0.1:
        broken = (t[:2] + "x" + t[3:] for t in TOKENS)
        parts = [f"/start {rng.choice([*TOKENS, *broken, 'g_zz', 'A' * 70, '%%', ''])}"]
    return " ".join(parts + [SECRET_WORD])


def forged_data(rng: random.Random) -> str:
    if rng.random() < 0.8:  # a real button's shape with someone else's (or a broken) id
        return forge(rng, SHAPES, REAL_IDS)
    prefix = rng.choice([*SHAPES, "zz", ""])
    action = rng.choice(
        sorted({s[1] for s in SHAPES.get(prefix, ()) if len(s) > 1}) + ["", "x" * 30]
    )
    ident = rng.choice(
        ["1", "2", "3", "999999", "-1", "0", "abc", "1:2", "", "9" * 25, "nl", "ar", "xx"]
    )
    return (
        f"{prefix}:{action}:{ident}"[:64]
        if rng.random() < 0.9
        else rng.choice([prefix, f"{prefix}:", "::::"])
    )


def generate(api: FakeBotAPI, n: int, rng: random.Random) -> list[dict]:
    staff = [
        api.make_user(tg, name.title() + SECRET_WORD, language_code=rng.choice(["nl", "fr", "ar"]))
        for name, tg in ROLE_IDS.items()
    ]
    strangers = [
        api.make_user(
            7_000_000 + i,
            rng.choice(SPECIALS) + SECRET_WORD,
            language_code=rng.choice(["nl", "en", "ar", "tr", "pl", None]),
            username=rng.choice([None, f"u{i}"]),
            last_name=rng.choice([None, "<i>" + SECRET_WORD]),
        )
        for i in range(60)
    ]
    people = staff * 8 + strangers
    groups = [
        api.group_chat(-100_500 - i, "Groep " + SECRET_WORD, rng.choice(["group", "supergroup"]))
        for i in range(3)
    ]
    updates: list[dict] = []
    while len(updates) < n:
        u = rng.choice(people)
        r = rng.random()
        if r < 0.35:
            upd = api.text_update(u, fuzz_text(rng))
        elif r < 0.5:
            upd = api.callback_update(
                u,
                {
                    "message_id": rng.randint(1, 50),
                    "chat": api.private_chat(u),
                    "date": 0,
                    "text": ".",
                },
                forged_data(rng),
            )
        elif r < 0.55:
            upd = api.sticker_update(u)
        elif r < 0.58:
            upd = api.contact_update(u, own=rng.random() < 0.5)
        elif r < 0.61:
            upd = api.location_update(u, rng.uniform(-90, 90), rng.uniform(-180, 180))
        elif r < 0.63:
            upd = api.voice_update(u)
        elif r < 0.65:
            upd = api.photo_update(u, caption=rng.choice([None, fuzz_text(rng)[:1024]]))
        elif r < 0.67:
            upd = {
                "message": api._user_message(
                    u,
                    None,
                    {
                        "poll": {
                            "id": str(rng.randint(1, 10**9)),
                            "question": SECRET_WORD + "?",
                            "options": [
                                {"text": "a", "voter_count": 0, "persistent_id": "a"},
                                {"text": "b", "voter_count": 0, "persistent_id": "b"},
                            ],
                            "total_voter_count": 0,
                            "is_closed": False,
                            "is_anonymous": True,
                            "type": "regular",
                            "allows_multiple_answers": False,
                            "allows_revoting": False,
                            "members_only": False,
                        }
                    },
                )
            }
        elif r < 0.72:
            upd = api.edited_text_update(u, rng.randint(1, 20), fuzz_text(rng))
        elif r < 0.76:
            upd = api.channel_post_update(-100_900, fuzz_text(rng))
        elif r < 0.86:
            upd = api.group_text_update(u, rng.choice(groups)["id"], fuzz_text(rng))
        elif r < 0.9:
            g = rng.choice(groups)
            upd = api.edited_text_update(u, rng.randint(1, 20), fuzz_text(rng), chat=g)
        elif r < 0.95:
            chat = rng.choice([None, rng.choice(groups)])
            statuses = (
                ["member", "kicked", "left", "administrator"] if chat else ["member", "kicked"]
            )
            upd = api.my_chat_member_update(u, chat, rng.choice(statuses), rng.choice(statuses))
        elif r < 0.97:
            upd = api.poll_answer_update(u, str(rng.randint(1, 99)), [rng.randint(0, 3)])
        else:
            upd = api.document_update(u, file_name=SECRET_WORD + ".pdf")
        updates.append(api.push_update(upd))
    return updates


def _q(db_path, sql):
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_fuzz_every_kind_from_every_role(tmp_path):
    log_path = tmp_path / "bot.log"
    loop = asyncio.get_running_loop()
    db_path, ids, tokens, app_commands, patterns = await build_world(tmp_path / "world")
    # Every registered callback pattern has a real button shape to forge, every command is sent.
    assert not uncovered(patterns), uncovered(patterns)
    COMMANDS[:] = sorted({*COMMANDS, *(f"/{c}" for c in app_commands)})
    TOKENS[:] = tokens
    REAL_IDS[:] = ids
    api = FakeBotAPI()
    await api.start()
    # Telegram's update ids go on from the world's (the inbox skips ids it has seen).
    world_last = (
        await loop.run_in_executor(None, _q, db_path, "SELECT MAX(update_id) FROM inbox")
    )[0][0]
    api._next_update_id = world_last + 1
    try:
        updates = generate(api, N, random.Random(int(os.environ.get("FUZZ_SEED", "2026"))))
        forged = Counter(
            str(u["callback_query"]["data"]).split(":")[0] for u in updates if "callback_query" in u
        )
        assert set(SHAPES) <= set(forged), set(SHAPES) - set(forged)
        env = bot_env(
            api, db_path, LOG_FORMAT="json", LOG_LEVEL="INFO", ADMIN_IDS=str(ROLE_IDS["admin"])
        )
        proc = start_bot(env, log_path)
        deadline = time.monotonic() + 100
        while True:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "fuzz backlog not processed in time"
            if not api.pending_updates():
                left = (
                    await loop.run_in_executor(
                        None, _q, db_path, "SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL"
                    )
                )[0][0]
                if left == 0:
                    break
            await asyncio.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert await loop.run_in_executor(None, lambda: proc.wait(timeout=30)) == 0
        assert (
            await loop.run_in_executor(
                None, _q, db_path, f"SELECT COUNT(*) FROM inbox WHERE update_id > {world_last}"
            )
        )[0][0] == N
        assert (await loop.run_in_executor(None, _q, db_path, "PRAGMA integrity_check"))[0][
            0
        ] == "ok"
    finally:
        if proc.poll() is None:
            proc.kill()
        await api.stop()

    records = [
        json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")
    ]
    errors = [
        r for r in records if r["level"] in ("error", "critical") or r.get("outcome") == "error"
    ]
    assert not errors, errors[:3]
    assert not api.internal_errors, api.internal_errors[:3]
    per_update = [r for r in records if r.get("event") == "update"]
    assert len(per_update) == N and {r["outcome"] for r in per_update} == {"ok"}
    # No message text and no names in the log at INFO.
    leaked = [r for r in records if SECRET_WORD in json.dumps(r, ensure_ascii=False)]
    assert not leaked, leaked[:3]

    # An answer to every private message, edited private message and button press.
    sends: Counter = Counter()
    for c in api.calls:
        if c.method.startswith("send") and c.ok and isinstance(c.chat_id, int):
            sends[c.chat_id] += 1
    # (editing a forged button's message fails; show() then sends a new one, counted below)
    bad = [c for c in api.calls if c.method.startswith("send") and not c.ok]
    assert not bad, [(c.method, c.response) for c in bad[:3]]
    needs: Counter = Counter()
    callbacks: set[str] = set()
    for u in updates:
        body = u.get("message") or u.get("edited_message")
        if body and body["chat"]["type"] == "private":
            needs[body["chat"]["id"]] += 1
        if "callback_query" in u:
            callbacks.add(u["callback_query"]["id"])
    unanswered = {chat: (n, sends[chat]) for chat, n in needs.items() if sends[chat] < n}
    assert not unanswered, unanswered
    answered = {str(c.params.get("callback_query_id")) for c in api.calls_of("answerCallbackQuery")}
    assert callbacks <= answered, len(callbacks - answered)
