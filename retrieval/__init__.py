"""Retrieval-grounded answers about articles, with nothing of Telegram in it. Stages, each a sub-package:

- `ingest/`  read sources (files, URLs, uploads, JSON Lines), clean page furniture, chunk, write versions
- `index/`   embeddings, the versioned Chroma store, BM25, and the hybrid search over them
- `answer/`  the offline answerer: what a question asks for, follow-ups, sentence choice
- `llm/`     LLM answers: the OpenAI-compatible client, prompts, the chain
- `check/`   citations numbered in code and each cited claim checked against its passage

The public face is below; it is loaded on first use so that importing `retrieval.errors` (the bot does)
does not load the search stack.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_PUBLIC = {
    "ArticleService": "service", "Answerer": "base", "NOT_IN_ARTICLE": "base",
    "Answer": "models", "Citation": "models", "Turn": "models", "Passage": "models",
    "ArticleInfo": "models", "IngestReport": "models",
    "ArticlebotError": "errors", "InputError": "errors", "SourceError": "errors", "BlockedURLError": "errors",
    "ArticleNotFound": "errors", "StoreUnavailable": "errors", "EmbedderError": "errors",
    "LLMUnavailable": "errors",
}
__all__ = sorted(_PUBLIC)

if TYPE_CHECKING:
    from .base import NOT_IN_ARTICLE, Answerer
    from .errors import (ArticlebotError, ArticleNotFound, BlockedURLError, EmbedderError, InputError,
                         LLMUnavailable, SourceError, StoreUnavailable)
    from .models import Answer, ArticleInfo, Citation, IngestReport, Passage, Turn
    from .service import ArticleService


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'retrieval' has no attribute {name!r}")
    return getattr(import_module(f".{_PUBLIC[name]}", __name__), name)
