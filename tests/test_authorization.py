"""Only admins change or inspect the index: every admin command from anyone else, in private and group
chats, edited, in a caption, forwarded from an admin, from a channel or an anonymous group admin, is
refused and changes nothing (the index and the bot's database are compared before and after). The bot
token never reaches the logs, whatever goes wrong.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import time
from pathlib import Path

from conftest import DEFAULT_ARTICLE, DEFAULT_ID, make_service
from fakes.bot_harness import (
    ADMIN,
    USER,
    ScriptedAnswerer,
    bot_settings,
    from_bot,
    running_bot,
)
from fakes.embedder import HashEmbedder
from fakes.telegram_server import FakeTelegram

from bot.app import protect_token

GROUP = -100800
ANONYMOUS_ADMIN = 1087968824  # Telegram's GroupAnonymousBot: "sent on behalf of the group"
PAGE = """<html><head><title>부산항 물동량 사상 최대</title></head><body><article>
<p>부산항만공사는 지난해 부산항의 컨테이너 물동량이 2,440만 TEU로 사상 최대를 기록했다고 밝혔다.</p>
<p>환적 화물이 크게 늘어난 것이 주된 원인으로 분석됐으며, 공사는 올해 목표를 2,500만 TEU로 잡았다.</p>
</article></body></html>"""


def db_dump(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as db:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in ("turns", "answers", "events")}


def index_state(service) -> tuple[str, list[str]]:
    snap = service.snapshot()
    return snap.collection, list(snap.records.ids)


def raw_message(tg: FakeTelegram, chat: dict, sender: dict | None, **fields) -> dict:
    message_id = next(tg._msg_ids.setdefault(chat["id"], iter(range(10_000, 20_000))))
    msg = {"message_id": message_id, "date": int(time.time()), "chat": chat, **fields}
    if sender is not None:
        msg["from"] = sender
    return msg


def command_entities(text: str) -> list[dict]:
    return [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]


async def test_admin_commands_from_anyone_else_are_refused_and_change_nothing(tmp_path, pages):
    url = pages.add("/busan", PAGE)
    embedder = HashEmbedder()
    service = make_service(tmp_path / "data", embedder, [DEFAULT_ARTICLE])
    service.open()
    embedder.reset()
    bot_dir = tmp_path / "bot"
    with FakeTelegram() as tg:
        settings = bot_settings(tg, bot_dir, allow_private_urls=True)
        async with running_bot(settings, service, ScriptedAnswerer(service)):
            # Some history and stats first, so "nothing changed" compares something.
            tg.message("서울관에는 몇 개 기업이 참여했나?", user_id=USER)
            await tg.wait("sendMessage", from_bot(USER, "답변"))
            before_index, before_db = index_state(service), db_dump(bot_dir / "bot.sqlite3")
            bot_name = tg.username
            commands = ["/reload", f"/add {url}", f"/remove {DEFAULT_ID}", "/stats", "/RELOAD",
                        f"/reload@{bot_name}", f"/remove@{bot_name} {DEFAULT_ID}"]

            refusals = 0
            for text in commands:  # private chat
                since = tg.mark()
                tg.message(text, user_id=USER)
                await tg.wait("sendMessage", from_bot(USER, "admins only"), since=since)
                refusals += 1
            for text in commands:  # group chat
                since = tg.mark()
                tg.message(text, user_id=USER, chat_id=GROUP, chat_type="supergroup")
                await tg.wait("sendMessage", from_bot(GROUP, "admins only"), since=since)
            since = tg.mark()  # an upload, with an admin command as its caption
            tg.document("busan.txt", "부산항 물동량이 사상 최대를 기록했다. ".encode() * 10, user_id=USER,
                        caption=f"/add {url}")
            await tg.wait("sendMessage", from_bot(USER, "admins only"), since=since)

            private = tg._chat(USER, "private", USER)
            group = tg._chat(GROUP, "supergroup", USER)
            user = tg._user(USER)
            admin = tg._user(ADMIN)
            since = tg.mark()
            # Forwarded from an admin by someone else: the sender is what counts.
            tg.push_update({"message": raw_message(
                tg, private, user, text=f"/remove {DEFAULT_ID}", entities=command_entities("/remove x"),
                forward_origin={"type": "user", "date": int(time.time()), "sender_user": admin})})
            await tg.wait("sendMessage", from_bot(USER, "admins only"), since=since)
            # "Sent on behalf of the group" by an anonymous group admin: not a listed admin.
            since = tg.mark()
            tg.push_update({"message": raw_message(
                tg, group, {"id": ANONYMOUS_ADMIN, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"},
                text="/reload", entities=command_entities("/reload"), sender_chat=group)})
            # (that sender has no language_code: the refusal is in the default language, Korean)
            await tg.wait("sendMessage", from_bot(GROUP, "관리자만"), since=since)
            # A channel post has no sender at all.
            channel = {"id": -100900, "type": "channel", "title": "News"}
            tg.push_update({"channel_post": raw_message(tg, channel, None, text="/reload",
                                                        entities=command_entities("/reload"), sender_chat=channel)})
            # Edited into a command (by a user, or even by an admin): edits run nothing.
            for who in (user, admin):
                for chat in (private if who is user else tg._chat(ADMIN, "private", ADMIN), group):
                    tg.push_update({"edited_message": raw_message(
                        tg, chat, who, text=f"/remove {DEFAULT_ID}", entities=command_entities("/remove x"),
                        edit_date=int(time.time()))})
            # Commands in captions are not commands.
            photo = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
            for chat in (private, group):
                tg.push_update({"message": raw_message(tg, chat, user, photo=photo, caption="/reload",
                                                       caption_entities=command_entities("/reload"))})
            since = tg.mark()
            tg.message("/stats", user_id=ADMIN)  # the admin, last: proves the updates above were all handled
            stats = await tg.wait("sendMessage", from_bot(ADMIN, "Usage"), since=since)
            assert "Questions: 1" in stats.params["text"]

            after_index, after_db = index_state(service), db_dump(bot_dir / "bot.sqlite3")
            texts = [str(c.params.get("text", "")) for c in tg.calls_to("sendMessage")]
            assert not any("Reloading" in t or "Adding" in t or "Removed" in t for t in texts), texts
            assert not any("<code>" in t for t in texts), "no article list went to anyone but the admin"
            assert not [c for c in tg.calls_to("sendMessage", USER) if "Usage" in str(c.params.get("text"))]
    assert after_index == before_index and after_db == before_db
    assert pages.hits == {} and embedder.embedded == 0 and not tg.calls_to("getFile")
    assert [a.id for a in service.articles()] == [DEFAULT_ID]


async def test_the_token_never_reaches_the_logs_whatever_fails(tmp_path, service, caplog, capfd):
    from aiohttp import web

    stderr = logging.StreamHandler(sys.stderr)  # what `articlebot run` has: basicConfig to stderr
    root = logging.getLogger()
    root.addHandler(stderr)
    caplog.set_level(logging.DEBUG)
    tg = FakeTelegram()

    async def file_server_down(request: web.Request) -> web.Response:
        return web.Response(status=500, text=f"no such file: {request.path}")  # echoes the URL, token and all

    tg._download = file_server_down  # type: ignore[method-assign]
    try:
        with tg:
            protect_token(tg.token)  # run_bot does this first
            token, secret = tg.token, tg.token.split(":")[1]
            async with running_bot(bot_settings(tg, tmp_path / "bot"), service, ScriptedAnswerer(service)):
                tg.fail_next("getUpdates", status=502)
                tg.drop_next("getUpdates")
                since = tg.mark()
                tg.message("서울관에는 몇 개 기업이 참여했나?", user_id=USER)
                await tg.wait("sendMessage", from_bot(USER, "답변"), since=since, timeout=20)
                # An upload Telegram does not know, then one whose download fails.
                since = tg.mark()
                tg.message(user_id=ADMIN, document={"file_id": "NOPE", "file_unique_id": "UN", "file_name": "a.txt",
                                                    "mime_type": "text/plain", "file_size": 10})
                await tg.wait("sendMessage", from_bot(ADMIN, "Sorry"), since=since, timeout=20)
                since = tg.mark()
                tg.document("b.txt", b"x" * 50, user_id=ADMIN)
                await tg.wait("sendMessage", from_bot(ADMIN, "Sorry"), since=since, timeout=20)
                # An answer whose every delivery attempt fails (the apology after it gets through).
                tg.fail_next("sendMessage", status=502, count=3)
                since = tg.mark()
                tg.message("서울관은?", user_id=USER + 1)
                await tg.wait("sendMessage", from_bot(USER + 1, "did not accept"), since=since, timeout=30)
    finally:
        root.removeHandler(stderr)
    out, err = capfd.readouterr()
    # Records as a handler that formats later would see them (PTB changes a logged dict after logging it).
    logged = caplog.text + out + err + "".join(r.getMessage() + str(r.args) + str(r.exc_text or "")
                                               for r in caplog.records)
    assert "Telegram API problem" in logged and "<token>" in logged  # the failures above were logged, redacted
    assert token not in logged and secret not in logged
    # Nor to a person.
    assert not any(secret in str(c.params) for c in tg.calls if c.method in ("sendMessage", "editMessageText"))
