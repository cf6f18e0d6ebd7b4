"""`make bench-scale`: what one write, one search and one start cost as the index grows (1k, 10k, 100k chunks).

Both designs run in the same run on the same data: this tree ("manifest": chunks written once, versions as
manifests) and the copy-on-write design it replaced ("copy", the code at BASELINE, extracted with
`git archive`), the latter only up to --copy-max chunks (a write there copies every vector).

Each (design, size) gets a fresh data dir. The bulk of the index is synthetic: articles of 25 chunks of
80 words drawn from a 50,000-word Zipf vocabulary, written through each design's own store API (running Kiwi
over 100,000 chunks would take hours on 2 cores and measures nothing asked here). The vectors come from a hash
embedder (384 dimensions, like E5), so embedding costs nothing. What is measured then goes through the
service, as the bot and the CLI call it, in a new process:
- start: spawning the process to the service opened and one search answered (with the embedder and the
  vector index loading in the background meanwhile, as `articlebot search` and `ask` do);
- search p50/p95 over 40 questions, the query embedding subtracted;
- add one article (a real news article, through chunking and Kiwi) and remove it, --adds times, each a
  different edition of it (median reported), then reload every source;
- RSS after all that, and the data dir's size on disk.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# The last commit with copy-on-write versions (whole collections copied per write).
BASELINE = "930bfe5"
PER_ARTICLE = 25
WORDS = 80
DIM = 384
ARTICLES_PER_FILE = 100  # a source file stays under the 5 MB read limit
DEFAULT_ARTICLE = ROOT / "articles" / "000_db62d54ccc32d396.txt"


# ----- synthetic corpus ----------------------------------------------------------------------------------
def vocabulary(size: int = 50_000) -> list[str]:
    rng = np.random.default_rng(1)
    syllables = [chr(0xAC00 + i) for i in range(0, 11172, 5)]
    lengths = rng.choice([2, 2, 3, 3, 4], size=size)
    return ["".join(syllables[j] for j in rng.integers(0, len(syllables), n)) for n in lengths]


def write_sources(directory: Path, chunks: int) -> None:
    """JSON Lines files of synthetic articles; an article's text is its chunks, one per line."""
    vocab = vocabulary()
    p = 1.0 / np.arange(1, len(vocab) + 1)
    p /= p.sum()
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True, exist_ok=True)
    n_articles = max(1, chunks // PER_ARTICLE)
    for f in range(0, n_articles, ARTICLES_PER_FILE):
        lines = []
        for a in range(f, min(f + ARTICLES_PER_FILE, n_articles)):
            words = rng.choice(len(vocab), size=(PER_ARTICLE, WORDS), p=p)
            text = "\n".join(" ".join(vocab[w] for w in row) + "." for row in words)
            lines.append(json.dumps({"id": f"syn{a:06d}", "title": f"기사 {a}", "text": text}, ensure_ascii=False))
        (directory / f"part{f // ARTICLES_PER_FILE:04d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


class Hash384:
    """A stand-in embedder: a unit vector seeded by the text's hash (no model, no cost)."""

    id = "bench/hash-384"

    def vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
        return v / np.linalg.norm(v)

    def embed_passages(self, texts, progress=None) -> np.ndarray:
        return np.vstack([self.vector(t) for t in texts]) if texts else np.zeros((0, DIM), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.vector(text)


# ----- the worker (one design, one data dir, in its own process) -------------------------------------------
def service(data: Path, design: str):
    from retrieval.index.store import VectorStore, make_client
    from retrieval.service import ArticleService

    if design == "copy":
        store = VectorStore(lambda: make_client(data))
    else:
        store = VectorStore(lambda: make_client(data), cache_dir=data)
    return ArticleService(store, Hash384(), max_fetch_bytes=50_000_000)


def load_synthetic(sources: Path):
    from retrieval.ingest.sources import load_source

    for path in sorted(sources.glob("*.jsonl")):
        yield from load_source(str(path), max_bytes=50_000_000).articles


def build(data: Path, sources: Path, design: str) -> None:
    """Write the synthetic corpus as one version through the design's own store API."""
    from retrieval.index.store import Records

    emb = Hash384()
    svc = service(data, design)
    if design == "copy":
        from retrieval.ingest.indexer import article_hash

        recs = Records([], [], [])
        for art in load_synthetic(sources):
            for pos, text in enumerate(art.text.split("\n")):
                recs.ids.append(f"{art.id}#{pos}")
                recs.texts.append(text)
                recs.metas.append({"article_id": art.id, "title": art.title, "url": "", "published": "",
                                   "byline": "", "source": art.source, "indexed_at": "2026-01-01T00:00:00+00:00",
                                   "article_hash": article_hash(art), "position": pos, "start": 0, "end": len(text),
                                   "chunks": PER_ARTICLE, "terms": text.rstrip(".")})
        svc.store.activate(svc.store.write_version(recs, emb.embed_passages(recs.texts), emb.id))
        return
    from retrieval.index.manifest import Entry, record_id
    from retrieval.ingest.indexer import article_key, cache_terms
    from retrieval.korean import squash, terms_id

    entries, recs = [], Records([], [], [])
    for art in load_synthetic(sources):
        key = article_key(art)
        chunks = art.text.split("\n")
        entries.append(Entry(art.id, key, len(chunks), art.title, art.source, "2026-01-01T00:00:00+00:00"))
        for pos, text in enumerate(chunks):
            recs.ids.append(record_id(key, pos))
            recs.texts.append(squash(text))
            recs.metas.append({"chunk_id": f"{art.id}#{pos}", "text": text, "article_id": art.id, "title": art.title,
                               "url": "", "published": "", "byline": "", "position": pos, "start": 0,
                               "end": len(text), "chunks": len(chunks), "terms": text.rstrip("."),
                               "terms_by": terms_id()})  # synthetic terms, taken as this Kiwi's
    cache_terms(svc.lexicon, recs)
    vectors = emb.embed_passages([m["text"] for m in recs.metas])
    svc.store.activate(svc.store.write_version(emb.id, entries, recs, vectors))


def measure(data: Path, design: str, extra: Path, searches: int, adds_n: int = 1) -> dict:
    """Start, search, add, remove, reload, RSS (the parent times the start from its side too)."""
    import resource

    t0 = time.perf_counter()
    svc = service(data, design)
    svc.open()
    if hasattr(svc.searcher, "warm_up"):  # as the CLI does before a first question (the old design has none)
        svc.searcher.warm_up(svc.snapshot())
    vocab = vocabulary()
    rng = np.random.default_rng(7)
    queries = [" ".join(vocab[i] for i in rng.integers(0, 3000, 4)) for _ in range(searches)]
    svc.search(queries[0])
    print("READY", time.time(), flush=True)
    out: dict = {"open_s": time.perf_counter() - t0, "chunks": len(svc.snapshot())}
    times = []
    for q in queries:
        t = time.perf_counter()
        svc.embedder.embed_query(q)
        embed = time.perf_counter() - t
        t = time.perf_counter()
        svc.search(q)
        times.append((time.perf_counter() - t - embed) * 1000)
    out["search_p50_ms"] = statistics.median(times)
    out["search_p95_ms"] = float(np.percentile(times, 95))
    # Several adds, each of a different article (a chunk written before would be found, not written), each
    # removed again so the index keeps its size: one add's tenth of a second of noise decides nothing.
    adds, removes = [], []
    for i in range(adds_n):
        path = extra.with_name(f"extra-{i}.txt")
        edition = f"\n\n이 기사는 {i + 1}번째 판이다.\n"
        path.write_text(extra.read_text(encoding="utf-8") + edition, encoding="utf-8")
        t = time.perf_counter()
        report = svc.ingest([str(path)])
        adds.append(time.perf_counter() - t)
        t = time.perf_counter()
        svc.remove(report.article_ids[0])
        removes.append(time.perf_counter() - t)
    out["add_s"], out["adds_s"] = statistics.median(adds), adds
    out["add_chunks"] = report.added
    t = time.perf_counter()
    svc.embedder.embed_passages(["x" * 400] * report.added)
    out["add_embed_s"] = time.perf_counter() - t
    out["remove_s"], out["removes_s"] = statistics.median(removes), removes
    if design == "manifest":
        out["chroma_write_ms"] = chroma_write_ms(svc)
    t = time.perf_counter()
    svc.reload()
    out["reload_s"] = time.perf_counter() - t
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def chroma_write_ms(svc) -> float:
    """Median time of Chroma's own part of an add: one upsert of 3 chunk vectors into the chunk collection
    (each removed again), so a reader can tell Chroma's cost from this code's as the index grows."""
    snap = svc.snapshot()
    rng = np.random.default_rng(11)
    times = []
    for i in range(5):
        ids = [f"bench-probe-{i}:{j}" for j in range(3)]
        vectors = rng.standard_normal((3, DIM)).astype(np.float32)

        def run(client):
            col = svc.store._chunks(client, snap.chunks)
            t = time.perf_counter()
            col.upsert(ids=ids, embeddings=vectors)
            took = time.perf_counter() - t
            col.delete(ids=ids)
            return took

        times.append(svc.store._call(run) * 1000)
    return statistics.median(times)


def worker(argv: list[str]) -> None:
    cfg = json.loads(argv[0])
    data, design = Path(cfg["data"]), cfg["design"]
    if cfg["step"] == "build":
        t = time.perf_counter()
        build(data, Path(cfg["sources"]), design)
        print(json.dumps({"build_s": time.perf_counter() - t}), flush=True)
    else:
        print(json.dumps(measure(data, design, Path(cfg["extra"]), cfg["searches"], cfg.get("adds", 1))), flush=True)


# ----- the driver ---------------------------------------------------------------------------------------
def run_worker(script: Path, code: Path, cfg: dict) -> tuple[dict, float | None]:
    env = {**os.environ, "PYTHONPATH": str(code), "ANONYMIZED_TELEMETRY": "False"}
    t0 = time.time()
    proc = subprocess.run([sys.executable, str(script), "worker", json.dumps(cfg)], capture_output=True, text=True,
                          check=False,
                          env=env, cwd=code)
    if proc.returncode != 0:
        raise RuntimeError(f"{cfg['design']} {cfg['step']} failed:\n{proc.stderr[-3000:]}")
    ready = [float(line.split()[1]) for line in proc.stdout.splitlines() if line.startswith("READY")]
    return json.loads(proc.stdout.strip().splitlines()[-1]), (ready[0] - t0) if ready else None


def built_index(keep: Path | None, script: Path, code: Path, common: dict, design: str, size: int,
                data: Path) -> dict:
    """Build the index into `data`, or copy it from `keep` when a run with the same storage code built it."""
    if keep is None:
        built, _ = run_worker(script, code, {**common, "step": "build"})
        return built
    # Storage code changes the format: an index built by other code is built again, not trusted.
    stamp = hashlib.sha256(b"".join(p.read_bytes() for p in sorted((code / "retrieval" / "index").glob("*.py"))))
    kept = keep / f"{design}-{size}-{stamp.hexdigest()[:12]}"
    if not (kept / "built.json").exists():
        shutil.rmtree(kept, ignore_errors=True)
        built, _ = run_worker(script, code, {**common, "step": "build", "data": str(kept)})
        (kept / "built.json").write_text(json.dumps(built), encoding="utf-8")
    shutil.copytree(kept, data)
    (data / "built.json").unlink()
    return json.loads((kept / "built.json").read_text(encoding="utf-8"))


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="index sizes in chunks")
    parser.add_argument("--copy-max", type=int, default=10_000, help="largest size to run the old design at")
    parser.add_argument("--searches", type=int, default=40)
    parser.add_argument("--code", type=Path, default=ROOT, help="tree of the design under test (default: this one)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    parser.add_argument("--adds", type=int, default=7,
                        help="articles added (and removed) per size; the median is reported")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep built indexes here and reuse them in later runs (a 100k build takes minutes); "
                             "each run measures a copy, so a kept index never changes")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="articlebot-scale-"))
    baseline = work / "baseline"
    baseline.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASELINE, "retrieval", "articlebot"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
    script = work / "scale.py"  # a copy: editing this file while the run goes on changes nothing
    shutil.copy(__file__, script)
    extra = work / "extra.txt"
    extra.write_text(DEFAULT_ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    rows = []
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            # Kept indexes name their sources (a reload reads them again): those are kept beside them.
            sources = (args.keep or work) / f"sources-{size}"
            if not sources.exists():
                write_sources(sources, size)
            for design, code in (("copy", baseline), ("manifest", args.code)):
                if design == "copy" and size > args.copy_max:
                    continue
                data = work / f"{design}-{size}"
                common = {"data": str(data), "design": design, "sources": str(sources)}
                built = built_index(args.keep, script, code, common, design, size, data)
                got, start = run_worker(script, code, {**common, "step": "measure", "extra": str(extra),
                                               "searches": args.searches, "adds": args.adds})
                row = {"design": design, "size": size, **built, **got, "start_s": start, "disk_mb": du(data) / 2**20}
                rows.append(row)
                print(json.dumps(row), flush=True)
                shutil.rmtree(data, ignore_errors=True)
            if args.keep is None:
                shutil.rmtree(sources, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    table(rows)


def table(rows: list[dict]) -> None:
    print("| design | chunks | add one | (Chroma's upsert) | remove one | reload | search p50/p95 | start | RSS "
          "| disk/chunk |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        chroma = f"{r['chroma_write_ms']:.0f} ms" if "chroma_write_ms" in r else "-"
        print(f"| {r['design']} | {r['chunks']:,} | {r['add_s']:.2f} s | {chroma} | {r['remove_s']:.2f} s "
              f"| {r['reload_s']:.1f} s | {r['search_p50_ms']:.1f}/{r['search_p95_ms']:.1f} ms | {r['start_s']:.1f} s "
              f"| {r['rss_mb']:.0f} MB "
              f"| {r['disk_mb'] * 2**20 / max(r['chunks'], 1) / 1024:.1f} KB |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2:])
    else:
        main()
