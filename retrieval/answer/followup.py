"""Offline follow-up handling: what a follow-up borrows from the conversation (the topic its questions
named, the name the last answer gave), so that it can be searched and judged as a standalone question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..korean import normalize, noun_phrases, squash, terms, tokens
from ..models import Turn
from .evidence import analyze

# Words that point back at something said before (Korean and English).
_REFERRING = re.compile(
    r"(^|\s)(그|그녀|그가|그는|그의|그를|그들|그곳|거기|그거|그것|그중|그 중|이것|이거|이곳|해당|저곳|그때|당시|"
    r"이 사람|그 사람|위의?|앞의?)|\b(it|its|he|him|his|she|her|they|them|their|there|that|this|those|these)\b",
    re.IGNORECASE,
)
FEW_TERMS = 2
# How far back a chain of bare follow-ups is followed to the question that named its topic.
TOPIC_TURNS = 3
# Words that point at one thing just named ("그 교수팀", "그가", "거기"), not at a set ("그중").
_POINTING = re.compile(r"(^|\s)(그(?=\s|[은는이가의을를도]\s|$)|그녀|그곳|거기|그것|그거|이 사람|그 사람)"
                       r"|\b(he|him|his|she|her|it|its|there)\b", re.IGNORECASE)


@dataclass
class Condensed:
    """The question as retrieval should see it, plus terms borrowed from the conversation."""

    standalone: str
    context_terms: list[str] = field(default_factory=list)
    carried_chunk_ids: list[str] = field(default_factory=list)
    # The borrowed terms are the one thing the last answer named ("그 교수는…" → 오병하), not the topic.
    referent: bool = False


# An offline answer's short answer and quotes: `7월 5일 — “…” [1] “…” [2]`.
_LEAD = re.compile(r"(?P<lead>[^“\n]{1,40}?) — “")
_QUOTE = re.compile(r"“(?P<quote>.+?)” \[\d+\]", re.S)
# Kiwi tags of names (people, places, organisations, foreign words).
NAME_TAGS = {"NNP", "SL", "SH"}


def name_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the names in normalized `text`, adjacent name tokens joined ("Seoul Tech" → one)."""
    spans: list[tuple[int, int]] = []
    for tok in tokens(text):
        if tok.tag not in NAME_TAGS:
            continue
        if spans and spans[-1][1] == tok.start:
            spans[-1] = (spans[-1][0], tok.start + tok.len)
        else:
            spans.append((tok.start, tok.start + tok.len))
    return spans


def referent(history: Sequence[Turn]) -> str | None:
    """What the last answer named, for a question that points back at it ("그 교수팀은?"): its short answer
    when that is a name, else the name in its first quote nearest to a word of the question it answered
    ("…최희철(화학) 교수…" for "화학 분야 교수는 누구야?"). None when it named nothing that way."""
    last = next((i for i in range(len(history) - 1, -1, -1) if history[i].role == "assistant"), None)
    if last is None or not history[last].chunk_ids:  # a refusal names nothing
        return None
    answer = history[last].content
    lead = _LEAD.match(answer)
    if lead and not re.search(r"\d", lead["lead"]):
        return lead["lead"].strip()
    quote = _QUOTE.search(answer)
    asked = next((t.content for t in reversed(history[:last]) if t.role == "user"), "")
    if quote is None:
        return None
    text = normalize(quote["quote"])
    words = [w for w in terms(asked) if len(w) >= 2]
    # The question's own names are not the answer ("경남에서 … 어디야?" is not answered by 경남도).
    spans = [(a, b) for a, b in name_spans(text)
             if squash(text[a:b]) not in squash(asked) and not any(w in squash(text[a:b]) for w in words)]
    found = [m.start() for w in words for m in re.finditer(re.escape(w), text)]
    if not spans or not found:
        return None
    a, b = min(spans, key=lambda sp: min(max(sp[0] - f, f - sp[1], 0) for f in found))
    return text[a:b]


def carried_chunk_ids(history: Sequence[Turn]) -> list[str]:
    """The chunks the last answer cited: a follow-up's candidates whatever retrieval finds."""
    last_bot = next((t for t in reversed(history) if t.role == "assistant"), None)
    return list(last_bot.chunk_ids) if last_bot else []


def needs_context(question: str) -> bool:
    """A question that refers back, or says too little on its own, is a follow-up."""
    return bool(_REFERRING.search(question)) or len(terms(question)) <= FEW_TERMS


def condense(question: str, history: list[Turn], *, follow_up: bool = False) -> Condensed:
    """Without an LLM: put the topic of the last questions (their nouns, as written) before this one.
    `follow_up`: the caller knows the question continues the conversation (answer/thread.py), however
    much it says on its own; otherwise only a short or referring question borrows the topic."""
    question = question.strip()
    users = [i for i in range(len(history) - 1, -1, -1) if history[i].role == "user"][:TOPIC_TURNS]
    if not users or not (follow_up or needs_context(question)):
        return Condensed(question)
    carried = carried_chunk_ids(history)
    asked = set(terms(question))

    def add(phrases: Sequence[str]) -> None:
        topic.extend(p for p in phrases if not set(terms(p)) <= asked and p not in topic)

    topic: list[str] = []
    # "그 교수팀은 뭘 했어?" is about the one the last answer named, and so is a follow-up after a question
    # that pointed at someone ("그 교수는 몇 살이야?" → "어떤 연구로 뽑혔어?"): that name is the whole topic,
    # as a person would restate it ("오병하 교수는 어떤 연구로…"); the conversation's other nouns would only
    # pull the answer toward sentences that list everyone.
    pointed = [(question, len(history))] + [(history[i].content, i) for i in users[:1]]
    named = next((n for q, i in pointed if _POINTING.search(q) and (n := referent(history[:i]))), None)
    add([named] if named else [])
    # The previous question may itself be a bare follow-up ("규모는?"); then the one before names the topic.
    for i in users if not topic else []:
        said = history[i].content
        content = analyze(said).nouns  # not "며칠", "곳", "것": they name no topic
        add([p for p in noun_phrases(said) if any(n in squash(p) for n in content)])
        if not needs_context(said):  # the question that named the topic; before it, another one
            break
    if not topic:
        return Condensed(question, carried_chunk_ids=carried)
    prefix = " ".join(topic)
    # A name is one term: Kiwi may split it out of its sentence ("최희철" → 최/희/철), and single syllables
    # would have the answerer look for 최, 희 and 철 anywhere.
    borrowed = [squash(named)] if named in topic else terms(prefix)
    return Condensed(f"{prefix} — {question}", [t for t in borrowed if t not in asked], carried, named in topic)
