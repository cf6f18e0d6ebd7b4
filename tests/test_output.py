"""CLI lists: a rich table on a terminal (with a count), stable tab-separated lines when piped."""

from __future__ import annotations

import io

from articlebot.output import articles_table, eval_lines, search_table, table
from retrieval.models import ArticleInfo, Passage

ARTS = [ArticleInfo("a1", "첫 기사", 3, "/x/a.txt", "2026-01-01T00:00:00"),
        ArticleInfo("b2", "둘째\t기사", 2, "https://e.org/b", "2026-01-02T00:00:00")]
LONG = "첫 줄입니다.\n둘째 줄입니다. " + "가나다라마바사 " * 40


def test_piped_table_is_a_header_and_one_line_per_row():
    out = io.StringIO()
    table(["a", "b"], [["x\ny", "z\tw"], [1, ""]], out=out, tty=False)
    assert out.getvalue() == "a\tb\nx y\tz w\n1\t\n"


def test_terminal_tables_show_a_count_and_every_row():
    out = io.StringIO()
    articles_table(ARTS, out=out, tty=True)
    text = out.getvalue()
    assert "2 article(s)" in text and "첫 기사" in text and "b2" in text and "\t" not in text


def test_search_passages_are_whole_on_one_line_when_piped():
    out = io.StringIO()
    search_table("질문", [Passage("a1#0", "a1", "첫 기사", LONG, 1.0)], out=out, tty=False)
    header, row = out.getvalue().splitlines()
    assert row.split("\t") == ["1", "a1", "a1#0", "첫 기사", " ".join(LONG.split())]


def test_search_on_a_terminal_names_the_query_and_the_article_title():
    out = io.StringIO()
    search_table("질문", [Passage("a1#0", "a1", "첫 기사", LONG, 1.0)], out=out, tty=True)
    text = out.getvalue()
    assert "1 passage(s) for “질문”" in text and "첫 기사" in text and "1.000" not in text


def test_eval_lines_give_counts_and_what_the_index_holds():
    result = {"hit_rate": 0.75, "answerable": 4, "refusal_accuracy": None, "unanswerable": 0,
              "followup_accuracy": 1.0, "followup_turns": 2}
    assert eval_lines(result, ARTS) == ["index: 2 article(s), 5 chunks (a1, b2)", "hit_rate: 0.750 (3/4)",
                                        "refusal_accuracy: – (none)", "followup_accuracy: 1.000 (2/2)"]
    assert eval_lines(result, [])[0] == "index: 0 article(s), 0 chunks (empty)"
