"""The bot's shared objects, stored once in `application.bot_data` and fetched by every handler."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import ContextTypes

from articlebot.settings import Settings
from retrieval.service import ArticleService

from .access import Access
from .conversation import Conversations
from .history import BotStore
from .scope import Catalog

KEY = "articlebot"


@dataclass
class Deps:
    settings: Settings
    service: ArticleService
    store: BotStore
    access: Access
    conversations: Conversations
    catalog: Catalog


def deps(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    return context.application.bot_data[KEY]
