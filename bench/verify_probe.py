"""How well the citation check keeps true claims and catches false ones, beside earlier revisions' checks.

    .venv/bin/python bench/verify_probe.py [--baseline REV ...] [--split dev|test|all] [--runs 5] [--json]

The probe is `bench/probe/verify_answers.jsonl`: scripted answers about the default article (its three
chunks are the passages [1]..[3]), Korean and English, each sentence labelled "ok" or with the kind of
its one error (number, unit, negation, swap, verb, date, invented, wrong_passage, out_of_range). The
"dev" split was used while building the check; "test" was written with it and not tuned on.

Figures, for the check in this tree and for each --baseline (by default the check before claim-level
checking and the first claim-level check, each run from a temporary git worktree of that commit, in a
subprocess, in the same run; a baseline's check has no judge, so its figures are deterministic only):
- kept: true sentences whose text survives the check (a summary counts only when kept whole);
- caught: false sentences removed, or for a wrong or out-of-range marker, no longer cited that way;
- deterministic only: the grey zone dropped (no LLM); with the judge: grey clauses put to a scripted
  OpenAI-compatible fake over HTTP that plays a good model (it answers from the probe's labels, so the
  figure shows what the deterministic rules leave to the LLM, not a model's quality);
- grey: share of clauses the deterministic rules left to the judge; hard rejects: false sentences the
  rules reject outright (no judge could let them through);
- preview: false sentences that appeared in the streamed preview (before claim-level checking, the preview
  streamed raw text);
- time: the check per answer (p50; the answer's text new to the check, its passages analysed before, as
  when the same article is asked about again; the judge call aside), over all answers and over the
  English ones.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes.openai_server import FakeOpenAI  # noqa: E402

from retrieval.base import NOT_IN_ARTICLE  # noqa: E402
from retrieval.check.preview import CheckedPreview  # noqa: E402
from retrieval.check.verify import Checker  # noqa: E402
from retrieval.ingest.chunking import chunk_article  # noqa: E402
from retrieval.ingest.sources import load_source  # noqa: E402
from retrieval.korean import squash  # noqa: E402
from retrieval.llm.client import chat_model  # noqa: E402
from retrieval.llm.entail import LLMEntailment  # noqa: E402
from retrieval.models import Passage  # noqa: E402

PROBE = ROOT / "bench" / "probe" / "verify_answers.jsonl"
ARTICLE = ROOT / "articles" / "000_db62d54ccc32d396.txt"
BASELINE = "930bfe5"  # main before claim-level checking (the layout commit)
PREVIOUS = "b32ba25"  # claim-level checking before light verbs and English alignment (issue 11, second round)
MARK = re.compile(r"\s*\[\s*(-?\d{1,3}(?:\s*[,，]\s*-?\d{1,3})*)\s*\]")
REFUSALS = list(NOT_IN_ARTICLE.values())
# Each timed check sees its answer text for the first time (text-level caches emptied), its passages
# analysed before (as in the bot, where the same passages come back question after question): the
# passage caches are `passage_index` and those marked `passage_side`.
_FRESH = """
def fresh():
    for name, mod in list(sys.modules.items()):
        if name.startswith("retrieval"):
            for f in list(vars(mod).values()):
                if (callable(getattr(f, "cache_clear", None)) and getattr(f, "__name__", "") != "passage_index"
                        and not getattr(f, "passage_side", False)):
                    f.cache_clear()
"""
# The old check, run inside the baseline worktree: replies in on stdin, checked texts and timings out.
_OLD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
""" + _FRESH + """
try:
    from retrieval.check.verify import check
except ImportError:
    from retrieval.verify import check
from retrieval.models import Passage
job = json.load(sys.stdin)
ps = [Passage(**p) for p in job["passages"]]
out = []
for reply in job["replies"]:
    times = []
    check(reply, ps, refusals=job["refusals"])
    for _ in range(job["runs"]):
        fresh(); t = time.perf_counter(); c = check(reply, ps, refusals=job["refusals"]); times.append(time.perf_counter() - t)
    out.append({"text": c.text, "cited": {x.n: x.chunk_id for x in c.citations}, "ms": sorted(times)[len(times) // 2] * 1000})
json.dump(out, sys.stdout)
"""


exec(_FRESH)  # defines fresh() here too: the same timing rule for both checks


def passages() -> list[Passage]:
    art = load_source(str(ARTICLE)).articles[0]
    return [Passage(c.id, art.id, art.title, c.text) for c in chunk_article(art)]


def bare(text: str) -> str:
    return squash(MARK.sub("", text)).replace("*", "")


def score(answer: dict, text: str, cited: dict[int, str], ps: list[Passage]) -> list[tuple[str, bool]]:
    """(label, good) per sentence: kept for true ones, caught for false ones."""
    out_sents = re.split(r"(?<=[.!?])\s+(?=\S)|\n", text)
    results = []
    for s in answer["s"]:
        label, body = s[1], bare(s[0])
        where = next((o for o in out_sents if body and body in bare(o)), None)
        if label == "ok":
            results.append((label, where is not None))
        elif label == "wrong_passage":
            marks = [int(n) for g in MARK.findall(where or "") for n in re.findall(r"\d+", g)]
            results.append((label, where is None or ps[s[2] - 1].chunk_id not in {cited.get(n) for n in marks}))
        elif label == "out_of_range":
            marks = [int(n) for g in MARK.findall(where or "") for n in re.findall(r"\d+", g)]
            results.append((label, where is None or all(n in cited for n in marks)))
        else:
            results.append((label, where is None))
    if answer.get("summary") and not all(ok for _, ok in results):
        results = [(label, False) for label, _ in results]  # a summary is kept whole or it failed
    return results


def figures(answers: list[dict], outputs: list[tuple[str, dict[int, str]]], ps: list[Passage]) -> dict:
    rows = [r for a, (text, cited) in zip(answers, outputs) for r in score(a, text, cited, ps)]
    true = [ok for label, ok in rows if label == "ok"]
    false = [ok for label, ok in rows if label != "ok"]
    return {"kept": sum(true) / max(len(true), 1), "caught": sum(false) / max(len(false), 1),
            "n_true": len(true), "n_false": len(false),
            "missed": sorted({label for label, ok in rows if label != "ok" and not ok}),
            "summaries_whole": sum(all(ok for _, ok in score(a, t, c, ps)) for a, (t, c) in zip(answers, outputs)
                                   if a.get("summary"))}


def oracle(truth: dict[str, bool]):
    """A fake model that judges grey items as a good model would: by the probe's labels."""
    item = re.compile(r"<statement>([^<]*)</statement>")

    def handler(body: dict) -> str:
        prompt = body["messages"][-1]["content"]
        lines = []
        for n, claim in enumerate(item.findall(prompt), 1):
            c = bare(claim)
            ok = next((v for k, v in truth.items() if c and c in k), False)
            lines.append(f"{n}: {'yes' if ok else 'no'}")
        return "\n".join(lines)

    return handler


def streamed(checker: Checker, reply: str) -> str:
    preview = CheckedPreview(checker)
    return "".join(preview.feed(reply[i:i + 7]) for i in range(0, len(reply), 7))


def run_baseline(rev: str, ps: list[Passage], replies: list[str], runs: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="verify-baseline-") as tmp:
        wt = Path(tmp) / "wt"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(wt), rev], check=True,
                       capture_output=True)
        try:
            job = {"passages": [p.__dict__ for p in ps], "replies": replies, "refusals": REFUSALS, "runs": runs}
            done = subprocess.run([sys.executable, "-c", _OLD, str(wt)], input=json.dumps(job), text=True,
                                  capture_output=True, check=True)
            return json.loads(done.stdout)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(wt)], capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", action="append", metavar="REV",
                    help=f"git revision of a check to compare with; repeatable (default: {BASELINE} and {PREVIOUS})")
    ap.add_argument("--split", default="all", choices=["dev", "test", "all"])
    ap.add_argument("--runs", type=int, default=5, help="timed repetitions per answer")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    answers = [json.loads(line) for line in PROBE.read_text(encoding="utf-8").splitlines() if line.strip()]
    answers = [a for a in answers if args.split == "all" or a["split"] == args.split]
    replies = [" ".join(s[0] for s in a["s"]) for a in answers]
    ps = passages()
    checker = Checker(ps, refusals=REFUSALS)
    # the judge sees the claim and its support: a true claim under a wrong or missing marker is still true
    truth = {bare(s[0]): s[1] in ("ok", "wrong_passage", "out_of_range") for a in answers for s in a["s"]}

    det, times, per_answer, hard, grey, clauses, shown_false = [], [], [], 0, 0, 0, 0
    for a, reply in zip(answers, replies):
        c = Checker(ps, refusals=REFUSALS).check(reply)  # cold plans, warm passage cache: as in production
        det.append((c.text, {x.n: x.chunk_id for x in c.citations}))
        grey, clauses = grey + c.grey, clauses + c.clauses
        mine = []
        for _ in range(args.runs):
            fresh()  # noqa: F821 (defined by exec above)
            t = time.perf_counter()
            Checker(ps, refusals=REFUSALS).check(reply)
            mine.append((time.perf_counter() - t) * 1000)
        times += mine
        per_answer.append(statistics.median(mine))
        plans = [checker.plan(s) for s in re.split(r"(?<=[.!?])\s+|(?<=\])\s+", reply)]
        hard += sum(1 for s in a["s"] if s[1] not in ("ok", "wrong_passage", "out_of_range")
                    and any(p.kind == "claims" and not p.greys() and not p.holds(set()) and bare(s[0]) in bare(p.bare)
                            for p in plans))
        shown = streamed(Checker(ps, refusals=REFUSALS), reply)
        shown_false += sum(1 for s in a["s"] if s[1] not in ("ok", "wrong_passage", "out_of_range")
                           and bare(s[0]) in bare(shown))
    with FakeOpenAI() as fake:
        fake.handler = oracle(truth)
        judge = LLMEntailment(lambda: chat_model(model="fake-model", api_key="probe", base_url=fake.base_url,
                                                 timeout=10))
        llm = []
        for reply in replies:
            c = Checker(ps, refusals=REFUSALS).check(reply, judge)
            llm.append((c.text, {x.n: x.chunk_id for x in c.citations}))
        calls = len(fake.chat_requests)
    olds = {rev: run_baseline(rev, ps, replies, args.runs) for rev in args.baseline or [BASELINE, PREVIOUS]}
    content_false = sum(1 for a in answers for s in a["s"] if s[1] not in ("ok", "wrong_passage", "out_of_range"))
    result = {
        "split": args.split, "answers": len(answers),
        "this tree, deterministic only": figures(answers, det, ps),
        "this tree, with the judge": figures(answers, llm, ps),
        **{f"baseline {rev}": figures(answers, [(o["text"], {int(k): v for k, v in o["cited"].items()}) for o in old],
                                      ps) for rev, old in olds.items()},
        "grey share of clauses": grey / max(clauses, 1), "judge calls": calls,
        "hard rejects of false content claims": hard / max(content_false, 1),
        "false claims shown in previews": shown_false,
        f"false claims streamed raw at {BASELINE}": content_false,
        "check ms p50 (this tree)": statistics.median(times),
        **{f"check ms p50 ({rev})": statistics.median(o["ms"] for o in old) for rev, old in olds.items()},
    }
    english = [i for i, a in enumerate(answers) if a["id"].startswith("en-")]
    if english:  # the costliest kind: each English clause is aligned with every support sentence
        result["English answers: check ms p50 (this tree)"] = statistics.median(per_answer[i] for i in english)
        for rev, old in olds.items():
            result[f"English answers: check ms p50 ({rev})"] = statistics.median(old[i]["ms"] for i in english)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    print(f"verify probe: {len(answers)} answers, split {args.split}")
    for k, v in result.items():
        if isinstance(v, dict):
            print(f"  {k:34s} kept {v['kept']:6.1%} of {v['n_true']:3d}   caught {v['caught']:6.1%} of "
                  f"{v['n_false']:3d}   summaries whole {v['summaries_whole']}   missed kinds {v['missed']}")
        elif isinstance(v, float):
            print(f"  {k:34s} {v:.3f}" if " ms " in k else f"  {k:34s} {v:.1%}")
        elif k not in ("split", "answers"):
            print(f"  {k:34s} {v}")


if __name__ == "__main__":
    main()
