"""Tests for the fake Telegram Bot API server, driven by a real python-telegram-bot ``Bot``."""

from __future__ import annotations

import asyncio
import copy
import json
import time
import warnings

import aiohttp
import pytest
import pytest_asyncio
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.playground.botapi_double import FakeBotAPI

pytestmark = pytest.mark.asyncio

PNG_512x384 = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x00\x00\x00\x01\x80\x08\x02\x00\x00\x00"
    + b"\x00" * 64
)


@pytest_asyncio.fixture
async def api():
    async with FakeBotAPI() as server:
        yield server


@pytest_asyncio.fixture
async def bot(api):
    b = telegram.Bot(
        api.token,
        base_url=api.base_url,
        base_file_url=api.base_file_url,
        request=HTTPXRequest(connection_pool_size=8),
    )
    async with b:
        yield b


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


@pytest.mark.asyncio
async def test_get_me(api, bot):
    me = await bot.get_me()
    assert me.id == api.bot_id
    assert me.is_bot and me.username == "buurtbot_test_bot" and me.first_name == "Buurtbot"
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False
    assert me.supports_inline_queries is False
    assert api.calls[-1].method == "getMe" and api.calls[-1].ok


@pytest.mark.asyncio
async def test_wrong_token_is_unauthorized(api):
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{api.base_url}999:WRONG/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        # method names are case-insensitive; query-string parameters work; text stays a string
        url = f"{api.base_url}{api.token}/SENDMESSAGE?chat_id=7&text=123"
        async with session.get(url) as resp:
            body = await resp.json()
        # JSON bodies work too; complex values may also be JSON-encoded strings
        payload = {
            "chat_id": "7",
            "text": "[1]",
            "reply_markup": json.dumps(
                {"inline_keyboard": [[{"text": "a", "url": "https://buurt.nl"}]]}
            ),
        }
        async with session.post(f"{api.base_url}{api.token}/sendMessage", json=payload) as resp:
            body2 = await resp.json()
    assert body["ok"] and body["result"]["text"] == "123"
    assert api.calls[0].method == "sendMessage"
    assert api.calls[0].params == {"chat_id": 7, "text": "123"}
    assert body2["ok"] and body2["result"]["text"] == "[1]" and body2["result"]["message_id"] == 2
    assert api.calls[1].params["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://buurt.nl"


@pytest.mark.asyncio
async def test_keyboard_edit_and_callback(api, bot):
    user = api.make_user(42, "Jan", "nl")
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ja", callback_data="yes"),
                InlineKeyboardButton("Nee", callback_data="no"),
            ]
        ]
    )
    msg = await bot.send_message(42, "Doe je mee?", reply_markup=markup)
    assert msg.message_id == 1 and msg.chat.id == 42 and msg.chat.type == "private"
    assert msg.from_user.id == api.bot_id
    assert msg.reply_markup == markup
    call = api.calls_to(42, "sendMessage")[0]
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"

    api.push_update(api.callback_update(user, api.sent_messages(42)[0], "yes"))
    updates = await bot.get_updates(timeout=0)
    query = updates[0].callback_query
    assert query.data == "yes" and query.message.message_id == msg.message_id
    assert query.from_user.id == 42
    assert await bot.answer_callback_query(query.id, text="Top!")
    assert api.callback_answers[query.id]["text"] == "Top!"
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query.id)

    edited = await bot.edit_message_text("Je doet mee", chat_id=42, message_id=msg.message_id)
    assert edited.text == "Je doet mee" and edited.reply_markup is None
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await bot.edit_message_text("Je doet mee", chat_id=42, message_id=msg.message_id)
    final = api.sent_messages(42)
    assert len(final) == 1 and final[0]["text"] == "Je doet mee"
    assert "reply_markup" not in final[0] and "edit_date" in final[0]

    too_long = "x" * 65
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            42,
            "hoi",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("a", callback_data=too_long)]]
            ),
        )
    with pytest.raises(BadRequest, match="(?i)too long"):
        await bot.send_message(42, "x" * 4097)
    with pytest.raises(BadRequest, match="(?i)text is empty"):
        await bot.send_message(42, "   ")
    assert api.counters["400"] == 5


@pytest.mark.asyncio
async def test_send_photo_then_get_file_and_download(api, bot):
    msg = await bot.send_photo(42, PNG_512x384, caption="<b>Foto</b>", parse_mode="HTML")
    assert msg.caption == "Foto" and msg.caption_entities[0].type == "bold"
    largest = msg.photo[-1]
    assert (largest.width, largest.height) == (512, 384)
    assert [p.width for p in msg.photo] == [90, 320, 512]
    params = api.calls_to(42, "sendPhoto")[0].params
    assert params["photo"]["size"] == len(PNG_512x384)
    assert api.file_bytes(params["photo"]["file_id"]) == PNG_512x384

    tg_file = await bot.get_file(largest.file_id)
    assert tg_file.file_path.startswith(api.base_file_url)
    assert bytes(await tg_file.download_as_bytearray()) == PNG_512x384
    with pytest.raises(BadRequest, match="(?i)invalid file_id"):
        await bot.get_file("nonsense")

    # files added by "users" can be downloaded too
    user = api.make_user(43, "Els")
    upd = api.voice_update(user, data=b"OggS-voice")
    voice_id = upd["message"]["voice"]["file_id"]
    assert bytes(await (await bot.get_file(voice_id)).download_as_bytearray()) == b"OggS-voice"


@pytest.mark.asyncio
async def test_get_updates_long_polling_and_offset(api, bot):
    user = api.make_user(42, "Jan")

    async def push_later():
        await asyncio.sleep(0.1)
        api.push_update(api.text_update(user, "/start welkom"))

    started = time.monotonic()
    pusher = asyncio.create_task(push_later())
    updates = await bot.get_updates(timeout=3)
    await pusher
    assert time.monotonic() - started < 1.5  # returned early, not after the timeout
    assert [u.update_id for u in updates] == [1]
    message = updates[0].message
    assert message.text == "/start welkom"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6

    api.push_update(api.text_update(user, "tweede"))
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [1, 2]  # nothing confirmed yet
    confirmed = await bot.get_updates(offset=2, timeout=0)
    assert [u.update_id for u in confirmed] == [2]
    assert api.confirmed_offset == 2
    assert [u["update_id"] for u in api.pending_updates()] == [2]
    assert await bot.get_updates(offset=3, timeout=0) == ()
    assert api.pending_updates() == []
    # message ids are per chat and shared by user and bot messages
    sent = await bot.send_message(42, "hallo")
    assert sent.message_id == 3


@pytest.mark.asyncio
async def test_html_parse_errors(api, bot):
    ok = await bot.send_message(
        42, '<b>Vet</b> &amp; <a href="https://buurt.nl">link</a> &lt;3', parse_mode="HTML"
    )
    assert ok.text == "Vet & link <3"
    assert [(e.type, e.offset, e.length) for e in ok.entities] == [
        ("bold", 0, 3),
        ("text_link", 6, 4),
    ]
    for bad in ("a < b", "<b>vet</i>", "<div>x</div>", "<b>open", "Tom & Jerry"):
        with pytest.raises(BadRequest, match="(?i)can't parse entities"):
            await bot.send_message(42, bad, parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)reserved"):
        await bot.send_message(42, "Prijs: 1.50", parse_mode="MarkdownV2")
    assert len(api.sent_messages(42)) == 1


@pytest.mark.asyncio
async def test_429_retry_after(api, bot):
    api.fail_next("sendMessage", {"error_code": 429, "retry_after": 7})
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(42, "hoi")
    assert _retry_seconds(info.value) == 7
    assert api.calls[-1].response["parameters"] == {"retry_after": 7}
    assert api.counters["429"] == 1
    assert (await bot.send_message(42, "nog eens")).text == "nog eens"


@pytest.mark.asyncio
async def test_403_blocked(api, bot):
    api.blocked_users.add(99)
    with pytest.raises(Forbidden, match="(?i)blocked"):
        await bot.send_message(99, "hoi")
    api.fail_next("sendMessage", "403")
    with pytest.raises(Forbidden):
        await bot.send_message(42, "hoi")
    assert api.counters["403"] == 2
    assert api.sent_messages() == []


@pytest.mark.asyncio
async def test_timeout_and_5xx_faults(api, bot):
    api.fail_next("sendMessage", {"kind": "timeout", "sleep": 1.0})
    with pytest.raises(TimedOut):
        await bot.send_message(42, "hoi", read_timeout=0.2)
    api.fail_next("sendMessage", "502")
    with pytest.raises(telegram.error.NetworkError):
        await bot.send_message(42, "hoi")
    assert api.counters["timeout"] == 1 and api.counters["5xx"] == 1
    assert api.sent_messages(42) == []

    api.set_fault_rate(0.5, kinds=("500",), seed=3)
    results = await asyncio.gather(
        *(bot.send_message(42, f"m{i}") for i in range(20)), return_exceptions=True
    )
    failures = sum(isinstance(r, Exception) for r in results)
    assert 0 < failures < 20 and api.counters["5xx"] == 1 + failures
    await bot.get_me()  # never faulted by default


@pytest.mark.asyncio
async def test_enforce_limits(bot):
    async with FakeBotAPI(enforce_limits=True) as limited:
        b = telegram.Bot(
            limited.token, base_url=limited.base_url, request=HTTPXRequest(connection_pool_size=8)
        )
        async with b:
            results = await asyncio.gather(
                *(b.send_message(42, f"bericht {i}") for i in range(3)), return_exceptions=True
            )
            sent = [r for r in results if isinstance(r, telegram.Message)]
            limited_ = [r for r in results if isinstance(r, RetryAfter)]
            assert len(sent) == 1 and len(limited_) == 2
            assert all(_retry_seconds(e) >= 1 for e in limited_)
            assert limited.counters["rate_limited"] == 2 and limited.counters["429"] == 2
            # other chats are not affected by the per-chat limit
            assert (await b.send_message(43, "ander")).chat.id == 43


@pytest.mark.asyncio
async def test_builders_parse_in_ptb_without_unknown_fields(api):
    user = api.make_user(42, "Jan", "nl", username="jan", last_name="Jansen")
    bot_msg = {
        "message_id": 1,
        "from": api.bot_user,
        "chat": {"id": 42, "type": "private"},
        "date": 1700000000,
        "text": "Kies",
        "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    }
    updates = [
        api.text_update(user, "/start@buurtbot_test_bot payload"),
        api.callback_update(user, bot_msg, "a"),
        api.voice_update(user),
        api.photo_update(user, caption="#buurt"),
        api.document_update(user),
        api.location_update(user, 52.37, 4.89),
        api.sticker_update(user),
        api.contact_update(user),
        api.edited_text_update(user, 1, "bewerkt"),
        api.group_text_update(user, -100123, "/help@buurtbot_test_bot"),
        api.my_chat_member_update(user),
        api.my_chat_member_update(user, -100123, "left", "administrator"),
        api.my_chat_member_update(user, -100123, "member", "restricted"),
        api.channel_post_update(-100999, "Nieuws"),
        api.poll_answer_update(user, "1", [0]),
    ]
    tg_bot = telegram.Bot(api.token)

    def subset(a, b, path="update"):
        if isinstance(a, dict):
            for key, value in a.items():
                assert key in b, f"{path}.{key} lost"
                subset(value, b[key], f"{path}.{key}")
        elif isinstance(a, list):
            assert len(a) == len(b), path
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                subset(x, y, f"{path}[{i}]")
        else:
            assert a == b, f"{path}: {a!r} != {b!r}"

    def no_unknown_fields(obj, path="update"):
        if isinstance(obj, telegram.TelegramObject):
            assert not obj.api_kwargs, (path, obj.api_kwargs)
            for key, value in obj._get_attrs(recursive=False).items():
                no_unknown_fields(value, f"{path}.{key}")
        elif isinstance(obj, tuple | list):
            for item in obj:
                no_unknown_fields(item, path)

    for raw in updates:
        pushed = api.push_update(raw)
        parsed = telegram.Update.de_json(copy.deepcopy(pushed), tg_bot)
        subset(pushed, parsed.to_dict(recursive=True))
        no_unknown_fields(parsed)
    assert [u["update_id"] for u in api.pending_updates()] == list(range(1, len(updates) + 1))
    cmd = updates[0]["message"]["entities"][0]
    assert cmd == {"type": "bot_command", "offset": 0, "length": len("/start@buurtbot_test_bot")}
    # user message ids and channel/group ids are per chat
    assert updates[0]["message"]["message_id"] == 1
    assert updates[9]["message"]["message_id"] == 1
    json.dumps(updates)  # plain JSON


@pytest.mark.asyncio
async def test_wait_for_and_application_end_to_end(api):
    from telegram.ext import Application, CommandHandler

    async def start(update, context):
        await update.message.reply_text(
            f"Welkom {update.effective_user.first_name}!", do_quote=True
        )

    app = (
        Application.builder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        api.push_update(api.text_update(api.make_user(42, "Jan"), "/start"))
        msgs = await api.wait_for_messages(42, 1, timeout=3)
        assert msgs[0]["text"] == "Welkom Jan!"
        assert msgs[0]["reply_to_message"]["text"] == "/start"
        await app.updater.stop()
        await app.stop()
    assert api.pending_updates() == []
    assert api.internal_errors == []


async def test_double_refuses_a_link_to_a_user_whose_privacy_forbids_it():
    from bot.playground.botapi_double import ApiError, FakeBotAPI

    api = FakeBotAPI()
    api.privacy_restricted_users.add(42)
    markup = {"inline_keyboard": [[{"text": "✉️", "url": "tg://user?id=42"}]]}
    try:
        api._check_markup(markup)
    except ApiError as exc:
        assert exc.description == "Bad Request: BUTTON_USER_PRIVACY_RESTRICTED"
    else:
        raise AssertionError("the double accepted a link Telegram refuses")
    api._check_markup({"inline_keyboard": [[{"text": "✉️", "url": "tg://user?id=43"}]]})
