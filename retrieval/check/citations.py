"""Build `[n]` citations from passages: numbering is done here, in code, never by a model."""

from __future__ import annotations

from ..models import Citation, Passage


class CitationBook:
    """Assigns `[n]` to passages in order of first use and records the exact quote for each."""

    def __init__(self) -> None:
        self._n: dict[str, int] = {}
        self._quotes: dict[int, list[str]] = {}
        self.citations: list[Citation] = []

    def cite(self, passage: Passage, quote: str) -> int:
        """The number of `passage` (new on first use); `quote` must be verbatim in it."""
        if quote not in passage.text:
            raise ValueError("a quote must be verbatim in its passage")
        n = self._n.get(passage.chunk_id)
        if n is None:
            n = self._n[passage.chunk_id] = len(self.citations) + 1
            self.citations.append(Citation(n=n, article_id=passage.article_id, title=passage.title,
                                           chunk_id=passage.chunk_id, quote=quote, passage=passage.text,
                                           url=passage.url))
            self._quotes[n] = [quote]
        elif quote not in self._quotes[n]:
            self._quotes[n].append(quote)
            # Several quotes from one passage become the one verbatim span that covers them all.
            starts = [passage.text.find(q) for q in self._quotes[n]]
            ends = [s + len(q) for s, q in zip(starts, self._quotes[n])]
            self.citations[n - 1].quote = passage.text[min(starts) : max(ends)]
        return n
