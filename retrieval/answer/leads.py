"""The short answer in front of a quote: `20만㎡ — “…” [1]`.

Only when the question asks for a number, date, duration or name and the chosen sentence holds exactly one
such value that the question doesn't already say; the value is shown as the article writes it, so it reads
the same in any language.
"""

from __future__ import annotations

import re

from ..korean import squash
from .evidence import ANNOUNCED, Kind, Question

_UNIT = (r"(?:%|퍼센트|㎡|m2|㎢|km|kg|t|톤|명|개|곳|건|원|달러|대|회|번|배|위|세|살|층|가구|개국|점|마리|권|편|팀|종|척|석"
         r"|가지|차례|표|p|포인트|bp|GW|MW|kW|조|억|만)")
_NUMBER = re.compile(rf"\d[\d,.]*(?:\s?(?:만|억|조|천)\s?\d*[\d,.]*)*\s?{_UNIT}?(?:\s?{_UNIT})?")
_DATE = re.compile(r"(?:\d{4}년\s?)?\d{1,2}월\s?\d{1,2}일|\d{4}년\s?\d{1,2}월|\d{4}\.\s?\d{1,2}\.\s?\d{1,2}|\d{4}년"
                   r"|\d{1,2}일(?=\s*(?:부터|까지|오전|오후|개장|개최|열|시작))")
_CLOCK = re.compile(r"(?:오전|오후)\s?\d{1,2}시(?:\s?\d{1,2}분)?|\d{1,2}:\d{2}")
# A bare "15일" is a date; a duration says 간/동안/만 ("4일간", "한 달 동안") or uses a unit that only measures.
_DURATION = re.compile(r"\d[\d,.]*\s?(?:시간|분|초|개월|주일?)\s?(?:간|동안|만)?|\d[\d,.]*\s?(?:일|년|달)\s?(?:간|동안|만)"
                       r"|(?:한|두|세|네|다섯|열)\s?(?:달|해|시간|주)\s?(?:간|동안)?")


def _values(pattern: re.Pattern, text: str, asked: str) -> list[str]:
    found = [m.group(0).strip() for m in pattern.finditer(text)]
    return list(dict.fromkeys(v for v in found if v and squash(v) not in asked))


def short_answer(q: Question, sentence: str, proper: tuple[str, ...] = ()) -> str | None:
    """The one value of the asked type in `sentence`, verbatim, or None when there is none or several."""
    asked = squash(q.text)
    if q.kind is Kind.NUMBER:
        values = [v for v in _values(_NUMBER, sentence, asked) if not re.fullmatch(r"\d{4}", v)]
        dates = {squash(d) for d in _values(_DATE, sentence, asked)}
        values = [v for v in values if not any(squash(v) in d for d in dates)]
    elif q.kind is Kind.DURATION:
        values = _values(_DURATION, sentence, asked)
    elif q.kind is Kind.TIME:
        text = ANNOUNCED.sub(" ", sentence)
        values = _values(_DATE, text, asked) or _values(_CLOCK, text, asked)
    elif q.kind in (Kind.PERSON, Kind.PLACE):
        values = [p for p in proper if p not in asked and p in sentence.lower()]
        values = [sentence[sentence.lower().find(p) : sentence.lower().find(p) + len(p)] for p in values]
    else:
        return None
    return values[0] if len(values) == 1 else None
