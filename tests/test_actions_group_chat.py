"""Story 7 in a linked group chat (issue 5): the call is posted in the group's Telegram chat too,
through the outbox, with the answer buttons; only members of the group may answer there; the
post keeps the tasks' counts; the reach says "+ group chat"."""

from __future__ import annotations

from bot.playground.harness import Harness, Person, buttons_of
from tests.test_actions import call_of, last_alert, make_call, world

CHAT = -100555


async def link_chat(h: Harness, jan: Person, chat_id: int = CHAT) -> None:
    await h.push(h.api.group_text_update(jan.tg, chat_id, "/linkchat"))
    msg = h.api.sent_messages(chat_id)[-1]
    await h.push(h.api.callback_update(jan.tg, msg, buttons_of(msg)[0][0]["callback_data"]))
    assert await h.rows("SELECT chat_id FROM groups") == [(chat_id,)]


def post_of(h: Harness, chat_id: int = CHAT) -> dict:
    return [m for m in h.api.sent_messages(chat_id) if "Botermarkt" in str(m.get("text", ""))][-1]


def data_of(post: dict, label: str) -> str:
    return next(b["callback_data"] for row in buttons_of(post) for b in row if label in b["text"])


async def tap(h: Harness, who: Person, post: dict, label: str) -> None:
    await h.push(h.api.callback_update(who.tg, post, data_of(post, label)))


async def test_call_is_posted_in_the_linked_chat_and_members_answer_there(h, admin):
    _sofie, jan, _payload, (a, b, c) = await world(h, admin, 3, langs=("nl", "fr", "ar"))
    stranger = h.person("Vreemde", language_code="nl")
    await stranger.send("/start")
    await link_chat(h, jan)
    # The muted member still sees the post in the chat, and may answer there.
    await make_call(jan, roles=())
    await c.press("🔕", call_of(c))

    await make_call(jan, roles=(("spandoek vasthouden", "1"),), send=False)
    assert "2 mensen" in jan.last_text() and "+ 1 groepschat" in jan.last_text()
    await jan.press("📣")
    # "being sent" at the tap (with the chat), then "reached" once everything is out
    assert any("Wordt nu verstuurd" in t and "+ 1 groepschat" in t for t in jan.texts())
    assert "bereikte 2 van 2" in jan.last_text()
    [(aid,)] = await h.rows("SELECT MAX(id) FROM actions")
    # Through the outbox, once, in the group's default language, answer buttons but no mute.
    assert await h.rows(
        "SELECT state, ref FROM outbox WHERE chat_id = ? AND method = 'sendMessage' AND batch = ?",
        (CHAT, f"action-chat:{aid}"),
    ) == [("sent", f"acg:{aid}:1")]
    post = post_of(h)
    labels = [btn["text"] for row in buttons_of(post) for btn in row]
    assert "Wanneer" in post["text"] and "Huurders Rabot" in post["text"]
    assert any("kom" in x for x in labels) and any("spandoek vasthouden" in x for x in labels)
    assert not any("🔕" in x for x in labels)
    status = [m for m in h.api.sent_messages(jan.id) if "⚙️" in str(m.get("reply_markup"))][-1]
    assert "+ 1 groepschat" in status["text"]

    # A member takes the banner from the chat: counted, the post shows the task full, and the
    # post is not turned into her personal view.
    await tap(h, a, post, "spandoek")
    assert last_alert(h)
    assert await h.rows(
        "SELECT r.answer, r.role_id IS NOT NULL FROM action_recipients r JOIN users u"
        " ON u.id = r.user_id WHERE u.tg_id = ? AND r.action_id = ?",
        (a.id, aid),
    ) == [("coming", 1)]
    post = post_of(h)
    assert "⛔" in str(post["reply_markup"]) and "Uw antwoord" not in post["text"]
    # Full for the next one; he can still come.
    await tap(h, b, post, "⛔")
    assert "complète" in last_alert(h)  # in his language (French), not the chat's
    await tap(h, b, post, "✅")
    # The muted member answers from the chat: counted although the private call did not reach her.
    await tap(h, c, post, "✅")
    assert await h.rows(
        "SELECT COUNT(*) FROM action_recipients WHERE action_id = ? AND answer = 'coming'", (aid,)
    ) == [(3,)]
    # Someone who is not in the group is refused, and nothing is stored for them.
    await tap(h, stranger, post, "✅")
    assert "Sorry" in last_alert(h)
    assert await h.rows(
        "SELECT COUNT(*) FROM action_recipients r JOIN users u ON u.id = r.user_id"
        " WHERE u.tg_id = ?",
        (stranger.id,),
    ) == [(0,)]
    # Jan's live view counts the answers from the chat.
    status = [m for m in h.api.sent_messages(jan.id) if "⚙️" in str(m.get("reply_markup"))][-1]
    assert "Komen: 3" in status["text"] or ": 3" in status["text"]
    # A forged manage button under the chat's post does nothing.
    await h.push(h.api.callback_update(stranger.tg, post, f"ac:cy:{aid}"))
    assert (await h.rows("SELECT state FROM actions WHERE id = ?", (aid,))) == [("sent",)]
    # The same button from another chat the call was never posted in: expired.
    other = dict(post, chat={"id": -100999, "type": "supergroup", "title": "Andere"})
    await h.push(h.api.callback_update(a.tg, other, data_of(post, "✅")))
    assert "/help" in last_alert(h)

    # Cancelled: the chat's post says so and loses its buttons.
    await jan.send("/actions")
    await jan.press("⚙️")
    await jan.press("🛑")
    await jan.press("🛑")
    post = post_of(h)
    assert "🛑" in post["text"] and not buttons_of(post)


async def test_chat_posts_are_paced_and_edits_coalesced(h, admin):
    """Many answers in a minute: the chat's post is edited through the outbox's group lane,
    the newest version replacing a pending one."""
    h.services.outbox.group_interval = 0.4  # a group lane slower than the taps (really 3 s: 20/min)
    _sofie, jan, _payload, people = await world(h, admin, 4)
    await link_chat(h, jan)
    await make_call(jan, roles=(("spandoek vasthouden", "4"),))
    post = post_of(h)
    for p in people:
        await h.push(h.api.callback_update(p.tg, post, data_of(post, "spandoek")), settle=False)
    await h.settle(timeout=20)
    [(aid,)] = await h.rows("SELECT MAX(id) FROM actions")
    edits = await h.rows(
        "SELECT COUNT(*) FROM outbox WHERE chat_id = ? AND ref = ?", (CHAT, f"acgu:{aid}:1")
    )
    assert edits[0][0] <= 3  # coalesced: not one edit per tap
    assert "⛔" in str(post_of(h)["reply_markup"])  # the final state arrives
