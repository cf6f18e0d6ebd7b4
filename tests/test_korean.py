"""Kiwi helpers: sentence offsets into the original text, and the content terms BM25 and evidence use."""

from __future__ import annotations

import pytest

from retrieval.korean import BM25S_EN_STOPWORDS, is_mostly_hangul, normalize, sentence_spans, terms


def test_sentence_spans_are_exact_and_never_cross_lines():
    text = "첫 문장입니다. 둘째 문장이에요!\n\n  셋째 줄의 문장.  \n넷째"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["첫 문장입니다.", "둘째 문장이에요!", "셋째 줄의 문장.", "넷째"]


def test_sentence_spans_with_astral_characters():
    text = "😀 이모지가 앞에 있다. 𝒜 수학 글자도 있다."
    spans = sentence_spans(text)
    assert len(spans) == 2 and spans[0][0] == 0 and spans[-1][1] == len(text)
    assert "".join(text[s:e] for s, e in spans).replace(" ", "") == text.replace(" ", "")


def test_terms_are_content_lemmas_without_question_words():
    got = terms("서울관에는 스타트업이 몇 곳 참여했나?")
    assert "스타트업" in got and "참여" in got
    assert "몇" not in got
    assert "가다" not in terms("누가 언제 어디서 왜")


def test_terms_lemmatize_verbs():
    assert "밝히다" in terms("계획을 밝혔습니다.")


def test_english_stopwords_are_dropped():
    got = terms("What does the article say about Seoul?")
    assert "seoul" in got and "what" not in got and "the" not in got and "article" not in got


def test_the_english_stopwords_are_bm25s_own():
    from bm25s.stopwords import STOPWORDS_EN

    assert BM25S_EN_STOPWORDS == frozenset(STOPWORDS_EN)


def test_terms_never_import_bm25s():
    """bm25s imports scipy: a command's first question must not pay for it."""
    import subprocess
    import sys

    code = "import sys; from retrieval.korean import terms; terms('AI 서울관 CES'); print('bm25s' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(("a", "b"), [("20만㎡", "20만m2"), ("ＡＩ", "AI"), ("１８개", "18개")])
def test_compatibility_forms_compare_equal(a, b):
    assert normalize(a) == normalize(b)
    assert terms(a) == terms(b)


def test_is_mostly_hangul():
    assert is_mostly_hangul("서울관에는 AI 기업이 몇 곳?")
    assert not is_mostly_hangul("Which hotel hosted the meeting?")
    assert not is_mostly_hangul("1234 ?!")


def test_a_long_line_reaches_kiwi_in_bounded_pieces(monkeypatch):
    from retrieval import korean

    seen: list[int] = []
    real = korean._KIWI.kiwi()

    class Recording:
        def split_into_sents(self, text):
            seen.append(len(text))
            return real.split_into_sents(text)

    monkeypatch.setattr(korean._KIWI, "_kiwi", Recording())
    line = "끝나지 않는 긴 문장이 이어지며 " * 4000
    spans = sentence_spans(line)
    assert max(seen) <= korean.LINE_PIECE and len(seen) > 10
    assert spans and all(line[s:e].strip() == line[s:e] for s, e in spans)


TEXT = "오세훈 서울시장이 라스베이거스에서 장재민 회장을 만났다. 서울관에는 81개 기업이 참여했다."


def _seen(text: str) -> tuple[list[tuple], list[tuple[int, int]]]:
    from retrieval import korean

    return [(t.form, t.tag, t.start, t.len, t.end, t.lemma) for t in korean.tokens(text)], sentence_spans(text)


def test_kiwi_in_the_worker_process_answers_as_kiwi_here(monkeypatch):
    from retrieval import korean
    from retrieval.ingest import worker

    here = _seen(TEXT)
    monkeypatch.setattr(korean._KIWI, "submit", None)
    try:
        worker.load_kiwi_beside()
        assert korean._KIWI.submit is worker.submit
        assert _seen(TEXT) == here
    finally:
        worker.shutdown()


def test_a_failing_kiwi_process_means_kiwi_here(monkeypatch, caplog):
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from retrieval import korean

    def broken(fn, *args):
        future: Future = Future()
        future.set_exception(BrokenProcessPool("the worker died"))
        return future

    here = _seen(TEXT)
    monkeypatch.setattr(korean._KIWI, "submit", None)
    korean.analyse_elsewhere(broken)
    assert _seen(TEXT) == here
    assert korean._KIWI.submit is None and "the worker died" in caplog.text
