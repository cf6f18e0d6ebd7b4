"""What a question asks for, and how much of it a sentence actually contains."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from enum import Enum

from ..korean import en_stopwords, is_mostly_hangul, normalize, squash, terms, tokens
from .names import anchors

# Tags whose words must be found for a sentence to count as evidence (things, names, numbers).
_NOUN_TAGS = {"NNG", "NNP", "NR", "SN", "SL", "SH", "XR"}
# Verbs and nouns so general that their absence says nothing.
_GENERIC = {"하다", "되다", "있다", "없다", "이다", "같다", "보다", "주다", "받다", "오다", "가다", "말", "내용",
            "기사", "사람", "것", "중", "정도", "관련", "대하다", "그", "이", "저", "좀", "함께", "어떻다",
            "말하다", "알리다", "설명", "얘기", "이야기", "뭐", "무엇", "쓰다", "그중", "이중", "당시", "곳", "점", "측", "쪽", "분",
            "동안", "며칠"}
_ASKING = {"몇", "어느", "어떤", "무슨", "which", "what"}
# Unit words in questions that articles write as symbols (NFKC folds ㎡ to m2).
_UNITS = {"제곱미터": ("m2",), "평방미터": ("m2",), "킬로미터": ("km",), "킬로그램": ("kg",),
          "퍼센트": ("%",), "프로": ("%",), "달러": ("$", "달러"), "센티미터": ("cm",)}


class Kind(Enum):
    """The kind of answer a question expects, when its wording says so."""

    NUMBER = "number"
    TIME = "time"
    DURATION = "duration"
    PERSON = "person"
    PLACE = "place"
    REASON = "reason"
    ANY = "any"


_KIND_PATTERNS = [
    # First: "몇 시간" asks how long, not what time.
    (Kind.DURATION, re.compile(r"몇\s*(시간|분|초|개월|주|달|해)|(며칠|몇\s*(일|년))\s*(동안|간|만에)|얼마\s*(동안|간|만에)"
                               r"|얼마나\s*(오래|걸)|기간|how long|for how many", re.I)),
    (Kind.TIME, re.compile(r"언제|며칠|몇\s*(년|월|일|시)|\bwhen\b|what (year|date|time|day)", re.I)),
    (Kind.NUMBER, re.compile(r"몇|얼마|how (many|much|big|large|long)"
                             r"|what (percentage|number|size|share|proportion|rate|amount|score)", re.I)),
    (Kind.PERSON, re.compile(r"누구|누가|\bwho\b|\bwhom\b", re.I)),
    (Kind.PLACE, re.compile(r"어디|어느\s*(곳|장소|도시|나라|지역)|\bwhere\b", re.I)),
    # Last: "이유가 몇 가지야?" asks a number. Not 배경: "영화의 배경은?" asks a place or a time.
    (Kind.REASON, re.compile(r"왜|이유|원인|까닭|목적|\bwhy\b|what (caused|led to)|for what purpose", re.I)),
]
_NUMBER = re.compile(r"\d|(한|두|세|네|다섯|여섯|일곱|여덟|아홉|열|스무|수십|수백|수천|여러)\s*(개|명|곳|건|번|차례|가지)|절반")
_DURATION = re.compile(r"\d+\s*(시간|분|초|일|주|개월|달|년)\s*(간|동안|만|째)|\d+\s*(시간|개월|주일)"
                       r"|(한|두|세|네|다섯|열)\s*(달|해|시간|주)|동안|기간")
# A place Kiwi does not tag as a proper noun is named by what kind of place it is ("이호테우해변", "힐탑아파트",
# "데레사여자고등학교"): two syllables or more before such an ending.
_PLACE = re.compile(r"[가-힣]{2,}(해수욕장|해변|공원|센터|광장|극장|경기장|체육관|호텔|학교|병원|공항|항구|시청|군청|구청"
                    r"|도청|성당|교회|박물관|미술관|도서관|아파트|빌딩|타워|마을|궁|섬)")
# "…했다고 17일 밝혔다": the day of the announcement, not of the event asked about.
ANNOUNCED = re.compile(r"\d{1,2}일\s*(?:[가-힣]+\s)?(밝혔|전했|말했|발표했|설명했|알렸)")
# What gives a reason or a purpose. On KorQuAD dev's 90 왜/이유 questions the sentence holding the answer has one
# of these 61% of the time, the other sentences of its paragraph 21%.
_REASON = re.compile(r"때문|위해|위한|위하여|덕분|덕에|탓|원인|이유|인해|인한|으?므로|목적|계기|면서")
_TIME = re.compile(r"\d+\s*(년|월|일|시|분)|올해|내년|지난해|작년|오늘|어제|내일|현지시간|이번 주|다음 달|\d{4}")


@dataclass
class Question:
    """A question reduced to the words a passage must contain and the kind of answer it wants."""

    text: str
    nouns: list[str]
    others: list[str]
    kind: Kind
    hangul: bool
    compounds: list[str] = field(default_factory=list)
    type_words: list[str] = field(default_factory=list)
    # Names and numbers (names.py): what a question in any language shares with the article.
    anchors: list[str] = field(default_factory=list)
    # The nouns the question word asks about ("활동비가 얼마", "최우수선수는 누구"): what an on-topic sentence
    # that does not answer most often lacks.
    focus: list[str] = field(default_factory=list)

    @property
    def all_terms(self) -> list[str]:
        return self.nouns + self.others


# Markup and invisible characters carry no meaning: a tag, zero-width space or soft hyphen inside a word
# must not hide the word.
_BLOCK_TAG = re.compile(r"</?(br|p|div|li|ul|ol|tr|td|h[1-6]|hr)\b[^<>]{0,200}>", re.I)
_TAG = re.compile(r"<[^<>]{0,200}>")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff\u180e]")


def clean_question(question: str) -> str:
    """The question as a reader sees it: HTML tags and entities, zero-width characters and soft hyphens gone."""
    text = html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", question)))
    return re.sub(r"[ \t]+", " ", _INVISIBLE.sub("", text)).strip()


def analyze(question: str) -> Question:
    """Split content words into nouns (must be found) and others (verbs, adverbs: often paraphrased)."""
    question = clean_question(question)
    text = normalize(question)
    nouns: list[str] = []
    others: list[str] = []
    type_words: list[str] = []
    allowed = set(terms(text))
    toks = list(tokens(text))
    for i, tok in enumerate(toks):
        form = (tok.lemma if tok.tag in ("VV", "VA") else tok.form).lower()
        prev = toks[i - 1].form if i else ""
        nxt = toks[i + 1].tag if i + 1 < len(toks) else ""
        # "몇 곳", "어느 회사", "어떤 시설": the word names the kind of answer; it may appear, need not.
        if prev in _ASKING and tok.tag in ("NNB", "NNG"):
            type_words.append(form)
            continue
        if form not in allowed or form in _GENERIC:
            continue
        # A noun used as a verb ("묘사했나", "참여한") is paraphrased as freely as a verb; dependent
        # nouns ("곳", "것") carry no topic of their own.
        verbal = tok.tag == "NNG" and nxt in ("XSV", "XSA")
        (nouns if tok.tag in _NOUN_TAGS and not verbal else others).append(form)
    kind = next((k for k, pat in _KIND_PATTERNS if pat.search(question)), Kind.ANY)
    focus = [w for w in asked_about(toks) if w not in _GENERIC] + type_words
    hangul = is_mostly_hangul(question)
    return Question(question, list(dict.fromkeys(nouns)), list(dict.fromkeys(others)), kind, hangul,
                    compounds(question), type_words, anchors(toks, hangul, en_stopwords()),
                    list(dict.fromkeys(focus)))


_WH = {"누구", "무엇", "뭐", "어디", "언제", "얼마", "얼마나", "몇"}


def asked_about(toks) -> list[str]:
    """The noun right before each question word, particles and copulas skipped ("활동비가 얼마" → 활동비)."""
    out = []
    for i, tok in enumerate(toks):
        if tok.form not in _WH:
            continue
        j = i - 1
        while j >= 0 and (toks[j].tag.startswith(("J", "E", "XS")) or toks[j].tag == "VCP"):
            j -= 1
        if j >= 0 and toks[j].tag in ("NNG", "NNP"):
            out.append(toks[j].form.lower())
    return out


def contains(term: str, sentence_terms: set[str] | frozenset[str], squashed: str) -> bool:
    """A term is present as a morpheme, or (2+ characters) inside the text: Kiwi splits compounds unevenly."""
    if term in sentence_terms:
        return True
    if any(alt in squashed for alt in _UNITS.get(term, ())):
        return True
    stem = term[:-1] if term.endswith("다") and len(term) > 2 else term
    return len(stem) >= 2 and stem in squashed


def has_kind(kind: Kind, sentence: str, question: str = "", proper: tuple[str, ...] | None = None) -> bool:
    """Does the sentence hold the kind of thing the question asks for, beyond what the question says?
    `proper`: the sentence's proper nouns when already known (the sentence index keeps them)."""
    if kind is Kind.NUMBER:
        return bool(_NUMBER.search(sentence))
    if kind is Kind.DURATION:
        return bool(_DURATION.search(sentence))
    if kind is Kind.TIME:
        return bool(_TIME.search(ANNOUNCED.sub(" ", sentence)))
    asked = squash(question)
    if kind in (Kind.PERSON, Kind.PLACE):
        if proper is None:
            proper = tuple(t.form.lower() for t in tokens(normalize(sentence)) if t.tag == "NNP")
        return names_new(proper, asked) or (kind is Kind.PLACE and _says_beyond(_PLACE, sentence, asked))
    if kind is Kind.REASON:  # the question's own "이유" or "목적" restated is not a reason given
        return _says_beyond(_REASON, sentence, asked)
    return True


def _says_beyond(pattern: re.Pattern[str], sentence: str, asked: str) -> bool:
    """Does `pattern` find something in the sentence that the question (`asked`, squashed) does not say?"""
    return any(m.group(0) not in asked for m in pattern.finditer(sentence))


def names_new(proper: tuple[str, ...], asked: str) -> bool:
    """Does a sentence with these proper nouns name something the question (`asked`, squashed) does not say?"""
    return any(p not in asked for p in proper)


def is_statement(sentence: str) -> bool:
    """Prose rather than a headline or a label: it ends with sentence punctuation."""
    s = sentence.rstrip("”\"’')]」』 ")
    return s.endswith((".", "?", "!", "。")) and len(s) >= 20


def compounds(question: str) -> list[str]:
    """Words the question writes as one ("혁신상을" → 혁신상): matching them whole is strong evidence."""
    out = []
    for word in normalize(question).split():
        parts = [t.form.lower() for t in tokens(word) if t.tag in _NOUN_TAGS]
        if len(parts) >= 2:
            out.append("".join(parts))
    return out
