"""The one composition root: settings in; the service, the answerer and the bot out. Nothing else builds them."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import warnings
from typing import Any
from urllib.parse import urlsplit

from bot.config import BotConfig
from retrieval.answer.offline import OfflineAnswerer
from retrieval.answer.suggest import Suggester
from retrieval.base import Answerer
from retrieval.index.embeddings import Embedder, make_embedder
from retrieval.index.store import VectorStore, make_client
from retrieval.service import ArticleService

from .settings import Settings, SettingsError, env_file


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
        max_fetch_bytes=settings.max_upload_bytes,
        sentence_cache=settings.data_dir / "sentences.sqlite",
    )


def make_breaker(settings: Settings) -> Any:
    """The LLM circuit breaker (a CircuitBreaker), or None offline; shared by the answerer and /stats."""
    if not settings.llm_enabled:
        return None
    from retrieval.llm.breaker import CircuitBreaker  # the offline path never loads langchain

    return CircuitBreaker(settings.llm_breaker_failures, settings.llm_breaker_cooldown)


def build_answerer(settings: Settings, service: ArticleService, breaker: Any = None) -> Answerer:
    """The LLM chain when an API key is set (behind `breaker`, or a new one), else the offline answerer."""
    if not settings.llm_enabled:
        return OfflineAnswerer(service)
    # Imported here: the offline path never pays for loading langchain.
    from retrieval.llm.chain import LLMAnswerer

    return LLMAnswerer(service, _llm_factory(settings), retries=settings.llm_retries, timeout=settings.llm_timeout,
                       entailment=settings.llm_entailment, breaker=breaker or make_breaker(settings))


def _llm_factory(settings: Settings):
    from retrieval.llm.client import chat_model

    assert settings.openai_api_key is not None  # llm_enabled says so
    key = settings.openai_api_key.get_secret_value()

    def make_llm():
        return chat_model(model=settings.llm_model, api_key=key, base_url=settings.openai_base_url,
                          timeout=settings.llm_timeout)

    return make_llm


def build_suggester(settings: Settings, service: ArticleService, answerer: Answerer) -> Suggester | None:
    """Suggested questions (None when switched off): written by the model when there is one, else made
    from the article's sentences; either way only those `answerer` answers are offered."""
    if not settings.suggestions:
        return None
    if not settings.llm_enabled:
        return Suggester(service, answerer)
    from retrieval.llm.suggest import LLMQuestions

    return Suggester(service, answerer, LLMQuestions(_llm_factory(settings), retries=settings.llm_retries,
                                                     timeout=settings.llm_timeout))


def bot_config(settings: Settings) -> BotConfig:
    """The part of the settings the bot needs, in the bot's own terms."""
    if not settings.telegram_bot_token:
        raise SettingsError("TELEGRAM_BOT_TOKEN is not set")
    return BotConfig(
        token=settings.telegram_bot_token.get_secret_value(), data_dir=settings.data_dir,
        api_url=settings.telegram_api_url, admin_ids=tuple(settings.admin_ids),
        allowed_user_ids=tuple(settings.allowed_user_ids), allowed_chat_ids=tuple(settings.allowed_chat_ids),
        allow_private_urls=settings.allow_private_urls, history_turns=settings.history_turns,
        user_rate_per_minute=settings.user_rate_per_minute, max_upload_bytes=settings.max_upload_bytes,
        suggestions=settings.suggestions,
        default_language=settings.default_language,
        conversation_expiry_minutes=settings.conversation_expiry_minutes,
        daily_questions=settings.daily_questions_per_user, daily_llm_tokens=settings.daily_llm_tokens_per_user,
        connect_retries=settings.telegram_connect_retries,
        stats_retention_days=settings.stats_retention_days,
    )


def run_bot(settings: Settings) -> None:
    """`articlebot run` with a token: polling, or a webhook when ARTICLEBOT_WEBHOOK_URL is set.
    SIGINT/SIGTERM stop it cleanly (PTB finishes in-flight updates, then post_shutdown runs)."""
    from telegram import Update

    from bot.app import build_application, protect_token
    from bot.startup import connect

    from .health import breaker_check, serve_health

    config = bot_config(settings)
    protect_token(config.token)
    log = logging.getLogger(__name__)
    log.info("data dir %s (settings from the environment and %s)", settings.data_dir.resolve(), env_file())
    service = build_service(settings)
    breaker = make_breaker(settings)
    answerer = build_answerer(settings, service, breaker)
    app = build_application(config, service, answerer, suggester=build_suggester(settings, service, answerer),
                            llm_state=breaker.state if breaker else None)
    # Telegram first: a rejected token or a dead network is said before a minute of indexing. The loop
    # is set as current, so run_polling/run_webhook go on in it with the connection made here.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(connect(app, config.connect_retries))
    report = service.open()  # index before taking questions, so the first one does not wait
    if report is not None:
        log.info("indexed: %s", report.summary())
    # A daemon thread: it ends with the process. /healthz fails while the LLM breaker is open.
    serve_health(settings, service, **({"llm": breaker_check(breaker)} if breaker else {}))
    line, fields = startup_line(settings, service)
    log.info(line, extra=fields)
    if settings.webhook_url:
        app.run_webhook(**webhook_options(settings), allowed_updates=Update.ALL_TYPES)
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Where to listen and what to register with Telegram, for `run_webhook`/`start_webhook`.

    Listen on ARTICLEBOT_WEBHOOK_LISTEN:PORT (behind a TLS reverse proxy) at the path of
    ARTICLEBOT_WEBHOOK_URL. Telegram sends the secret in a header on every call and PTB answers 403
    without it; with no ARTICLEBOT_WEBHOOK_SECRET a random one is registered at each start.
    """
    assert settings.webhook_url
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else secrets.token_urlsafe(32)
    return {"listen": settings.webhook_listen, "port": settings.webhook_port,
            "url_path": urlsplit(settings.webhook_url).path.lstrip("/"), "webhook_url": settings.webhook_url,
            "secret_token": secret}


def startup_line(settings: Settings, service: ArticleService) -> tuple[str, dict[str, Any]]:
    """The one line an operator reads first: how answers are made, how Telegram reaches us, who administers,
    what the index holds and where the data is."""
    articles = service.articles()
    fields: dict[str, Any] = {
        "mode": "llm" if settings.llm_enabled else "extractive",
        "model": settings.llm_model if settings.llm_enabled else "none",
        "embedder": service.embedder.id,
        "transport": f"webhook {settings.webhook_url}" if settings.webhook_url else "polling",
        "admins": ",".join(map(str, settings.admin_ids)) or "none",
        "articles": len(articles), "chunks": sum(a.chunks for a in articles),
        "data_dir": str(settings.data_dir.resolve()),
    }
    line = ("starting: mode=%(mode)s model=%(model)s embedder=%(embedder)s transport=%(transport)s "
            "admins=%(admins)s index=%(articles)d article(s), %(chunks)d chunks data=%(data_dir)s") % fields
    return line, fields
