"""The bot's pure parts: HTML rendering and splitting, the SQLite store, access and rate limits."""

from __future__ import annotations

import re
import time

import pytest
from fakes.telegram_server import ApiError, parse_html
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.access import Access, RateLimited, UserRateLimit
from bot.storage import BotStore
from bot.render import LIMIT, answer_html, esc, sources_html, split_html
from retrieval.models import Answer, Citation

KO = "서울시는 AI 서울테크시티를 조성한다. 양재동 부지는 20만㎡ 규모다! 정말인가? "


def _answer(text: str, note: str = "", cites: int = 1) -> Answer:
    citations = [Citation(i, "a1", f"제목 {i} <b>&", f"a1#{i}", "조성한다.", "서울시는 AI <테크>시티를 조성한다. 끝.",
                          "https://example.com/a?x=1&y=\"2\"") for i in range(1, cites + 1)]
    return Answer("q", "q", text, True, "llm", citations, note=note)


def _visible(html: str) -> str:
    return parse_html(html)  # raises ApiError exactly where Telegram would refuse the HTML


def test_answer_html_escapes_model_text_and_keeps_markers():
    html = answer_html(_answer("a <b>bold</b> & 'q' [1]", note="fell back <x>"))
    assert "&lt;b&gt;bold&lt;/b&gt; &amp;" in html and "[1]" in html
    assert _visible(html) == "a <b>bold</b> & 'q' [1]\n\nfell back <x>"


def test_sources_show_title_link_and_expandable_excerpt_with_quote_in_bold():
    html = sources_html(_answer("x", cites=2).citations)
    assert html.count("<blockquote expandable>") == 2
    assert '<a href="https://example.com/a?x=1&amp;y=&quot;2&quot;">link</a>' in html
    assert "<b>조성한다.</b>" in html and "제목 1 &lt;b&gt;&amp;" in html
    _visible(html)


@pytest.mark.parametrize("size", [10, 4096, 4097, 6000, 20_000])
def test_split_keeps_every_part_valid_and_under_the_limit(size):
    text = (KO * (size // len(KO) + 1))[:size]
    parts = split_html(answer_html(_answer(text)))
    assert all(len(p) <= LIMIT for p in parts)
    joined = "".join(_visible(p) for p in parts)
    assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", text.strip())
    assert -(-size // LIMIT) <= len(parts) <= -(-size // LIMIT) + 1


def test_split_prefers_paragraphs_then_sentences():
    paras = "\n\n".join(f"{i}번째 문단입니다. " + "내용이 이어진다. " * 60 for i in range(10))
    parts = split_html(esc(paras))
    assert len(parts) > 1
    for p in parts[:-1]:
        assert p.rstrip().endswith("이어진다."), p[-40:]
    assert all(p.lstrip()[0].isdigit() for p in parts)  # each part starts a paragraph


def test_split_closes_and_reopens_tags_across_a_cut():
    html = "<b>Sources</b>\n\n<blockquote expandable>" + esc("긴 인용문. <&> " * 800) + "</blockquote>"
    parts = split_html(html)
    assert len(parts) >= 3
    for p in parts:
        _visible(p)
        assert len(p) <= LIMIT
    assert parts[1].startswith("<blockquote expandable>") and parts[0].endswith("</blockquote>")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["가", "a", "<", "&", ">", " ", ".", "\n", "\n\n", "문장. ", "'", '"']),
                min_size=0, max_size=3000), st.integers(min_value=40, max_value=400))
def test_split_never_breaks_entities_or_tags(atoms, limit):
    text = "".join(atoms)
    html = f"<i>{esc(text)}</i>" if text.strip() else esc(text)
    parts = split_html(html, limit)
    for p in parts:
        assert len(p) <= limit
        _visible(p)
    assert re.sub(r"\s", "", "".join(_visible(p) for p in parts)) == re.sub(r"\s", "", text)


def test_unescaped_html_is_what_telegram_would_refuse():
    with pytest.raises(ApiError):
        parse_html("a < b")
    with pytest.raises(ApiError):
        parse_html("<b>open")


# ----- the store ----------------------------------------------------------------------------------
def test_history_is_bounded_ordered_and_keeps_cited_chunk_ids(tmp_path):
    store = BotStore(tmp_path / "bot.sqlite3")
    for i in range(5):
        store.add_exchange(7, f"q{i}", _answer(f"a{i} [1]"), keep=4)
    store.add_exchange(8, "other chat", _answer("x"), keep=4)
    turns = store.history(7, 10)
    assert [t.content for t in turns] == ["q3", "a3 [1]", "q4", "a4 [1]"]
    assert [t.role for t in turns] == ["user", "assistant"] * 2
    assert turns[1].chunk_ids == ["a1#1"] and turns[0].chunk_ids == []
    assert store.history(7, 2)[0].content == "q4"
    store.close()
    reopened = BotStore(tmp_path / "bot.sqlite3")
    assert len(reopened.history(7, 10)) == 4
    assert reopened.reset(7) == 4 and reopened.history(7, 10) == [] and len(reopened.history(8, 10)) == 2


def test_answers_for_the_sources_button_are_per_chat(tmp_path):
    store = BotStore(tmp_path / "b.sqlite3")
    aid = store.save_answer(1, "q", _answer("x", cites=2).citations)
    assert [c.n for c in store.citations(1, aid)] == [1, 2]
    assert store.citations(2, aid) is None  # another chat cannot read it
    assert store.citations(1)[0].title.startswith("제목")
    assert store.citations(3) is None


def test_stats_count_users_modes_refusals_latency_and_tokens():
    store = BotStore(":memory:")
    for i in range(20):
        a = _answer("x")
        a.answerable, a.mode, a.usage = i % 5 != 0, "llm" if i % 2 else "extractive", {"prompt_tokens": 10,
                                                                                       "completion_tokens": 2}
        store.record(i % 3, 100, "answer", a, latency_ms=float(i + 1) * 100)
    store.record(1, 100, "error")
    store.record(1, 100, "cancelled")
    s = store.stats()
    assert s["users"] == 3 and s["questions"] == 22 and s["refusals"] == 4
    assert s["answers_by_mode"] == {"llm": 10, "extractive": 10}
    assert s["latency_p50_ms"] == 1000.0 and s["latency_p95_ms"] == 1900.0
    assert (s["prompt_tokens"], s["completion_tokens"], s["errors"], s["cancelled"]) == (200, 40, 1, 1)


# ----- access -----------------------------------------------------------------------------------
def test_user_rate_limit_is_a_sliding_minute():
    limit = UserRateLimit(2, window=0.2)
    limit.check(1)
    limit.check(1)
    limit.check(2)
    with pytest.raises(RateLimited) as info:
        limit.check(1)
    assert 0 < info.value.retry_after <= 0.2
    time.sleep(0.21)
    limit.check(1)


def test_admins_pass_allow_lists():
    class U:
        def __init__(self, uid, cid):
            self.effective_user = type("u", (), {"id": uid})()
            self.effective_chat = type("c", (), {"id": cid})()

    open_bot = Access([9])
    assert open_bot.allows(U(1, 1))
    closed = Access([9], users=[5], chats=[-100])
    assert closed.allows(U(5, 5)) and closed.allows(U(9, 9)) and closed.allows(U(7, -100))
    assert not closed.allows(U(7, 7))
