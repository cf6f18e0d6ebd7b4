"""Which article a question is answered from, and the article and question buttons shown with answers.

A chat's chosen article (its focus) scopes every question until /all or another choice. A button's
question is asked in its own article. With no focus, a summary request ("요약해줘") that several articles
fit equally gets the best one's summary plus buttons for the others. Answers with no focus name their
article when the bot holds more than one. Suggested questions come from `Suggester` (only those the
product answers); a list not computed yet is attached to the message once ready, so nobody waits for it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import TelegramError

from retrieval.answer.suggest import Suggester, is_summary_request
from retrieval.models import Answer, ArticleInfo
from retrieval.service import ArticleService

from . import texts
from .storage import BotStore
from .render import answer_html

log = logging.getLogger(__name__)
CHOOSE_PREFIX = "art:"  # + article key: make it this chat's article
PAGE_PREFIX = "arp:"  # + page number of /articles
ASK_PREFIX = "ask:"  # + id of a stored (article, question): ask it
SUMMARY_CLOSE = 0.9  # another article's best passage within this share of the best one's: equally likely
MAX_OTHERS = 3
Rows = list[list[InlineKeyboardButton]]


def article_key(article_id: str) -> str:
    """A short fixed-length key for callback data (64 bytes at most; ids may be longer)."""
    return hashlib.blake2b(article_id.encode(), digest_size=8).hexdigest()


@dataclass
class Scope:
    """What one question is answered from."""

    article_id: str | None  # None: every article
    focused: bool = False  # the chat chose this article (answers need not name it)
    others: list[ArticleInfo] = field(default_factory=list)  # equally likely articles for a summary
    notice: texts.Text | None = None  # said under the answer (the chosen article was removed)
    many: bool = False  # the bot holds more than one article


class Catalog:
    """The articles as the bot presents them: focus per chat, scopes, names, buttons."""

    def __init__(self, service: ArticleService, store: BotStore, suggester: Suggester | None) -> None:
        self.service, self.store, self.suggester = service, store, suggester
        self._tasks: set[asyncio.Task] = set()

    def articles(self) -> list[ArticleInfo]:
        return self.service.articles()

    def by_key(self, key: str) -> ArticleInfo | None:
        return next((a for a in self.articles() if article_key(a.id) == key), None)

    def by_id(self, article_id: str) -> ArticleInfo | None:
        return next((a for a in self.articles() if a.id == article_id), None)

    def focus(self, chat_id: int) -> tuple[ArticleInfo | None, bool]:
        """(the chat's chosen article, whether a chosen article was removed and the choice cleared)."""
        chosen = self.store.focus(chat_id)
        if chosen is None:
            return None, False
        info = self.by_id(chosen)
        if info is None:
            self.store.set_focus(chat_id, None)
            return None, True
        return info, False

    def resolve(self, chat_id: int, question: str, article_id: str | None = None) -> Scope:
        """The scope of a question (blocking: may search). `article_id`: a button's own article."""
        focus, removed = self.focus(chat_id)
        notice = texts.FOCUS_GONE if removed else None
        many = len(self.articles()) > 1
        if article_id is not None:
            return Scope(article_id, focus is not None and focus.id == article_id, notice=notice, many=many)
        if focus is not None:
            return Scope(focus.id, True, many=many)
        if is_summary_request(question) and many:
            best: dict[str, float] = {}
            for p in self.service.search(question, k=10):
                best.setdefault(p.article_id, p.score)
            if best:
                ranked = sorted(best.items(), key=lambda kv: -kv[1])
                top, score = ranked[0]
                close = [aid for aid, s in ranked[1:] if s >= SUMMARY_CLOSE * score][:MAX_OTHERS]
                others = [a for a in (self.by_id(aid) for aid in close) if a is not None]
                return Scope(top, False, others, notice, many)
        return Scope(None, notice=notice, many=many)

    def answer_html(self, asked: str, scope: Scope, answer: Answer, lang: texts.Lang = "en") -> str:
        """The answer with the question above it (when asked by a button), then which article it came
        from (when that is not obvious) and any notice."""
        parts = [texts.asked(asked)] if asked else []
        parts.append(answer_html(answer))
        if not scope.focused and answer.citations and scope.many:
            cited = list(dict.fromkeys((c.title or c.article_id, c.url) for c in answer.citations))
            parts.append(texts.answered_from(cited))
        if scope.others:
            parts.append(texts.other_summaries(lang))
        if scope.notice is not None:
            parts.append(f"<i>{scope.notice(lang)}</i>")
        return "\n\n".join(parts)

    # ----- buttons -----------------------------------------------------------------------------
    def ask_rows(self, chat_id: int, asks: Sequence[tuple[str, str]], labels: Sequence[str]) -> Rows:
        ids = self.store.save_asks(chat_id, asks)
        return [[InlineKeyboardButton(label, callback_data=f"{ASK_PREFIX}{i}")] for i, label in zip(ids, labels)]

    def others_rows(self, chat_id: int, scope: Scope, question: str) -> Rows:
        """Buttons asking the same question of each other equally likely article."""
        return self.ask_rows(chat_id, [(a.id, question) for a in scope.others],
                             [texts.other_article_button(a) for a in scope.others])

    def suggestion_articles(self, scope: Scope | None, answer: Answer | None = None) -> list[str]:
        """Whose questions to suggest: the scope's article, else the answer's, else the first few."""
        if scope is not None and scope.article_id is not None:
            return [scope.article_id]
        if answer is not None:
            found = [c.article_id for c in answer.citations] + [p.article_id for p in answer.passages]
            if found:
                return found[:1]
        return [a.id for a in self.articles()[:3]]

    async def send(self, chat_id: int, send: Callable[[InlineKeyboardMarkup | None], Awaitable[Message]],
                   rows: Rows, article_ids: Sequence[str], exclude: Sequence[str] = ()) -> Message:
        """Send a message with `rows` plus suggested questions; when those are not ready yet, they are
        computed in the background and added to the message's buttons afterwards."""
        ready = await asyncio.to_thread(self._ready, article_ids)  # reads the index pointer: not on the loop
        extra = await self._suggestion_rows(chat_id, article_ids, exclude) if ready else []
        message = await send(_markup(rows + extra))
        if not ready:
            task = asyncio.create_task(self._attach(message, chat_id, rows, article_ids, exclude))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return message

    def _ready(self, article_ids: Sequence[str]) -> bool:
        if self.suggester is None or not article_ids:
            return True
        try:
            return all(self.suggester.cached(a) is not None for a in article_ids)
        except Exception:  # the index is unavailable: no suggestions, the message still goes out
            return True

    async def _suggestion_rows(self, chat_id: int, article_ids: Sequence[str], exclude: Sequence[str]) -> Rows:
        if self.suggester is None or not article_ids:
            return []
        asks = await asyncio.to_thread(self.suggester.suggest, list(article_ids), set(exclude))
        return self.ask_rows(chat_id, asks, [texts.question_button(q) for _, q in asks])

    async def _attach(self, message: Message, chat_id: int, rows: Rows, article_ids: Sequence[str],
                      exclude: Sequence[str]) -> None:
        try:
            extra = await self._suggestion_rows(chat_id, article_ids, exclude)
            if extra:
                await message.edit_reply_markup(_markup(rows + extra))
        except TelegramError as exc:  # the message may be gone; suggestions are a convenience
            log.info("could not add suggestions in chat %s: %s", chat_id, exc)
        except Exception:
            log.exception("suggestions failed in chat %s", chat_id)

    async def close(self) -> None:
        """Stop attaching suggestions (at shutdown: the store is about to close)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _markup(rows: Rows) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup(rows) if rows else None
