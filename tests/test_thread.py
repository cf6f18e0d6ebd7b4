"""A conversation stays on its article: the follow-up's article, names that leave it, passage order."""

from __future__ import annotations

from conftest import DEFAULT_ID
from test_scope import two_articles  # two articles on close topics (Seoul's and Busan's CES halls)

from retrieval.answer.thread import conversation_article, leaves_article, names, thread_first
from retrieval.models import Passage, Turn


def passage(chunk_id: str, article_id: str) -> Passage:
    return Passage(chunk_id, article_id, "title", "text")


def test_the_conversation_is_on_the_article_the_last_answer_quoted():
    history = [Turn("user", "q1"), Turn("assistant", "a1", ["a#1"]), Turn("user", "q2"),
               Turn("assistant", "a2", ["gone#1", "b#1"])]
    known = {"a#1": passage("a#1", "a"), "b#1": passage("b#1", "b")}
    assert conversation_article(history, known.get) == "b"  # a chunk no longer indexed is skipped
    assert conversation_article(history[:2] + [Turn("user", "q2"), Turn("assistant", "모름", [])], known.get) is None
    assert conversation_article([], known.get) is None


def test_names_are_what_a_question_calls_people_places_and_organisations():
    assert names("제주 해수욕장 운영 시간은?") == ["제주"]
    assert names("하루 운영 시간은?") == []
    assert "KBS" in names("KBS 공연은 언제야?")


def test_a_question_leaves_the_article_only_on_a_name_the_article_never_mentions():
    text = ["경남도는 오는 7월 5일 남해상주은모래비치 개장을 시작으로 해수욕장 26곳을 개장한다.",
            "해수욕장은 매일 오전 9시∼오후 7시 사이 운영한다."]
    assert not leaves_article("하루 운영 시간은?", text)  # no name: it stays, whatever words it uses
    assert not leaves_article("남해상주은모래비치는 언제 열어?", text)
    assert leaves_article("제주 해수욕장은 언제 열어?", text)
    # Another language spells names its own way: it never leaves on one.
    assert not leaves_article("What time does Namhae beach open?", text)


def test_the_threads_passages_come_first_and_the_rest_stay_candidates():
    on = [passage("a#2", "a"), passage("a#1", "a")]
    rest = [passage("b#1", "b"), passage("a#1", "a"), passage("c#1", "c")]
    assert [p.chunk_id for p in thread_first(on, rest)] == ["a#2", "a#1", "b#1", "c#1"]


def test_a_follow_up_is_answered_from_the_article_being_discussed(tmp_path, embedder):
    svc, busan = two_articles(tmp_path, embedder)
    first = svc.ask("서울관에 참여한 스타트업은 몇 개 기업인가?")
    assert {c.article_id for c in first.citations} == {DEFAULT_ID} and "81" in first.answer
    history = [Turn("user", first.question), Turn("assistant", first.answer, [c.chunk_id for c in first.citations])]
    # Both articles tell how many firms won an innovation award, Busan's in the question's own words; the
    # conversation is about Seoul's.
    follow = svc.ask("혁신상을 받은 기업은 몇 곳이야?", history)
    assert follow.passages[0].article_id == DEFAULT_ID
    assert {c.article_id for c in follow.citations} == {DEFAULT_ID} and "18" in follow.answer, follow.answer
    # Naming what only the other article mentions leaves the thread.
    other = svc.ask("부산관에는 스타트업이 몇 개 기업이 참여했나?", history)
    assert {c.article_id for c in other.citations} == {busan} and "34" in other.answer, other.answer


def test_within_the_borrowed_topics_article_the_sentence_is_judged_by_the_question_too(tmp_path, embedder):
    svc, _ = two_articles(tmp_path, embedder)
    first = svc.ask("서울관에 참여한 스타트업은 몇 개 기업인가?")
    history = [Turn("user", first.question), Turn("assistant", first.answer, [c.chunk_id for c in first.citations])]
    embedder.reset()
    follow = svc.ask("혁신상을 받은 기업은 몇 곳이야?", history)
    # The standalone question is mostly the borrowed topic; the question's own vector joins it.
    assert follow.standalone_question != follow.question
    assert {follow.standalone_question, follow.question} <= set(embedder.query_calls)


def test_a_summary_request_in_a_conversation_summarizes_the_article_being_discussed(tmp_path, embedder):
    svc, busan = two_articles(tmp_path, embedder)
    first = svc.ask("부산관에는 스타트업이 몇 개 기업이 참여했나?")
    assert {c.article_id for c in first.citations} == {busan}
    history = [Turn("user", first.question), Turn("assistant", first.answer, [c.chunk_id for c in first.citations])]
    summary = svc.ask("요약해줘", history)
    assert summary.answerable and {c.article_id for c in summary.citations} == {busan}, summary.answer

