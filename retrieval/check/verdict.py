"""A verdict on one clause against one support: accepted, grey (the judge's) or rejected, and why."""

from __future__ import annotations

from dataclasses import dataclass

ACCEPT, GREY, REJECT = "accept", "grey", "reject"
_RANK = {ACCEPT: 2, GREY: 1, REJECT: 0}


@dataclass
class Verdict:
    """What one passage says about one clause: status, the support span to quote, and why."""

    status: str
    start: int = 0
    end: int = 0
    score: float = 0.0
    reason: str = ""

    def better(self, other: Verdict | None) -> bool:
        """The verdict of the support that matches best wins: a contradiction found where the claim's
        words are outweighs a grey match elsewhere."""
        return other is None or (self.score, _RANK[self.status]) > (other.score, _RANK[other.status])
