"""Hybrid search: Korean questions find their chunk; English questions reach Korean text through dense vectors."""

from __future__ import annotations

import json

import pytest
from conftest import DEFAULT_ARTICLE, DEFAULT_ID, make_service

from retrieval.korean import terms

DISTRACTORS = [
    {"id": "weather", "title": "주말 한파 예보",
     "text": "기상청은 이번 주말 서울의 아침 최저기온이 영하 12도까지 떨어질 것이라고 예보했다. 강원 산간에는 최대 "
             "20센티미터의 눈이 내릴 전망이다.\n기상청은 수도관 동파와 빙판길 사고에 대비해 달라고 당부했다. 추위는 "
             "다음 주 화요일부터 점차 풀릴 것으로 보인다."},
    {"id": "baseball", "title": "프로야구 개막",
     "text": "프로야구 정규시즌이 다음 달 23일 개막한다. 올해는 10개 구단이 팀당 144경기를 치른다.\n한국야구위원회는 "
             "경기 시간 단축을 위해 피치클록을 시범 도입한다고 밝혔다. 개막전 입장권은 다음 주 월요일부터 판매된다."},
    {"id": "bank", "title": "기준금리 동결",
     "text": "한국은행 금융통화위원회는 기준금리를 연 3.5%로 동결했다. 물가 상승률이 둔화하고 있지만 가계부채 "
             "증가세가 여전히 부담이라는 판단이다.\n총재는 기자간담회에서 하반기 금리 인하 가능성을 열어 두었다."},
]


def write_distractors(path):
    path.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in DISTRACTORS), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, real_embedder):
    """The default article and three unrelated ones, with the real E5 embedder."""
    root = tmp_path_factory.mktemp("search")
    svc = make_service(root / "data", real_embedder, [DEFAULT_ARTICLE])
    svc.open()
    svc.ingest([str(write_distractors(root / "extra.jsonl"))])
    return svc


# ----- Korean, with the fake embedder (BM25 carries these) ------------------------------------------
@pytest.mark.parametrize(
    ("question", "needle"),
    [
        ("서울관에 참여한 서울 소재 스타트업은 몇 개 기업인가?", "81개"),
        ("올해 10월 개최하는 서울판 CES는 어디에서 열리나?", "코엑스"),
        ("AI 서울테크시티는 양곡도매시장 부지에 몇 제곱미터 규모로 조성되나?", "20만㎡"),
        ("시저스 팰리스 호텔에서 누구를 만났나?", "시저스 팰리스"),
    ],
)
def test_korean_question_finds_the_right_chunk_with_bm25(service, tmp_path, question, needle):
    service.ingest([str(write_distractors(tmp_path / "extra.jsonl"))])
    top = service.search(question, k=1)[0]
    assert top.article_id == DEFAULT_ID and needle in top.text


def test_results_are_ordered_and_limited(service):
    hits = service.search("서울관", k=2)
    assert len(hits) == 2
    assert hits[0].score >= hits[1].score
    assert len(service.search("서울관", k=100)) == len(service.snapshot())


def test_extra_terms_steer_the_search(service):
    snap = service.snapshot()
    [row] = [i for i, t in enumerate(snap.records.texts) if "서울바이오허브" in t]
    plain = service.searcher.scores(snap, "몇 곳이야?")
    steered = service.searcher.scores(snap, "몇 곳이야?", ["바이오", "허브", "스타트업"])
    assert steered[row] > plain[row]
    assert steered[row] == steered.max()


def test_search_on_an_empty_index(empty_service):
    assert empty_service.search("서울관") == []


# ----- the real embedder ---------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "needle"),
    [
        ("CES 2024에서 오세훈 서울시장과 대담한 사람은 누구인가?", "장재민"),
        ("올해 10월 개최하는 서울판 CES는 어디에서 열리나?", "코엑스"),
        ("서울관에는 서울 소재 스타트업이 몇 곳 참여했나?", "81개"),
        ("최고혁신상을 받은 참여기업은 몇 곳인가?", "2개 기업"),
        ("이번 주말 아침 최저기온은 몇 도까지 떨어지나?", "영하 12도"),
        ("기준금리는 얼마로 동결됐나?", "3.5%"),
    ],
)
def test_korean_question_finds_the_right_chunk(corpus, question, needle):
    top = corpus.search(question, k=1)[0]
    assert needle in top.text, f"{question!r} found {top.text[:80]!r}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "article", "needle"),
    [
        ("Where will the Seoul Smart Life Week be held?", DEFAULT_ID, "코엑스"),
        ("What does the Seoul Smart Life Week aim to help companies with?", DEFAULT_ID, "투자유치"),
        ("How many companies won the top innovation award?", DEFAULT_ID, "최고혁신상"),
        ("Which hotel did Oh Se-hoon meet the chairman at?", DEFAULT_ID, "시저스 팰리스"),
        ("Who did the mayor of Seoul meet in Las Vegas?", DEFAULT_ID, "장재민"),
        ("How cold will it be this weekend?", "weather", "영하 12도"),
        ("When does the baseball season start?", "baseball", "23일"),
        ("What did the central bank do with interest rates?", "bank", "동결"),
    ],
)
def test_english_question_about_korean_text_works_through_dense(corpus, question, article, needle):
    snap = corpus.snapshot()
    assert snap.bm25.scores(terms(question)).max() == 0, "no shared words: only the dense side can find it"
    hits = corpus.search(question, k=2)
    assert hits[0].article_id == article
    assert any(needle in h.text for h in hits), [h.text[:60] for h in hits]


def test_search_can_be_kept_to_one_article(service, tmp_path):
    service.ingest([str(write_distractors(tmp_path / "extra.jsonl"))])
    snap = service.snapshot()
    hits = service.searcher.search(snap, "서울 스타트업 기준금리", k=3, article_id="bank")
    assert hits and {h.article_id for h in hits} == {"bank"}
    assert service.searcher.search(snap, "서울", k=3, article_id="no-such-article") == []
    everywhere = service.searcher.search(snap, "서울 스타트업 기준금리", k=3)
    assert any(h.article_id != "bank" for h in everywhere)
