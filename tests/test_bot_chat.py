"""End to end over real HTTP: the real bot polls FakeTelegram; users ask, follow up, open sources."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from contextlib import asynccontextmanager

from fakes.bot_harness import (
    ADMIN,
    USER,
    ScriptedAnswerer,
    bot_settings,
    from_bot,
    running_bot,
)
from fakes.telegram_server import FakeTelegram

from bot.app import protect_token

GROUP = -100500
Q1 = "오세훈 시장이 조성한다는 AI 서울테크시티는 어디에 있나?"


@asynccontextmanager
async def chatting(tmp_path, service, answerer=None, **overrides):
    answerer = answerer or ScriptedAnswerer(service)
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path / "bot", **overrides), service, answerer) as app:
            yield tg, answerer, app


async def ask(tg: FakeTelegram, text: str, chat: int = USER, contains: str = "답변", **kw):
    """Send a message and wait for the bot's reply in that chat containing `contains`."""
    since = tg.mark()
    msg = tg.message(text, **({"user_id": chat} if chat > 0 else {"chat_id": chat, "chat_type": "group"}), **kw)
    return msg, await tg.wait("sendMessage", from_bot(chat, contains), since=since)


async def test_question_streams_then_answers_in_html_replying_to_it_and_follow_up_uses_history(tmp_path, service):
    answerer = ScriptedAnswerer(service, pieces=4, delay=1.2)
    async with chatting(tmp_path, service, answerer) as (tg, _, _):
        msg, final = await ask(tg, Q1)
        p = final.params
        assert p["parse_mode"] == "HTML" and p["reply_parameters"]["message_id"] == msg["message_id"]
        assert p["reply_markup"]["inline_keyboard"][0][0]["callback_data"].startswith("src:")
        assert tg.calls_to("sendChatAction", USER)[0].params["action"] == "typing"
        drafts = tg.calls_to("sendMessageDraft", USER)
        assert drafts and all(d.params["draft_id"] for d in drafts)  # private chats stream as drafts
        assert not tg.calls_to("editMessageText", USER)

        await ask(tg, "그 부지의 규모는?")
        question, history = answerer.calls[-1]
        assert question == "그 부지의 규모는?"
        assert [t.role for t in history] == ["user", "assistant"] and history[0].content == Q1
        assert history[1].chunk_ids and history[1].chunk_ids[0].startswith("000_db62d54ccc32d396#")


async def test_sources_command_and_button_show_the_cited_excerpts(tmp_path, service):
    async with chatting(tmp_path, service) as (tg, _, _):
        await ask(tg, Q1)
        answer_msg = tg.sent(USER)[-1]
        data = answer_msg.reply_markup["inline_keyboard"][0][0]["callback_data"]
        since = tg.mark()
        tg.callback(data, message=answer_msg)
        await tg.wait("answerCallbackQuery", since=since)
        shown = await tg.wait("sendMessage", from_bot(USER, "Sources"), since=since)
        assert shown.params["reply_parameters"]["message_id"] == answer_msg.message_id
        html = shown.params["text"]
        assert "<blockquote expandable>" in html and "오세훈" in html and "[1]" in html

        _, by_command = await ask(tg, "/sources", contains="Sources")
        assert by_command.params["text"] == html

        since = tg.mark()
        tg.callback("src:99999", message=answer_msg)
        gone = await tg.wait("answerCallbackQuery", since=since)
        assert "no longer" in gone.params.get("text", "")


async def test_reset_forgets_this_chat_only(tmp_path, service):
    answerer = ScriptedAnswerer(service)
    async with chatting(tmp_path, service, answerer) as (tg, _, _):
        await ask(tg, Q1)
        await ask(tg, Q1, chat=USER + 1)
        await ask(tg, "/reset", contains="forgot")
        await ask(tg, "/sources", contains="no answer")
        await ask(tg, "서울관은?")
        assert answerer.calls[-1][1] == []
        await ask(tg, "또 다른 질문", chat=USER + 1)
        assert len(answerer.calls[-1][1]) == 2


async def test_reset_during_an_answer_stops_it_so_nothing_lands_in_the_forgotten_history(tmp_path, service):
    answerer = ScriptedAnswerer(service, pieces=4, delay=1.5)
    async with chatting(tmp_path, service, answerer) as (tg, _, app):
        tg.message(Q1)
        await tg.wait("sendChatAction", from_bot(USER))
        await ask(tg, "/reset", contains="forgot")
        await asyncio.sleep(2.0)  # past the moment the answer would have been sent
        assert not tg.find("sendMessage", from_bot(USER, "답변"))
        assert app.bot_data["articlebot"].store.history(USER, 10) == []
        answerer.delay = 0
        await ask(tg, Q1)  # the chat is free again


async def test_html_in_questions_and_answers_is_escaped(tmp_path, service):
    nasty = "<script>alert('x')</script> & <b>오세훈</b> 시장?"
    async with chatting(tmp_path, service) as (tg, _, _):
        _, final = await ask(tg, nasty)
        assert "&lt;script&gt;" in final.params["text"] and "&amp;" in final.params["text"]
        assert nasty in tg.sent(USER)[-1].text  # what the user sees is the literal text


async def test_a_6000_character_answer_is_split_at_sentences_with_the_button_on_the_last_part(tmp_path, service):
    sentence = "서울시는 AI 서울테크시티를 양재동에 조성한다고 밝혔다. "
    body = (sentence * 200)[:6000].rsplit(". ", 1)[0] + ". [1]"
    answerer = ScriptedAnswerer(service, reply=lambda q, ps: body)
    async with chatting(tmp_path, service, answerer) as (tg, _, _):
        msg, _ = await ask(tg, Q1, contains="서울시는")
        await tg.wait("sendMessage", lambda c: c.params.get("chat_id") == USER and "reply_markup" in c.params)
        parts = [c.params for c in tg.calls_to("sendMessage", USER)]
        assert len(parts) == 2
        assert parts[0]["reply_parameters"]["message_id"] == msg["message_id"] and "reply_markup" not in parts[0]
        assert "reply_parameters" not in parts[1] and "reply_markup" in parts[1]
        assert all(len(p["text"]) <= 4096 for p in parts)
        assert parts[0]["text"].endswith("밝혔다.")
        assert (parts[0]["text"] + " " + parts[1]["text"]).replace("  ", " ") == body


async def test_groups_answer_only_when_mentioned_replied_to_or_asked(tmp_path, service):
    answerer = ScriptedAnswerer(service, pieces=3, delay=0.6)

    async def ask_group(text: str, **kw):
        """In groups the answer streams into one message, then a final HTML edit adds the button; a quick
        follow-up finds the chat's burst of messages spent (bot/flood.py), so its answer comes whole."""
        since = tg.mark()
        msg = tg.message(text, chat_id=GROUP, chat_type="group", user_id=USER, **kw)
        first = await tg.wait("sendMessage", from_bot(GROUP), since=since)
        final = first if "reply_markup" in first.params else await tg.wait(
            "editMessageText", lambda c: c.params.get("chat_id") == GROUP and "reply_markup" in c.params, since=since)
        return msg, first, final

    async with chatting(tmp_path, service, answerer) as (tg, _, _):
        tg.message("오세훈 시장 얘기 들었어?", chat_id=GROUP, chat_type="group", user_id=USER)
        await asyncio.sleep(0.5)
        assert not tg.calls_to("sendMessage", GROUP) and not answerer.calls

        msg, first, final = await ask_group(f"@{tg.username} {Q1}")
        assert answerer.calls[-1][0] == Q1  # the mention is not part of the question
        assert first.params["reply_parameters"]["message_id"] == msg["message_id"]
        assert final.params["parse_mode"] == "HTML" and final.params["message_id"] == tg.sent(GROUP)[-1].message_id
        assert not tg.calls_to("sendMessageDraft")  # drafts are for private chats only

        await ask_group("그 규모는?", reply_to=tg.sent(GROUP)[-1].message_id)
        assert answerer.calls[-1][0] == "그 규모는?" and len(answerer.calls[-1][1]) == 2  # the group's history

        await ask_group(f"/ask@{tg.username} 서울관은 어땠나?")
        assert answerer.calls[-1][0] == "서울관은 어땠나?"
        await ask(tg, "/ask", chat=GROUP, contains="What would you like to know")
        assert len(answerer.calls) == 3


async def test_two_chats_with_a_slow_model_finish_together(tmp_path, service):
    answerer = ScriptedAnswerer(service, delay=1.0)
    async with chatting(tmp_path, service, answerer) as (tg, _, _):
        t0 = time.monotonic()
        for chat in (USER, USER + 1, USER + 2):
            tg.message(Q1, user_id=chat)
        done = [await tg.wait("sendMessage", from_bot(chat, "답변"), timeout=5) for chat in (USER, USER + 1, USER + 2)]
        finished = [c.at - t0 for c in done]
        assert max(finished) < 1.8, finished  # serial would take 3 s
        assert max(finished) - min(finished) < 0.4, finished


async def test_a_second_question_is_told_to_wait_and_cancel_stops_the_first(tmp_path, service):
    answerer = ScriptedAnswerer(service, pieces=4, delay=2.0)
    async with chatting(tmp_path, service, answerer) as (tg, _, app):
        t0 = time.monotonic()
        tg.message(Q1)
        await tg.wait("sendChatAction", from_bot(USER))
        await ask(tg, "두 번째 질문", contains="still answering")
        await ask(tg, "/cancel", contains="Stopped")
        await asyncio.sleep(max(0.0, 2.3 - (time.monotonic() - t0)))
        assert not tg.find("sendMessage", from_bot(USER, "답변"))
        assert app.bot_data["articlebot"].store.history(USER, 10) == []
        await ask(tg, "/cancel", contains="Nothing to cancel")
        answerer.delay = 0
        await ask(tg, Q1)  # the chat is free again


async def test_non_text_messages_and_over_long_questions_get_a_short_explanation(tmp_path, service):
    async with chatting(tmp_path, service) as (tg, answerer, _):
        await ask(tg, "", contains="only read text", sticker={"file_id": "s", "file_unique_id": "s", "type": "regular",
                                                              "width": 1, "height": 1, "is_animated": False,
                                                              "is_video": False})
        await ask(tg, "", contains="only read text", voice={"file_id": "v", "file_unique_id": "v", "duration": 1})
        edited, _ = await ask(tg, Q1)
        tg.push_update({"edited_message": {**edited, "text": Q1 + " (수정)", "edit_date": edited["date"] + 1}})
        msg, reply = await ask(tg, "가" * 1500, contains="too long")
        await asyncio.sleep(0.3)
        assert not tg.find("sendMessage", from_bot(USER, "(수정)"))  # an edited question is not answered again
        assert reply.params["reply_parameters"]["message_id"] == msg["message_id"]
        assert "Traceback" not in reply.params["text"] and "InputError" not in reply.params["text"]


async def test_allow_list_and_per_user_rate_limit(tmp_path, service):
    async with chatting(tmp_path, service, allowed_user_ids=[USER], user_rate_per_minute=2) as (tg, answerer, _):
        await ask(tg, Q1, chat=2002, contains="private")
        assert not answerer.calls
        await ask(tg, Q1)
        await ask(tg, Q1)
        await ask(tg, Q1, contains="faster than I can")
        assert len(answerer.calls) == 2
        for _ in range(3):  # admins are allowed without being listed, and are not rate-limited
            await ask(tg, Q1, chat=ADMIN)


async def test_a_spammer_gets_one_busy_notice_and_one_rate_notice_not_one_reply_each(tmp_path, service):
    answerer = ScriptedAnswerer(service, delay=2.0)
    async with chatting(tmp_path, service, answerer, user_rate_per_minute=5) as (tg, _, _):
        for i in range(30):
            tg.message(f"{Q1} {i}")
        await tg.wait("sendMessage", from_bot(USER, "답변"), timeout=10)
        # Two other users in a group: the chat is busy once, whoever asks.
        for user in (2001, 2002, 2001):
            tg.message(f"@articlebot_test_bot {Q1}", user_id=user, chat_id=GROUP, chat_type="group")
        await tg.wait("sendMessage", from_bot(GROUP, "답변"), timeout=10)
        await asyncio.sleep(0.5)
        texts = [m.text for m in tg.sent(USER)]
        assert sum("still answering" in t for t in texts) == 1, texts
        assert sum("faster than I can" in t for t in texts) == 1, texts
        assert len(texts) == 3 and len(answerer.calls) == 2, texts  # the answer, the two notices; one group answer
        group = [m.text for m in tg.sent(GROUP)]
        assert sum("still answering" in t for t in group) == 1 and len(group) == 2, group
        # The next answer in flight may be told once again.
        since = tg.mark()
        tg.message("새 질문", user_id=2001, chat_id=GROUP, chat_type="group", reply_to=tg.sent(GROUP)[-1].message_id)
        await tg.wait("sendChatAction", from_bot(GROUP), since=since)
        since = tg.mark()
        tg.message(f"@articlebot_test_bot {Q1}", user_id=2002, chat_id=GROUP, chat_type="group")
        await tg.wait("sendMessage", from_bot(GROUP, "still answering"), since=since, timeout=5)


async def test_start_help_and_the_command_menus(tmp_path, service):
    async with chatting(tmp_path, service) as (tg, _, _):
        _, start = await ask(tg, "/start", contains="article(s)")
        assert "오세훈" in start.params["text"] and "/reload" not in start.params["text"]
        _, admin_help = await ask(tg, "/help", chat=ADMIN, contains="/ask")
        assert "/reload" in admin_help.params["text"]
        menus = {(c.params["scope"]["type"], c.params["scope"].get("chat_id")): {x["command"] for x in c.params["commands"]}
                 for c in tg.calls_to("setMyCommands")}
        default, admin = menus[("default", None)], menus[("chat", ADMIN)]
        assert "reload" not in default and {"start", "help", "reset", "sources", "cancel"} <= default
        assert {"reload", "add", "articles", "remove", "stats"} | default <= admin


async def test_the_token_never_reaches_the_logs(tmp_path, service):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level, httpx_level = root.level, logging.getLogger("httpx").level
    root.setLevel(logging.DEBUG)
    try:
        with FakeTelegram() as tg:
            protect_token(tg.token)  # what run_bot does first
            async with running_bot(bot_settings(tg, tmp_path / "bot"), service, ScriptedAnswerer(service)):
                await ask(tg, Q1)
                tg.fail_next("sendMessage", status=502)  # an error path, which logs more
                await ask(tg, "서울관은?")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        logging.getLogger("httpx").setLevel(httpx_level)
    logged = stream.getvalue()
    assert "answered: chat=" in logged and "Set Bot API URL" in logged
    assert tg.token not in logged and tg.token.split(":")[1] not in logged


async def test_webhook_mode_checks_the_secret_token_header(tmp_path, service, unused_tcp_port):
    import aiohttp

    from articlebot.compose import bot_config, webhook_options
    from bot.app import build_application

    with FakeTelegram() as tg:
        url = f"http://127.0.0.1:{unused_tcp_port}/telegram/hook"
        settings = bot_settings(tg, tmp_path / "bot", webhook_url=url, webhook_port=unused_tcp_port)
        options = webhook_options(settings)
        assert options["url_path"] == "telegram/hook" and len(options["secret_token"]) >= 32
        assert webhook_options(settings)["secret_token"] != options["secret_token"]  # random per start
        app = build_application(bot_config(settings), service, ScriptedAnswerer(service))
        await app.initialize()
        await app.start()
        await app.updater.start_webhook(**options)
        try:
            assert tg.webhook == {"url": url, "secret_token": options["secret_token"]}
            _, final = await ask(tg, Q1)  # delivered by POST with the header, like Telegram does
            assert final.params["reply_parameters"]
            async with aiohttp.ClientSession() as http:
                forged = {"update_id": 999, "message": {"message_id": 1, "date": 0, "text": "hi",
                                                        "chat": {"id": 5, "type": "private"}}}
                async with http.post(url, json=forged) as resp:
                    assert resp.status == 403
                async with http.post(url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as resp:
                    assert resp.status == 403
            assert tg.webhook["statuses"] == [200]
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
        fixed = bot_settings(tg, tmp_path / "bot", webhook_url=url, webhook_secret="s3cret-token")
        assert webhook_options(fixed)["secret_token"] == "s3cret-token"


async def test_an_answer_is_marked_in_flight_until_sent_so_index_writes_give_way(tmp_path, service):
    seen: list[int] = []

    class Watching(ScriptedAnswerer):
        async def astream(self, *args, **kw):
            seen.append(service.foreground.busy)  # what an upload's writer sees between its steps
            async for item in super().astream(*args, **kw):
                yield item

    async with chatting(tmp_path, service, Watching(service)) as (tg, _, _):
        await ask(tg, Q1)
        for _ in range(100):  # the reply is out; the answer's task ends just after
            if not service.foreground.busy:
                break
            await asyncio.sleep(0.05)
    assert seen == [1] and service.foreground.busy == 0
