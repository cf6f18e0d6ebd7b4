"""Everything the bot says that is not an answer, in one place (HTML, escaped where it quotes data)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import BotCommand
from telegram.error import TelegramError, TimedOut

from retrieval.errors import (
    ArticlebotError,
    ArticleNotFound,
    InputError,
    LLMUnavailable,
    SourceError,
    StoreUnavailable,
)
from retrieval.models import ArticleInfo, IngestReport

from .access import RateLimited
from .conversation import Busy
from .render import esc, link

USER_COMMANDS = [
    BotCommand("start", "What I know and how to ask"),
    BotCommand("help", "How to use this bot"),
    BotCommand("ask", "Ask a question (use this in groups)"),
    BotCommand("sources", "The excerpts behind my last answer"),
    BotCommand("reset", "Forget this chat's conversation"),
    BotCommand("cancel", "Stop the answer in progress"),
]
ADMIN_COMMANDS = [
    BotCommand("reload", "Re-read every source and swap the index"),
    BotCommand("add", "Add an article from a URL"),
    BotCommand("articles", "List the indexed articles"),
    BotCommand("remove", "Remove an article by id"),
    BotCommand("stats", "Usage statistics"),
]

HOW_TO_ASK = (
    "Ask me anything about these articles, in Korean or English. I answer only from the articles and "
    "mark each claim with [n]; press <b>Sources</b> (or send /sources) to read the excerpts.\n"
    "Follow-up questions work: I remember the last few exchanges in this chat (/reset forgets them).\n"
    "In a group, mention me, reply to my message, or use /ask your question."
)
HELP = (
    "<b>Commands</b>\n"
    "/ask <i>question</i> — ask (any text message works in a private chat)\n"
    "/sources — the excerpts behind my last answer\n"
    "/reset — forget this chat's conversation\n"
    "/cancel — stop the answer in progress\n\n" + HOW_TO_ASK
)
ADMIN_HELP = (
    "\n\n<b>Admin</b>\n/reload — re-read every source\n/add <i>URL</i> — add an article (or upload a "
    ".txt/.md/.html/.jsonl file)\n/articles — list articles\n/remove <i>ID</i> — remove one\n/stats — usage"
)
ADMINS_ONLY = "Sorry, that is for admins only."
PRIVATE_BOT = "Sorry, this bot is private."
TEXT_ONLY = "I can only read text. Please type your question."
UNKNOWN_COMMAND = "I don't know that command. /help lists what I can do; to ask, just send your question."
EMPTY_QUESTION = "What would you like to know? Write the question after /ask, or just send it as a message."
NO_ANSWER_YET = "There is no answer in this chat yet, so no sources to show."
SOURCES_GONE = "Those sources are no longer available."
RESET_DONE = "Done: I forgot this chat's conversation."
NOTHING_TO_CANCEL = "Nothing to cancel: I'm not answering anything here."
CANCELLED = "Stopped."
ADD_USAGE = "Usage: /add https://example.com/article — or upload a .txt, .md, .html or .jsonl file."
REMOVE_USAGE = "Usage: /remove ID (see /articles for the ids)."
UPLOAD_TYPES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")


def welcome(articles: Sequence[ArticleInfo], admin: bool) -> str:
    shown = "\n".join(f"• {esc(a.title or a.id)}" for a in articles[:30])
    more = f"\n… and {len(articles) - 30} more" if len(articles) > 30 else ""
    known = f"I know {len(articles)} article(s):\n{shown}{more}" if articles else "No articles are indexed yet."
    return f"Hello! {known}\n\n{HOW_TO_ASK}" + (ADMIN_HELP if admin else "")


def articles_list(articles: Sequence[ArticleInfo]) -> str:
    if not articles:
        return "No articles are indexed."
    lines = [f"<b>{len(articles)} article(s)</b>"]
    for a in articles:
        lines.append(f"<code>{esc(a.id)}</code> {esc(a.title)} ({a.chunks} chunks){link(a.url)}")
    return "\n".join(lines)


def report(verb: str, rep: IngestReport) -> str:
    text = f"{verb}: {esc(rep.summary())}."
    for problem in rep.failures[:10]:
        text += f"\n• skipped: {esc(problem)}"
    return text


def progress(verb: str, stage: str, done: int, total: int, seconds: float) -> str:
    if not stage:
        return f"{verb}… ({seconds:.0f} s)"
    return f"{verb}… {esc(stage)} {done}/{total} ({seconds:.0f} s)"


def stats(s: dict[str, Any]) -> str:
    modes = ", ".join(f"{k}: {v}" for k, v in sorted(s["answers_by_mode"].items())) or "none"

    def ms(v: float | None) -> str:
        return "–" if v is None else f"{v / 1000:.2f} s"

    return (f"<b>Usage</b>\nUsers: {s['users']} in {s['chats']} chat(s)\nQuestions: {s['questions']}\n"
            f"Answers by mode: {modes}\nRefusals (not in the articles): {s['refusals']}\n"
            f"Errors: {s['errors']}, cancelled: {s['cancelled']}\n"
            f"Latency p50 {ms(s['latency_p50_ms'])}, p95 {ms(s['latency_p95_ms'])}\n"
            f"LLM tokens: {s['prompt_tokens']} prompt + {s['completion_tokens']} completion")


def _said(exc: BaseException, limit: int = 1500) -> str:
    """An error's own words, escaped and short enough for one Telegram message."""
    text = str(exc)
    return esc(text if len(text) <= limit else text[:limit] + "…")


def error(exc: BaseException | None) -> str:
    """What to tell the user about a failure: useful, and never internals."""
    if isinstance(exc, Busy):
        return "I'm still answering the previous question here. Please wait for it, or send /cancel."
    if isinstance(exc, RateLimited):
        return f"You're asking faster than I can keep up. Please try again in {exc.retry_after:.0f} s."
    if isinstance(exc, InputError):
        return f"Sorry, I can't take that: {_said(exc)}. Please ask something shorter or more specific."
    if isinstance(exc, StoreUnavailable):
        return "The article index is unavailable right now. Please try again in a minute."
    if isinstance(exc, LLMUnavailable):
        return "The language model is not answering right now. Please try again in a minute."
    if isinstance(exc, ArticleNotFound):
        said = _said(exc)  # capitalize() would lowercase the id
        return f"{said[:1].upper()}{said[1:]}. /articles lists the ids."
    if isinstance(exc, SourceError):
        return f"That did not work: {_said(exc)}"
    if isinstance(exc, ArticlebotError):
        return f"Sorry: {_said(exc)}"
    if isinstance(exc, TimedOut):  # unlike a refusal, the reply may well have arrived (it is not resent)
        return ("Telegram did not confirm my reply in time, so it may not have reached you. "
                "If it did not, please ask again.")
    if isinstance(exc, TelegramError):
        return "Sorry, Telegram did not accept my reply. Please try again."
    return "Sorry, something went wrong on my side (it has been logged). Please try again."


def llm_state(state: str) -> str:
    """The LLM circuit breaker's state, a line under /stats."""
    return f"\nLLM circuit: {esc(state)}"
