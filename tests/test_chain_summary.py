"""In LLM mode a summary request sends the whole article, in order, instead of the top-k chunks."""

from __future__ import annotations

from fakes.openai_server import cite, fake_openai, passages_in  # noqa: F401 (fixture)

from retrieval.llm.chain import LLMAnswerer
from retrieval.llm.client import chat_model

TOPICS = ["도서관", "수영장", "공원", "박물관", "체육관", "미술관", "시장", "정류장", "주차장", "전시관", "캠핑장", "놀이터"]


def test_a_summary_request_sends_every_chunk_of_the_article_in_order(empty_service, fake_openai, tmp_path):
    body = "\n".join(f"서울시는 {t} {i}곳을 새로 짓는다고 밝혔다. 공사는 내년 {i + 1}월 시작하며 예산은 {i * 10 + 5}억원이다. "
                     f"시는 {t} 운영을 위해 직원 {i + 3}명을 뽑는다. 주민 의견도 {t} 설계에 반영한다고 덧붙였다."
                     for i, t in enumerate(TOPICS))
    path = tmp_path / "city.txt"
    path.write_text("서울시 생활시설 확충 계획\n" + body + "\n", encoding="utf-8")
    empty_service.ingest([str(path)])
    empty_service.top_k = 1  # a fact question would send one chunk
    fake_openai.handler = cite("도서관 0곳")
    llm = LLMAnswerer(empty_service, lambda: chat_model(model="fake-model", api_key="test",
                                                        base_url=fake_openai.base_url, timeout=5.0),
                      retries=0, timeout=5.0, backoff=0.01)
    ans = llm.ask("생활시설 확충 기사 요약해줘")
    [request] = fake_openai.chat_requests
    sent = list(passages_in(request).values())
    snap = empty_service.snapshot()
    chunks = [t for _, t in sorted(zip((m["position"] for m in snap.records.metas), snap.records.texts))]
    assert len(sent) == len(chunks) > empty_service.top_k
    assert all(c.strip()[:40] in s for c, s in zip(chunks, sent))
    assert ans.mode == "llm" and ans.citations  # the summary's sentences went through the citation check
