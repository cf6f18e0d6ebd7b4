"""Kiwi, once per process: sentence offsets and the content terms BM25 and the answerers share.

A Kiwi call holds its lock, and the GIL, for as long as it runs: splitting a 5 MB one-line upload in one
call froze every question for tens of seconds. So long lines reach Kiwi in bounded pieces (questions get
the lock between them), and large indexing batches run in a worker process (ingest/worker.py).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from functools import lru_cache
from typing import Any, NamedTuple

log = logging.getLogger(__name__)

# Characters of one line given to Kiwi at a time. Kiwi holds the GIL for a whole call (about 0.2 s per
# 5,000 characters on a busy 2-core machine), stalling every other thread and the bot's event loop that
# long; 2,000 keeps each stall short. A longer line is cut after a sentence end, else at a space, in the
# piece's last half (ordinary paragraphs are shorter and reach Kiwi whole).
LINE_PIECE = 2000
_PIECE_END = re.compile(r"[.!?。][\"'’”)\]]*\s")

# Content morphemes: nouns, numerals, foreign/hanja words, roots, and verb/adjective lemmas.
_CONTENT_TAGS = {"NNG", "NNP", "NNB", "NR", "SN", "SL", "SH", "XR", "VV", "VA", "MAG", "W_SERIAL"}
# Words that ask rather than tell: they never count as evidence a passage must contain.
QUESTION_WORDS = {
    "누구", "무엇", "뭐", "어디", "언제", "왜", "어떻", "어떠하", "어떤", "어느", "몇", "얼마", "얼마나",
    "무슨", "어찌", "어떻게", "알리", "말하", "설명", "하", "되", "있", "없", "것", "수", "등", "때",
    "거", "데", "이", "그", "저", "좀", "대하", "관하", "위하", "통하", "돼", "말", "기사", "내용",
}
# bm25s's English stopwords (STOPWORDS_EN; tests/test_korean.py keeps the two equal), written out: importing
# them from bm25s runs its package, which imports scipy (0.4-0.9 s) for 33 words, and a question with one
# Latin-letter word (AI, CES) would pay that at every command start.
BM25S_EN_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
    "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
    "will", "with",
})
_EN_STOP = BM25S_EN_STOPWORDS | {
    "what", "which", "who", "whom", "when", "where", "why", "how", "does", "did", "do", "tell",
    "me", "please", "article", "say", "says", "said", "about",
}


def en_stopwords() -> frozenset[str]:
    """English stopwords (bm25s's list and ours): never content, never a name."""
    return _EN_STOP


_SPACE = re.compile(r"\s+")


# Kiwi without its multi-word dictionary (252,000 WikiData names written with spaces, such as "조지 워커 부시"):
# loading and building it was most of Kiwi's start (load and first call 3.7 s with it, 1.4 s without, at
# load 4.5 on 2 cores; GIL held throughout), paid by every `articlebot search` and `ask`. Without it such a
# name is its words, which a question naming one of them matches too. bench/kiwi_dict.py measured it on all
# KorQuAD dev questions (retrieval within noise; README, "Start-up under 2 s"); stored terms made with
# another Kiwi are made again from their text (terms_id).
KIWI_OPTIONS: dict[str, bool] = {"load_multi_dict": False}


@lru_cache(maxsize=1)
def terms_id() -> str:
    """What made the stored terms (chunk records, the lexicon): terms of another id are derived again from
    the stored text, since a different Kiwi (version or options) splits some words differently."""
    from importlib.metadata import version

    options = ",".join(f"{k}={v}" for k, v in sorted(KIWI_OPTIONS.items()))
    return f"kiwipiepy {version('kiwipiepy')} model {version('kiwipiepy_model')} {options}"


class _Analyzer:
    """The Kiwi instance, loaded on first use (its bundled model, ~1 s), and the lock its calls take."""

    def __init__(self, options: dict[str, bool] | None = None) -> None:
        self.lock = threading.RLock()
        self.options = KIWI_OPTIONS if options is None else options
        self._kiwi = None
        self.submit: Callable[..., Future] | None = None  # set by analyse_elsewhere

    def kiwi(self):
        if self._kiwi is None:
            with self.lock:
                if self._kiwi is None:
                    from kiwipiepy import Kiwi

                    self._kiwi = Kiwi(**self.options)
        return self._kiwi


_KIWI = _Analyzer()


def kiwi():
    """The process's Kiwi instance."""
    return _KIWI.kiwi()


def normalize(text: str) -> str:
    """NFKC-fold so ㎡/m², full-width digits and compatibility jamo compare equal."""
    return unicodedata.normalize("NFKC", text)


_QUOTE_CHARS = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "「": '"', "」": '"', "『": '"', "』": '"'})


def squash(text: str) -> str:
    """NFKC, one kind of quote mark, no whitespace, lower case: how text is compared for containment and
    verbatim quotes (LLMs and readers respace Korean, and Kiwi splits compounds unevenly)."""
    return _SPACE.sub("", normalize(text).translate(_QUOTE_CHARS)).lower()


class Token(NamedTuple):
    """A Kiwi token as it comes back from another process: the fields this code reads of Kiwi's own."""

    form: str
    tag: str
    start: int
    len: int
    lemma: str

    @property
    def end(self) -> int:
        return self.start + self.len


def analyse_elsewhere(submit: Callable[..., Future]) -> None:
    """For a one-shot command (`articlebot search`, `ask`): Kiwi loads now in the process `submit` runs
    work in, beside this one's start-up, and answers this process's Kiwi calls there.

    Kiwi holds the GIL for the whole of its load (about 1 s), so in a thread it only takes turns with
    the imports and the index opening; in another process it runs on the other core. A question's few
    calls cost a fraction of a millisecond each to send. If that process fails, Kiwi loads here."""
    if _KIWI.submit is not None:  # started already: the launcher starts it first (articlebot/launch.py)
        return
    try:
        submit(_token_rows, "")  # the load starts now
    except Exception as exc:  # noqa: BLE001 - no other process: Kiwi loads here when first needed
        log.warning("Kiwi's process did not start (%s); Kiwi loads in this one", exc)
        return
    _KIWI.submit = submit


def _run(fn: Callable[[str], Any], text: str) -> Any:
    submit = _KIWI.submit
    if submit is not None:
        try:
            return submit(fn, text).result()
        except Exception as exc:  # noqa: BLE001 - any failure there: Kiwi loads in this process instead
            log.warning("Kiwi's process failed (%s); loading Kiwi in this one", exc)
            _KIWI.submit = None
    return fn(text)


def _token_rows(text: str) -> list[tuple[str, str, int, int, str]]:
    with _KIWI.lock:
        return [(t.form, t.tag, t.start, t.len, t.lemma) for t in _KIWI.kiwi().tokenize(text)]


def _sentence_rows(piece: str) -> list[tuple[int, int]]:
    with _KIWI.lock:
        return [(s.start, s.end) for s in _KIWI.kiwi().split_into_sents(piece)]


def tokens(text: str):
    """Kiwi tokens of `text` (already normalized if the caller wants that)."""
    if _KIWI.submit is not None:
        return [Token(*row) for row in _run(_token_rows, text)]
    with _KIWI.lock:
        return _KIWI.kiwi().tokenize(text)


_PHRASE_TAGS = {"NNG", "NNP", "NR", "SN", "SL", "SH", "XR"}


def noun_phrases(text: str) -> list[str]:
    """Nouns as written, adjacent ones joined ("서울관에 참여한 스타트업" → 서울관, 스타트업)."""
    text = normalize(text)
    out: list[str] = []
    start = end = -1
    for tok in tokens(text):
        if tok.tag in _PHRASE_TAGS:
            if tok.start == end:
                end = tok.start + tok.len
                continue
            if start >= 0:
                out.append(text[start:end])
            start, end = tok.start, tok.start + tok.len
        elif start >= 0:
            out.append(text[start:end])
            start = end = -1
    if start >= 0:
        out.append(text[start:end])
    return [p for p in dict.fromkeys(out) if p.lower() not in QUESTION_WORDS]


def _pieces(line: str, size: int = LINE_PIECE) -> Iterator[tuple[int, str]]:
    """(offset, piece) of a line, each piece at most `size` characters, cut after a sentence end or else
    a space in the piece's last half, else hard."""
    pos = 0
    while len(line) - pos > size:
        half = pos + size // 2
        ends = [m.end() for m in _PIECE_END.finditer(line, half, pos + size)]
        space = line.rfind(" ", half, pos + size)
        cut = ends[-1] if ends else space + 1 if space >= 0 else pos + size
        yield pos, line[pos:cut]
        pos = cut
    yield pos, line[pos:]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets into `text`, never crossing a line break."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            sents = []
            for offset, piece in _pieces(line):
                if piece.strip():  # Kiwi's lock per piece: a question waiting for Kiwi gets a turn in between
                    sents += [(offset + start, offset + end) for start, end in _run(_sentence_rows, piece)]
            for s_start, s_end in sents:
                start, end = pos + s_start, pos + s_end
                while start < end and text[start].isspace():
                    start += 1
                while end > start and text[end - 1].isspace():
                    end -= 1
                if end > start:
                    spans.append((start, end))
        pos += len(line) + 1
    return spans


@lru_cache(maxsize=4096)
def _terms_cached(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for t in tokens(normalize(text)):
        if t.tag not in _CONTENT_TAGS and not t.tag.startswith("W_"):
            continue
        form = t.lemma if t.tag in ("VV", "VA") else t.form
        form = form.lower()
        if t.tag == "SL" and form in _EN_STOP:
            continue
        if form in QUESTION_WORDS:
            continue
        out.append(form)
    return tuple(out)


def terms(text: str) -> list[str]:
    """Content morphemes (lemmas, lower-cased) of `text`; the unit of BM25 and of evidence."""
    return list(_terms_cached(_SPACE.sub(" ", text).strip()))


def is_mostly_hangul(text: str) -> bool:
    """True when most letters of `text` are Hangul (the lexical evidence is trustworthy)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    hangul = sum(1 for c in letters if "\uac00" <= c <= "\ud7a3" or "\u3131" <= c <= "\u318e")
    return hangul / len(letters) >= 0.5
