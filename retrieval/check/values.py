"""Numbers, units, dates and weekdays as values, so a claim's figures are compared by meaning, not by spelling.

Why not compare digits as text: a model writes "200,000 square meters" for 20만㎡, "81곳" for 81개, "October"
for 10월, and one of those spellings hides the most harmful hallucinations ("20만 평", "November"). Each value
is (number, unit), with the Korean and English multipliers applied and the unit folded into a small set of
classes; two values match when the numbers are equal and the units agree (or one side has none). Where a
text binds a number to a noun ("13개 기관", "81 companies") the noun travels with it, so a claim that
swaps two counts between their nouns can be told from one that merely rewords a noun.

Written by hand because no maintained library parses Korean numerals with 만/억/조 and counters; this is
the small subset news answers use.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_KO_MULT = {"천": 10**3, "만": 10**4, "억": 10**8, "조": 10**12}
_EN_MULT = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]
_MONTH_ABBR = {m[:3]: i for i, m in enumerate(_MONTHS, 1)} | {"sept": 9}
_WEEKDAYS_EN = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAYS_KO = "월화수목금토일"
_NATIVE_KO = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10,
              "스무": 20}
_WORDS_EN = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
             "eleven": 11, "twelve": 12, "thirteen": 13, "fifteen": 15, "eighteen": 18, "twenty": 20}

# Unit spellings → class. Counters (개, 곳, 개사 ...) are one class: "81곳" and "81개 기업" say the same count.
_UNITS: list[tuple[str, str]] = [
    (r"%\s*p|퍼센트\s*포인트|%\s*포인트|percentage\s+points?|pp\b", "%p"),
    (r"%|퍼센트|프로|per\s*cent", "%"),
    (r"m2|제곱\s*미터|평방\s*미터|square\s+met(?:er|re)s?|sq\.?\s*m\b|sqm\b", "m2"),
    (r"km2|제곱\s*킬로미터|square\s+kilomet(?:er|re)s?", "km2"),
    (r"평\b|평(?=[^가-힣]|$)|평(?:의|에|이|을|를|으로|규모)|pyeong", "pyeong"),
    (r"km\b|킬로미터|kilomet(?:er|re)s?", "km"),
    (r"m\b|미터|met(?:er|re)s?", "m"),
    (r"원|won\b", "won"),
    (r"달러|dollars?|usd\b", "usd"),
    (r"명|사람|people|persons?|visitors?|participants?", "person"),
    (r"개사|개국|개|곳|군데|가지|companies|company|firms?|startups?|institutions?|"
     r"organi[sz]ations?|agencies|booths?|places?|businesses|countries", "count"),
    (r"회째|차례|번째|번|times?", "times"),
    (r"년|years?\b", "year"),
    (r"개월|months?\b", "months"),
    (r"월", "month"),
    (r"일(?!본)|days?\b", "day"),
    (r"시간|hours?", "hours"),
    (r"시|o'?clock", "clock"),
    (r"분|minutes?", "minutes"),
    (r"세|살|years?\s+old", "age"),
]
_UNIT_RE = re.compile("|".join(f"(?P<u{i}>{p})" for i, (p, _) in enumerate(_UNITS)), re.IGNORECASE)
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# A Korean amount: "20만", "1.5조", "1조2,981억", "5천만"; English: "1.5 trillion", "200 thousand".
_AMOUNT = re.compile(rf"(?<![\w.])(?:(?:{_NUM})\s?[천만억조]\s?)+(?:{_NUM})?(?![\d])|"
                     rf"(?<![\w.,])(?:{_NUM})(?:\s+(?:thousand|million|billion|trillion)\b)?", re.IGNORECASE)
_KO_PART = re.compile(rf"({_NUM})?\s?([천만억조])|({_NUM})$")
_MONTH_EN = re.compile(r"\b(" + "|".join(_MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?\b"
                       r"(?:\s+(\d{1,2})(?:st|nd|rd|th)?\b)?", re.IGNORECASE)
_DAY_EN = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.IGNORECASE)
_WEEKDAY = re.compile(r"\b(" + "|".join(_WEEKDAYS_EN) + r")\b|([월화수목금토일])요일|\(([월화수목금토일])\)",
                      re.IGNORECASE)
_NATIVE = re.compile(r"(?<![가-힣])(" + "|".join(sorted(_NATIVE_KO, key=len, reverse=True)) +
                     r")\s?(개|곳|명|군데|가지|번|차례|기업|기관|곳의)")
_WORD_EN = re.compile(r"\b(" + "|".join(_WORDS_EN) + r")\b(?=\s+[a-z])", re.IGNORECASE)
# Years said relative to the article's date: compared as offsets ("내년" is not "올해").
_RELATIVE_YEAR = re.compile(r"올해|금년|this\s+year|내년|next\s+year|작년|지난해|last\s+year|재작년|내후년", re.IGNORECASE)
_YEAR_OFFSET = {"올해": 0, "금년": 0, "this year": 0, "내년": 1, "next year": 1, "작년": -1, "지난해": -1,
                "last year": -1, "재작년": -2, "내후년": 2}
_NOUN_AFTER = re.compile(r"\s?(?:의\s)?([가-힣]{2,})")
_PARTICLE = re.compile(r"(?:에서|으로|이|가|은|는|을|를|의|에|과|와|도|로|만)$")


@dataclass(frozen=True)
class Value:
    """One figure: the number (float, multipliers applied), its unit class ('' when none) and bound noun."""

    number: float
    unit: str
    noun: str = ""
    start: int = 0

    def same(self, other: Value) -> bool:
        """Equal numbers, units agreeing (a bare number agrees with any unit but %p/% and area kinds)."""
        if abs(self.number - other.number) > 1e-9 * max(1.0, abs(self.number)):
            return False
        if self.unit == other.unit or not self.unit or not other.unit:
            return True
        return {self.unit, other.unit} in ({"count", "person"}, {"times", "count"})


def _unit_at(text: str, pos: int) -> tuple[str, int]:
    m = _UNIT_RE.match(text, pos)
    if m is None:
        m = _UNIT_RE.match(text, pos + 1) if pos < len(text) and text[pos] == " " else None
    if m is None:
        return "", pos
    group = next(k for k, v in m.groupdict().items() if v is not None)
    return _UNITS[int(group[1:])][1], m.end()


def _number(raw: str) -> float:
    raw = raw.strip()
    low = raw.lower()
    for word, mult in _EN_MULT.items():
        if low.endswith(word):
            return float(low[: -len(word)].replace(",", "").strip()) * mult
    if any(c in raw for c in _KO_MULT):
        total = 0.0
        for m in _KO_PART.finditer(raw.replace(" ", "")):
            if m.group(2):
                total += float((m.group(1) or "1").replace(",", "")) * _KO_MULT[m.group(2)]
            elif m.group(3):
                total += float(m.group(3).replace(",", ""))
        # "5천만" is 5 × 1,000 × 10,000, not 5,000 + 10,000
        if re.fullmatch(rf"(?:{_NUM})천만", raw.replace(" ", "")):
            total = float(re.match(_NUM, raw).group(0).replace(",", "")) * 10**7
        return total
    return float(raw.replace(",", ""))


def _noun(text: str, end: int) -> str:
    m = _NOUN_AFTER.match(text, end)
    if not m:
        return ""
    noun = m.group(1)
    for _ in range(2):
        if len(noun) > 2:
            noun = _PARTICLE.sub("", noun)
    return noun


@lru_cache(maxsize=8192)
def values(text: str) -> tuple[Value, ...]:
    """Every figure in `text`, in order: amounts with units, months, days, weekdays, spelled-out counts."""
    text = unicodedata.normalize("NFKC", text)
    out: list[Value] = []
    taken: list[tuple[int, int]] = []
    for m in _AMOUNT.finditer(text):
        try:
            number = _number(m.group(0))
        except ValueError:
            continue
        unit, end = _unit_at(text, m.end())
        out.append(Value(number, unit, _noun(text, end) if unit in ("count", "person") else "", m.start()))
        taken.append((m.start(), end))
    for m in _MONTH_EN.finditer(text):
        out.append(Value(float(_MONTH_ABBR.get(m.group(1).lower()[:4] if m.group(1).lower().startswith("sept")
                                                else m.group(1).lower()[:3], 0)), "month", "", m.start()))
        if m.group(2):
            out.append(Value(float(m.group(2)), "day", "", m.start(2)))
            taken.append((m.start(2), m.end(2)))
    for m in _DAY_EN.finditer(text):
        if not any(s <= m.start() < e for s, e in taken):
            out.append(Value(float(m.group(1)), "day", "", m.start()))
    for m in _WEEKDAY.finditer(text):
        if m.group(1):
            day = _WEEKDAYS_EN.index(m.group(1).lower())
        else:
            day = _WEEKDAYS_KO.index(m.group(2) or m.group(3))
        out.append(Value(float(day), "weekday", "", m.start()))
    for m in _RELATIVE_YEAR.finditer(text):
        out.append(Value(float(_YEAR_OFFSET[re.sub(r"\s+", " ", m.group(0).lower())]), "relyear", "", m.start()))
    for m in _NATIVE.finditer(text):
        unit = "person" if m.group(2) == "명" else "count"
        noun = m.group(2) if m.group(2) in ("기업", "기관") else _noun(text, m.end())
        out.append(Value(float(_NATIVE_KO[m.group(1)]), unit, noun, m.start()))
    for m in _WORD_EN.finditer(text):
        unit, end = _unit_at(text, m.end() + 1)
        out.append(Value(float(_WORDS_EN[m.group(1).lower()]), unit or "count", _noun(text, m.end()), m.start()))
    return tuple(sorted(out, key=lambda v: v.start))


def mismatch(claim: tuple[Value, ...], support: tuple[Value, ...]) -> str:
    """Why the claim's figures are not the support's ('' when they all are): a figure the support lacks,
    or one the support binds to another noun (a swap: "81개 기관" where the text has "81개 기업"
    and "13개 기관")."""
    for v in claim:
        same = [w for w in support if v.same(w)]
        if not same:
            return f"{_show(v)} is not in the passage"
        if v.noun and all(w.noun and w.noun != v.noun for w in same):
            if any(w.noun == v.noun for w in support if not v.same(w)):
                return f"{_show(v)} belongs to another noun in the passage"
    return ""


def _show(v: Value) -> str:
    n = int(v.number) if v.number == int(v.number) else v.number
    return f"{n}{' ' + v.unit if v.unit else ''}{' ' + v.noun if v.noun else ''}"
