"""Suggested questions end to end against the fake Bot API: shown after /start, after choosing an article and
after each answer; pressing one asks it; every one shown gets an answer, offline and with the scripted LLM."""

from __future__ import annotations

import asyncio
import re
import time
from contextlib import asynccontextmanager

import pytest
from conftest import DEFAULT_ID, SHARED_EVAL, make_service
from fakes.bot_harness import USER, bot_settings, from_bot, running_bot
from fakes.openai_server import FakeOpenAI, fake_openai, is_rewrite, passages_in, prompt_text, question_in  # noqa: F401
from fakes.telegram_server import FakeTelegram

from articlebot.compose import build_answerer, build_suggester
from bot.scope import article_key
from retrieval.answer.offline import OfflineAnswerer
from retrieval.answer.questions import offline_questions
from retrieval.base import NOT_IN_ARTICLE
from retrieval.korean import terms
from retrieval.models import Passage

REFUSALS = tuple(NOT_IN_ARTICLE.values())
NEWS_DEV = SHARED_EVAL / "news_dev" / "articles"


@asynccontextmanager
async def bot(tmp_path, service, answerer, **kw):
    with FakeTelegram() as tg:
        settings = bot_settings(tg, tmp_path / "bot", **{"suggestions": True, **kw.pop("settings", {})})
        async with running_bot(settings, service, answerer, **kw) as app:
            yield tg, app


async def suggested(tg: FakeTelegram, chat: int, after: int, timeout: float = 30) -> tuple[list[tuple[str, str]], object]:
    """The question buttons of the first bot message numbered above `after` that gets any (they may be
    attached a moment after the message)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for msg in tg.sent(chat):
            rows = (msg.reply_markup or {}).get("inline_keyboard", [])
            asks = [(b["text"], b["callback_data"]) for row in rows for b in row if b["callback_data"].startswith("ask:")
                    and b["text"].startswith("💬")]
            if msg.message_id > after and asks:
                return asks, msg
        await asyncio.sleep(0.05)
    return [], None


def last_id(tg: FakeTelegram, chat: int) -> int:
    sent = tg.sent(chat)
    return sent[-1].message_id if sent else 0


async def press_and_answer(tg: FakeTelegram, data: str, message, chat: int = USER) -> str:
    """Press a question button; the answer (with the question shown above it) comes back as HTML."""
    since = tg.mark()
    tg.callback(data, message=message, user_id=chat)
    ack = await tg.wait("answerCallbackQuery", since=since)
    assert "text" not in ack.params, ack.params
    final = await tg.wait("sendMessage", lambda c: c.params.get("chat_id") == chat and "❓" in str(c.params.get("text"))
                          and "reply_markup" in c.params, since=since, timeout=60)
    return final.params["text"]


def assert_answered(html: str, store, chat: int, article_id: str | None) -> None:
    assert not any(r in html for r in REFUSALS), html
    cited = store.citations(chat)
    assert cited, html
    if article_id is not None:
        assert {c.article_id for c in cited} == {article_id}, html


async def test_start_choice_and_answers_offer_questions_that_get_answers(tmp_path, service):
    answerer = OfflineAnswerer(service)
    async with bot(tmp_path, service, answerer) as (tg, app):
        store = app.bot_data["articlebot"].store
        mark = last_id(tg, USER)
        tg.message("/start")
        asks, start_msg = await suggested(tg, USER, mark)
        assert 1 <= len(asks) <= 3, asks
        for label, data in asks:
            mark = last_id(tg, USER)
            html = await press_and_answer(tg, data, start_msg)
            assert label.removeprefix("💬 ").rstrip("…") in html
            assert_answered(html, store, USER, DEFAULT_ID)
            after, _ = await suggested(tg, USER, mark)  # the answer offers more, never the one just asked
            assert label not in [t for t, _ in after]
        await asyncio.sleep(0.2)
        asked = [q for q, _ in answerer_calls(store)]
        assert len(asked) == len(asks)


def answerer_calls(store) -> list[tuple[str, str]]:
    return [(t.content, t.role) for t in store.history(USER, 100) if t.role == "user"]


async def test_suggestions_can_be_switched_off(tmp_path, service):
    async with bot(tmp_path, service, OfflineAnswerer(service), settings={"suggestions": False}) as (tg, _):
        mark = last_id(tg, USER)
        tg.message("/start")
        await tg.wait("sendMessage", from_bot(USER, "article(s)"))
        tg.message("서울관에 참여한 스타트업은 몇 개 기업인가?")
        await tg.wait("sendMessage", from_bot(USER, "81"))
        asks, _ = await suggested(tg, USER, mark, timeout=1.5)
        assert asks == []


@pytest.fixture
def news_dev(tmp_path, embedder):
    if not NEWS_DEV.is_dir():
        pytest.skip(f"{NEWS_DEV} is not here (../shared is not checked out)")
    svc = make_service(tmp_path / "data", embedder, [NEWS_DEV])
    svc.open()
    return svc


async def test_every_suggestion_on_the_news_dev_articles_gets_an_answer_from_its_article(tmp_path, news_dev):
    shown = 0
    async with bot(tmp_path, news_dev, OfflineAnswerer(news_dev)) as (tg, app):
        store = app.bot_data["articlebot"].store
        tg.message("/articles")
        listing = await tg.wait("sendMessage", from_bot(USER, "10 article(s)"))
        listing_msg = tg.sent(USER)[-1]
        for article in news_dev.articles():
            mark = last_id(tg, USER)
            since = tg.mark()
            tg.callback(f"art:{article_key(article.id)}", message=listing_msg)
            await tg.wait("sendMessage", from_bot(USER, "Now I answer from"), since=since)
            asks, msg = await suggested(tg, USER, mark, timeout=10)
            for _, data in asks:
                html = await press_and_answer(tg, data, msg)
                assert_answered(html, store, USER, article.id)  # with a choice made, no other article is cited
                shown += 1
        assert "10 article(s)" in listing.params["text"]
        # With no choice: /start suggests questions about several articles; each is answered from its own.
        tg.message("/all")
        await tg.wait("sendMessage", from_bot(USER, "all 10"))
        mark = last_id(tg, USER)
        tg.message("/start")
        asks, start_msg = await suggested(tg, USER, mark)
        assert asks
        for _, data in asks:
            article_id, _ = store.ask_of(USER, int(data.removeprefix("ask:")))
            html = await press_and_answer(tg, data, start_msg)
            assert_answered(html, store, USER, article_id)
            assert "📰" in html  # no choice made: the answer names its article
            shown += 1
    print(f"news_dev: {shown} suggestions shown, all answered")
    assert shown >= 20


async def test_a_suggestion_about_another_article_than_the_chosen_one_is_not_asked(tmp_path, news_dev):
    first, second = [a.id for a in news_dev.articles()[:2]]
    async with bot(tmp_path, news_dev, OfflineAnswerer(news_dev)) as (tg, app):
        tg.message("/articles")
        await tg.wait("sendMessage", from_bot(USER, "10 article(s)"))
        listing = tg.sent(USER)[-1]
        mark = last_id(tg, USER)
        tg.callback(f"art:{article_key(first)}", message=listing)
        asks, msg = await suggested(tg, USER, mark)
        assert asks
        since = tg.mark()
        tg.callback(f"art:{article_key(second)}", message=listing)
        await tg.wait("sendMessage", from_bot(USER, "Now I answer from"), since=since)
        since = tg.mark()
        tg.callback(asks[0][1], message=msg)
        ack = await tg.wait("answerCallbackQuery", since=since)
        assert "another article" in ack.params["text"]
        await asyncio.sleep(0.3)
        assert not tg.find("sendMessage", lambda c: "❓" in str(c.params.get("text")), since=since)


# ----- with the scripted LLM ----------------------------------------------------------------------
UNANSWERABLE = "기사에 나온 오늘 서울 날씨는 어떤가요?"
LLM_QUESTIONS = ["1. 서울관에 참여한 스타트업은 몇 개 기업인가요?", "- " + UNANSWERABLE,
                 "AI 서울테크시티는 어디에 조성되나요?", "오세훈 시장은 CES에서 누구를 만났나요?"]


def faithful_model(body: dict) -> str:
    """Writes the suggestions asked for, and answers by quoting the passage sentence sharing most of the
    question's words (at least half), cited; otherwise it says the article doesn't say."""
    text = prompt_text(body)
    if "questions a reader could ask" in text:
        article = re.search(r"<article [^>]*>\n(.*)\n</article>", text, re.DOTALL)
        if article and "서울테크시티" not in article.group(1):  # another article: questions from its sentences
            made = offline_questions([Passage("x#0", "x", "", article.group(1))])
            return "\n".join([UNANSWERABLE] + made)
        return "\n".join(LLM_QUESTIONS)
    if is_rewrite(body):
        return question_in(body)
    asked = set(terms(question_in(body)))
    best, where, score = "", 0, 0.0
    for n, passage in passages_in(body).items():
        for sentence in re.split(r"(?<=[.!?])\s+|\n", passage):
            shared = len(asked & set(terms(sentence))) / max(len(asked), 1)
            if shared > score and sentence.strip():
                best, where, score = sentence.strip(), n, shared
    return f"{best} [{where}]" if score >= 0.5 else NOT_IN_ARTICLE["ko"]


async def test_with_the_llm_the_models_questions_are_offered_only_when_answered(tmp_path, service, fake_openai):
    fake_openai.handler = faithful_model
    with FakeTelegram() as tg:
        settings = bot_settings(tg, tmp_path / "bot", suggestions=True, openai_api_key="test",
                                openai_base_url=fake_openai.base_url, llm_model="fake-model", llm_retries=0)
        answerer = build_answerer(settings, service)
        suggester = build_suggester(settings, service, answerer)
        async with running_bot(settings, service, answerer, suggester=suggester) as app:
            store = app.bot_data["articlebot"].store
            mark = last_id(tg, USER)
            tg.message("/start")
            asks, start_msg = await suggested(tg, USER, mark)
            labels = [t.removeprefix("💬 ") for t, _ in asks]
            assert labels and UNANSWERABLE not in labels
            assert set(labels) <= {q.removeprefix("1. ").removeprefix("- ") for q in LLM_QUESTIONS}
            for _, data in asks:
                html = await press_and_answer(tg, data, start_msg)
                assert_answered(html, store, USER, DEFAULT_ID)
    assert any("questions a reader could ask" in prompt_text(b) for b in fake_openai.chat_requests)


async def test_with_the_llm_every_suggestion_on_the_news_dev_articles_is_answered_from_its_article(
        tmp_path, news_dev, fake_openai):
    fake_openai.handler = faithful_model
    shown = 0
    with FakeTelegram() as tg:
        settings = bot_settings(tg, tmp_path / "bot", suggestions=True, openai_api_key="test",
                                openai_base_url=fake_openai.base_url, llm_model="fake-model", llm_retries=0)
        answerer = build_answerer(settings, news_dev)
        async with running_bot(settings, news_dev, answerer,
                               suggester=build_suggester(settings, news_dev, answerer)) as app:
            store = app.bot_data["articlebot"].store
            tg.message("/articles")
            await tg.wait("sendMessage", from_bot(USER, "10 article(s)"))
            listing = tg.sent(USER)[-1]
            for article in news_dev.articles():
                mark = last_id(tg, USER)
                tg.callback(f"art:{article_key(article.id)}", message=listing)
                asks, msg = await suggested(tg, USER, mark, timeout=10)
                assert UNANSWERABLE not in [t.removeprefix("💬 ") for t, _ in asks]
                for _, data in asks:
                    html = await press_and_answer(tg, data, msg)
                    assert_answered(html, store, USER, article.id)
                    shown += 1
    print(f"news_dev with the scripted LLM: {shown} suggestions shown, all answered")
    assert shown >= 20
