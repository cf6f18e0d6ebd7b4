"""Follow-up questions: the offline condenser, and conversations answered with the real embedder."""

from __future__ import annotations

import pytest
from conftest import assert_answer_contract

from retrieval.answer.followup import condense, needs_context
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
