"""The composition root: settings in, a ready service (and later the bot) out."""

from __future__ import annotations

import logging
import os
import warnings

from retrieval.answer.offline import OfflineAnswerer
from retrieval.base import Answerer
from retrieval.index.embeddings import Embedder, make_embedder
from retrieval.index.store import VectorStore, make_client
from retrieval.service import ArticleService

from .settings import Settings


def quiet_libraries() -> None:
    """Keep third-party chatter (telemetry notices, tokenizer warnings) out of the user's terminal."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    for name in ("chromadb", "httpx", "trafilatura", "htmldate", "courlan"):
        logging.getLogger(name).setLevel(logging.WARNING)


def make_store_embedder(settings: Settings) -> tuple[VectorStore, Embedder]:
    embedder = make_embedder(
        settings.embedder,
        model=settings.embedding_model,
        api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else "",
        base_url=settings.embedding_base_url or settings.openai_base_url,
    )
    store = VectorStore(lambda: make_client(settings.data_dir, settings.chroma_host, settings.chroma_port),
                        cache_dir=settings.data_dir)
    return store, embedder


def build_service(settings: Settings) -> ArticleService:
    """Everything the CLI and the bot share, built once."""
    quiet_libraries()
    store, embedder = make_store_embedder(settings)
    return ArticleService(
        store, embedder, default_sources=settings.default_articles, top_k=settings.top_k,
        allow_private_urls=settings.allow_private_urls, max_fetch_bytes=settings.max_upload_bytes,
    )


def build_answerer(settings: Settings, service: ArticleService) -> Answerer:
    """The LLM chain when an API key is set, else the offline extractive answerer."""
    if not settings.llm_enabled:
        return OfflineAnswerer(service)
    # Imported here: the offline path never pays for loading langchain.
    from retrieval.llm.chain import LLMAnswerer
    from retrieval.llm.client import chat_model

    assert settings.openai_api_key is not None  # llm_enabled says so
    key = settings.openai_api_key.get_secret_value()

    def make_llm():
        return chat_model(model=settings.llm_model, api_key=key, base_url=settings.openai_base_url,
                          timeout=settings.llm_timeout)

    return LLMAnswerer(service, make_llm, retries=settings.llm_retries, timeout=settings.llm_timeout)
