"""The terminal chat and the plain-text rendering, driven in-process with fake answers."""

from __future__ import annotations

import io

from articlebot.terminal import chat, progress_bar, render_text
from retrieval.errors import InputError
from retrieval.models import Answer, Citation, Turn


def cited(question: str, n: int = 1) -> Answer:
    return Answer(question, question, f"“인용문 {question}” [1]", True, "extractive",
                  [Citation(1, "art", "기사 제목", "art#1", f"인용문 {question}", f"앞 문장. 인용문 {question} 뒤.",
                            url="https://example.org/a")])


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Turn]]] = []

    def __call__(self, question: str, history: list[Turn]) -> Answer:
        self.calls.append((question, list(history)))
        if question == "boom":
            raise InputError("the question is too long")
        return cited(question)


def run(text: str, history_turns: int = 6) -> tuple[Recorder, str]:
    asker, out = Recorder(), io.StringIO()
    chat(asker, history_turns, stdin=io.StringIO(text), stdout=out)
    return asker, out.getvalue()


def test_piped_questions_are_each_answered_with_history():
    asker, out = run("첫 질문\n\n  둘째 질문  \n")
    assert [q for q, _ in asker.calls] == ["첫 질문", "둘째 질문"]
    assert asker.calls[0][1] == []
    [user, bot] = asker.calls[1][1]
    assert (user.role, user.content) == ("user", "첫 질문")
    assert bot.role == "assistant" and bot.chunk_ids == ["art#1"]
    assert "Q: 첫 질문" in out and "Q: 둘째 질문" in out


def test_reset_forgets_and_quit_leaves():
    asker, out = run("하나\n/reset\n둘\n/quit\n셋\n")
    assert [q for q, _ in asker.calls] == ["하나", "둘"]
    assert asker.calls[1][1] == []
    assert "(conversation forgotten)" in out


def test_history_is_bounded():
    asker, _ = run("".join(f"질문 {i}\n" for i in range(6)), history_turns=2)
    assert len(asker.calls[-1][1]) == 4
    assert asker.calls[-1][1][0].content == "질문 3"


def test_an_error_is_reported_and_the_chat_goes_on():
    asker, out = run("boom\n다음\n")
    assert "Sorry: the question is too long" in out
    assert [q for q, _ in asker.calls] == ["boom", "다음"]
    assert asker.calls[1][1] == []  # the failed turn is not history


def test_render_text_shows_sources_once():
    text = render_text(cited("질문"))
    assert text.splitlines()[0] == "“인용문 질문” [1]"
    assert "[1] 기사 제목 — https://example.org/a" in text
    assert text.count("인용문 질문") == 1  # the quote is already in the answer


def test_render_text_shows_quotes_the_answer_does_not():
    answer = cited("질문")
    answer.answer = "요약된 답 [1]"
    answer.note = "LLM unavailable"
    text = render_text(answer)
    assert "(LLM unavailable)" in text and "“인용문 질문”" in text


def test_piped_progress_is_log_lines_at_stage_changes_and_ends():
    out = io.StringIO()
    with progress_bar(False, out) as update:
        update("reading sources", 0, 2)
        update("reading sources", 1, 2)  # within 5 s of the last line: not shown
        update("reading sources", 2, 2)  # the end of a stage always is
        update("embedding", 0, 40)
        update("embedding", 40, 40)
    assert out.getvalue().splitlines() == ["reading sources: 0/2", "reading sources: 2/2", "embedding: 0/40",
                                           "embedding: 40/40"]
