"""Chunks are exact slices of the article, sentence-aligned, sized, stable, and local to edits."""

from __future__ import annotations

import re

import pytest
from conftest import DEFAULT_ARTICLE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval.ingest.chunking import MAX_CHARS, chunk_article, chunk_spans
from retrieval.ingest.sources import load_source
from retrieval.korean import sentence_spans
from retrieval.models import Article

SUBJECTS = ["서울시", "정부", "국회", "시민단체", "연구진", "교육청", "법원", "기업들"]
VERBS = ["발표했다", "설명했다", "밝혔다", "강조했다", "지적했다", "공개했다"]


def sentence(i: int, j: int) -> str:
    return (f"{SUBJECTS[(i + j) % len(SUBJECTS)]}는 {i}번째 문단의 {j}번째 사안에 대해 "
            f"구체적인 일정과 예산 {i * 10 + j}억 원을 {VERBS[(i * j) % len(VERBS)]}.")


def paragraph(i: int, n: int = 3) -> str:
    return " ".join(sentence(i, j) for j in range(n))


def long_article(paragraphs: int = 16, art_id: str = "long") -> Article:
    return Article(id=art_id, title="긴 기사", text="\n".join(paragraph(i) for i in range(paragraphs)))


def assert_exact(article: Article) -> None:
    for c in chunk_article(article):
        assert c.text == article.text[c.start : c.end]
        assert c.article_id == article.id


@pytest.fixture(scope="module")
def default_article() -> Article:
    return load_source(str(DEFAULT_ARTICLE)).articles[0]


def test_default_article_chunks_are_exact_ordered_and_cover_the_text(default_article):
    chunks = chunk_article(default_article)
    assert len(chunks) >= 2
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert_exact(default_article)
    # Without a split paragraph there is no overlap: consecutive, and together they hold every sentence.
    for a, b in zip(chunks, chunks[1:]):
        assert a.end <= b.start
    covered = "".join(c.text for c in chunks)
    assert re.sub(r"\s", "", covered) == re.sub(r"\s", "", default_article.text)


def test_chunks_start_and_end_on_sentence_boundaries(default_article):
    spans = sentence_spans(default_article.text)
    starts, ends = {s for s, _ in spans}, {e for _, e in spans}
    for c in chunk_article(default_article):
        assert c.start in starts and c.end in ends


def test_sizes_stay_within_bounds():
    article = long_article(40)
    chunks = chunk_article(article)
    assert len(chunks) > 5
    for c in chunks:
        assert len(c.text) <= MAX_CHARS
    # Short paragraphs are merged: only the last chunk may be small.
    for c in chunks[:-1]:
        assert len(c.text) >= 200


def test_a_long_paragraph_is_split_with_one_sentence_of_overlap():
    text = paragraph(1, 30)  # one ~1,700-character paragraph
    article = Article(id="one", title="t", text=text)
    chunks = chunk_article(article)
    assert len(chunks) >= 3
    assert_exact(article)
    for a, b in zip(chunks, chunks[1:]):
        assert len(a.text) <= MAX_CHARS
        assert b.start < a.end, "consecutive pieces of one paragraph overlap"
        overlap = text[b.start : a.end]
        assert len(sentence_spans(overlap)) == 1
    assert chunks[0].start == 0 and chunks[-1].end == len(text)


def test_a_single_sentence_longer_than_the_limit_is_still_one_exact_chunk():
    text = "가나다라 " * 300 + "끝."
    article = Article(id="x", title="t", text=text)
    assert_exact(article)
    assert "".join(c.text for c in chunk_article(article)).count("끝.") >= 1


def test_ids_are_stable_and_content_derived():
    a = long_article()
    first, second = chunk_article(a), chunk_article(Article(**{**a.__dict__}))
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)
    assert all(c.id.startswith("long#") for c in first)
    # Another article with the same text has its own ids.
    other = chunk_article(Article(id="other", title="t", text=a.text))
    assert not {c.id for c in first} & {c.id for c in other}


def test_repeated_paragraphs_get_distinct_ids():
    para = paragraph(1, 8)
    article = Article(id="rep", title="t", text="\n".join([para, para, para]))
    chunks = chunk_article(article)
    assert len({c.id for c in chunks}) == len(chunks)


def test_an_edit_in_one_paragraph_changes_only_nearby_chunks():
    before = long_article(24)
    paras = before.text.split("\n")
    paras[12] = paras[12].replace("구체적인 일정과", "수정된 일정과", 1)
    after = Article(id=before.id, title=before.title, text="\n".join(paras))
    old, new = chunk_article(before), chunk_article(after)
    old_ids, new_ids = [c.id for c in old], [c.id for c in new]
    changed_new = [c for c in new if c.id not in set(old_ids)]
    assert 1 <= len(changed_new) <= 2
    edit_at = after.text.index("수정된 일정과")
    assert any(c.start <= edit_at < c.end for c in changed_new)
    # Every chunk more than one chunk away from the edit keeps its id.
    gone = [c for c in old if c.id not in set(new_ids)]
    assert 1 <= len(gone) <= 2
    assert len(new) - len(changed_new) >= len(new) - 2
    assert new_ids[0] == old_ids[0] and new_ids[-1] == old_ids[-1]


def test_inserting_a_paragraph_keeps_far_chunks():
    before = long_article(24)
    paras = before.text.split("\n")
    paras.insert(5, "새로 추가된 문단은 짧다.")
    after = Article(id=before.id, title=before.title, text="\n".join(paras))
    old_ids = {c.id for c in chunk_article(before)}
    new = chunk_article(after)
    fresh = [c for c in new if c.id not in old_ids]
    assert 1 <= len(fresh) <= 3
    assert len(new) - len(fresh) >= len(old_ids) - 3


def test_empty_text_has_no_chunks():
    assert chunk_spans("") == []
    assert chunk_spans("\n \n") == []


# Arbitrary text: offsets must stay exact whatever the whitespace, symbols or non-BMP characters.
_alphabet = st.sampled_from(list("가나다라마바사 아자차카타파하.?!。 \n\t,'\"”“…") + ["😀", "𝒜", "\u3000", "\xa0", "A", "1"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(_alphabet, min_size=0, max_size=200), min_size=1, max_size=12))
def test_any_text_chunks_exactly(paragraphs):
    text = "\n".join(paragraphs)
    article = Article(id="h", title="t", text=text)
    chunks = chunk_article(article, target=120, max_chars=200, min_chars=40)
    for c in chunks:
        assert c.text == text[c.start : c.end]
        assert c.text.strip() == c.text and c.text
    if text.strip(" \n\t.?!。,'\"”“…\u3000\xa0"):
        assert chunks


@pytest.mark.parametrize("line", [
    "가나다 라마바사, " * 4000,  # 60,000 characters: clauses, no sentence end
    "word " * 12_000,  # spaces only
    "가" * 60_000,  # nothing to cut at
    ("문장은 여기서 끝난다. " * 3 + "그리고 끝나지 않는 긴 절이 이어지며 " * 200) * 5,
])
def test_no_chunk_exceeds_the_limit_whatever_the_line(line):
    article = Article(id="one-line", title="한 줄", text=line.strip())
    chunks = chunk_article(article)
    assert chunks and max(len(c.text) for c in chunks) <= MAX_CHARS
    assert_exact(article)
    covered = "".join(article.text[c.start:c.end] for c in chunks)
    assert len(covered) >= len(re.sub(r"\s", "", article.text)) // 2  # nothing dropped wholesale


def test_a_long_sentence_is_cut_after_a_clause_then_at_a_space_then_hard():
    clauses = "가나다라마바사아자차카타파하 " * 10 + "끝, "
    for text, ends in [((clauses * 20).strip(), ","), (("단어 " * 400).strip(), "어"), ("가" * 2000, "가")]:
        spans = chunk_spans(text)
        assert all(end - start <= MAX_CHARS for start, end in spans)
        assert all(text[start:end].endswith(ends) for start, end in spans[:-1]), [text[e - 3:e] for _, e in spans]
