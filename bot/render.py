"""Telegram HTML for answers and sources, and splitting long HTML without breaking tags."""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.llm.markdown import to_html, to_plain
from retrieval.models import Answer, Citation

from . import texts
from .markup import esc, link

LIMIT = 4096  # Telegram's maximum message length
# Tags and entities are atoms; every other character is one atom, so a cut never lands inside either.
_ATOM = re.compile(r"<[^<>]*>|&#?\w+;|[\s\S]")
_OPEN = re.compile(r"<([a-z][a-z-]*)[^<>]*>")
_SENTENCE_END = set(".!?。…”\"')")
QUOTE_LIMIT = 1000  # characters of an excerpt shown to a reader: a passage is evidence, not the article


def answer_html(answer: Answer) -> str:
    """The answer body: escaped text with its [n] markers (the model's Markdown as Telegram HTML), then any
    note in italics."""
    body = (to_html(answer.formatted) if answer.formatted else esc(answer.answer.strip())) or "…"
    if answer.note:
        body += f"\n\n<i>{esc(answer.note)}</i>"
    return body


def draft_text(text: str) -> str:
    """A streaming preview (plain text, the model's Markdown removed): the newest tail is what the reader is
    waiting for."""
    text = to_plain(text.strip()) or "…"
    return text if len(text) <= LIMIT - 2 else "…" + text[-(LIMIT - 100):]


def _clip(text: str, limit: int, keep_end: bool = False) -> str:
    """At most `limit` characters, cut at a space near the limit when there is one, marked with …"""
    if len(text) <= limit:
        return text
    if keep_end:
        tail = text[len(text) - limit + 1:]
        space = tail.find(" ", 0, limit // 5)
        return "…" + (tail[space + 1:] if space >= 0 else tail)
    head = text[:limit - 1]
    space = head.rfind(" ", limit - limit // 5)
    return (head[:space] if space >= 0 else head) + "…"


def excerpt(passage: str, quote: str, limit: int = QUOTE_LIMIT) -> tuple[str, str, str]:
    """(before, quote, after) of the passage, together at most about `limit` characters with ellipses:
    the quote first (itself bounded), then context on both sides of it."""
    i = passage.find(quote) if quote else -1
    if i < 0:
        return "", "", _clip(passage, limit)
    shown = _clip(quote, limit)
    room = max(0, limit - len(shown))
    before, after = passage[:i], passage[i + len(quote):]
    if len(shown) < len(quote):
        before, after = ("…" if before else ""), ""
    else:
        after_room = max(room // 2, room - len(before))
        after = _clip(after, after_room) if after_room else ("…" if after else "")
        before_room = room - len(after)
        before = _clip(before, before_room, keep_end=True) if before_room else ("…" if before else "")
    return before, shown, after


def _mark_quote(passage: str, quote: str) -> str:
    before, shown, after = excerpt(passage, quote)
    return esc(before) + (f"<b>{esc(shown)}</b>" if shown else "") + esc(after)


def sources_html(citations: Sequence[Citation], lang: texts.Lang = "en") -> str:
    """Each cited excerpt: number, article title, link when there is one, the passage with the quote bold."""
    if not citations:
        return texts.NO_SOURCES(lang)
    blocks = [f"<b>{texts.SOURCES(lang)}</b>"]
    for c in citations:
        head = f"<b>[{c.n}]</b> {esc(c.title or c.article_id)}{link(c.url, texts.LINK(lang))}"
        blocks.append(f"{head}\n<blockquote expandable>{_mark_quote(c.passage or c.quote, c.quote)}</blockquote>")
    return "\n\n".join(blocks)


def _closers(stack: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _priority(atoms: list[str], j: int) -> int:
    """How good a cut after atom j is: paragraph 3, line 2, sentence 1, word 0, else -1."""
    if not atoms[j].isspace():
        return -1
    prev = atoms[j - 1] if j else ""
    if atoms[j] == "\n":
        return 3 if prev == "\n" else 2
    return 1 if prev in _SENTENCE_END else 0


def split_html(text: str, limit: int = LIMIT) -> list[str]:
    """Cut HTML into parts of at most `limit` characters at the best boundary (paragraph, line,
    sentence, word) in the last part of each chunk; tags open at a cut are closed and reopened."""
    atoms = _ATOM.findall(text)
    parts: list[str] = []
    i, reopen = 0, []  # reopen: (name, opening tag) carried into the next part
    while i < len(atoms):
        while i < len(atoms) and atoms[i].isspace():
            i += 1
        if i >= len(atoms):
            break
        stack = list(reopen)
        out = [tag for _, tag in reopen]
        length = sum(map(len, out))
        best: dict[int, tuple[int, int, list]] = {}  # priority -> (atom index, len(out), stack)
        j = i
        while j < len(atoms):
            atom = atoms[j]
            new_stack = stack
            if atom.startswith("</"):
                new_stack = stack[:-1]
            elif (m := _OPEN.fullmatch(atom)):
                new_stack = stack + [(m.group(1), atom)]
            if length + len(atom) + len(_closers(new_stack)) > limit:
                break
            out.append(atom)
            length += len(atom)
            stack = new_stack
            j += 1
            p = _priority(atoms, j - 1)
            if p >= 0:
                best[p] = (j, len(out), list(stack))
        if j >= len(atoms):
            parts.append("".join(out) + _closers(stack))
            break
        # Prefer the strongest boundary that still fills at least a quarter of the part.
        cut = next((best[p] for p in (3, 2, 1, 0) if p in best and best[p][1] * 4 >= len(out)), None)
        if cut is None:
            cut = (j, len(out), stack)
        j, n_out, stack = cut
        if j == i:  # a single atom longer than the limit (cannot happen with escaped text); skip it
            j += 1
        parts.append("".join(out[:n_out]).rstrip() + _closers(stack))
        i, reopen = j, stack
    return [p for p in parts if p.strip()]
