"""Sentence-aware chunks that keep exact offsets, aligned to paragraphs so edits stay local."""

from __future__ import annotations

import hashlib
import re

from ..korean import sentence_spans
from ..models import Article, Chunk

TARGET_CHARS = 500
MAX_CHARS = 800
MIN_CHARS = 200
# Where a sentence too long for a chunk may be cut, after sentence ends: a clause mark and its space.
_CLAUSE = re.compile(r"[,;:，、；：]+\s+|\s+[-–—]\s+")


def chunk_id(article_id: str, text: str, seen: dict[str, int]) -> str:
    """Stable id from content: the same text in the same article keeps its id (and its vector)."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    n = seen.get(digest, 0)
    seen[digest] = n + 1
    return f"{article_id}#{digest}" + (f"-{n}" if n else "")


def _cut_long(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """A span no longer than `limit`, or pieces of it that are: cut after a clause mark, else at a
    space, else hard; a cut is looked for in the last half of a piece, so pieces are never tiny."""
    pieces: list[tuple[int, int]] = []
    while end - start > limit:
        window = text[start + limit // 2:start + limit]
        clause = list(_CLAUSE.finditer(window))
        space = window.rfind(" ")
        cut = start + limit // 2 + (clause[-1].end() if clause else space + 1 if space >= 0 else len(window))
        stop = cut
        while stop > start and text[stop - 1].isspace():
            stop -= 1
        pieces.append((start, stop))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces


def _paragraph_spans(text: str, limit: int) -> list[list[tuple[int, int]]]:
    """Sentence spans grouped by line (a line is a paragraph in cleaned text); a sentence longer than
    `limit` (a line with no sentence end, a table flattened to one line) comes in pieces."""
    groups: dict[int, list[tuple[int, int]]] = {}
    line, at = 0, 0
    for start, end in sentence_spans(text):
        line += text.count("\n", at, start)  # counted incrementally: a text of many lines stays linear
        at = start
        groups.setdefault(line, []).extend(_cut_long(text, start, end, limit))
    return [groups[k] for k in sorted(groups)]


def _split_long(sents: list[tuple[int, int]], target: int) -> list[tuple[int, int]]:
    """Pieces of one long paragraph, each overlapping the previous by one sentence."""
    pieces: list[tuple[int, int]] = []
    i = 0
    while i < len(sents):
        j = i
        while j + 1 < len(sents) and sents[j + 1][1] - sents[i][0] <= target:
            j += 1
        pieces.append((sents[i][0], sents[j][1]))
        if j + 1 >= len(sents):
            break
        # One sentence of overlap keeps a fact that spans the cut findable from both sides.
        i = j if j > i else j + 1
    return pieces


def chunk_spans(text: str, target: int = TARGET_CHARS, max_chars: int = MAX_CHARS,
                min_chars: int = MIN_CHARS) -> list[tuple[int, int]]:
    """(start, end) of each chunk: short paragraphs merge up to `target`; long ones split by sentence.
    No chunk is longer than `max_chars`, whatever the input.

    A chunk closes at a paragraph end once it holds `min_chars`, so a change inside one paragraph
    moves at most the chunks up to the next such boundary; overlap appears only inside a split
    paragraph, which keeps the characters embedded close to 1x the corpus.
    """
    spans: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for sents in _paragraph_spans(text, min(target, max_chars)):
        p_start, p_end = sents[0][0], sents[-1][1]
        if p_end - p_start > max_chars:
            if cur:
                spans.append(cur)
                cur = None
            spans.extend(_split_long(sents, target))
            continue
        if cur is None:
            cur = (p_start, p_end)
        elif p_end - cur[0] <= target or cur[1] - cur[0] < min_chars and p_end - cur[0] <= max_chars:
            cur = (cur[0], p_end)
        else:
            spans.append(cur)
            cur = (p_start, p_end)
    if cur:
        spans.append(cur)
    return spans


def chunk_article(article: Article, **sizes: int) -> list[Chunk]:
    """The article's chunks, in order, each with its exact text offsets."""
    seen: dict[str, int] = {}
    chunks = []
    for pos, (start, end) in enumerate(chunk_spans(article.text, **sizes)):
        text = article.text[start:end]
        chunks.append(Chunk(id=chunk_id(article.id, text, seen), article_id=article.id,
                            position=pos, start=start, end=end, text=text))
    return chunks
