"""Everything the bot says that is not an answer, in Korean and English (HTML, escaped where it quotes data).

This module holds the menu, the fixed messages and the errors; `articles` the choosing of articles and
suggestions, `usage` the admin jobs and /stats. All of them are read as `texts.NAME`.

One small typed table rather than gettext catalogs: two languages, every message written next to its
translation, and no compile step or .mo files to ship. A `Text` needs both languages, so a message
without its translation fails at import, not in front of a user. `language()` picks one per user from
Telegram's `language_code`; answers themselves (refusals, notes) follow the question's language.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from retrieval.models import ArticleInfo

from ..access import Busy, OverBudget, RateLimited
from ..markup import esc
from .base import LANGUAGES, Lang, Text, language  # noqa: F401  (texts.Lang, texts.language)

# ----- the command menu -------------------------------------------------------------------------
_USER_COMMANDS = {
    "start": Text("What I know and how to ask", "무엇을 아는지, 어떻게 묻는지"),
    "help": Text("How to use this bot", "사용 방법"),
    "ask": Text("Ask a question (use this in groups)", "질문하기 (그룹에서는 이것으로)"),
    "articles": Text("Choose the article to ask about", "질문할 기사 고르기"),
    "all": Text("Ask about all articles again", "다시 모든 기사에 대해 묻기"),
    "sources": Text("The excerpts behind my last answer", "마지막 답변의 근거 발췌문"),
    "reset": Text("Forget this chat's conversation", "이 대화 잊기"),
    "cancel": Text("Stop the answer in progress", "작성 중인 답변 멈추기"),
}
_ADMIN_COMMANDS = {
    "reload": Text("Re-read every source and swap the index", "모든 출처를 다시 읽어 색인 교체"),
    "add": Text("Add an article from a URL", "URL로 기사 추가"),
    "remove": Text("Remove an article by id", "ID로 기사 삭제"),
    "stats": Text("Usage statistics (/stats 7d)", "사용 통계 (/stats 7d)"),
}
COMMAND_NAMES = set(_USER_COMMANDS) | set(_ADMIN_COMMANDS)


def commands(lang: Lang, admin: bool = False) -> list[BotCommand]:
    """The menu: user commands, and the admin commands after them for admins."""
    table = {**_USER_COMMANDS, **(_ADMIN_COMMANDS if admin else {})}
    return [BotCommand(name, text(lang)) for name, text in table.items()]


# ----- fixed messages ---------------------------------------------------------------------------
HOW_TO_ASK = Text(
    "Ask me anything about these articles, in Korean or English. I answer only from the articles and "
    "mark each claim with [n]; press <b>Sources</b> (or send /sources) to read the excerpts.\n"
    "Follow-up questions work: I remember the last few exchanges in this chat (/reset forgets them).\n"
    "In a group, mention me, reply to my message, or use /ask your question.",
    "이 기사들에 대해 한국어나 영어로 무엇이든 물어보세요. 기사에 있는 내용으로만 답하고 주장마다 [n]을 "
    "붙입니다. <b>출처</b> 버튼(또는 /sources)을 누르면 발췌문을 볼 수 있습니다.\n"
    "이어지는 질문도 됩니다. 이 대화의 최근 몇 차례를 기억합니다(/reset으로 잊기).\n"
    "그룹에서는 저를 멘션하거나, 제 메시지에 답장하거나, /ask 질문 으로 물어보세요.",
)
COMMANDS_HELP = Text(
    "<b>Commands</b>\n"
    "/ask <i>question</i> — ask (any text message works in a private chat)\n"
    "/articles — choose the article I answer from (the buttons under a list page through it)\n"
    "/all — answer from all articles again\n"
    "/sources — the excerpts behind my last answer\n"
    "/reset — forget this chat's conversation\n"
    "/cancel — stop the answer in progress\n"
    "In a group the chosen article holds for the whole group, and only the group's admins (or the bot's "
    "admins) may change it.",
    "<b>명령어</b>\n"
    "/ask <i>질문</i> — 질문하기 (개인 대화에서는 그냥 메시지를 보내도 됩니다)\n"
    "/articles — 답할 기사 고르기 (목록 아래 버튼으로 넘겨 봅니다)\n"
    "/all — 다시 모든 기사에서 답하기\n"
    "/sources — 마지막 답변의 근거 발췌문\n"
    "/reset — 이 대화 잊기\n"
    "/cancel — 작성 중인 답변 멈추기\n"
    "그룹에서는 고른 기사가 그룹 전체에 적용되며, 그룹 관리자(또는 봇 관리자)만 바꿀 수 있습니다.",
)
ADMIN_HELP = Text(
    "\n\n<b>Admin</b>\n/reload — re-read every source\n/add <i>URL</i> — add an article (or upload a "
    ".txt/.md/.html/.jsonl file)\n/remove <i>ID</i> — remove one\n"
    "/stats [<i>7d</i>] — usage, all time or in a window",
    "\n\n<b>관리자</b>\n/reload — 모든 출처 다시 읽기\n/add <i>URL</i> — 기사 추가 (.txt/.md/.html/.jsonl "
    "파일을 올려도 됩니다)\n/remove <i>ID</i> — 기사 삭제\n"
    "/stats [<i>7d</i>] — 사용 통계, 전체 또는 기간별",
)
ADMINS_ONLY = Text("Sorry, that is for admins only.", "죄송합니다. 관리자만 쓸 수 있는 명령입니다.")
PRIVATE_BOT = Text("Sorry, this bot is private.", "죄송합니다. 비공개 봇입니다.")
TEXT_ONLY = Text("I can only read text. Please type your question.", "글만 읽을 수 있습니다. 질문을 글로 써 주세요.")
UNKNOWN_COMMAND = Text(
    "I don't know that command. /help lists what I can do; to ask, just send your question.",
    "모르는 명령입니다. /help에서 할 수 있는 일을 보세요. 질문은 그냥 보내시면 됩니다.")
EMPTY_QUESTION = Text(
    "What would you like to know? Write the question after /ask, or just send it as a message.",
    "무엇이 궁금하신가요? /ask 뒤에 질문을 쓰거나 그냥 메시지로 보내 주세요.")
NO_ANSWER_YET = Text("There is no answer in this chat yet, so no sources to show.",
                     "이 대화에는 아직 답변이 없어 보여 드릴 출처가 없습니다.")
SOURCES_GONE = Text("Those sources are no longer available.", "그 출처는 더 이상 볼 수 없습니다.")
RESET_DONE = Text("Done: I forgot this chat's conversation.", "이 대화를 잊었습니다.")
NOTHING_TO_CANCEL = Text("Nothing to cancel: I'm not answering anything here.",
                         "멈출 답변이 없습니다. 지금 작성 중인 답변이 없어요.")
CANCELLED = Text("Stopped.", "멈췄습니다.")
STOPPED_NOTE = Text("(stopped)", "(중단됨)")
ADD_USAGE = Text("Usage: /add https://example.com/article — or upload a .txt, .md, .html or .jsonl file.",
                 "사용법: /add https://example.com/article — 또는 .txt, .md, .html, .jsonl 파일을 올려 주세요.")
REMOVE_USAGE = Text("Usage: /remove ID (see /articles for the ids).", "사용법: /remove ID (ID는 /articles에서 확인)")
STATS_USAGE = Text("Usage: /stats, or /stats 7d (also 24h, 30m, 2w).",
                   "사용법: /stats 또는 /stats 7d (24h, 30m, 2w도 됩니다)")
UPLOAD_TYPES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")
UPLOAD_TYPE_REFUSED = Text("I can add only {types} files.", "{types} 파일만 추가할 수 있습니다.")
UPLOAD_TOO_LARGE = Text("That file is too large (the limit is {mb} MB).", "파일이 너무 큽니다 (한도 {mb} MB).")
REMOVED = Text("Removed <code>{id}</code> ({title}, {chunks} chunks).",
               "<code>{id}</code> 삭제함 ({title}, 청크 {chunks}개).")
SOURCES = Text("Sources", "출처")
SOURCES_BUTTON = Text("📚 Sources", "📚 출처")
NO_SOURCES = Text("No sources: that answer did not cite any article.", "출처 없음: 그 답변은 기사를 인용하지 않았습니다.")
LINK = Text("link", "링크")
NEW_CONVERSATION = Text("(A new conversation: the last one was over {minutes} minutes ago.)",
                        "(새 대화로 시작합니다. 지난 대화가 {minutes}분 넘게 지났습니다.)")


# ----- messages built from data ------------------------------------------------------------------
def help_text(lang: Lang, admin: bool) -> str:
    return f"{COMMANDS_HELP(lang)}\n\n{HOW_TO_ASK(lang)}" + (ADMIN_HELP(lang) if admin else "")


WELCOME_SHOWN = 10
HELLO = Text("Hello!", "안녕하세요!")
KNOWN = Text("I know {n} article(s):\n{shown}", "기사 {n}개를 알고 있습니다:\n{shown}")
AND_MORE = Text("\n… and {n} more", "\n… 외 {n}개")
NONE_YET = Text("No articles are indexed yet.", "아직 색인된 기사가 없습니다.")
CHOOSE_FOCUSED = Text("\n\nThis chat asks about <b>{title}</b>; /all goes back to all articles.",
                      "\n\n이 대화는 <b>{title}</b> 기사에 대해 묻습니다. /all 로 모든 기사로 돌아갑니다.")
CHOOSE_MANY = Text("\n\nI answer from all of them and name the article each answer comes from. "
                   "To ask about one only, choose it with /articles.",
                   "\n\n모든 기사에서 답하고, 답마다 어느 기사에서 왔는지 밝힙니다. "
                   "한 기사에 대해서만 물으려면 /articles 에서 고르세요.")
CHOOSE_ONE = Text("\n\n/articles shows it with its date; when there are more, you can choose one there.",
                  "\n\n/articles 에서 날짜와 함께 볼 수 있고, 기사가 더 생기면 거기서 고를 수 있습니다.")


def welcome(articles: Sequence[ArticleInfo], admin: bool, lang: Lang = "en",
            focus: ArticleInfo | None = None) -> str:
    shown = "\n".join(f"• {esc(a.title or a.id)}" for a in articles[:WELCOME_SHOWN])
    more = len(articles) - WELCOME_SHOWN
    known = (KNOWN(lang, n=len(articles), shown=shown) + (AND_MORE(lang, n=more) if more > 0 else "")
             if articles else NONE_YET(lang))
    if focus is not None:
        choose = CHOOSE_FOCUSED(lang, title=esc(focus.title or focus.id))
    elif len(articles) > 1:
        choose = CHOOSE_MANY(lang)
    elif articles:
        choose = CHOOSE_ONE(lang)
    else:
        choose = ""
    return f"{HELLO(lang)} {known}{choose}\n\n{HOW_TO_ASK(lang)}" + (ADMIN_HELP(lang) if admin else "")


def _said(exc: BaseException, limit: int = 1500) -> str:
    """An error's own words, escaped and short enough for one Telegram message."""
    text = str(exc)
    return esc(text if len(text) <= limit else text[:limit] + "…")


_ERRORS: list[tuple[type[BaseException], Text]] = [
    (Busy, Text("I'm still answering the previous question here. Please wait for it, or send /cancel.",
                "이 대화의 이전 질문에 아직 답하는 중입니다. 기다리시거나 /cancel을 보내 주세요.")),
    (RateLimited, Text("You're asking faster than I can keep up. Please try again in {retry} s.",
                       "질문이 너무 빠릅니다. {retry}초 뒤에 다시 시도해 주세요.")),
    (InputError, Text("Sorry, I can't take that: {said}. Please ask something shorter or more specific.",
                      "죄송합니다. 받을 수 없는 질문입니다: {said}. 더 짧거나 구체적으로 물어봐 주세요.")),
    (StoreUnavailable, Text("The article index is unavailable right now. Please try again in a minute.",
                            "지금은 기사 색인을 쓸 수 없습니다. 잠시 후 다시 시도해 주세요.")),
    (LLMUnavailable, Text("The language model is not answering right now. Please try again in a minute.",
                          "지금은 언어 모델이 응답하지 않습니다. 잠시 후 다시 시도해 주세요.")),
    (ArticleNotFound, Text("{said_capitalized}. /articles lists the ids.", "{said}. ID는 /articles에서 확인하세요.")),
    (SourceError, Text("That did not work: {said}", "처리하지 못했습니다: {said}")),
    (OverBudget, Text("You have used today's {what} ({limit}). More at midnight UTC, in {hours} h.",
                      "오늘 쓸 수 있는 {what}({limit})을 다 썼습니다. UTC 자정, {hours}시간 뒤에 다시 생깁니다.")),
    (ArticlebotError, Text("Sorry: {said}", "죄송합니다: {said}")),
    # Unlike a refusal, a timed-out reply may well have arrived (it is not resent).
    (TimedOut, Text("Telegram did not confirm my reply in time, so it may not have reached you. "
                    "If it did not, please ask again.",
                    "텔레그램이 제 답장을 제때 확인해 주지 않아 전달되지 않았을 수 있습니다. "
                    "받지 못하셨다면 다시 물어봐 주세요.")),
    (TelegramError, Text("Sorry, Telegram did not accept my reply. Please try again.",
                         "죄송합니다. 텔레그램이 제 답장을 받지 않았습니다. 다시 시도해 주세요.")),
]
_BUDGETS = {"questions": Text("questions", "질문 수"), "tokens": Text("LLM tokens", "LLM 토큰")}
UNEXPECTED = Text("Sorry, something went wrong on my side (it has been logged). Please try again.",
                  "죄송합니다. 제 쪽에서 문제가 생겼습니다(기록해 두었습니다). 다시 시도해 주세요.")


def error(exc: BaseException | None, lang: Lang = "en") -> str:
    """What to tell the user about a failure: useful, and never internals."""
    for kind, text in _ERRORS:
        if isinstance(exc, kind):
            said = _said(exc)
            return text(lang, said=said, said_capitalized=said[:1].upper() + said[1:],  # capitalize() lowercases ids
                        retry=f"{getattr(exc, 'retry_after', 0):.0f}", limit=getattr(exc, "limit", ""),
                        what=_BUDGETS[getattr(exc, "what", "questions")](lang),
                        hours=f"{getattr(exc, 'resets_in', 0) / 3600:.0f}")
    return UNEXPECTED(lang)


from .articles import *  # noqa: E402,F401,F403  (one namespace: texts.NAME wherever a message lives)
from .usage import *  # noqa: E402,F401,F403
