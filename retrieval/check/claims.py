"""What a piece of text asserts, clause by clause, as the support rule compares it (one Kiwi pass per text).

- Clauses: an answer sentence joins claims with Korean connectives (-고, -며, -지만, -는데, -면서) and
  English conjunctions; each clause is checked on its own, so one true half cannot carry a false one. A
  split is made only where both sides say something (two content words each) and never inside quotation
  marks or before an auxiliary ("조성하고 있다" is one predicate).
- Terms: content lemmas, without reporting verbs (말하다, 밝히다, 덧붙이다, 강조하다 …) and discourse
  adverbs (또, 또한, 다만, 특히 …): they frame a claim, they are not its content. Numbers are left to
  `values.py`, which compares them by value and unit.
- Predicates: verb and adjective lemmas and the nouns of 하다-verbs (실망/하다), the words a changed
  claim changes ("놀랐다" → "실망했다"); a clause whose predicate the passage lacks is never accepted
  on overlap alone.
- Names: runs of nouns with a proper noun or a Latin word in them, joined as written, so a compound Kiwi
  splits (서울/관, 서울/테크시티) stays one name; "오 시장" (surname + title) is kept as such.
- Subject: the name or noun marked by 이/가/은/는, to tell who did what when a passage has two actors.
- Negation: 않다, 없다, 아니다, 못, 안, 모르다, 미-/불-/비- nouns, not/no/never/n't/without.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..korean import is_mostly_hangul, normalize, tokens
from .values import Value, values

_CONTENT = ("NNG", "NNP", "SL", "SH", "XR", "VV", "VA", "MAG")
# Reporting verbs and discourse words: how an answer frames a claim, not what it claims.
FRAMING = {
    "말", "말하", "밝히", "전하", "설명", "설명하", "언급", "언급하", "강조", "강조하", "덧붙이", "답하", "보도",
    "주장", "주장하", "발표", "발표하", "소개", "평가", "평가하", "따르", "지문", "기사", "내용", "보이", "하", "되",
    "있", "것", "수", "등", "또", "또한", "다만", "특히", "이어", "한편", "실제로", "아울러", "그리고", "그러나",
    "하지만", "이번", "더불어", "가운데", "중", "측", "게다가", "즉", "결국", "이후", "당시", "현지", "시간", "현지시간", "관련", "가장",
    "according", "article", "passage", "passages", "states", "stated", "says", "said", "say", "mentions",
    "mentioned", "reported", "reports", "explained", "noted", "added", "also", "stressed", "emphasized",
    "told", "further", "moreover", "however", "meanwhile", "particular", "notably",
}
_EN_STOP = {"the", "a", "an", "of", "in", "on", "at", "to", "for", "and", "or", "but", "with", "by", "from", "as",
            "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these", "those", "there",
            "their", "they", "he", "she", "his", "her", "which", "who", "has", "have", "had", "will", "would"}
_TITLES = {"시장", "회장", "대통령", "장관", "대표", "위원장", "총리", "의원", "사장", "교수", "기자", "청장",
           "지사", "이사장", "부회장", "부시장", "총재", "감독", "선수", "씨"}
_SPLIT_EC = {"고", "며", "으며", "지만", "는데", "은데", "ᆫ데", "면서", "으면서", "나", "으나", "자"}
_NEG_VERBS = {"않", "없", "아니", "모르", "못하"}
_NEG_MAG = {"못", "안", "아니"}
_NEG_PREFIX = re.compile(r"^(?:미|불|비|무)(?:수상|참|참여|공개|확정|완료|개최|발표|허가|포함|해결|선정|가능|이행)")
_NEG_EN = re.compile(r"\b(?:not|no|never|none|neither|nor|without|cannot)\b|n't\b", re.IGNORECASE)
# English clauses: "and" alone mostly joins nouns ("Mayor Oh and Chairman Jang"), so only ", and" splits.
_EN_SPLIT = re.compile(r";\s+|,\s+(?:and|but)\s+(?=\w)|,?\s+(?:while|whereas|although|though)\s+(?=\w)",
                       re.IGNORECASE)
_QUOTES = re.compile(r"“[^”]*”|\"[^\"]*\"|‘[^’]*’|「[^」]*」|『[^』]*』")


@dataclass(frozen=True)
class Clause:
    """One clause: offsets into its text and what it asserts."""

    text: str
    start: int
    end: int
    terms: frozenset[str]
    nouns: frozenset[str]  # the terms that are nouns: a claim whose noun the passage lacks is not accepted
    preds: frozenset[str]
    names: frozenset[str]
    subject: str  # the last subject outside quotes ('' when none is marked); "오|시장" for surname + title
    subjects: frozenset[str]  # every subject outside quotes ("장 회장은 CES가 … 말했다": both)
    actors: frozenset[str]  # the subjects that name someone: "오|시장", a Korean proper name ("서울바이오허브")
    negated: bool
    negs: frozenset[str]  # what is negated: the word before 않다/없다/아니다, after 못/안
    values: tuple[Value, ...]
    hangul: bool


def _stem(lemma: str) -> str:
    """"받다" → "받": lemmas compared without the dictionary ending."""
    return lemma[:-1] if len(lemma) > 1 and lemma.endswith("다") else lemma


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    return any(s < pos < e for s, e in spans)


def _name_key(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _clause(text: str, toks: list, start: int, end: int) -> Clause:
    part = text[start:end]
    terms, nouns, preds, names = set(), set(), set(), set()
    subject, negated = "", False
    subjects: set[str] = set()
    negs: set[str] = set()
    last, negate_next = "", False
    run: list = []  # adjacent noun tokens (a compound as written)

    def close_run() -> None:
        nonlocal compound, named
        if run:
            compound = _name_key(text[run[0].start : run[-1].start + run[-1].len])
            named = any(t.tag == "NNP" and is_mostly_hangul(t.form) for t in run)
        if run and any(t.tag == "NNP" or t.tag == "SL" and not t.form.islower() for t in run):
            name = _name_key(text[run[0].start : run[-1].start + run[-1].len])
            if len(name) >= 2 and name not in FRAMING and name not in _EN_STOP:
                names.add(name)
        run.clear()

    quoted = [(m.start(), m.end()) for m in _QUOTES.finditer(text)]
    skip_run: set[str] = set()
    actors: set[str] = set()
    named = False
    compound = ""  # the last run of nouns, as written: a subject is the whole compound, not its head
    prev = None
    for i, t in enumerate(toks):
        tag = t.tag.split("-")[0]
        form = (_stem(t.lemma) if tag in ("VV", "VA") else t.form.strip(".,;:!?'\"()")).lower()
        if tag in ("NNG", "NNP", "SL", "SH", "XR"):
            if run and run[-1].start + run[-1].len != t.start:
                close_run()
            run.append(t)
        else:
            close_run()
        if tag in ("VV", "VA", "VX", "VCN") and t.form in _NEG_VERBS:
            negated = True
            negs.add(last or t.form)
        elif tag == "MAG" and form in _NEG_MAG:
            negated, negate_next = True, True
        if tag == "NNG" and _NEG_PREFIX.match(t.form):
            negated = True
            negs.add(t.form[1:])
        if tag == "XSV" or tag == "XSA":
            if prev is not None and prev.tag in ("NNG", "XR") and prev.form not in FRAMING:
                preds.add(prev.form)
        if tag in ("JKS",) or tag == "JX" and t.form in ("은", "는", "ᆫ"):
            if not _inside(quoted, t.start) and prev is not None and prev.tag in ("NNG", "NNP", "SL", "NNB"):
                subject = compound or prev.form.lower()
                j = i - 2
                if prev.form in _TITLES and j >= 0 and toks[j].tag == "NNP" and len(toks[j].form) <= 3:
                    subject = f"{toks[j].form[0]}|{prev.form}"
                subjects.add(subject)
                if "|" in subject or named:
                    actors.add(subject)
        if tag in _CONTENT and form not in FRAMING and not (tag == "SL" and (form in _EN_STOP or len(form) < 2)):
            if tag != "MAG" or t.form not in _NEG_MAG:
                terms.add(form)
                if form not in _NEG_VERBS:
                    last = form
                    if negate_next:
                        negs.add(form)
                        negate_next = False
                if tag in ("NNG", "NNP", "SL", "SH", "XR"):
                    nouns.add(form)
                if tag in ("VV", "VA"):
                    preds.add(form)
        if tag == "NNP" and i + 1 < len(toks) and toks[i + 1].form in _TITLES and is_mostly_hangul(t.form):
            names.add(f"{t.form}|{toks[i + 1].form}")  # "장 회장", "장재민 회장": a person by surname and title
            skip_run.add(t.form.lower())  # and the name is checked whole, not its surname as a word
        prev = t
    close_run()
    names -= skip_run
    terms -= {n for n in skip_run if len(n) == 1}
    nouns -= {n for n in skip_run if len(n) == 1}
    if not is_mostly_hangul(part) and _NEG_EN.search(part):
        negated = True
    return Clause(part, start, end, frozenset(terms), frozenset(nouns), frozenset(preds), frozenset(names), subject,
                  frozenset(subjects), frozenset(actors), negated, frozenset(negs), values(part), is_mostly_hangul(part))


def _split_points(text: str, toks: list) -> list[int]:
    quoted = [(m.start(), m.end()) for m in _QUOTES.finditer(text)]
    points = []
    for i, t in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t.tag == "EC" and t.form in _SPLIT_EC and nxt is not None and not nxt.tag.startswith(("VX", "SF")):
            pos = t.start + t.len
            if text[pos:pos + 1] == ",":
                pos += 1
            if not _inside(quoted, pos) and (text[pos:pos + 1].isspace() or text[pos - 1] == ","):
                points.append(pos)
    if not is_mostly_hangul(text):
        points += [m.start() for m in _EN_SPLIT.finditer(text) if not _inside(quoted, m.start())]
    return sorted(set(points))


@lru_cache(maxsize=8192)
def clauses(text: str) -> tuple[Clause, ...]:
    """The clauses of one sentence (the whole sentence when it does not split into two real claims)."""
    text = normalize(text)
    toks = list(tokens(text))
    whole = _clause(text, toks, 0, len(text))
    cuts = [0]
    for p in _split_points(text, toks):
        left = [t for t in toks if cuts[-1] <= t.start < p]
        right = [t for t in toks if t.start >= p]
        if len(_clause(text, left, cuts[-1], p).terms) >= 2 and len(_clause(text, right, p, len(text)).terms) >= 2:
            cuts.append(p)
    if len(cuts) == 1:
        return (whole,)
    bounds = cuts + [len(text)]
    return tuple(_clause(text, [t for t in toks if a <= t.start < b], a, b) for a, b in zip(bounds, bounds[1:]))


def has_name(name: str, sq: str) -> bool:
    """Whether squashed text `sq` names `name` ("오|시장" as 오 시장 or 오세훈 서울시장; else as written)."""
    if "|" in name:  # "오|시장": "오 시장", or "오세훈 서울시장" (surname, then the title within a few words)
        full, title = name.split("|")
        if full + title in sq or len(full) > 1 and full in sq:
            return True
        surname = full[0]
        return re.search(rf"{re.escape(surname)}[가-힣]{{0,3}}[^.!?]{{0,24}}?{re.escape(title)}", sq) is not None
    return name in sq


def carried_actor(before: tuple[Clause, ...], upto: tuple[Clause, ...]) -> str:
    """The actor a sentence without one of its own (clauses `upto` the claim's) carries over from the
    sentence `before`: the last one named as a subject there ('' when there is none)."""
    if any(c.actors for c in upto):
        return ""
    return next((c.subject for c in reversed(before) if c.subject in c.actors), "")


def negation_of(text: str) -> bool:
    """Whether any clause of `text` is negated."""
    return any(c.negated for c in clauses(text))
