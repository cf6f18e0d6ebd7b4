"""Many articles in one bot, end to end against the fake Bot API: /articles pages, choosing an article,
/all, naming the article behind an answer, group rules, removed articles and forged buttons."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager, contextmanager

import pytest
from conftest import DEFAULT_ARTICLE, DEFAULT_ID, make_service
from fakes.bot_harness import ADMIN, USER, ScriptedAnswerer, bot_settings, from_bot, running_bot
from fakes.telegram_server import FakeTelegram
from test_scope import BUSAN

from bot.scope import article_key
from retrieval.answer.offline import OfflineAnswerer

GROUP = -100777
GROUP_ADMIN = 777
Q = "서울관에 참여한 스타트업은 몇 개 기업인가?"


def many_articles(n: int) -> bytes:
    lines = [json.dumps({"id": f"n{i:02d}", "title": f"지역 소식 {i}", "url": f"https://news.example/{i}",
                         "published": "2024-03-01", "text": f"{i}번 마을은 올해 축제를 {i}일 동안 연다고 밝혔다."},
                        ensure_ascii=False) for i in range(n)]
    return "\n".join(lines).encode()


@pytest.fixture
def library(tmp_path, embedder):
    """The default article, a close one (busan_startups) and 43 short ones: 45 articles, three pages."""
    busan = tmp_path / "src" / "busan_startups.txt"
    busan.parent.mkdir(parents=True)
    busan.write_text(BUSAN, encoding="utf-8")
    svc = make_service(tmp_path / "data", embedder, [DEFAULT_ARTICLE, busan])
    svc.open()
    svc.ingest_document("many.jsonl", many_articles(43))
    return svc


@asynccontextmanager
async def bot(tmp_path, service, answerer=None, tg: FakeTelegram | None = None, **overrides):
    answerer = answerer or ScriptedAnswerer(service)
    with FakeTelegram() if tg is None else _same(tg) as tg:
        tg.chat_admins = {GROUP: {GROUP_ADMIN}}
        async with running_bot(bot_settings(tg, tmp_path / "bot", **overrides), service, answerer) as app:
            yield tg, answerer, app


@contextmanager
def _same(tg: FakeTelegram):
    yield tg


async def say(tg, text: str, contains: str = "", chat: int = USER, user: int | None = None):
    since = tg.mark()
    if chat > 0:
        tg.message(text, user_id=chat)
    else:
        tg.message(text, chat_id=chat, chat_type="group", user_id=user or USER)
    return await tg.wait("sendMessage", from_bot(chat, contains), since=since)


def buttons(markup: dict | None) -> list[tuple[str, str]]:
    return [(b["text"], b["callback_data"]) for row in (markup or {}).get("inline_keyboard", []) for b in row]


async def press(tg, data: str, message, user: int = USER):
    since = tg.mark()
    tg.callback(data, message=message, user_id=user)
    return since, await tg.wait("answerCallbackQuery", since=since)


async def test_articles_are_paged_with_buttons_and_choosing_one_scopes_answers_until_all(tmp_path, library):
    async with bot(tmp_path, library) as (tg, answerer, app):
        start = await say(tg, "/start", "45 article(s)")
        assert "/articles" in start.params["text"]
        listing = await say(tg, "/articles", "45 article(s)")
        text, keys = listing.params["text"], buttons(listing.params["reply_markup"])
        assert "page 1 of 3" in text and "2024-03-01" in text and "<code>" not in text  # ids are for admins
        assert len(keys) == 21 and keys[-1] == ("Next ›", "arp:1")  # 20 articles, then the pager
        page_msg = tg.sent(USER)[-1]

        _, ok = await press(tg, "arp:2", page_msg)
        assert "text" not in ok.params
        edited = await tg.wait("editMessageText", from_bot(USER, "page 3 of 3"))
        assert [t for t, _ in buttons(edited.params["reply_markup"])][-1] == "‹ Previous"
        assert len(buttons(edited.params["reply_markup"])) == 5 + 1

        for forged in ("arp:-1", "arp:99999999999", "art:zz", "art:" + "0" * 16 + "x", "ask:abc"):
            since, ack = await press(tg, forged, page_msg)
            assert not tg.find("sendMessage", from_bot(USER), since=since)
        assert app.bot_data["articlebot"].store.focus(USER) is None

        await press(tg, f"art:{article_key(DEFAULT_ID)}", page_msg)
        await tg.wait("sendMessage", from_bot(USER, "Now I answer from"))
        answer = await say(tg, Q, "답변")
        assert answerer.scopes[-1] == DEFAULT_ID and "📰" not in answer.params["text"]  # chosen: no need to name it
        summary = await say(tg, "이 기사 요약해줘", "답변")  # with a choice, a summary is of that article
        assert answerer.scopes[-1] == DEFAULT_ID and "📰" not in str(summary.params.get("reply_markup"))

        await say(tg, "/all", "all 45 article(s)")
        answer = await say(tg, "부산관에는 스타트업이 몇 개 참여했나?", "답변")
        assert answerer.scopes[-1] is None
        assert "📰" in answer.params["text"]  # several articles, no choice: the answer names its article
        answer = await say(tg, "17번 마을은 축제를 며칠 동안 여나?", "답변")
        assert '📰 <a href="https://news.example/17">지역 소식 17</a>' in answer.params["text"]  # linked title

        admin_list = await say(tg, "/articles", "45 article(s)", chat=ADMIN)
        assert f"<code>{DEFAULT_ID}</code>" in admin_list.params["text"]


async def test_the_choice_survives_a_restart_and_a_removed_article_is_said_to_be_gone(tmp_path, library):
    with FakeTelegram() as telegram:
        async with bot(tmp_path, library, tg=telegram) as (tg, _, app):
            await say(tg, "/articles", "45 article(s)")
            listing = tg.sent(USER)[-1]
            await press(tg, f"art:{article_key('busan_startups')}", listing)
            await tg.wait("sendMessage", from_bot(USER, "Now I answer from"))
        answerer = ScriptedAnswerer(library)
        async with bot(tmp_path, library, answerer, tg=telegram) as (tg, _, app):
            await _after_restart(tg, answerer, app, library)


async def _after_restart(tg, answerer, app, library):
    if True:
        start = await say(tg, "/start", "article(s)")
        assert "부산시" in start.params["text"] and "/all" in start.params["text"]
        await say(tg, "스타트업은 몇 곳 참여했나?", "답변")
        assert answerer.scopes[-1] == "busan_startups"

        await asyncio.to_thread(library.remove, "busan_startups")
        answer = await say(tg, Q, "답변")
        assert answerer.scopes[-1] is None and "was removed" in answer.params["text"]
        assert app.bot_data["articlebot"].store.focus(USER) is None

        await say(tg, "/articles", "44 article(s)")
        _, gone = await press(tg, f"art:{article_key('busan_startups')}", tg.sent(USER)[-1])
        assert "no longer available" in gone.params["text"]


async def test_in_groups_only_admins_change_the_groups_article(tmp_path, library):
    async with bot(tmp_path, library) as (tg, answerer, app):
        store = app.bot_data["articlebot"].store
        await say(tg, "/articles", "45 article(s)", chat=GROUP)  # anyone may look
        listing = tg.sent(GROUP)[-1]
        choose = f"art:{article_key(DEFAULT_ID)}"
        _, refused = await press(tg, choose, listing, user=USER)
        assert "admins" in refused.params["text"] and store.focus(GROUP) is None

        await press(tg, choose, listing, user=GROUP_ADMIN)
        await tg.wait("sendMessage", from_bot(GROUP, "Now I answer from"))
        assert store.focus(GROUP) == DEFAULT_ID and store.focus(USER) is None  # per chat

        await say(tg, f"/ask {Q}", "답변", chat=GROUP)
        assert answerer.scopes[-1] == DEFAULT_ID

        await say(tg, "/all", "admins", chat=GROUP, user=USER)
        assert store.focus(GROUP) == DEFAULT_ID
        await say(tg, "/all", "all 45", chat=GROUP, user=ADMIN)  # a bot admin may
        assert store.focus(GROUP) is None
        help_text = await say(tg, "/help", "/articles")
        assert "group" in help_text.params["text"] and "admins" in help_text.params["text"]


async def test_a_summary_request_with_several_fitting_articles_names_the_best_and_offers_the_others(
        tmp_path, embedder):
    twin = BUSAN.replace("부산", "대구").replace("박형준", "홍준표").replace("120곳", "90곳")
    src = tmp_path / "src"
    src.mkdir()
    (src / "busan_startups.txt").write_text(BUSAN, encoding="utf-8")
    (src / "daegu_startups.txt").write_text(twin, encoding="utf-8")
    service = make_service(tmp_path / "data", embedder, [DEFAULT_ARTICLE, src])
    service.open()
    answerer = OfflineAnswerer(service)
    async with bot(tmp_path, service, answerer) as (tg, _, app):
        since = tg.mark()
        tg.message("스타트업 CES 참가 지원 기사 요약해줘")
        final = await tg.wait("sendMessage", lambda c: c.params.get("chat_id") == USER
                              and "reply_markup" in c.params, since=since)
        text, keys = final.params["text"], buttons(final.params["reply_markup"])
        cited = {c.article_id for c in app.bot_data["articlebot"].store.citations(USER)}
        assert len(cited) == 1 and "📰" in text
        best = cited.pop()
        others = [(t, d) for t, d in keys if t.startswith("📰")]
        assert others, text
        since, _ = await press(tg, others[0][1], tg.sent(USER)[-1])
        again = await tg.wait("sendMessage", lambda c: c.params.get("chat_id") == USER
                              and "reply_markup" in c.params, since=since)
        assert "요약해줘" in again.params["text"]  # the question is shown above its answer
        other = {c.article_id for c in app.bot_data["articlebot"].store.citations(USER)}
        assert other and best not in other
