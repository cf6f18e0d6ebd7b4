"""`[n]` numbering is done in code: first use order, one number per passage, verbatim quotes only."""

from __future__ import annotations

import pytest

from retrieval.check.citations import CitationBook
from retrieval.models import Passage

P1 = Passage("a#1", "a", "기사 A", "첫 문장이다. 둘째 문장이다. 셋째 문장이다.", url="https://example.org/a")
P2 = Passage("b#1", "b", "기사 B", "다른 기사의 문장이다.")


def test_numbers_follow_first_use_and_repeat_for_the_same_passage():
    book = CitationBook()
    assert book.cite(P2, "다른 기사의 문장이다.") == 1
    assert book.cite(P1, "첫 문장이다.") == 2
    assert book.cite(P2, "다른 기사의 문장이다.") == 1
    assert [c.n for c in book.citations] == [1, 2]
    c = book.citations[1]
    assert (c.article_id, c.title, c.chunk_id, c.passage, c.url) == ("a", "기사 A", "a#1", P1.text, P1.url)


def test_several_quotes_from_one_passage_become_one_covering_verbatim_span():
    book = CitationBook()
    book.cite(P1, "셋째 문장이다.")
    book.cite(P1, "첫 문장이다.")
    [c] = book.citations
    assert c.quote == "첫 문장이다. 둘째 문장이다. 셋째 문장이다."
    assert c.quote in c.passage


def test_a_quote_must_be_verbatim():
    with pytest.raises(ValueError):
        CitationBook().cite(P1, "없는 문장이다.")
