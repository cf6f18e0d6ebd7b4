"""An English claim against Korean support: aligned word by word, or left to the judge.

Words cannot be counted across scripts, so every English content word must be found in the support
another way, and the clause is accepted only when all of them are (its figures, quotations and negation
are checked before, in `support.py`):
- a Korean gloss the answer gives in quotes right after a phrase ("Caesars Palace (\"시저스 팰리스
  호텔\")") aligns that phrase when the gloss stands verbatim in the support;
- a name in Latin letters the support also writes in Latin (CES, AI) aligns as is;
- a transliterated name ("Yangjae-dong", "Las Vegas", "COEX") aligns with the Korean it sounds like
  (`sounds.py`), ending where its Korean word does, so "Seoul" does not align with the 서울 of 서울시장;
- "Mayor Oh", "Chairman Jang Jae-min": a title and a surname from `glossary.py`, found as Korean
  surname + title in the support;
- any other word through the small dictionary of `glossary.py`.
A word nothing aligns sends the clause to the judge (a changed verb, "disappointed" for 놀랐다, is such
a word). A clause whose verb is the opposite of the support's, or whose actor is not the one the
support's matching clause is about ("Chairman Jang is building" where the mayor is), is rejected.
Dense similarity (E5) was tried as one more signal and left out: 40 ms per clause on this machine, and
it scored the right and a wrong support sentence 0.81 against 0.78.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from ..korean import squash
from .claims import Clause, carried_actor, clauses, has_name
from .glossary import GLOSSARY, SURNAMES, TITLES
from .lexicon import LIGHT, OPPOSITE, SAME
from .sounds import KoreanText, hangul_skeleton, korean_text, skeleton
from .values import Value
from .verdict import ACCEPT, GREY, REJECT, Verdict

if TYPE_CHECKING:
    from .support import Sentence

_NEGATED_GLOSS = re.compile(r"[\"“‘(][^\"”’)]*(?:없|않|못|아니)[^\"”’)]*[\"”’)]")

_GLOSS = re.compile(r"\(\s*[\"“‘']?([^()\"“”‘’]*[가-힣][^()\"“”‘’]*?)[\"”’']?\s*\)|"
                    r"[\"“‘]([^\"“”‘’]*[가-힣][^\"“”‘’]*)[\"”’]")
_WORD = re.compile(r"[A-Za-z][A-Za-z]*(?:['’-][A-Za-z]+)*|\d[\d,.]*")
_STOP = set("""a an the of in on at to for and or but with by from as into onto about over under after before
during than then there here is are was were be been being am do does did has have had having will would
shall should can could may might must it its this that these those they them their he him his she her
we our you your i me my who whom whose which what when where why how all both each some any such also
only just very more most so too out up down off per via among between against while whereas although
though not no never none nor without cannot yet still even said says say told tell stated states noted
added according article passage passages report reported reports explained stressed emphasized mentioned
further moreover however meanwhile particular notably one including include includes""".split())
_NUMBER_WORDS = set("""two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen twenty thirty forty fifty hundred thousand million billion trillion
january february march april may june july august september october november december monday tuesday
wednesday thursday friday saturday sunday percent percentage point points square meter meters metre metres
kilometer kilometers km sq year years month months day days hour hours minute minutes times th st nd rd
dollar dollars usd pyeong""".split())

def _bases(word: str) -> list[str]:
    """Dictionary forms to look up: "planned" → plan, "companies" → company (a few suffix rules suffice)."""
    out = [word]
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"),
                         ("es", ""), ("s", ""), ("d", ""), ("er", ""), ("est", ""), ("ly", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            base = word[: -len(suffix)] + repl
            out += [base] + ([base[:-1]] if len(base) > 3 and base[-1] == base[-2] else [])
    return out


@dataclass
class Alignment:
    """What aligning one English clause with Korean support found."""

    missing: list[str]  # English words nothing in the support aligns with
    evidence: list[tuple[frozenset[str], bool]]  # per aligned item: the Korean that matched, is it a name
    anchors: int  # names and glosses aligned (with the clause's figures: what the acceptance rests on)
    opposite: str = ""  # a word whose opposite the support says
    actor: tuple[str, str] | None = None  # (Korean surname, title) of the clause's subject
    actor_missing: bool = False  # that subject is among `missing` (the support names someone else?)



@lru_cache(maxsize=8192)
def _raw_options(word: str) -> frozenset[str]:
    return next((GLOSSARY[b] for b in _bases(word) if b in GLOSSARY), frozenset())


@lru_cache(maxsize=8192)
def _options(word: str) -> frozenset[str] | None:
    options = _raw_options(word)
    # and the Korean words the Korean rule takes for them ("hosted" → 참여 → 선보이다)
    return options.union(*(SAME.get(k, ()) for k in options)) if options else None


def _glossed(before: list[str], gloss: str) -> set[str]:
    """The words right before a Korean gloss that it translates: a capitalized name run as a whole
    ("Caesars Palace (\"시저스 팰리스 호텔\")"), lowercase words only when they say what the gloss says
    ("top innovation award (\"최고혁신상\")", not "Best of Show award (\"서울관\")")."""
    out: set[str] = set()
    terms = frozenset().union(*(c.terms for c in clauses(gloss)))
    sq = squash(gloss)
    sk = hangul_skeleton(sq)

    def agrees(low: str) -> bool:
        word_sk = skeleton(low)
        return (low in sq or any(k in terms or len(k) >= 2 and k in sq for k in _options(low) or ())
                or len(word_sk) >= 2 and word_sk in sk)

    while before and before[-1].lower() not in _STOP:
        if before[-1][0].isupper():  # a name, with the head noun after it ("Caesars Palace hotel")
            run = []
            while before and before[-1][0].isupper() and before[-1].lower() not in _STOP:
                run.append(before.pop().lower())
            return out | set(run) if any(agrees(w) for w in run) else out
        if not agrees(before[-1].lower()):
            break
        out.add(before.pop().lower())
    return out


@lru_cache(maxsize=1024)
def _parse(body: str) -> tuple[tuple[tuple[str, frozenset[str]], ...], tuple[str, ...]]:
    """The claim's side, once per clause rather than once per support window: its Korean glosses with
    the words each covers, and its English words ("Mayor Oh's" read as Mayor Oh)."""
    glosses = tuple((squash(m.group(1) or m.group(2)),
                     frozenset(_glossed(_WORD.findall(body[: m.start()])[-4:], m.group(1) or m.group(2))))
                    for m in _GLOSS.finditer(body))
    words = tuple(re.sub(r"['’]s$", "", w) for w in _WORD.findall(_GLOSS.sub(" ", body)))
    return tuple(g for g in glosses if g[0]), words


def align(claim: Clause, text: str, terms: frozenset[str]) -> Alignment:
    """Align the English `claim` with Korean support `text` (whose Kiwi lemmas are `terms`)."""
    sup = korean_text(text, terms)
    out = Alignment([], [], 0)
    glosses, words = _parse(claim.text)
    lowered = [w.lower() for w in words]
    glossed: set[str] = set()
    for gloss, covers in glosses:
        if gloss in sup.sq:
            out.evidence.append((frozenset([gloss]), True))
            out.anchors += 1
            glossed |= covers
    if len(words) > 1 and lowered[0] in TITLES and lowered[1] in SURNAMES:
        out.actor = (SURNAMES[lowered[1]], TITLES[lowered[0]])
    i = 0
    while i < len(words):
        w, low = words[i], lowered[i]
        if low in _STOP or low in _NUMBER_WORDS or w[0].isdigit() or low in glossed:
            i += 1
            continue
        if low in TITLES and i + 1 < len(words) and lowered[i + 1] in SURNAMES:
            person = f"{SURNAMES[lowered[i + 1]]}|{TITLES[low]}"
            j = i + 2
            while j < len(words) and words[j][0].isupper() and lowered[j] not in TITLES:
                j += 1
            given = j > i + 2
            full = sup.sounds(skeleton(" ".join(lowered[i + 1 : j]))) if given else ""
            if has_name(person, sup.sq) or full:
                out.evidence.append((frozenset([full or person]), True))
                out.anchors += 1
            else:
                out.missing.append(" ".join(words[i:j]))
                out.actor_missing = out.actor_missing or i == 0
            i = j
            continue
        if w[0].isupper() and low not in TITLES:
            j = i
            while j < len(words) and words[j][0].isupper() and lowered[j] not in _STOP | glossed | TITLES.keys():
                j += 1
            run = lowered[i:j]
            nxt = GLOSSARY.get(lowered[j], frozenset()) if j < len(words) else frozenset()
            place = i > 0 and lowered[i - 1] in ("in", "at")
            before = len(out.evidence)
            whole = sup.sounds(skeleton(" ".join(run)), nxt, place) if len(run) > 1 else ""
            if whole:
                out.evidence.append((frozenset([whole]), True))
                out.anchors += 1
            else:
                _word(sup, w, low, out, nxt if i + 1 == j else frozenset(), name=True, place=place)
                j = i + 1
            # the head noun the name joined in Korean ("Seoul pavilion" as 서울관) is part of the name
            found = out.evidence[-1][0] if len(out.evidence) > before else frozenset()
            i = j + 1 if any(e.endswith(k) for e in found for k in nxt) and j < len(words) else j
            continue
        for part in low.replace("’", "'").split("-"):
            if part and part not in _STOP:
                _word(sup, part, part, out, frozenset())
        i += 1
    return out


def _word(sup: KoreanText, word: str, low: str, out: Alignment, follow: frozenset[str], name: bool = False,
          place: bool = False) -> None:
    if low in sup.latin:
        out.evidence.append((frozenset([low]), True))
        out.anchors += name
        return
    options = _options(low)
    if options is not None:
        # A word of a name ("Innovation Awards", "Best of Show") stands for a noun written in the support,
        # not for a synonym's verb: "Show" must not align with 참여기업.
        written = frozenset(k for k in _raw_options(low) if k in sup.sq and (len(k) >= 2 or k in sup.terms))
        if k := written if name else sup.korean(options):
            out.evidence.append((k, False))
            out.anchors += name
            return
        turned = {o for k in options for o in OPPOSITE.get(k, ())}
        if turned & sup.terms:
            out.opposite = out.opposite or word
    elif (name or len(skeleton(low)) >= 3) and (k := sup.sounds(skeleton(low if name else re.sub(r"s$", "", low)), follow,
                                                       place)):
        out.evidence.append((frozenset([k]), True))
        out.anchors += 1
        return
    out.missing.append(word)


def _holds(item: frozenset[str], sq: str, terms: frozenset[str]) -> bool:
    return any(k in terms or k in sq or "|" in k and has_name(k, sq) for k in item)


def objection(claim: Clause, al: Alignment, sents: Sequence[Sentence]) -> str:
    """Why the aligned clause still does not hold ('' when it does), as the Korean rule asks: the words
    that are not names must stand in one sentence (the one before may only lend names); the figure of the
    support's matching clause must be the claim's; its actor must be the one the claim names."""
    def weight(values: Sequence[Value], sq: str, terms: frozenset[str]) -> tuple[int, int]:
        return (sum(1 for item, _ in al.evidence if _holds(item, sq, terms)),
                sum(any(v.same(w) for w in values) for v in claim.values))

    core = max(sents, key=lambda s: weight(s.values, s.squashed, s.terms)[::-1])
    # A light verb ("hosted" for 운영했다) may stand in the sentence before, as the Korean rule lets it differ.
    if lost := [k for k, name in al.evidence if not name and not _holds(k, core.squashed, core.terms)
                and not k <= LIGHT]:
        return f"{sorted(lost[0])[0]} is in another sentence"
    lenders = [core] + ([sents[0]] if len(sents) > 1 and core is sents[-1] else [])
    if lost := [k for k, name in al.evidence if name and not any(_holds(k, s.squashed, s.terms) for s in lenders)]:
        return f"{sorted(lost[0])[0]} is in the sentence after"  # only the sentence before lends names
    best = max(core.clauses, key=lambda c: weight(c.values, squash(c.text), c.terms))
    if any(not any(v.same(w) for w in core.values) for v in claim.values) or len(claim.values) == 1 and not any(
            claim.values[0].same(v) for v in best.values) and any(w.unit == claim.values[0].unit for w in best.values):
        return "the figure belongs to another statement of the passage"  # as in the Korean rule
    if al.actor is None or has_name(f"{al.actor[0]}|{al.actor[1]}", squash(best.text)):
        return ""
    people = sorted(a for a in best.actors | best.subjects if "|" in a and not a.startswith(al.actor[0]))
    if not people and len(sents) > 1 and core is sents[-1]:
        upto = core.clauses[: core.clauses.index(best) + 1]
        people = [a for a in [carried_actor(sents[0].clauses, upto)] if a and not a.startswith(al.actor[0])]
    return f"the passage says this of {people[0].replace('|', ' ')}" if people else ""


def english_verdict(claim: Clause, sents: list[Sentence], score: float) -> Verdict:
    """An English clause, Korean support: accepted when every word aligns, else grey or rejected.
    A full alignment is as sure as full coverage in Korean (score ≥ 1, which ends the search early),
    and so is a contradiction found by one: the one with more aligned words wins."""
    start, end = sents[0].start, sents[-1].end
    al = align(claim, " ".join(s.text for s in sents), frozenset().union(*(s.terms for s in sents)))
    score += 0.05 * len(al.evidence) - 0.01 * (len(sents) - 1)
    sure = 1.0 + 0.02 * len(al.evidence) - 0.01 * (len(sents) - 1)
    if al.opposite:
        return Verdict(REJECT, start, end, score if al.missing else sure,
                       f"the passage says the opposite of {al.opposite}")
    # A contradiction needs the whole clause aligned, but for its actor: the support naming another one
    # for the same deed is the swap ("Chairman Jang is building" where the mayor is).
    if len(al.missing) > al.actor_missing:
        return Verdict(GREY, start, end, score, f"another script ({al.missing[-1]})")
    if why := objection(claim, al, sents):
        if " is in " in why:  # a word found only elsewhere: not a contradiction
            return Verdict(GREY, start, end, score - 0.2, why)
        return Verdict(REJECT, start, end, sure, why)
    if al.missing:
        return Verdict(GREY, start, end, score, f"another script ({al.missing[0]})")
    if claim.negated and not _NEGATED_GLOSS.search(claim.text):
        # "never said" against a sentence whose only negation is "총성 없는": only the judge can tell
        return Verdict(GREY, start, end, score, "another script (a negation)")
    if al.anchors + len(claim.values) >= 2:
        return Verdict(ACCEPT, start, end, sure)
    return Verdict(GREY, start, end, score, "another script (too few anchors)")
