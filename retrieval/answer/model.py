"""The fitted answerer: logistic-regression coefficients read from model.json (no pickle, no scikit-learn).

`bench/fit_answerer.py` (`make fit-answerer`) writes the file from KorQuAD dev; see its docstring for the
split and why logistic regression. At run time scoring is a dot product.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).with_name("model.json")


@dataclass(frozen=True)
class Linear:
    """One logistic regression over standardized features; `threshold` is on its logit, when it has one."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float = 0.0

    def logits(self, rows: list[dict[str, float]]) -> np.ndarray:
        x = np.array([[r[f] for f in self.features] for r in rows], dtype=np.float64)
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    def to_json(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept, "threshold": self.threshold}

    @classmethod
    def from_json(cls, d: dict) -> Linear:
        return cls(tuple(d["features"]), np.asarray(d["mean"]), np.asarray(d["scale"]), np.asarray(d["coef"]),
                   float(d["intercept"]), float(d.get("threshold", 0.0)))


@dataclass(frozen=True)
class AnswerModel:
    """Sentence choice and the answer-or-refuse decision, for Korean and for other-language questions."""

    sentence: Linear
    decision: Linear
    dense_sentence: Linear
    dense_decision: Linear
    meta: dict

    def to_json(self) -> dict:
        return {"meta": self.meta, "sentence": self.sentence.to_json(), "decision": self.decision.to_json(),
                "dense_sentence": self.dense_sentence.to_json(), "dense_decision": self.dense_decision.to_json()}

    @classmethod
    def from_json(cls, d: dict) -> AnswerModel:
        return cls(Linear.from_json(d["sentence"]), Linear.from_json(d["decision"]),
                   Linear.from_json(d["dense_sentence"]), Linear.from_json(d["dense_decision"]), d.get("meta", {}))


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> AnswerModel:
    """The shipped model (read once)."""
    return AnswerModel.from_json(json.loads(path.read_text(encoding="utf-8")))
