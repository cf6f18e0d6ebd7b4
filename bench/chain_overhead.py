"""What the LLM chain adds outside the model call: p50/p95 against the fake server with zero delay.

    .venv/bin/python bench/chain_overhead.py [--runs 5] [--fake-embedder] [--json]

Each question goes through `LLMAnswerer.ask` (CLI path) and `astream` (bot path). "LLM" is the time
spent inside the model calls (rewrite + answer, HTTP to the local fake included); "overhead" is the
rest: validation, retrieval (query embedding + hybrid search), prompt formatting, the citation
check and bookkeeping; "chain's own" is the overhead without the core's retrieval (for astream it
includes the thread hops and the async plumbing). "before LLM" is how long after the call the answer request reaches the
server, i.e. what a person waits before a streaming model can start typing (rewrite excluded).
The real E5 embedder is used unless --fake-embedder (then retrieval cost is nearly nil); its cache
of recent query vectors is emptied before every question, since a new question is the usual case.

E5's OpenMP workers wait passively (retrieval/embeddings.py says why); most of "retrieve" is E5
embedding the question.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes.openai_server import FakeOpenAI, is_rewrite, quote_first_passage  # noqa: E402

from bot.storage.events import percentile as pct  # noqa: E402
from retrieval.index.store import VectorStore, make_client  # noqa: E402
from retrieval.llm.chain import LLMAnswerer  # noqa: E402
from retrieval.llm.client import chat_model  # noqa: E402
from retrieval.models import Turn  # noqa: E402
from retrieval.service import ArticleService  # noqa: E402

QUESTIONS = [
    "CES 2024에서 오세훈 서울시장과 대담한 사람은 누구인가?", "AI 서울테크시티는 몇 제곱미터 규모로 조성되나?",
    "서울관에는 서울 소재 스타트업이 몇 곳 참여했나?", "서울판 CES는 어디에서 열릴 계획인가?",
    "Which hotel hosted the meeting?", "한남4구역 시공사는 어디로 결정됐나?",
]
FOLLOW_UP = ([Turn("user", "서울관을 둘러본 사람은 누구야?"), Turn("assistant", "장 회장입니다 [1].")],
             "그가 의미심장하다고 한 말은?")




def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="passes over the question list")
    ap.add_argument("--fake-embedder", action="store_true", help="hash embedder instead of the real E5")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    if args.fake_embedder:
        from fakes.embedder import HashEmbedder

        embedder = HashEmbedder()
    else:
        from retrieval.index.embeddings import E5Embedder

        embedder = E5Embedder()
    data = Path(tempfile.mkdtemp(prefix="chain-bench-"))
    service = ArticleService(VectorStore(lambda: make_client(data), cache_dir=data), embedder,
                             default_sources=[str(ROOT / "articles")])
    service.open()
    samples: dict[str, list[float]] = {k: [] for k in ("ask overhead", "  of which retrieve", "  of which verify",
                                                       "  chain's own", "astream overhead", "  chain's own ",
                                                       "before LLM")}
    with FakeOpenAI() as fake:
        fake.handler = quote_first_passage
        chain = LLMAnswerer(service, lambda: chat_model(model="fake-model", api_key="bench", base_url=fake.base_url,
                                                        timeout=10), retries=0)
        cases = [([], q) for q in QUESTIONS] + [FOLLOW_UP]

        def forget() -> None:
            getattr(embedder, "_queries", {}).clear()  # E5's recent-query cache: measure fresh questions

        def llm_ms(t: dict) -> float:
            return t.get("llm", 0.0) + t.get("rewrite", 0.0)

        async def stream(history, q) -> tuple[float, float, dict]:
            forget()
            t0, n0 = time.monotonic(), len(fake.requests)
            final = None
            async for item in chain.astream(q, history):
                final = item
            reqs = [r for r in fake.requests[n0:] if not is_rewrite(r["body"])]
            return (time.monotonic() - t0) * 1000, (reqs[0]["time"] - t0) * 1000, final.timings_ms

        async def run_streams(record: bool) -> None:
            for history, q in cases:
                total, before, t = await stream(history, q)
                if record:
                    samples["astream overhead"].append(total - llm_ms(t))
                    samples["  chain's own "].append(total - llm_ms(t) - t.get("retrieve", 0.0))
                    samples["before LLM"].append(before - t.get("rewrite", 0.0))

        for warm in (True, False):  # one warm-up pass: model loads and caches are not the chain's cost
            for _ in range(1 if warm else args.runs):
                for history, q in cases:
                    forget()
                    t = chain.ask(q, history).timings_ms
                    if not warm:
                        samples["ask overhead"].append(t["total"] - llm_ms(t))
                        samples["  of which retrieve"].append(t.get("retrieve", 0.0))
                        samples["  of which verify"].append(t.get("verify", 0.0))
                        samples["  chain's own"].append(t["total"] - llm_ms(t) - t.get("retrieve", 0.0))
                asyncio.run(run_streams(not warm))
    result = {k: {"p50_ms": round(statistics.median(v), 2), "p95_ms": round(pct(v, 95), 2), "n": len(v)}
              for k, v in samples.items()}
    result["embedder"] = embedder.id
    if args.json:
        print(json.dumps(result))
        return
    print(f"chain overhead outside the LLM call (embedder {embedder.id}, fake LLM with zero delay)")
    for k, v in result.items():
        if isinstance(v, dict):
            print(f"  {k:20s} p50 {v['p50_ms']:7.2f} ms   p95 {v['p95_ms']:7.2f} ms   (n={v['n']})")


if __name__ == "__main__":
    main()
