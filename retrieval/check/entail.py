"""The grey zone: clauses the counting rule can neither accept nor reject, put to an entailment judge.

The judge is any callable from items to yes/no verdicts; the LLM one (`retrieval/llm/entail.py`) makes
one batched call per answer. This module only asks and fails closed: no judge, an exception, or a missing
verdict all mean "not supported", so a clause nobody could check is dropped, never shown.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    """One question for the judge: does `support` (exact passage sentences) entail `claim`?"""

    claim: str
    support: str


class Entailment(Protocol):
    """Verdicts for all items of one answer, in order (True: entailed)."""

    def __call__(self, items: Sequence[Item]) -> list[bool]: ...


def decide(items: Sequence[Item], judge: Entailment | None) -> list[bool]:
    """The judge's verdicts, False wherever it gave none; never raises."""
    if not items:
        return []
    if judge is None:
        return [False] * len(items)
    try:
        verdicts = list(judge(items))
    except Exception as exc:  # a failing judge must not lose the answer, only its unchecked clauses
        log.warning("entailment check failed, %d grey clause(s) dropped: %s", len(items), exc)
        return [False] * len(items)
    verdicts = [bool(v) for v in verdicts[: len(items)]] + [False] * (len(items) - len(verdicts))
    # Article text stays out of the log: item numbers, sizes and verdicts only.
    log.debug("entailment verdicts: %s", ", ".join(f"#{i} ({len(it.claim)} chars) {'yes' if v else 'no'}"
                                                    for i, (it, v) in enumerate(zip(items, verdicts), 1)))
    return verdicts
