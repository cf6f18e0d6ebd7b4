"""User-facing handlers: each pulls its input, calls the conversation or the service, and replies."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, MessageEntity, ReplyParameters, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from retrieval.errors import ArticlebotError

from . import texts
from .access import addressed_text
from .context import deps
from .conversation import SOURCES_PREFIX, Question
from .render import sources_html
from .replies import reply_html, retrying
from .scope import Scope

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE
# New messages only: correcting a typo in a question already answered must not answer it twice.
NEW = filters.UpdateType.MESSAGE
KNOWN_COMMANDS = texts.COMMAND_NAMES


def lang(update: Update, context: Ctx) -> texts.Lang:
    """The language of this user's Telegram app (Korean or English), else the configured default."""
    user = update.effective_user
    return texts.language(user.language_code if user else None, deps(context).config.default_language)


async def gate(update: Update, context: Ctx) -> None:
    """Stop updates from outside the allow-lists, and updates delivered again, before any handler sees them."""
    d = deps(context)
    if not d.store.first_delivery(context.bot.id, update.update_id):
        log.info("update %s was delivered again; skipped", update.update_id)
        raise ApplicationHandlerStop
    if d.access.allows(update):
        return
    chat = update.effective_chat
    if update.callback_query:
        await update.callback_query.answer(texts.PRIVATE_BOT(lang(update, context)))
    elif chat and chat.type == ChatType.PRIVATE and update.effective_message:
        await update.effective_message.reply_text(texts.PRIVATE_BOT(lang(update, context)))
    raise ApplicationHandlerStop


async def start(update: Update, context: Ctx) -> None:
    """/start: which articles the bot knows and how to ask."""
    d = deps(context)
    articles = await asyncio.to_thread(d.catalog.articles)  # may open the index on first use
    focus, _ = await asyncio.to_thread(d.catalog.focus, update.effective_chat.id)
    admin = d.access.is_admin(update.effective_user.id if update.effective_user else None)
    message = update.effective_message

    async def send(markup: InlineKeyboardMarkup | None) -> Message:
        return await retrying(partial(message.reply_html, texts.welcome(articles, admin, lang(update, context), focus), do_quote=True,
                                      reply_markup=markup, link_preview_options=LinkPreviewOptions(is_disabled=True)))

    scope = Scope(focus.id if focus else None, focused=focus is not None)
    await d.catalog.send(message.chat.id, send, [], await asyncio.to_thread(d.catalog.suggestion_articles, scope))


async def help_command(update: Update, context: Ctx) -> None:
    """/help: the commands and how to ask."""
    admin = deps(context).access.is_admin(update.effective_user.id if update.effective_user else None)
    await reply_html(update.effective_message, texts.help_text(lang(update, context), admin))


async def reset(update: Update, context: Ctx) -> None:
    """/reset: forget this chat's history (and stop an answer in flight)."""
    deps(context).conversations.reset(update.effective_chat.id)
    await reply_html(update.effective_message, texts.RESET_DONE(lang(update, context)))


async def cancel(update: Update, context: Ctx) -> None:
    """/cancel: stop this chat's answer in flight."""
    stopped = deps(context).conversations.cancel(update.effective_chat.id)
    said = texts.CANCELLED if stopped else texts.NOTHING_TO_CANCEL
    await reply_html(update.effective_message, said(lang(update, context)))


async def sources(update: Update, context: Ctx) -> None:
    """/sources: the cited excerpts behind this chat's last answer."""
    cited = deps(context).store.citations(update.effective_chat.id)
    await reply_html(update.effective_message, sources_html(cited, lang(update, context)) if cited is not None
                     else texts.NO_ANSWER_YET(lang(update, context)))


async def sources_button(update: Update, context: Ctx) -> None:
    """The Sources button under an answer: send that answer's excerpts as a reply to it."""
    query = update.callback_query
    message = query.message  # None or inaccessible when the answer is too old
    answer_id = (query.data or "").removeprefix(SOURCES_PREFIX)
    cited = None
    if isinstance(message, Message) and answer_id.isdecimal() and len(answer_id) < 19:
        cited = deps(context).store.citations(message.chat.id, int(answer_id))
    if cited is None:
        await query.answer(texts.SOURCES_GONE(lang(update, context)))
        return
    await query.answer()
    await reply_html(message, sources_html(cited, lang(update, context)))


async def question(update: Update, context: Ctx) -> None:
    """Any text message: a question (in groups only when the bot is mentioned or replied to)."""
    message = update.effective_message
    if message.chat.type == ChatType.PRIVATE:
        text: str | None = message.text
    else:
        text = addressed_text(message, context.bot.id, context.bot.username)
        if text is None:
            return  # group chatter that is not meant for the bot
    await _ask(update, context, text or "")


async def ask_command(update: Update, context: Ctx) -> None:
    """/ask QUESTION: a question, the way to address the bot in groups."""
    parts = (update.effective_message.text or "").split(maxsplit=1)  # keeps the question's own line breaks
    await _ask(update, context, parts[1] if len(parts) > 1 else "")


async def _ask(update: Update, context: Ctx, text: str) -> None:
    message = update.effective_message
    if not text.strip():
        await reply_html(message, texts.EMPTY_QUESTION(lang(update, context)))
        return
    q = Question(chat_id=message.chat.id, text=text, user_id=update.effective_user.id if update.effective_user else None,
                 message_id=message.message_id, private=message.chat.type == ChatType.PRIVATE,
                 thread_id=message.message_thread_id if message.is_topic_message else None,
                 update_id=update.update_id, lang=lang(update, context))
    await deps(context).conversations.ask(context.bot, q)


class UnknownCommand(filters.MessageFilter):
    """A /command this bot does not have (or one addressed to another bot)."""

    def filter(self, message: Message) -> bool:
        first = message.entities[0] if message.entities else None
        if first is None or first.type != MessageEntity.BOT_COMMAND or first.offset != 0 or not message.text:
            return False
        name, _, to = message.text[1:first.length].partition("@")
        return name.lower() not in KNOWN_COMMANDS or bool(to) and to.lower() != message.get_bot().username.lower()


async def unknown_command(update: Update, context: Ctx) -> None:
    """A command we do not know, in a private chat: say so instead of staying silent."""
    await reply_html(update.effective_message, texts.UNKNOWN_COMMAND(lang(update, context)))


async def not_text(update: Update, context: Ctx) -> None:
    """Stickers, photos, voice and the like: say that only text works."""
    await reply_html(update.effective_message, texts.TEXT_ONLY(lang(update, context)))


async def on_error(update: object, context: Ctx) -> None:
    """The one error handler: log first, then tell the user something useful without internals."""
    exc = context.error
    where = update.update_id if isinstance(update, Update) else "-"
    if isinstance(exc, ArticlebotError):
        log.warning("update %s: %s: %s", where, type(exc).__name__, exc)
    elif isinstance(exc, (NetworkError, RetryAfter)):
        log.warning("update %s: Telegram API problem: %s", where, exc)  # PTB retries polling itself
    else:
        log.error("update %s failed", where, exc_info=exc)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.callback_query:
        try:
            await update.callback_query.answer()
        except TelegramError:
            pass
    message = update.effective_message
    try:
        await retrying(partial(
            context.bot.send_message, update.effective_chat.id, texts.error(exc, lang(update, context)),
            parse_mode=ParseMode.HTML,
            reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True) if message else None))
    except TelegramError as send_exc:
        log.warning("could not tell chat %s about the error: %s", update.effective_chat.id, send_exc)


def register(app: Application) -> None:
    """Attach the user handlers (the gate runs first, in its own group)."""
    app.add_handler(TypeHandler(Update, gate), group=-1)
    for name, fn in (("start", start), ("help", help_command), ("reset", reset), ("cancel", cancel),
                     ("sources", sources), ("ask", ask_command)):
        app.add_handler(CommandHandler(name, fn, filters=NEW))
    app.add_handler(CallbackQueryHandler(sources_button, pattern=f"^{SOURCES_PREFIX}"))
    app.add_handler(MessageHandler(NEW & filters.TEXT & ~filters.COMMAND, question))
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.Document.ALL & ~filters.StatusUpdate.ALL
    app.add_handler(MessageHandler(NEW & filters.ChatType.PRIVATE & other, not_text))
    # Its own group: it must not shadow the admin commands registered after this.
    app.add_handler(MessageHandler(NEW & filters.ChatType.PRIVATE & UnknownCommand(), unknown_command), group=1)
