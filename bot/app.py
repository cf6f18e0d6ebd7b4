"""The bot's composition root: settings + service + answerer in, a ready PTB Application out."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import AIORateLimiter, Application

from articlebot.settings import Settings, SettingsError
from retrieval.answering import Answerer
from retrieval.service import ArticleService

from . import admin, handlers
from .access import Access, UserRateLimit
from .context import KEY, Deps
from .conversation import Conversations
from .history import BotStore

log = logging.getLogger(__name__)
CONCURRENT_UPDATES = 256  # answers are I/O-bound awaits; one chat's slow answer must not queue others
NOT_MESSAGES = {"sendChatAction", "answerCallbackQuery", "getFile", "getMe", "getUpdates"}


class FloodLimiter(AIORateLimiter):
    """AIORateLimiter (30 msg/s overall, 20/min per group, retry on 429) for messages only: a typing
    action or a button acknowledgement is not a message and must not eat a group's per-minute budget."""

    async def process_request(self, callback: Any, args: Any, kwargs: dict[str, Any], endpoint: str,
                              data: dict[str, Any], rate_limit_args: int | None) -> Any:
        if endpoint in NOT_MESSAGES:
            return await callback(*args, **kwargs)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


class RedactSecret(logging.Filter):
    """Replace a secret (the bot token: httpx and PTB put it in request URLs) in every log record."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, "<token>"), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.secret in record.exc_text:
            record.exc_text = record.exc_text.replace(self.secret, "<token>")
        return True


def protect_token(token: str) -> None:
    """Keep the token out of logs: httpx logs every request URL at INFO, and URLs contain the token."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    redact = RedactSecret(token)
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in root.handlers:
        if not any(isinstance(f, RedactSecret) and f.secret == token for f in handler.filters):
            handler.addFilter(redact)


def file_url(api_url: str) -> str:
    """The file-download base for an API base in PTB's convention: .../bot -> .../file/bot."""
    base = api_url.rstrip("/")
    return re.sub(r"/bot$", "/file/bot", base) if base.endswith("/bot") else base + "/file/bot"


def build_application(settings: Settings, service: ArticleService, answerer: Answerer, *,
                      store: BotStore | None = None) -> Application:
    """The Application with every handler attached; not started. Tests pass their own answerer."""
    if not settings.telegram_bot_token:
        raise SettingsError("TELEGRAM_BOT_TOKEN is not set")
    builder = (Application.builder().token(settings.telegram_bot_token.get_secret_value())
               .concurrent_updates(CONCURRENT_UPDATES)
               .rate_limiter(FloodLimiter(max_retries=3))
               .post_init(_post_init).post_shutdown(_post_shutdown))
    if settings.telegram_api_url:
        builder = builder.base_url(settings.telegram_api_url.rstrip("/")).base_file_url(
            file_url(settings.telegram_api_url))
    app = builder.build()
    store = store or BotStore(settings.data_dir / "bot.sqlite3")
    access = Access(settings.admin_ids, settings.allowed_user_ids, settings.allowed_chat_ids)
    conversations = Conversations(answerer, store, settings.history_turns,
                                  UserRateLimit(settings.user_rate_per_minute), access.is_admin)
    app.bot_data[KEY] = Deps(settings, service, store, access, conversations)
    handlers.register(app)
    admin.register(app)
    app.add_error_handler(handlers.on_error)
    return app


async def _post_init(app: Application) -> None:
    log.info("bot @%s is up", app.bot.username)
    # Models load lazily (tokenizer, embedder: seconds each); load them now, not on the first question.
    asyncio.get_running_loop().run_in_executor(None, _warm_up, app.bot_data[KEY].service)
    await admin.publish_commands(app)


def _warm_up(service: ArticleService) -> None:
    started = time.monotonic()
    try:
        service.retrieve("서울시는 무엇을 발표했나요?")
    except Exception as exc:  # a failed warm-up only means the first question pays for loading
        log.warning("warm-up failed: %s", exc)
        return
    log.info("models loaded in %.1f s", time.monotonic() - started)


async def _post_shutdown(app: Application) -> None:
    app.bot_data[KEY].store.close()


def run_bot(settings: Settings) -> None:
    """`articlebot run` with a token: polling, or a webhook when ARTICLEBOT_WEBHOOK_URL is set.
    SIGINT/SIGTERM stop it cleanly (PTB finishes in-flight updates, then post_shutdown runs)."""
    from articlebot.compose import build_answerer, build_service

    assert settings.telegram_bot_token is not None
    protect_token(settings.telegram_bot_token.get_secret_value())
    service = build_service(settings)
    report = service.open()  # index before taking questions, so the first one does not wait
    if report is not None:
        log.info("indexed: %s", report.summary())
    app = build_application(settings, service, build_answerer(settings, service))
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
