"""Fit the offline answerer's model on KorQuAD 1.0 dev and write retrieval/answer/model.json (make fit-answerer).

Split (bench/answerdata.py): Wikipedia titles are halved by a hash; everything here is fitted and chosen on
the `fit` half; `make bench-answers` reports on the `report` half. News sets are never used here.

Two logistic regressions (scikit-learn), each over standardized features:
  - sentence choice: is this candidate the sentence holding the gold answer? (pointwise; the candidates are
    the sentences of the top-k retrieved passages, exactly as at run time)
  - answer or refuse: indexed questions against questions whose title is left out of the index, from the best
    candidate's features and how much of the question the index knows. Its threshold maximizes, on the fit
    half, the mean of "gold answer in the quoted sentences", "left-out question refused" and "on-topic
    question refused", averaged over a window of thresholds (SMOOTH).
Why logistic regression: a few dozen coefficients fit in a readable JSON file, scoring is one dot product
(no pickle, no scikit-learn at run time), and with ~20 features and a few thousand questions gradient
boosting had nothing to gain that would justify a model file nobody can read.
The same two are fitted again on the dense-only features for questions in other languages, which share no
words with a Korean article.

The rows (bench/fitrows.py) are cached in --cache (the E5 vectors of ~750 paragraphs' sentences take minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import answerdata  # noqa: E402
from fitrows import features  # noqa: E402

from retrieval.answer.features import (  # noqa: E402
    DECISION_FEATURES, DENSE_DECISION_FEATURES, DENSE_FEATURES, SENTENCE_FEATURES,
)
from retrieval.answer.model import MODEL_PATH, AnswerModel, Linear  # noqa: E402


# The refusal threshold: the objective is averaged over a window of ±SMOOTH logits, on a grid of STEP (fit_pair).
SMOOTH, STEP = 0.3, 0.01


def fit_linear(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], balanced: bool = False) -> Linear:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    lr = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced" if balanced else None)
    lr.fit(scaler.transform(x), y)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    return Linear(names, scaler.mean_, scale, lr.coef_[0], float(lr.intercept_[0]))


class _C:
    """The few candidate fields `decision_features` reads, from cached rows."""

    def __init__(self, row: dict, logit: float) -> None:
        self.features, self.logit, self.row = row["f"], logit, row

        class P:
            score = row["score"]
        self.passage = P


def ranked(question: dict, model: Linear) -> list[_C]:
    logits = model.logits([c["f"] for c in question["cands"]])
    return sorted((_C(c, float(z)) for c, z in zip(question["cands"], logits)), key=lambda c: -c.logit)


def quoted_gold(r: list[_C]) -> bool:
    """Is the gold answer in what the answer quotes (the best sentence and a close second, as at run time)?"""
    from retrieval.answer.extractive import SECOND_RATIO

    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    chosen = r[:1] + [c for c in r[1:3] if sig(c.logit) >= SECOND_RATIO * sig(r[0].logit)][:1]
    return any(c.row["y"] for c in chosen)


def fit_pair(rows: list[dict], sent_names, dec_names) -> tuple[Linear, Linear, dict]:
    from retrieval.answer.features import decision_features

    from sklearn.model_selection import GroupKFold

    usable = [r for r in rows if r["cands"]]
    train = [r for r in usable if r["answerable"] and any(c["y"] for c in r["cands"])]
    x = np.array([[c["f"][k] for k in sent_names] for r in train for c in r["cands"]])
    y = np.array([c["y"] for r in train for c in r["cands"]])
    groups = np.array([i for i, r in enumerate(train) for _ in r["cands"]])
    sentence = fit_linear(x, y, sent_names)
    # Out-of-fold sentence logits for the decision model, so it learns from scores like run time's.
    oof: dict[str, Linear] = {}
    ids = np.array([r["id"] for r in train])
    for tr, te in GroupKFold(n_splits=5).split(x, y, groups):
        m = fit_linear(x[tr], y[tr], sent_names)
        for qid in set(ids[np.unique(groups[te])]):
            oof[qid] = m
    dec_rows, dec_y, gold = [], [], []
    for r in usable:
        r_ranked = ranked(r, oof.get(r["id"], sentence))
        dec_rows.append(decision_features(r["asked"], r_ranked))
        dec_y.append(int(r["answerable"]))
        gold.append(quoted_gold(r_ranked))
    xd = np.array([[d[k] for k in dec_names] for d in dec_rows])
    decision = fit_linear(xd, np.array(dec_y), dec_names, balanced=True)
    z = decision.logits(dec_rows)
    answerable = np.array(dec_y) == 1
    withheld = np.array([bool(r.get("withheld")) for r in usable])
    cut = np.array([bool(r.get("cut")) for r in usable])
    left_out = ~answerable & ~withheld & ~cut
    n_ans = int(answerable.sum()) + sum(1 for r in rows if r["answerable"] and not r["cands"])
    # The threshold weighs the answered rate against the refusals: gold answer quoted, left-out title refused,
    # and the two on-topic refusals news questions need most (withheld paragraph, cut sentence) as one rate.
    rate = lambda mask, t: float(np.mean(z[mask] < t)) if mask.any() else 1.0  # noqa: E731

    answered_right = answerable & np.array(gold)

    def rates(t: float) -> tuple[float, float, float, float]:
        hit = float(np.sum((z >= t) & answered_right) / n_ans)
        held, was_cut = rate(withheld, t), rate(cut, t)
        return hit, rate(left_out, t), held, was_cut

    def objective(t: float) -> float:
        hit, refused, held, was_cut = rates(t)
        return (hit + refused + ((held + was_cut) / 2 if cut.any() else held)) / 3

    # The objective is flat near its top (within 0.002 from -0.27 to +0.39 logits), so its argmax moved by 0.3
    # logits between two extractions of the same questions. The best mean over a window of ±SMOOTH logits
    # lands within 0.04 across them: a refit moves the operating point only when the data do.
    grid = np.arange(np.floor(z.min()), np.ceil(z.max()) + STEP, STEP)
    width = int(round(SMOOTH / STEP))
    smoothed = np.convolve([objective(t) for t in grid], np.ones(2 * width + 1) / (2 * width + 1), mode="same")
    thr = float(np.round(grid[np.argmax(smoothed)], 3))
    hit, refused, held, was_cut = rates(thr)
    figs = {"gold_in_answer": round(hit, 3), "refusals": round(refused, 3),
            "withheld_refused": round(held, 3)} | ({"cut_refused": round(was_cut, 3)} if cut.any() else {})
    figs["sentence_top1_when_retrieved"] = round(float(np.mean([quoted_gold(ranked(r, oof[r["id"]]))
                                                                  for r in train])), 3)
    decision = Linear(decision.features, decision.mean, decision.scale, decision.coef, decision.intercept, thr)
    return sentence, decision, figs


def evaluate(rows: list[dict], sentence: Linear, decision: Linear) -> dict:
    """Rates of a fitted pair on `rows` (the other half), as asked and reworded: gold answer quoted (over every
    indexed question), left-out titles refused, withheld paragraphs refused."""
    from retrieval.answer.features import decision_features

    out = {}
    for name, part in (("asked", [r for r in rows if not r.get("reworded")]),
                       ("reworded", [r for r in rows if r.get("reworded")])):
        counts = {k: [0, 0] for k in ("gold_in_answer", "left_out_refused", "withheld_refused", "cut_refused")}
        for r in part:
            rk = ranked(r, sentence) if r["cands"] else []
            says = bool(rk) and float(decision.logits([decision_features(r["asked"], rk)])[0]) >= decision.threshold
            kind = ("gold_in_answer" if r["answerable"] else "withheld_refused" if r.get("withheld")
                    else "cut_refused" if r.get("cut") else "left_out_refused")
            counts[kind][0] += (says and quoted_gold(rk)) if r["answerable"] else not says
            counts[kind][1] += 1
        out[name] = {k: f"{a}/{n} {a / max(n, 1):.3f}" for k, (a, n) in counts.items()}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/articlebot-fit-answerer"),
                    help="where features and the KorQuAD index are kept between runs")
    ap.add_argument("--out", type=Path, default=MODEL_PATH, help=f"model file (default {MODEL_PATH})")
    ap.add_argument("--report", action="store_true",
                    help="also print the fitted model's rates on the report half (never used for fitting)")
    args = ap.parse_args(argv)
    if not answerdata.KORQUAD.exists():
        print(f"KorQuAD dev not found at {answerdata.KORQUAD} (set ARTICLEBOT_SHARED)", file=sys.stderr)
        return 2
    args.cache.mkdir(parents=True, exist_ok=True)
    # Fitted on questions as asked. A model fitted on reworded copies too (tried: the report half's reworded
    # gold rose from 0.41 to 0.77) answered with the wrong one of two parallel articles and refused bare
    # follow-ups, because it learned to look away from the words a question shares with a sentence; the
    # copies stay a report-half robustness figure (--report).
    rows = features(args.cache)
    ko = fit_pair(rows, SENTENCE_FEATURES, DECISION_FEATURES)
    # The cut sentences are told apart by what the article says in words (is the asked noun there at all?),
    # which the dense-only model never sees: to it a cut question looks answered by the sentence beside the
    # cut one, so fitting it on them would only raise its threshold and refuse more questions in English.
    dense = fit_pair([r for r in rows if not r.get("cut")], DENSE_FEATURES, DENSE_DECISION_FEATURES)
    from retrieval.index.embeddings import E5Embedder

    meta = {"data": answerdata.ATTRIBUTION, "split": "fitted on the `fit` half of titles (bench/answerdata.py)",
            "embedder": E5Embedder.id,  # korquad_service's: features in its cosine scale (EMBEDDER_SCALED)
            "questions": {"answerable": sum(r["answerable"] for r in rows),
                          "left_out_title": sum(not r["answerable"] and not r.get("withheld") and not r.get("cut")
                                                for r in rows),
                          "withheld_paragraph": sum(bool(r.get("withheld")) for r in rows),
                          "cut_sentence": sum(bool(r.get("cut")) for r in rows)},
            "fit_half": {"korean": ko[2], "dense_only": dense[2]}}
    model = AnswerModel(ko[0], ko[1], dense[0], dense[1], meta)
    args.out.write_text(json.dumps(model.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(meta, ensure_ascii=False, indent=1))
    print(f"wrote {args.out}")
    if args.report:
        held = features(args.cache, "report", reworded=True)
        print(json.dumps({"report_half": {"korean": evaluate(held, ko[0], ko[1]),
                                          "dense_only": evaluate(held, dense[0], dense[1])}}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
