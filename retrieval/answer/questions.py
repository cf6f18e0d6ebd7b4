"""Offline suggested questions: what a reader could ask about one article, made from its own sentences.

Each question is built from one sentence of the lead or one of the article's most central sentences:
its subject (the noun phrase before 은/는/이/가) and the kind of fact it states (a number, a date, a
place, an object, a quote) give "<subject>은 몇 명인가요?", "<subject>는 언제 개장하나요?" and the like.
They are candidates only: the caller keeps those the product actually answers (see `suggest.py`).
No library writes Korean questions from sentences, so these few templates are hand-written.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .evidence import is_statement
from ..korean import normalize, sentence_spans, terms, tokens
from ..models import Passage

LEAD = 2  # the first statements of an article say what it is about
_NOUNISH = {"NNG", "NNP", "NR", "SN", "SL", "SH", "XR", "XSN", "NNB"}
_COUNTERS = {"명", "개", "곳", "건", "가지", "개국", "개사", "팀", "마리", "편", "대", "척", "회", "차례", "번"}
_MONEY = {"원", "달러", "엔", "위안", "유로"}
_REPORTING = {"말하": "말했나요", "밝히": "밝혔나요", "설명": "설명했나요", "강조": "강조했나요",
              "전하": "전했나요", "덧붙이": "덧붙였나요", "주장": "주장했나요", "당부": "당부했나요"}
_TIME_WORDS = {"지난해", "올해", "작년", "내년", "이날", "오늘", "당시", "최근", "현재"}
_PLANNED = {"예정", "계획", "방침"}
# Names (festivals, programs) are quoted with single quotes; double quotes are speech.
_QUOTED_SUBJECT = re.compile(r"^[‘']([^’'\s]+(?:\s[^’'\s]+){0,3})[’'](은|는|이|가)\s")
_CHANGE = {"증가", "감소", "상승", "하락", "성장", "확대", "축소"}
_DATE = re.compile(r"\d{1,2}월\s*\d{1,2}일|\d{1,2}일|\d{4}년|올해|내년|오는 \d+월")


@dataclass
class _Tok:
    form: str
    tag: str
    start: int
    end: int


def _particle(word: str, pair: tuple[str, str] = ("은", "는")) -> str:
    """은/는 (or 이/가, 을/를) after `word`: the first when its last syllable has a final consonant."""
    last = word.rstrip()[-1:] if word.strip() else ""
    if "가" <= last <= "힣":
        return pair[0] if (ord(last) - 0xAC00) % 28 else pair[1]
    if last.isdigit():
        return pair[0] if last in "013678" else pair[1]
    return pair[1] if last.isalpha() else pair[0]


def _phrases(text: str, toks: list[_Tok]) -> list[tuple[int, int, int]]:
    """Noun runs as (first token, last token + 1, -) joined across single spaces, as written."""
    runs: list[tuple[int, int, int]] = []
    i = 0
    while i < len(toks):
        if toks[i].tag in _NOUNISH and toks[i].tag not in ("XSN", "NNB"):
            j = i + 1
            while j < len(toks) and toks[j].tag in _NOUNISH and toks[j].start - toks[j - 1].end <= 1:
                j += 1
            runs.append((i, j, 0))
            i = j
        else:
            i += 1
    return runs


def _text(text: str, toks: list[_Tok], i: int, j: int) -> str:
    return text[toks[i].start:toks[j - 1].end].strip(" ‘’“”'\"")


def _predicate(toks: list[_Tok], after: int) -> str | None:
    """The first noun+하다/되다 verb after token `after` that is not inside a relative clause ("발표한
    자료"; but "위촉할 예정이다" is the sentence's own plan), as a question ("개장하나요", "분석됐나요")."""
    for k in range(after, len(toks) - 1):
        if toks[k].tag == "NNG" and toks[k + 1].tag == "XSV":
            tail = toks[k + 2:k + 6]
            ending = next((t for t in tail if t.tag.startswith("E") and t.tag != "EP"), None)
            if ending is not None and ending.tag == "ETM":
                at = toks.index(ending)
                if at + 1 >= len(toks) or toks[at + 1].form not in _PLANNED:
                    continue
            past = False  # only the verb's own tense ("조성한다고 밝혔다" is present for 조성)
            for t in tail:
                if t.tag == "EP":
                    past = True
                elif t.tag.startswith("E"):
                    break
            if toks[k + 1].form == "되":
                return f"{toks[k].form}{'됐나요' if past else '되나요'}"
            return f"{toks[k].form}{'했나요' if past else '하나요'}"
        if toks[k].tag in ("SF", "EF"):
            break
    return None


def _passive(predicate: str) -> bool:
    return predicate.endswith(("되나요", "됐나요"))


def questions_from(sentence: str) -> list[str]:
    """Candidate questions answered by this sentence, most specific first."""
    text = normalize(sentence)
    toks = [_Tok(t.form, t.tag, t.start, t.start + t.len) for t in tokens(text)]
    runs = _phrases(text, toks)
    subject = next(((i, j) for i, j, _ in runs if j < len(toks) and toks[j].tag in ("JKS", "JX")
                    and toks[j].form in ("은", "는", "이", "가")), None)
    quoted = _QUOTED_SUBJECT.match(text)
    if quoted is not None:  # "‘거창에 On 봄축제’는 …": the quoted name is the subject
        after = next((k for k, t in enumerate(toks) if t.start >= quoted.end(2)), len(toks))
        return _questions(text, toks, runs, quoted.group(1).strip(), after)
    if subject is None:
        return []
    i, j = subject
    while i < j and (toks[i].tag in ("SN", "NNB") or _DATE.fullmatch(toks[i].form) or toks[i].form in _TIME_WORDS):
        i += 1  # "3일 국회 …": a date is not part of who did it
    named = any(t.tag in ("NNP", "SL") for t in toks[i:j]) or j - i >= 2
    if not named or i >= j:
        return []  # "결과는", "모습은": too vague to ask about
    subj = _text(text, toks, i, j)
    if len(subj) > 24:
        return []  # a long title chain reads badly as a question
    return _questions(text, toks, runs, subj, subject[1])


def _questions(text: str, toks: list[_Tok], runs: list[tuple[int, int, int]], subj: str, after: int) -> list[str]:
    head = f"{subj}{_particle(subj)}"
    out: list[str] = []
    for k in range(after, len(toks) - 1):  # a number with its counter or unit
        if toks[k].tag == "SN" and not (k and toks[k - 1].form == "제"):  # "제6회" is a name, not a count
            units = [t.form for t in toks[k + 1:k + 5] if t.tag != "SN"][:3]
            pred = _predicate(toks, k + 2)
            change = bool(pred) and pred[:2] in _CHANGE
            if units and units[0] in _COUNTERS:
                out.append(f"{head} 몇 {units[0]}{' ' + pred if pred else '인가요'}?")
            elif any(u in _MONEY for u in units):
                how = "나 " if change else "로 " if pred and _passive(pred) else "를 "
                out.append(f"{head} 얼마{how + pred if pred else '인가요'}?")
            elif units and units[0] == "%":
                out.append(f"{head} 몇 %{' ' + pred if pred else '인가요'}?")
            break
    pred = _predicate(toks, after)
    if pred and _DATE.search(text[toks[after].start:]):
        out.append(f"{head} 언제 {pred}?")
    for i, j, _ in runs:
        if (i >= after and j < len(toks) and toks[j].form == "에서" and pred
                and any(t.tag == "NNP" for t in toks[i:j])):  # a named place, not "수출에서"
            out.append(f"{head} 어디에서 {pred}?")
            break
    for i, j, _ in runs:
        if i >= after and j < len(toks) and toks[j].tag == "JKO":
            obj_pred = _predicate(toks, j + 1)
            if obj_pred and not _passive(obj_pred):
                out.append(f"{head} 무엇을 {obj_pred}?")
            break
    if "“" in text or '"' in text:
        verb = next((_REPORTING[t.form] for t in toks[after:] if t.form in _REPORTING), None)
        if verb:
            out.append(f"{head} 무엇이라고 {verb}?")
    return list(dict.fromkeys(out))


def central_sentences(passages: Sequence[Passage]) -> list[str]:
    """The article's statements: the lead first, then the rest by how much they share with the others
    (idf-weighted term overlap: the sentences the article keeps coming back to)."""
    sentences: list[str] = []
    for p in sorted(passages, key=lambda p: p.position):
        for start, end in sentence_spans(p.text):
            s = p.text[start:end]
            if is_statement(s) and s not in sentences:
                sentences.append(s)
    if len(sentences) <= LEAD:
        return sentences
    bags = [set(terms(s)) for s in sentences]
    df = Counter(t for bag in bags for t in bag)
    n = len(bags)

    def centrality(i: int) -> float:
        shared = sum(math.log(n / df[t]) for t in bags[i] if df[t] > 1)
        return shared / math.sqrt(len(bags[i]) or 1)

    rest = sorted(range(LEAD, n), key=lambda i: -centrality(i))
    return sentences[:LEAD] + [sentences[i] for i in rest]


def offline_questions(passages: Sequence[Passage], limit: int = 12) -> list[str]:
    """Candidate questions about one article (its passages), one or two per sentence, best first."""
    out: list[str] = []
    for sentence in central_sentences(passages):
        for q in questions_from(sentence)[:2]:
            if q not in out:
                out.append(q)
        if len(out) >= limit:
            break
    return out
