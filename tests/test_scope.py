"""Answering from one chosen article: search, retrieval, the offline answer and the CLI all stay inside it."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from conftest import DEFAULT_ARTICLE, DEFAULT_ID, make_service, run_cli

from retrieval.answer.offline import OfflineAnswerer
from retrieval.errors import ArticleNotFound
from retrieval.models import Turn

# A second article on a close topic (startups, a city, an exhibition), so unscoped retrieval mixes them.
BUSAN = """부산시, 스타트업 120곳 CES 참가 지원
부산시는 올해 스타트업 120곳의 CES 참가를 지원한다고 밝혔다.
박형준 부산시장은 라스베이거스에서 열린 CES 2024 부산관을 방문해 참여 기업들을 격려했다.
부산관에는 지역 스타트업 34개 기업이 참여했으며 이 가운데 5개 기업이 혁신상을 받았다.
부산시는 내년부터 해외 전시회 참가 예산을 두 배로 늘릴 계획이다.
"""
QUESTIONS = ["스타트업은 몇 개 기업이 참여했나?", "혁신상을 받은 기업은 몇 곳인가?", "시장은 CES에서 무엇을 했나?",
             "AI 서울테크시티는 어디에 조성되나?"]


def two_articles(tmp_path: Path, embedder) -> tuple:
    busan = tmp_path / "src" / "busan_startups.txt"
    busan.parent.mkdir(parents=True)
    busan.write_text(BUSAN, encoding="utf-8")
    svc = make_service(tmp_path / "data", embedder, [DEFAULT_ARTICLE, busan])
    svc.open()
    return svc, "busan_startups"


def test_search_and_answers_with_an_article_id_never_leave_that_article(tmp_path, embedder):
    svc, busan = two_articles(tmp_path, embedder)
    assert {a.id for a in svc.articles()} == {DEFAULT_ID, busan}
    assert {p.article_id for q in QUESTIONS for p in svc.search(q, k=10)} == {DEFAULT_ID, busan}  # they mix
    for aid in (DEFAULT_ID, busan):
        for q in QUESTIONS:
            assert {p.article_id for p in svc.search(q, k=10, article_id=aid)} == {aid}
            answer = svc.ask(q, article_id=aid)
            assert {c.article_id for c in answer.citations} <= {aid}
            assert {p.article_id for p in answer.passages} == {aid}
    assert "34" in svc.ask(QUESTIONS[0], article_id=busan).answer
    assert "81" in svc.ask("서울관에 참여한 스타트업은 몇 개 기업인가?", article_id=DEFAULT_ID).answer


def test_a_follow_up_does_not_carry_passages_of_another_article_into_a_scoped_question(tmp_path, embedder):
    svc, busan = two_articles(tmp_path, embedder)
    first = svc.ask("부산관에는 스타트업이 몇 개 참여했나?", article_id=busan)
    assert first.citations
    history = [Turn("user", first.question), Turn("assistant", first.answer, [c.chunk_id for c in first.citations])]
    follow = OfflineAnswerer(svc).ask("그중 혁신상은?", history, article_id=DEFAULT_ID)
    assert {p.article_id for p in follow.passages} == {DEFAULT_ID}
    assert {c.article_id for c in follow.citations} <= {DEFAULT_ID}


def test_an_unknown_article_id_is_a_clear_error(tmp_path, embedder):
    svc, _ = two_articles(tmp_path, embedder)
    with pytest.raises(ArticleNotFound, match="nope"):
        svc.ask("스타트업은 몇 개?", article_id="nope")
    with pytest.raises(ArticleNotFound):
        svc.search("스타트업", article_id="nope")


def test_articles_are_listed_once_per_index_version_and_passages_come_in_reading_order(tmp_path, embedder):
    svc, busan = two_articles(tmp_path, embedder)
    listed = svc.articles()
    listed.pop()
    assert len(svc.articles()) == 2  # callers get a copy of the cached list, whose items cannot change
    with pytest.raises(FrozenInstanceError):
        listed[0].title = "changed by a caller"  # type: ignore[misc]
    passages = svc.article_passages(DEFAULT_ID)
    assert [p.position for p in passages] == sorted(p.position for p in passages)
    assert {p.article_id for p in passages} == {DEFAULT_ID}
    svc.remove(busan)
    assert [a.id for a in svc.articles()] == [DEFAULT_ID]  # a new version is listed anew


@pytest.mark.slow
def test_cli_ask_and_chat_take_an_article_id(tmp_path):
    data = tmp_path / "data"
    busan = tmp_path / "busan_startups.txt"
    busan.write_text(BUSAN, encoding="utf-8")
    assert run_cli(["ingest", str(busan)], data).returncode == 0
    result = run_cli(["ask", QUESTIONS[0], "--json", "--article", "busan_startups"], data)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["answerable"] and "34" in answer["answer"]
    assert {c["article_id"] for c in answer["citations"]} == {"busan_startups"}
    chat = run_cli(["chat", "--article", DEFAULT_ID], data, input="서울관에 참여한 스타트업은 몇 개 기업인가?\n")
    assert chat.returncode == 0 and "81" in chat.stdout and "34" not in chat.stdout, chat.stdout
    bad = run_cli(["ask", QUESTIONS[0], "--article", "nope"], data)
    assert bad.returncode == 1 and "nope" in bad.stderr and "Traceback" not in bad.stderr
