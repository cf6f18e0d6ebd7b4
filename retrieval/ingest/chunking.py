"""Sentence-aware chunks that keep exact offsets, aligned to paragraphs so edits stay local."""

from __future__ import annotations

import hashlib

from ..korean import sentence_spans
from ..models import Article, Chunk

TARGET_CHARS = 500
MAX_CHARS = 800
MIN_CHARS = 200


def chunk_id(article_id: str, text: str, seen: dict[str, int]) -> str:
    """Stable id from content: the same text in the same article keeps its id (and its vector)."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    n = seen.get(digest, 0)
    seen[digest] = n + 1
    return f"{article_id}#{digest}" + (f"-{n}" if n else "")


def _paragraph_spans(text: str) -> list[list[tuple[int, int]]]:
    """Sentence spans grouped by line (a line is a paragraph in cleaned text)."""
    groups: dict[int, list[tuple[int, int]]] = {}
    for start, end in sentence_spans(text):
        para = text.count("\n", 0, start)
        groups.setdefault(para, []).append((start, end))
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

    A chunk closes at a paragraph end once it holds `min_chars`, so a change inside one paragraph
    moves at most the chunks up to the next such boundary; overlap appears only inside a split
    paragraph, which keeps the characters embedded close to 1x the corpus.
    """
    spans: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for sents in _paragraph_spans(text):
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
