"""Offline summaries: the lead and the most central sentences, 3 to 5, in article order, each cited."""

from __future__ import annotations

import re

from conftest import DEFAULT_ID, make_service


def test_a_summary_request_gets_the_lead_and_central_sentences_in_order(service):
    ans = service.ask("이 기사 요약해줘")
    lines = ans.answer.splitlines()[1:]
    assert ans.answerable and 3 <= len(lines) <= 5
    snap = service.snapshot()
    article = "\n".join(t for _, t in sorted(zip((m["position"] for m in snap.records.metas), snap.records.texts)))
    quotes = [re.fullmatch(r"- “(.*)” \[\d+\]", line).group(1) for line in lines]
    assert all(q in article for q in quotes)
    offsets = [article.find(q) for q in quotes]
    assert offsets == sorted(offsets) and offsets[0] == min(article.find(q) for q in quotes)
    assert all(c.article_id == DEFAULT_ID for c in ans.citations)
    assert all(f"[{c.n}]" in ans.answer for c in ans.citations)


def test_an_english_summary_request_is_answered_too(service):
    ans = service.ask("What is the article about?")
    assert ans.answerable and ans.answer.startswith("Summary") and ans.citations


def test_with_several_articles_the_summary_names_the_one_it_chose(data_dir, embedder, tmp_path):
    from conftest import DEFAULT_ARTICLE

    other = tmp_path / "library.txt"
    other.write_text("한강 야간 도서관 연다\n서울시는 한강공원에 야간 도서관을 연다고 밝혔다. 도서관은 밤 11시까지 문을 연다. "
                     "책 3천 권을 갖춘다고 시는 설명했다. 이용은 무료다.\n", encoding="utf-8")
    svc = make_service(data_dir, embedder, [DEFAULT_ARTICLE])
    svc.open()
    svc.ingest([str(other)])
    ans = svc.ask("한강 야간 도서관 기사 요약해줘")
    assert ans.answerable and "「한강 야간 도서관 연다」" in ans.answer
    assert {c.article_id for c in ans.citations} == {"library"}


def test_a_summary_reaches_a_fact_unlike_those_already_chosen():
    """Three sentences on opening hours are each more central than the one on lifeguards; after the lead the
    summary does not spend every place left on the hours."""
    import numpy as np

    from retrieval.answer.sentences import SentenceInfo, SentenceTable
    from retrieval.answer.summary import summarize
    from retrieval.models import Passage

    sents = ["제주도내 해수욕장이 오는 27일부터 본격 개장된다.", "제주시와 서귀포시 등 모두 11곳이 문을 연다.",
             "운영시간은 오전 9시부터 오후 7시까지다.", "야간에는 해수욕장 네 곳이 오후 9시까지 운영한다.",
             "일부 해수욕장은 주말에 오후 8시까지 운영한다.", "해수욕장 안전관리에는 모두 246명이 투입된다."]
    text = " ".join(sents)
    # Axes: the opening, the hours, the lifeguards, and two ways the hours sentences differ.
    vecs = [[1, 0.3, 0.2, 0, 0], [1, 0.4, 0.1, 0.1, 0], [0.4, 1, 0, 0.3, 0], [0.4, 1, 0, 0, 0.3],
            [0.4, 1, 0, -0.3, 0], [0.4, 0, 1, 0, 0]]
    vecs = np.array([np.array(v) / np.linalg.norm(v) for v in vecs], dtype=np.float32)
    infos, at = [], 0
    for row, s in enumerate(sents):
        start = text.index(s, at)
        infos.append(SentenceInfo(start, start + len(s), frozenset({"a", "b", "c", str(row)}), s, (), row))
        at = start + len(s)
    passage = Passage("c0", "beaches", "해수욕장 개장", text)
    ans = summarize("요약해줘", "요약해줘", [passage], SentenceTable({text: infos}, vecs), several=False)
    quoted = ans.answer
    assert "246명" in quoted and sum(h in quoted for h in ("오전 9시", "오후 9시", "오후 8시")) < 3
