"""The bot's shared objects, stored once in `application.bot_data` and fetched by every handler."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import ContextTypes

from retrieval.service import ArticleService

from .access import Access
from .config import BotConfig
from .conversation import Conversations
from .scope import Catalog
from .storage import BotStore

KEY = "articlebot"
LIMITER_KEY = "articlebot.limiter"  # the FloodLimiter, for its counters


@dataclass
class Deps:
    config: BotConfig
    service: ArticleService
    store: BotStore
    access: Access
    conversations: Conversations
    catalog: Catalog


def deps(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    return context.application.bot_data[KEY]
