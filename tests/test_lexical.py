"""BM25 from postings: the same scores as bm25s, whether the postings are in memory or in the lexicon."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.index.lexical import BM25Index
from retrieval.index.lexicon import MAX_PARTS, Lexicon

CORPUS = [["서울", "스타트업", "서울", "혁신"], ["서울", "코엑스"], ["금리", "동결", "금리"], [],
          ["스타트업", "투자", "유치", "서울", "코엑스", "코엑스"]]
QUERIES = [["서울", "코엑스"], ["금리"], ["서울", "서울"], ["없는말"], []]


@pytest.mark.parametrize("query", QUERIES)
def test_scores_match_bm25s(query):
    import bm25s

    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index(CORPUS, show_progress=False)
    expected = reference.get_scores(query) if query else np.zeros(len(CORPUS))
    assert np.allclose(BM25Index(CORPUS).scores(query), expected, atol=1e-5)


def test_a_view_of_the_lexicon_scores_as_the_index_in_memory(tmp_path):
    lex = Lexicon(tmp_path)
    lex.add([("k1", ["a#0", "a#1"], CORPUS[:2]), ("k2", ["b#0", "b#1", "b#2"], CORPUS[2:])])
    view = Lexicon(tmp_path).view(["k1", "k2"])  # another process, the same file
    for query in QUERIES:
        assert np.allclose(view.scores(query), BM25Index(CORPUS).scores(query), atol=1e-5)
    assert view.df("서울") == 3 and view.df("없는말") == 0


def test_a_view_follows_its_versions_order_and_leaves_other_articles_out(tmp_path):
    lex = Lexicon(tmp_path)
    lex.add([("k1", ["a#0", "a#1"], CORPUS[:2]), ("k2", ["b#0", "b#1", "b#2"], CORPUS[2:])])
    view = lex.view(["k2"])
    assert view.size == 3 and np.allclose(view.scores(["금리"]), BM25Index(CORPUS[2:]).scores(["금리"]))
    both = lex.view(["k2", "k1"])
    assert np.allclose(both.scores(["코엑스"]), BM25Index(CORPUS[2:] + CORPUS[:2]).scores(["코엑스"]))


def test_a_process_sees_what_another_added_pruned_and_added_again(tmp_path):
    mine, theirs = Lexicon(tmp_path), Lexicon(tmp_path)
    mine.add([("k1", ["a#0", "a#1"], CORPUS[:2])])
    assert mine.view(["k1"]).size == 2 and mine.missing(["k1", "k2"]) == ["k2"]
    theirs.add([("k2", ["b#0", "b#1", "b#2"], CORPUS[2:])])
    assert mine.missing(["k1", "k2"]) == []
    theirs.prune(["k1"])
    theirs.add([("k1", ["a#0"], [["다시", "서울"]])])  # the same key again, under new rows
    view = mine.view(["k2", "k1"])
    assert view.size == 4 and view.df("다시") == 1 and view.df("코엑스") == 1
    assert np.allclose(view.scores(["금리"]), BM25Index(CORPUS[2:] + [["다시", "서울"]]).scores(["금리"]))


def test_parts_are_merged_and_pruned_articles_dropped_from_postings(tmp_path):
    lex = Lexicon(tmp_path)
    keys = [f"k{i}" for i in range(MAX_PARTS + 3)]
    for k in keys:
        lex.add([(k, [f"{k}#0"], [["공통", k]])])
    lex.prune(keys[:5])
    assert lex.missing(keys) == keys[:5]
    more = [f"m{i}" for i in range(MAX_PARTS)]
    for k in more:  # enough writes of the term for its parts to be merged again
        lex.add([(k, [f"{k}#0"], [["공통"]])])
    parts = lex._db.execute("SELECT COUNT(*) FROM postings WHERE term='공통'").fetchone()[0]
    assert parts <= MAX_PARTS
    assert len(lex.postings("공통")) == len(keys) - 5 + len(more)  # the pruned articles' rows are gone
    assert lex.view(keys[5:] + more).df("공통") == len(keys) - 5 + len(more)


def test_adding_a_cached_article_again_changes_nothing(tmp_path):
    lex = Lexicon(None)
    lex.add([("k1", ["a#0"], [["서울"]])])
    lex.add([("k1", ["a#0"], [["서울"]])])
    assert lex.view(["k1"]).df("서울") == 1 and lex.chunk_ids("k1") == ["a#0"]


def test_a_big_add_lets_a_question_read_postings_between_its_batches(tmp_path, monkeypatch):
    import threading

    from retrieval.index import lexicon as module

    monkeypatch.setattr(module, "ADD_BATCH", 2)
    lex = Lexicon(tmp_path)
    lex.add([("old", ["o#0"], [["서울", "코엑스"]])])
    before = lex.view(["old"])
    seen: list[tuple[bool, bool]] = []  # (the add's transaction still open, the question got its read)

    class Turns:
        """The connection's lock; the first time the writer lets go of it, a question reads postings."""

        def __init__(self, inner) -> None:
            self.inner = inner

        def __enter__(self):
            return self.inner.__enter__()

        def __exit__(self, *exc):
            self.inner.__exit__(*exc)
            if threading.current_thread().name == "writer" and not seen:
                read = threading.Thread(target=lambda: before.scores(["서울"]))
                read.start()
                read.join(30)
                seen.append((lex._db.in_transaction, not read.is_alive()))

    lex._lock = Turns(lex._lock)
    articles = [(f"k{i}", [f"k{i}#0"], [["서울", f"말{i}"]]) for i in range(10)]
    writer = threading.Thread(target=lex.add, args=(articles,), name="writer")
    writer.start()
    writer.join(60)
    # Before, the add held the lock from BEGIN to COMMIT: every question waited for all of it.
    assert seen == [(True, True)]
    assert before.scores(["서울"]).tolist() == Lexicon(tmp_path).view(["old"]).scores(["서울"]).tolist()
    assert not lex.missing([key for key, _, _ in articles])


def test_a_lexicon_another_tokenizer_made_is_emptied_for_this_ones_terms(tmp_path):
    Lexicon(tmp_path, terms_by="kiwi a").add([("k1", ["a#0"], [["서울", "코엑스"]])])
    assert Lexicon(tmp_path, terms_by="kiwi a").missing(["k1"]) == []  # the same maker: kept
    assert Lexicon(tmp_path).missing(["k1"]) == []  # no maker given (tools, tests): kept as it is
    lex = Lexicon(tmp_path, terms_by="kiwi b")
    assert lex.missing(["k1"]) == ["k1"] and len(lex.postings("서울")) == 0
    lex.add([("k1", ["a#0"], [["서울"]])])
    assert Lexicon(tmp_path, terms_by="kiwi b").view(["k1"]).df("서울") == 1
