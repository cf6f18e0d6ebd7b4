"""Follow-up questions: the offline condenser, and conversations answered with the real embedder."""

from __future__ import annotations

import pytest
from conftest import assert_answer_contract

from retrieval.answer.followup import condense, needs_context, referent
from retrieval.korean import terms
from retrieval.models import Turn


def conversation(*pairs: tuple[str, str, list[str]]) -> list[Turn]:
    turns: list[Turn] = []
    for q, a, ids in pairs:
        turns += [Turn("user", q), Turn("assistant", a, ids)]
    return turns


HISTORY = conversation(("AI 서울테크시티는 어디에 조성돼?", "“양재동 양곡도매시장 부지에…” [1]", ["art#c1"]))


# ----- the condenser ---------------------------------------------------------------------------------------
def test_without_history_the_question_stands_alone():
    c = condense("규모는?", [])
    assert (c.standalone, c.context_terms, c.carried_chunk_ids) == ("규모는?", [], [])


def test_a_self_contained_question_ignores_the_history():
    q = "서울관에 참여한 서울 소재 스타트업은 몇 개 기업인가?"
    assert not needs_context(q)
    c = condense(q, HISTORY)
    assert c.standalone == q and c.context_terms == [] and c.carried_chunk_ids == []


@pytest.mark.parametrize("question", ["규모는?", "그곳의 규모는 얼마나 돼?", "그건 언제 완공돼?", "How big is it?",
                                      "What about its size?"])
def test_a_short_or_referring_question_borrows_the_previous_topic(question):
    assert needs_context(question)
    c = condense(question, HISTORY)
    assert question in c.standalone
    assert "서울테크시티" in c.standalone
    assert set(c.context_terms) <= set(terms(HISTORY[0].content))
    assert "서울테크시티" in c.context_terms
    assert c.carried_chunk_ids == ["art#c1"]


def test_the_latest_user_turn_is_the_topic():
    history = HISTORY + conversation(("서울관에는 스타트업이 몇 개 참여했어?", "“81개” [1]", ["art#c3"]))
    c = condense("그중 혁신상을 받은 곳은?", history)
    assert "스타트업" in c.standalone and "서울테크시티" not in c.standalone
    assert c.carried_chunk_ids == ["art#c3"]


def test_history_without_a_user_turn_changes_nothing():
    c = condense("규모는?", [Turn("assistant", "안녕하세요")])
    assert c.standalone == "규모는?"


def test_words_already_in_the_question_are_not_repeated():
    c = condense("그 AI 서울테크시티 규모는?", HISTORY)
    assert "서울테크시티" not in c.context_terms


# ----- conversations with the real embedder ------------------------------------------------------------------
CONVERSATIONS = [
    # (turns of (question, key that the answer and a cited passage hold))
    [("AI 서울테크시티는 어느 부지에 조성돼?", "양곡도매시장"), ("규모는?", "20만")],
    [("제1회 서울 스마트 라이프 위크는 어디에서 개최해?", "코엑스"), ("그건 언제 열려?", "10월")],
    # A new, self-contained question after a follow-up is answered on its own.
    [("AI 서울테크시티는 어느 부지에 조성돼?", "양곡도매시장"),
     ("서울관에 참여한 서울 소재 스타트업은 몇 개 기업인가?", "81개")],
]


@pytest.mark.slow
@pytest.mark.parametrize("turns", CONVERSATIONS, ids=lambda t: " / ".join(q for q, _ in t))
def test_follow_up_conversations(real_service, turns):
    history: list[Turn] = []
    for question, key in turns:
        answer = real_service.ask(question, history)
        data = answer.to_json()
        assert_answer_contract(data)
        assert data["answerable"], f"{question!r} (standalone {data['standalone_question']!r}) was refused"
        assert key in data["answer"] and any(key in c["passage"] for c in data["citations"]), data["answer"]
        history += [Turn("user", question), Turn("assistant", answer.answer, [c.chunk_id for c in answer.citations])]


@pytest.mark.slow
def test_a_follow_up_after_a_refusal_is_still_refused_when_the_article_is_silent(real_service):
    history: list[Turn] = []
    first = real_service.ask("한남4구역 시공사는 어디로 결정됐나?")
    assert not first.answerable
    history += [Turn("user", first.question), Turn("assistant", first.answer, [])]
    second = real_service.ask("그럼 거긴 언제 착공해?", history)
    assert not second.answerable and second.citations == []


def test_third_turn_borrows_the_topic_from_two_questions_back():
    """A bare follow-up after a bare follow-up still knows what the conversation is about."""
    history = [Turn("user", "AI 서울테크시티는 어디에 조성돼?"), Turn("assistant", "…"),
               Turn("user", "규모는?"), Turn("assistant", "…")]
    cond = condense("어떤 시설이 들어서?", history)
    assert "서울테크시티" in cond.standalone


# ----- what the last answer named ------------------------------------------------------------------------
def test_a_pointing_question_carries_the_name_the_last_answer_gave():
    """"그 교수팀" is the professor just named: the name nearest the asked words in the quote, or the short answer."""
    history = conversation(("그중 화학 분야 교수는 누구야?",
                            "“△이영숙(생명) △이진원(기계) △조문호(신소재) △최희철(화학) 교수 연구팀이 그 주인공.” [1]",
                            ["art#c2"]))
    assert referent(history) == "최희철"
    c = condense("그 교수팀은 뭘 했어?", history)
    assert c.standalone.startswith("최희철") and "최희철" in c.context_terms
    led = conversation(("서울관을 둘러본 사람은 누구야?", "장재민 — “…둘러본 장재민 회장은…” [1]", ["art#c1"]))
    assert referent(led) == "장재민"
    assert condense("그가 한 말은?", led).standalone.startswith("장재민")


def test_a_refusal_or_a_set_names_no_one():
    refused = conversation(("시공사는 어디야?", "기사에는 이 질문에 대한 내용이 나와 있지 않습니다.", []))
    assert referent(refused) is None
    numbers = conversation(("몇 명이 투입돼?", "246명 — “안전관리에는 총 246명이 투입된다.” [1]", ["art#c1"]))
    assert referent(numbers) is None  # a number is not someone "그" can point at
    # "그중" points at the set the last answer counted, not at a name in it.
    history = conversation(("포스텍 연구팀은 몇 개 뽑혔어?", "“포스텍(총장 백성기) 연구팀 6개가 뽑혔다.” [1]", ["art#c1"]))
    assert "백성기" not in condense("그중 화학 분야 교수는 누구야?", history).standalone


def test_the_topic_is_made_of_nouns_not_question_words():
    history = conversation(("노을의 고양 공연은 어디서 열려?", "…", ["art#c1"]), ("며칠이었는데?", "…", ["art#c1"]))
    c = condense("표는 어떻게 돼?", history)
    assert "며칠" not in c.standalone and "고양" in c.standalone


def test_a_question_known_to_continue_the_conversation_borrows_the_topic_however_long():
    q = "하루 운영 시간은 어떻게 돼?"
    assert not needs_context(q)
    assert condense(q, HISTORY).standalone == q
    c = condense(q, HISTORY, follow_up=True)
    assert "서울테크시티" in c.standalone and q in c.standalone


def test_the_answer_is_not_a_name_the_question_already_used():
    history = conversation(("경남에서 제일 먼저 개장하는 해수욕장은 어디야?",
                            "“경남도는 오는 7월 5일 남해상주은모래비치 개장을 시작으로 해수욕장 26곳을 개장한다.” [1]",
                            ["art#c1"]))
    assert referent(history) == "남해상주은모래비치"


def test_whom_the_last_question_pointed_at_stays_the_subject():
    """"그 교수는 몇 살이야?" → "어떤 연구로 뽑혔어?": still that professor, not the whole list's topic."""
    history = conversation(
        ("포스텍 생명과학과 교수는 누구야?", "“화학과 정성기(62), 생명과학과 오병하(46), 화학공학과 조길원(51) 교수팀”"
                                         " [1]", ["art#c1"]),
        ("그 교수는 몇 살이야?", "“생명과학과 오병하(46)” [1]", ["art#c1"]))
    c = condense("어떤 연구로 뽑혔어?", history)
    assert c.standalone == "오병하 — 어떤 연구로 뽑혔어?"
    assert c.context_terms == ["오병하"]  # one term, not the syllables Kiwi may split it into


def test_a_name_the_question_already_says_is_not_borrowed_again():
    history = conversation(("서울관을 둘러본 사람은 누구야?", "장재민 — “…둘러본 장재민 회장은…” [1]", ["art#c1"]))
    c = condense("그 장재민 회장은 뭐라고 했어?", history)
    assert "서울관" in c.standalone and c.context_terms and set(c.context_terms) <= set(terms("서울관"))
