"""bench/verify_probe.py: its answers cover what the issue lists, and its scoring works on the check in this tree
(the full run, with the previous revision's check beside it, is `make bench-verify`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import verify_probe as vp  # noqa: E402

from retrieval.check.verify import Checker  # noqa: E402

ANSWERS = [json.loads(line) for line in vp.PROBE.read_text(encoding="utf-8").splitlines() if line.strip()]
KINDS = {"number", "unit", "negation", "swap", "verb", "date", "wrong_passage", "invented", "out_of_range"}


def test_the_probe_has_what_the_issue_asks_for():
    assert len(ANSWERS) >= 60
    labels = [s[1] for a in ANSWERS for s in a["s"]]
    assert KINDS <= set(labels) and labels.count("ok") >= 30
    assert any(a["id"].startswith("en-") for a in ANSWERS) and any(a["id"].startswith("ko-") for a in ANSWERS)
    assert sum(1 for a in ANSWERS if a.get("summary") and len(a["s"]) == 4) >= 2
    assert {a["split"] for a in ANSWERS} == {"dev", "test"}


def test_scoring_counts_kept_and_caught_sentences():
    ps = vp.passages()
    answer = {"s": [["서울관에는 81개 기업이 참여했습니다 [3].", "ok"], ["입장료는 무료였습니다 [3].", "invented"]]}
    assert vp.score(answer, "서울관에는 81개 기업이 참여했습니다 [1].", {1: ps[2].chunk_id}, ps) == [
        ("ok", True), ("invented", True)]
    wrong = {"s": [["서울관에는 81개 기업이 참여했습니다 [1].", "wrong_passage", 1]]}
    assert vp.score(wrong, "서울관에는 81개 기업이 참여했습니다 [1].", {1: ps[0].chunk_id}, ps) == [("wrong_passage", False)]
    assert vp.score(wrong, "서울관에는 81개 기업이 참여했습니다 [1].", {1: ps[2].chunk_id}, ps) == [("wrong_passage", True)]


def test_on_the_probe_no_false_claim_is_kept_or_previewed_and_summaries_stay_whole():
    ps = vp.passages()
    truth = {vp.bare(s[0]): s[1] in ("ok", "wrong_passage", "out_of_range") for a in ANSWERS for s in a["s"]}

    def judge(items):  # a good model, as in the bench
        return [next((v for k, v in truth.items() if vp.bare(it.claim) in k), False) for it in items]

    outputs, shown = [], 0
    for a in ANSWERS:
        reply = " ".join(s[0] for s in a["s"])
        c = Checker(ps, refusals=vp.REFUSALS).check(reply, judge)
        outputs.append((c.text, {x.n: x.chunk_id for x in c.citations}))
        preview = vp.streamed(Checker(ps, refusals=vp.REFUSALS), reply)
        shown += sum(1 for s in a["s"] if s[1] not in ("ok", "wrong_passage", "out_of_range")
                     and vp.bare(s[0]) in vp.bare(preview))
    figures = vp.figures(ANSWERS, outputs, ps)
    assert figures["caught"] == 1.0 and shown == 0
    assert figures["kept"] >= 0.95 and figures["summaries_whole"] == 3
