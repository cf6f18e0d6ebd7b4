"""The PTB Application: a BotConfig + service + answerer in, every handler attached, not started."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable

from telegram.ext import Application

from retrieval.answer.suggest import Suggester
from retrieval.base import Answerer
from retrieval.redact import redact_credentials
from retrieval.service import ArticleService

from . import admin, choose, handlers
from .access import Access, DailyBudget, UserRateLimit
from .config import BotConfig
from .context import KEY, LIMITER_KEY, Deps
from .conversation import Conversations
from . import metrics
from .flood import FloodLimiter
from .polling import UpdatesRequest
from .retention import keep_pruning
from .scope import Catalog
from .storage import BotStore

log = logging.getLogger(__name__)
# Updates handled at once. An answer holds its slot while it waits for the model and for Telegram's
# budget (30 messages/s: at 400 busy chats that is seconds), so a low cap only queues new questions
# and /cancel behind answers that are merely waiting; 1024 is ~30 s of Telegram's budget.
CONCURRENT_UPDATES = 1024
# Connections to the Bot API. Messages leave under 30 a second (FloodLimiter), so a few dozen suffice;
# PTB's default of 256 lets bursts of typing actions open hundreds, and httpcore's pool scans every
# connection (a syscall each) on every request: under load that was a third of the bot's CPU.
API_CONNECTIONS = 32
POOL_TIMEOUT = 10.0  # waiting for a free connection (the request was not sent yet) is not a failure
PRUNING = "articlebot.pruning"  # bot_data key of the background task that applies the stats retention


class RedactSecret(logging.Filter):
    """Replace a secret (the bot token: httpx and PTB put it in request URLs) in every log record, and
    hide credentials written into any URL (`/add http://user:pass@host/`) while at it."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        # Always freeze the message: PTB logs getFile's result dict and then puts the download URL (token
        # and all) into that same dict, so a handler that formats later (a buffer, an error tracker) would
        # see the token in args that were clean when logged.
        message = record.getMessage()
        record.msg, record.args = redact_credentials(message.replace(self.secret, "<token>")), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_credentials(record.exc_text.replace(self.secret, "<token>"))
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


def build_application(config: BotConfig, service: ArticleService, answerer: Answerer, *,
                      store: BotStore | None = None, suggester: Suggester | None = None,
                      llm_state: Callable[[], str] | None = None) -> Application:
    """The Application with every handler attached; not started. Tests pass their own answerer (and
    suggester: by default suggestions are made offline and checked with `answerer`)."""
    builder = (Application.builder().token(config.token)
               .concurrent_updates(CONCURRENT_UPDATES)
               .connection_pool_size(API_CONNECTIONS).pool_timeout(POOL_TIMEOUT)
               .get_updates_request(UpdatesRequest(connection_pool_size=1))
               .rate_limiter(limiter := FloodLimiter())
               .post_init(_post_init).post_shutdown(_post_shutdown))
    if config.api_url:
        builder = builder.base_url(config.api_url.rstrip("/")).base_file_url(file_url(config.api_url))
    app = builder.build()
    store = store or BotStore(config.data_dir / "bot.sqlite3")
    access = Access(config.admin_ids, config.allowed_user_ids, config.allowed_chat_ids)
    if not config.suggestions:
        suggester = None
    elif suggester is None:  # offline questions, kept only when `answerer` answers them
        suggester = Suggester(service, answerer)
    catalog = Catalog(service, store, suggester)
    conversations = Conversations(answerer, store, config.history_turns,
                                  UserRateLimit(config.user_rate_per_minute), access.is_admin, catalog,
                                  expire_after_s=60 * config.conversation_expiry_minutes,
                                  budget=DailyBudget(store.user_usage, config.daily_questions, config.daily_llm_tokens),
                                  foreground=service.foreground)
    app.bot_data[KEY] = Deps(config, service, store, access, conversations, catalog, llm_state)
    app.bot_data[LIMITER_KEY] = limiter  # its counters: /stats and the Prometheus metrics
    metrics.watch_limiter(lambda: {**limiter.stats(), "queued": limiter.queued})
    handlers.register(app)
    choose.register(app)
    admin.register(app)
    app.add_error_handler(handlers.on_error)
    return app


async def _post_init(app: Application) -> None:
    log.info("bot @%s is up", app.bot.username)
    # Models load lazily (tokenizer, embedder: seconds each); load them now, not on the first question.
    asyncio.get_running_loop().run_in_executor(None, _warm_up, app.bot_data[KEY].service)
    d = app.bot_data[KEY]
    app.bot_data[PRUNING] = asyncio.create_task(keep_pruning(d.store, d.config.stats_retention_days))
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
    pruning = app.bot_data.pop(PRUNING, None)
    if pruning is not None:
        pruning.cancel()
        await asyncio.gather(pruning, return_exceptions=True)
    await app.bot_data[KEY].catalog.close()
    app.bot_data[KEY].store.close()
