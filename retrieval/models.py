"""Plain data passed between the retrieval modules and to the outside."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Article:
    """One cleaned article, ready to chunk."""

    id: str
    title: str
    text: str
    url: str = ""
    published: str = ""
    byline: str = ""
    source: str = ""


@dataclass(frozen=True)
class Chunk:
    """A sentence-aligned slice of an article; `text == article.text[start:end]`."""

    id: str
    article_id: str
    position: int
    start: int
    end: int
    text: str


@dataclass
class Passage:
    """A retrieved chunk with the article facts a citation needs."""

    chunk_id: str
    article_id: str
    title: str
    text: str
    score: float = 0.0
    url: str = ""
    published: str = ""
    position: int = 0
    start: int = 0
    end: int = 0


@dataclass
class Citation:
    """One `[n]` of an answer: `quote` is verbatim inside `passage`."""

    n: int
    article_id: str
    title: str
    chunk_id: str
    quote: str
    passage: str
    url: str = ""


@dataclass
class Turn:
    """One message of a conversation's history."""

    role: Literal["user", "assistant"]
    content: str
    chunk_ids: list[str] = field(default_factory=list)


@dataclass
class Answer:
    """What `ask` returns; `to_json` is the CLI's JSON contract."""

    question: str
    standalone_question: str
    answer: str
    answerable: bool
    mode: Literal["extractive", "llm"]
    citations: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    usage: dict[str, int] | None = None
    note: str = ""
    passages: list[Passage] = field(default_factory=list)
    formatted: str = ""  # the answer in the model's Markdown (bold, lists), when it used any; `answer` is plain

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "answer": self.answer,
            "answerable": self.answerable,
            "mode": self.mode,
            "citations": [asdict(c) for c in self.citations],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
        if self.usage is not None:
            out["usage"] = self.usage
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class ArticleInfo:
    """An indexed article as listed by `articles` (frozen: one list per index version is shared)."""

    id: str
    title: str
    chunks: int
    source: str
    indexed_at: str
    url: str = ""
    published: str = ""


@dataclass
class IngestReport:
    """What an ingest or reload changed, for the summary line."""

    articles: int = 0
    added: int = 0
    unchanged: int = 0
    removed: int = 0
    seconds: float = 0.0
    embedded_chars: int = 0
    sentences: int = 0  # sentence vectors computed for the offline answerer (new sentences only)
    failures: list[str] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.articles} article(s): {self.added} chunk(s) added, "
            f"{self.unchanged} unchanged, {self.removed} removed in {self.seconds:.1f} s"
        )
        if self.failures:
            text += f"; {len(self.failures)} problem(s)"
        return text
