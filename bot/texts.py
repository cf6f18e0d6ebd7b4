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
from .render import esc, link, title_link

USER_COMMANDS = [
    BotCommand("start", "What I know and how to ask"),
    BotCommand("help", "How to use this bot"),
    BotCommand("ask", "Ask a question (use this in groups)"),
    BotCommand("articles", "Choose the article to ask about"),
    BotCommand("all", "Ask about all articles again"),
    BotCommand("sources", "The excerpts behind my last answer"),
    BotCommand("reset", "Forget this chat's conversation"),
    BotCommand("cancel", "Stop the answer in progress"),
]
ADMIN_COMMANDS = [
    BotCommand("reload", "Re-read every source and swap the index"),
    BotCommand("add", "Add an article from a URL"),
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
    "/articles — choose the article I answer from (the buttons under a list page through it)\n"
    "/all — answer from all articles again\n"
    "/sources — the excerpts behind my last answer\n"
    "/reset — forget this chat's conversation\n"
    "/cancel — stop the answer in progress\n\n" + HOW_TO_ASK + "\n"
    "In a group the chosen article holds for the whole group, and only the group's admins (or the bot's "
    "admins) may change it."
)
ADMIN_HELP = (
    "\n\n<b>Admin</b>\n/reload — re-read every source\n/add <i>URL</i> — add an article (or upload a "
    ".txt/.md/.html/.jsonl file)\n/remove <i>ID</i> — remove one\n/stats — usage"
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


def welcome(articles: Sequence[ArticleInfo], admin: bool, focus: ArticleInfo | None = None) -> str:
    shown = "\n".join(f"• {esc(a.title or a.id)}" for a in articles[:WELCOME_SHOWN])
    more = f"\n… and {len(articles) - WELCOME_SHOWN} more" if len(articles) > WELCOME_SHOWN else ""
    known = f"I know {len(articles)} article(s):\n{shown}{more}" if articles else "No articles are indexed yet."
    if focus is not None:
        choose = f"\n\nThis chat asks about <b>{esc(focus.title or focus.id)}</b>; /all goes back to all articles."
    elif len(articles) > 1:
        choose = ("\n\nI answer from all of them and name the article each answer comes from. "
                  "To ask about one only, choose it with /articles.")
    elif articles:
        choose = "\n\n/articles shows it with its date; when there are more, you can choose one there."
    else:
        choose = ""
    return f"Hello! {known}{choose}\n\n{HOW_TO_ASK}" + (ADMIN_HELP if admin else "")


WELCOME_SHOWN = 10
SUGGESTED = "Suggested questions:"
ARTICLE_GONE = "That article is no longer available, so this chat now asks about all articles."
FOCUS_GONE = "(The article this chat had chosen was removed, so I answered from all articles.)"
OTHER_ARTICLE_QUESTION = "That question is about another article than the one this chat has chosen. /all or /articles."
QUESTION_GONE = "That question is no longer available."
ONLY_GROUP_ADMINS = "Only this group's admins can choose its article."
NO_ARTICLES = "No articles are indexed."


def article_date(a: ArticleInfo) -> str:
    """The publication date when known, else the day it was indexed (ISO dates cut to the day)."""
    return (a.published or a.indexed_at or "")[:10]


def articles_page(articles: Sequence[ArticleInfo], start: int, page: int, pages: int,
                  focus: ArticleInfo | None, admin: bool) -> str:
    """One page of /articles: numbered titles with dates (and ids for admins, for /remove)."""
    head = f"<b>{len(articles)} article(s)</b>" + (f" — page {page + 1} of {pages}" if pages > 1 else "")
    now = (f"Now asking about: <b>{esc(focus.title or focus.id)}</b> (/all for every article)" if focus
           else "Now asking about all articles. Press one to ask about it only.")
    lines = [head, now, ""]
    for n, a in enumerate(articles[start:start + PAGE_LINES], start + 1):
        when = f" — {esc(article_date(a))}" if article_date(a) else ""
        # Bounded, so 20 lines always fit one message (4,096 characters) that the pager can edit.
        ident = f"\n    <code>{esc(_short(a.id, 64))}</code> ({a.chunks} chunks)" if admin else ""
        lines.append(f"{n}. {title_link(_short(a.title or a.id, 90), a.url)}{when}{ident}")
    return "\n".join(lines)


PAGE_LINES = 20


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def article_button(n: int, a: ArticleInfo, chosen: bool) -> str:
    return f"{'✅ ' if chosen else ''}{n}. {_short(a.title or a.id, 48)}"


def question_button(question: str) -> str:
    return f"💬 {_short(question, 60)}"


def other_article_button(a: ArticleInfo) -> str:
    return f"📰 {_short(a.title or a.id, 56)}"


def chosen(a: ArticleInfo) -> str:
    return (f"Now I answer from <b>{esc(a.title or a.id)}</b> only{link(a.url)}.\n"
            "Ask away; /all goes back to every article.")


def all_articles(n: int) -> str:
    return f"Now I answer from all {n} article(s) again."


def answered_from(titles: Sequence[tuple[str, str]]) -> str:
    """The line under an answer naming its article(s): (title, url) pairs; titles link when there is a URL."""
    return "📰 " + "; ".join(title_link(t, u) for t, u in titles)


def asked(question: str) -> str:
    return f"❓ <b>{esc(question)}</b>"


def other_summaries() -> str:
    return "Several articles fit; this summary is of the one above. The others:"


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
