"""Admin commands: reload, add (URL or upload), articles, remove, stats, and the per-admin command menu.

Index changes run in a worker thread as background tasks: answers keep using the active snapshot and
the service swaps the new one in atomically, so nobody waits for an admin's reload.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from telegram import BotCommandScopeChat, BotCommandScopeDefault, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from retrieval.models import IngestReport

from . import metrics, texts
from .access import DailyBudget
from .context import KEY, LIMITER_KEY, deps
from .handlers import NEW, lang
from .markup import esc
from .replies import is_not_modified, reply_html

log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Ctx], Awaitable[None]]
T = TypeVar("T")
STATUS_EVERY = 1.0  # seconds between status edits: one chat, about one message per second
DOWNLOAD_TIMEOUT = 60.0


def admin_only(fn: Handler) -> Handler:
    """Non-admins get a clear refusal and nothing else happens."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: Ctx) -> None:
        user = update.effective_user
        if not deps(context).access.is_admin(user.id if user else None):
            await reply_html(update.effective_message, texts.ADMINS_ONLY(lang(update, context)))
            return
        await fn(update, context)

    return wrapper


class Status:
    """One status message, edited as background work reports progress from its thread."""

    def __init__(self, message: Message, verb: str, lang: texts.Lang = "en") -> None:
        self.message, self.verb, self.lang = message, verb, lang
        self.stage, self.done, self.total = "", 0, 0
        self.shown = message.text_html or ""
        self.started = time.monotonic()

    def progress(self, stage: str, done: int, total: int) -> None:
        # Called from the worker thread: plain attribute writes, read by the event loop below.
        self.stage, self.done, self.total = stage, done, total

    async def show(self, html: str) -> None:
        if html == self.shown:
            return
        self.shown = html
        try:
            await self.message.edit_text(html, parse_mode=ParseMode.HTML)
        except BadRequest as exc:
            if not is_not_modified(exc):
                raise
        except TelegramError as exc:  # a lost progress edit must not fail the work itself
            log.warning("status edit failed: %s", exc)

    async def run(self, work: Callable[[Callable[[str, int, int], None]], T]) -> T:
        """Run `work(progress)` in a thread, editing the status message while it runs."""
        task = asyncio.ensure_future(asyncio.to_thread(work, self.progress))
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=STATUS_EVERY)
                if not task.done():
                    await self.show(texts.progress(self.verb, self.stage, self.done, self.total,
                                                   time.monotonic() - self.started, self.lang))
            return task.result()
        except BaseException:
            await self.show(texts.JOB_STOPPED(self.lang, verb=self.verb))
            raise


async def _index_job(message: Message, verbs: tuple[texts.Text, texts.Text], lang: texts.Lang,
                     work: Callable[[Callable[[str, int, int], None]], IngestReport], kind: str) -> None:
    verb, done_verb = (v(lang) for v in verbs)
    status = Status(await _status_message(message, f"{verb}…"), verb, lang)
    started = time.monotonic()
    report = await status.run(work)
    metrics.INGEST.labels(kind).observe(time.monotonic() - started)
    await status.show(texts.report(done_verb, report, lang))


async def _status_message(message: Message, text: str) -> Message:
    return await message.reply_text(text, do_quote=True)


def _background(context: Ctx, update: Update, coro: Awaitable[None], name: str) -> None:
    # Errors of the task reach the error handler with this update, so the admin hears about them.
    context.application.create_task(coro, update=update, name=name)


@admin_only
async def reload(update: Update, context: Ctx) -> None:
    """/reload: re-read every source and swap the index atomically, reporting what changed."""
    d = deps(context)
    # A name that was public when added may point at a private address by now: the same check as /add.
    _background(context, update, _index_job(
        update.effective_message, texts.RELOADING, lang(update, context),
        lambda progress: d.service.reload(progress=progress, allow_private=d.config.allow_private_urls), "reload"), "reload")


@admin_only
async def add(update: Update, context: Ctx) -> None:
    """/add URL: fetch a page (public addresses only, unless allowed) and index it."""
    if not context.args:
        await reply_html(update.effective_message, texts.ADD_USAGE(lang(update, context)))
        return
    urls = list(context.args)
    d = deps(context)
    # A chat may name web pages only, never a file or directory on this machine.
    _background(context, update, _index_job(
        update.effective_message, texts.ADDING, lang(update, context),
        lambda progress: d.service.ingest(urls, urls_only=True, allow_private=d.config.allow_private_urls,
                                          progress=progress), "add"), "add")


@admin_only
async def upload(update: Update, context: Ctx) -> None:
    """An uploaded .txt/.md/.html/.jsonl document: download it (size-limited) and index its articles."""
    d, said = deps(context), lang(update, context)
    doc = update.effective_message.document
    name = Path(doc.file_name or "upload.txt").name
    if not name.lower().endswith(texts.UPLOAD_TYPES):
        await reply_html(update.effective_message, texts.UPLOAD_TYPE_REFUSED(said, types=", ".join(texts.UPLOAD_TYPES)))
        return
    limit = d.config.max_upload_bytes
    if doc.file_size and doc.file_size > limit:
        await reply_html(update.effective_message, texts.UPLOAD_TOO_LARGE(said, mb=limit // 1_000_000))
        return
    file = await doc.get_file()
    data = bytes(await asyncio.wait_for(file.download_as_bytearray(), DOWNLOAD_TIMEOUT))
    if len(data) > limit:  # file_size is only what the client claimed
        await reply_html(update.effective_message, texts.UPLOAD_TOO_LARGE(said, mb=limit // 1_000_000))
        return
    _background(context, update, _index_job(
        update.effective_message, texts.ADDING, said,
        lambda progress: d.service.ingest_document(name, data, progress=progress), "upload"), "upload")


@admin_only
async def remove(update: Update, context: Ctx) -> None:
    """/remove ID: drop one article; the index swaps atomically without it."""
    if not context.args:
        await reply_html(update.effective_message, texts.REMOVE_USAGE(lang(update, context)))
        return
    info = await asyncio.to_thread(deps(context).service.remove, context.args[0])
    await reply_html(update.effective_message, texts.REMOVED(lang(update, context), id=esc(info.id),
                                                             title=esc(info.title), chunks=info.chunks))


WINDOW_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def window_seconds(text: str) -> float | None:
    """"7d", "24h", "30m", "2w" in seconds; None for anything else."""
    m = re.fullmatch(r"\s*(\d{1,6})\s*([mhdw])\s*", text.lower())
    return int(m.group(1)) * WINDOW_UNITS[m.group(2)] if m and int(m.group(1)) > 0 else None


@admin_only
async def stats(update: Update, context: Ctx) -> None:
    """/stats [7d]: users, questions, answers by mode, refusals, latency and tokens (all time, or in the
    window), and the flood limiter's counters since start."""
    said, window = lang(update, context), " ".join(context.args or [])
    seconds = window_seconds(window) if window else None
    if window and seconds is None:
        await reply_html(update.effective_message, texts.STATS_USAGE(said))
        return
    d, limiter = deps(context), context.application.bot_data.get(LIMITER_KEY)
    usage = d.store.stats(time.time() - seconds if seconds else None)
    limits = (d.config.daily_questions, d.config.daily_llm_tokens)
    budget = (*limits, d.store.users_at_limit(DailyBudget.day_start(), *limits, exempt=sorted(d.access.admins)))
    await reply_html(update.effective_message, texts.stats(usage, said, window.strip(),
                                                           limiter.stats() if limiter else None, budget))


async def publish_commands(app: Application) -> None:
    """User commands for everyone; admins additionally see theirs (in their private chats). Each menu is
    set in Korean and English (Telegram shows the one for the app's language) and, for apps in any other
    language, in the default language."""
    d = app.bot_data[KEY]
    menus = [(None, d.config.default_language)] + [(code, code) for code in texts.LANGUAGES]
    for code, lang in menus:
        await app.bot.set_my_commands(texts.commands(lang), scope=BotCommandScopeDefault(), language_code=code)
    for admin_id in sorted(d.access.admins):
        try:
            for code, lang in menus:
                await app.bot.set_my_commands(texts.commands(lang, admin=True), scope=BotCommandScopeChat(admin_id),
                                              language_code=code)
        except TelegramError as exc:  # e.g. the admin never opened a chat with the bot
            log.warning("could not set the admin command menu for %s: %s", admin_id, exc)


def register(app: Application) -> None:
    for name, fn in (("reload", reload), ("add", add), ("remove", remove), ("stats", stats)):
        app.add_handler(CommandHandler(name, fn, filters=NEW))
    app.add_handler(MessageHandler(NEW & filters.ChatType.PRIVATE & filters.Document.ALL, upload))
