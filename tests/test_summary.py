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
