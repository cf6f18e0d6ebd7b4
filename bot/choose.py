"""Choosing what to ask about: /articles (paged, with buttons), /all, and the article and question buttons.

In a group the choice holds for the whole group, so only the group's admins (or the bot's) may change it.
Callback data is never trusted: a malformed button is ignored, an unknown article or question is said to
be gone, and a stored question is only found in the chat it was shown in.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from retrieval.models import ArticleInfo

from . import texts
from .context import deps
from .conversation import Question
from .handlers import NEW, lang
from .scope import ASK_PREFIX, CHOOSE_PREFIX, PAGE_PREFIX, article_key
from .replies import is_not_modified, reply_html, retrying

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE
_KEY = re.compile(r"[0-9a-f]{16}")
_NUMBER = re.compile(r"\d{1,9}")
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def may_choose(update: Update, context: Ctx) -> bool:
    """Anyone in a private chat; in a group, its admins (an anonymous admin posts as the group) and bot admins."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    if user is not None and deps(context).access.is_admin(user.id):
        return True
    message = update.message
    if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.info("could not check %s's rights in chat %s: %s", user.id, chat.id, exc)
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def page_of(articles: list[ArticleInfo], page: int, focus: ArticleInfo | None, admin: bool,
            language: texts.Lang = "en") -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of one /articles page (page numbers are clamped to what exists)."""
    if not articles:
        return texts.NO_ARTICLES(language), None
    pages = math.ceil(len(articles) / texts.PAGE_LINES)
    page = min(max(page, 0), pages - 1)
    start = page * texts.PAGE_LINES
    rows = [[InlineKeyboardButton(texts.article_button(n, a, focus is not None and a.id == focus.id),
                                  callback_data=f"{CHOOSE_PREFIX}{article_key(a.id)}")]
            for n, a in enumerate(articles[start:start + texts.PAGE_LINES], start + 1)]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(InlineKeyboardButton(texts.PREVIOUS(language), callback_data=f"{PAGE_PREFIX}{page - 1}"))
        if page < pages - 1:
            nav.append(InlineKeyboardButton(texts.NEXT(language), callback_data=f"{PAGE_PREFIX}{page + 1}"))
        rows.append(nav)
    return texts.articles_page(articles, start, page, pages, focus, admin, language), InlineKeyboardMarkup(rows)


def _admin(update: Update, context: Ctx) -> bool:
    return deps(context).access.is_admin(update.effective_user.id if update.effective_user else None)


async def articles(update: Update, context: Ctx) -> None:
    """/articles: the first page of the articles, each a button that makes it this chat's article."""
    catalog = deps(context).catalog
    items = await asyncio.to_thread(catalog.articles)
    focus, _ = await asyncio.to_thread(catalog.focus, update.effective_chat.id)
    html, markup = page_of(items, 0, focus, _admin(update, context), lang(update, context))
    await retrying(lambda: update.effective_message.reply_html(html, reply_markup=markup, do_quote=True,
                                                               link_preview_options=NO_PREVIEW))


async def page_button(update: Update, context: Ctx) -> None:
    """‹ Previous / Next ›: show another page in the same message."""
    query = update.callback_query
    number = (query.data or "").removeprefix(PAGE_PREFIX)
    if not _NUMBER.fullmatch(number) or not isinstance(query.message, Message):
        await query.answer()  # forged or too old: nothing to do
        return
    catalog = deps(context).catalog
    items = await asyncio.to_thread(catalog.articles)
    focus, _ = await asyncio.to_thread(catalog.focus, query.message.chat.id)
    html, markup = page_of(items, int(number), focus, _admin(update, context), lang(update, context))
    await query.answer()
    try:
        await query.message.edit_text(html, parse_mode=ParseMode.HTML, reply_markup=markup,
                                      link_preview_options=NO_PREVIEW)
    except BadRequest as exc:
        if not is_not_modified(exc):
            raise


async def choose_button(update: Update, context: Ctx) -> None:
    """An article's button: make it this chat's article, then suggest questions about it."""
    query = update.callback_query
    key = (query.data or "").removeprefix(CHOOSE_PREFIX)
    if not _KEY.fullmatch(key) or not isinstance(query.message, Message):
        await query.answer()
        return
    if not await may_choose(update, context):
        await query.answer(texts.ONLY_GROUP_ADMINS(lang(update, context)), show_alert=True)
        return
    d, chat_id = deps(context), query.message.chat.id
    info = await asyncio.to_thread(d.catalog.by_key, key)
    if info is None:
        d.store.set_focus(chat_id, None)
        await query.answer(texts.ARTICLE_GONE(lang(update, context)), show_alert=True)
        return
    d.store.set_focus(chat_id, info.id)
    await query.answer()
    await _announce(query.message, context, texts.chosen(info, lang(update, context)), [info.id])


async def all_command(update: Update, context: Ctx) -> None:
    """/all: answer from every article again."""
    if not await may_choose(update, context):
        await reply_html(update.effective_message, texts.ONLY_GROUP_ADMINS(lang(update, context)))
        return
    d = deps(context)
    d.store.set_focus(update.effective_chat.id, None)
    items = await asyncio.to_thread(d.catalog.articles)
    await reply_html(update.effective_message, texts.all_articles(len(items), lang(update, context)))


async def ask_button(update: Update, context: Ctx) -> None:
    """A suggested question (or another article for a summary): ask it in its article."""
    query = update.callback_query
    number = (query.data or "").removeprefix(ASK_PREFIX)
    message = query.message
    if not _NUMBER.fullmatch(number) or not isinstance(message, Message):
        await query.answer()
        return
    d = deps(context)
    stored = d.store.ask_of(message.chat.id, int(number))
    if stored is None:
        await query.answer(texts.QUESTION_GONE(lang(update, context)))
        return
    article_id, question = stored
    focus = d.store.focus(message.chat.id)
    if await asyncio.to_thread(d.catalog.by_id, article_id) is None:
        if focus == article_id:
            d.store.set_focus(message.chat.id, None)
        await query.answer(texts.ARTICLE_GONE(lang(update, context)), show_alert=True)
        return
    if focus is not None and focus != article_id:
        await query.answer(texts.OTHER_ARTICLE_QUESTION(lang(update, context)), show_alert=True)
        return
    await query.answer()
    q = Question(chat_id=message.chat.id, text=question, user_id=query.from_user.id, message_id=message.message_id,
                 private=message.chat.type == ChatType.PRIVATE,
                 thread_id=message.message_thread_id if message.is_topic_message else None,
                 lang=lang(update, context), article_id=article_id, from_button=True)
    await d.conversations.ask(context.bot, q)


async def _announce(message: Message, context: Ctx, html: str, article_ids: list[str]) -> None:
    """Send `html` in the chat of `message` with suggested questions about `article_ids`."""
    catalog = deps(context).catalog

    async def send(markup: InlineKeyboardMarkup | None) -> Message:
        return await retrying(lambda: context.bot.send_message(
            message.chat.id, html, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW,
            message_thread_id=message.message_thread_id if message.is_topic_message else None))

    await catalog.send(message.chat.id, send, [], article_ids)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("articles", articles, filters=NEW))
    app.add_handler(CommandHandler("all", all_command, filters=NEW))
    app.add_handler(CallbackQueryHandler(page_button, pattern=f"^{PAGE_PREFIX}"))
    app.add_handler(CallbackQueryHandler(choose_button, pattern=f"^{CHOOSE_PREFIX}"))
    app.add_handler(CallbackQueryHandler(ask_button, pattern=f"^{ASK_PREFIX}"))
