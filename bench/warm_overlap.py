"""Does the warm-up hide the vector index's load behind Kiwi's? Kiwi's load and a first Chroma query, one after
the other and side by side (as `HybridSearcher.warm_up` runs them), in fresh processes taken in turn.

Builds a synthetic index as `bench/scale.py` does (hash embedder, --chunks chunks; 100k takes minutes), or
uses --data, a data dir such a build left. Prints each run's Kiwi time, query time and the two together;
side by side, "both" near Kiwi's time alone means the query cost nothing on the critical path.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]


def once(data: Path, side_by_side: bool) -> None:
    import scale

    from retrieval.korean import terms

    svc = scale.service(data, "manifest")
    svc.open()
    snap = svc.snapshot()
    vector = svc.embedder.embed_query("가나")
    got: dict[str, float] = {}

    def query() -> None:
        t = time.perf_counter()
        svc.store.query(snap.chunks, vector, 1)
        got["query"] = time.perf_counter() - t

    t0 = time.perf_counter()
    thread = threading.Thread(target=query)
    if side_by_side:
        thread.start()
    t = time.perf_counter()
    terms("서울관 면적은?")
    got["kiwi"] = time.perf_counter() - t
    if not side_by_side:
        thread.start()
    thread.join()
    mode = "side by side" if side_by_side else "one after the other"
    print(f"{mode:20s} kiwi {got['kiwi']:.2f} s  query {got['query']:.2f} s  both {time.perf_counter() - t0:.2f} s",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000, help="size of the index to build")
    parser.add_argument("--data", type=Path, help="an index bench/scale.py's build wrote (nothing is built)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each way")
    args = parser.parse_args()
    work = None
    data = args.data
    if data is None:
        import scale

        work = Path(tempfile.mkdtemp(prefix="articlebot-overlap-"))
        scale.write_sources(work / "sources", args.chunks)
        data = work / "data"
        scale.build(data, work / "sources", "manifest")
    try:
        for _ in range(args.runs):
            for mode in ("sequential", "parallel"):
                subprocess.run([sys.executable, __file__, "--once", mode, str(data)], check=True)
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--once"]:
        once(Path(sys.argv[3]), sys.argv[2] == "parallel")
    else:
        main()
