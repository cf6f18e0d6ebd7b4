"""Which article a conversation is on, and whether a new question leaves it.

People ask follow-ups about the article they are reading ("하루 운영 시간은?", "마감 뒤에도 낼 수 있어?"):
such a question says nothing that tells one article from another, and searched over the whole index it
lands on whichever article uses its words most (another beach's opening hours). So a follow-up is first
answered from the article the last answer quoted; it leaves that article when it names something (a
person, place, organisation, foreign word) the article never mentions, and the caller asks the whole index
again when the article does not answer it (service.ask).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..index.snapshot import StoredSnapshot
from ..korean import is_mostly_hangul, normalize, squash
from ..models import Passage, Turn
from .followup import carried_chunk_ids, name_spans


def conversation_article(history: Sequence[Turn], passage_of: Callable[[str], Passage | None]) -> str | None:
    """The article the last answer quoted (its first citation), or None when it quoted nothing."""
    for cid in carried_chunk_ids(history):
        passage = passage_of(cid)
        if passage is not None:
            return passage.article_id
    return None


def names(question: str) -> list[str]:
    """The names the question uses (people, places, organisations, foreign words), as written."""
    text = normalize(question)
    return [n for n in dict.fromkeys(text[a:b] for a, b in name_spans(text)) if len(squash(n)) >= 2]


def leaves_article(question: str, article_texts: Sequence[str]) -> bool:
    """True when the question names something the article's text never mentions. A question in another
    language writes names its own way ("Seoul", not 서울): it never leaves on a name."""
    if not is_mostly_hangul(question):
        return False
    # A substring test over the squashed text, not morphemes: Kiwi splits names unevenly
    # ("남해상주은모래비치"), and the article's own spelling is what a reader copies.
    where = squash("\n".join(article_texts))
    return any(squash(n) not in where for n in names(question))


def thread_article(snap: StoredSnapshot, question: str, history: Sequence[Turn]) -> str | None:
    """The article a follow-up is first answered from: the one the conversation is on, unless the question
    leaves it (None: search the whole index)."""
    article = conversation_article(history, lambda cid: snap.passage(snap.row[cid]) if cid in snap.row else None)
    if article is None:
        return None
    rows = [int(i) for i in snap.article_rows(article)]
    return None if leaves_article(question, [p.text for p in snap.passages(rows, [0.0] * len(rows))]) else article


def thread_first(on_thread: list[Passage], passages: list[Passage]) -> list[Passage]:
    """The conversation's article's passages first, then the rest of what the whole index returned: the
    other articles stay candidates (a follow-up may still be answered elsewhere) but rank behind."""
    seen = {p.chunk_id for p in on_thread}
    return on_thread + [p for p in passages if p.chunk_id not in seen]
