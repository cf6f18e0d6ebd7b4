"""Everything the bot says that is not an answer, in Korean and English (HTML, escaped where it quotes data).

One small typed table rather than gettext catalogs: two languages, every message written next to its
translation, and no compile step or .mo files to ship. A `Text` needs both languages, so a message
without its translation fails at import, not in front of a user. `language()` picks one per user from
Telegram's `language_code`; answers themselves (refusals, notes) follow the question's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

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

from .access import Busy, OverBudget, RateLimited
from .markup import esc, link

Lang = Literal["en", "ko"]
LANGUAGES: tuple[Lang, ...] = ("en", "ko")


class Text(NamedTuple):
    """One message in both languages; `{name}` fields are filled by the caller (already escaped)."""

    en: str
    ko: str

    def __call__(self, lang: Lang, **fields: object) -> str:
        text = self.ko if lang == "ko" else self.en
        return text.format(**fields) if fields else text


def language(code: str | None, default: Lang) -> Lang:
    """Korean for a Korean Telegram app, English for any other language, `default` when the app says none."""
    if not code:
        return default
    return "ko" if code.lower().startswith("ko") else "en"


# ----- the command menu -------------------------------------------------------------------------
_USER_COMMANDS = {
    "start": Text("What I know and how to ask", "무엇을 아는지, 어떻게 묻는지"),
    "help": Text("How to use this bot", "사용 방법"),
    "ask": Text("Ask a question (use this in groups)", "질문하기 (그룹에서는 이것으로)"),
    "sources": Text("The excerpts behind my last answer", "마지막 답변의 근거 발췌문"),
    "reset": Text("Forget this chat's conversation", "이 대화 잊기"),
    "cancel": Text("Stop the answer in progress", "작성 중인 답변 멈추기"),
}
_ADMIN_COMMANDS = {
    "reload": Text("Re-read every source and swap the index", "모든 출처를 다시 읽어 색인 교체"),
    "add": Text("Add an article from a URL", "URL로 기사 추가"),
    "articles": Text("List the indexed articles", "색인된 기사 목록"),
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
    "/sources — the excerpts behind my last answer\n"
    "/reset — forget this chat's conversation\n"
    "/cancel — stop the answer in progress",
    "<b>명령어</b>\n"
    "/ask <i>질문</i> — 질문하기 (개인 대화에서는 그냥 메시지를 보내도 됩니다)\n"
    "/sources — 마지막 답변의 근거 발췌문\n"
    "/reset — 이 대화 잊기\n"
    "/cancel — 작성 중인 답변 멈추기",
)
ADMIN_HELP = Text(
    "\n\n<b>Admin</b>\n/reload — re-read every source\n/add <i>URL</i> — add an article (or upload a "
    ".txt/.md/.html/.jsonl file)\n/articles — list articles\n/remove <i>ID</i> — remove one\n"
    "/stats [<i>7d</i>] — usage, all time or in a window",
    "\n\n<b>관리자</b>\n/reload — 모든 출처 다시 읽기\n/add <i>URL</i> — 기사 추가 (.txt/.md/.html/.jsonl "
    "파일을 올려도 됩니다)\n/articles — 기사 목록\n/remove <i>ID</i> — 기사 삭제\n"
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
# Admin jobs: (in progress, done) for /reload, /add and uploads.
RELOADING = (Text("Reloading", "다시 읽는 중"), Text("Reloaded", "다시 읽음"))
ADDING = (Text("Adding", "추가하는 중"), Text("Added", "추가함"))
JOB_STOPPED = Text("{verb}: stopped, the index is unchanged.", "{verb}: 중단됨, 색인은 그대로입니다.")
_STAGES = {"reading sources": Text("reading sources", "출처 읽는 중"), "embedding": Text("embedding", "임베딩 중"),
           "writing": Text("writing", "쓰는 중")}


# ----- messages built from data ------------------------------------------------------------------
def help_text(lang: Lang, admin: bool) -> str:
    return f"{COMMANDS_HELP(lang)}\n\n{HOW_TO_ASK(lang)}" + (ADMIN_HELP(lang) if admin else "")


def welcome(articles: Sequence[ArticleInfo], admin: bool, lang: Lang = "en") -> str:
    shown = "\n".join(f"• {esc(a.title or a.id)}" for a in articles[:30])
    more = len(articles) - 30
    if lang == "ko":
        extra = f"\n… 외 {more}개" if more > 0 else ""
        known = f"기사 {len(articles)}개를 알고 있습니다:\n{shown}{extra}" if articles else "아직 색인된 기사가 없습니다."
        hello = "안녕하세요!"
    else:
        extra = f"\n… and {more} more" if more > 0 else ""
        known = f"I know {len(articles)} article(s):\n{shown}{extra}" if articles else "No articles are indexed yet."
        hello = "Hello!"
    return f"{hello} {known}\n\n{HOW_TO_ASK(lang)}" + (ADMIN_HELP(lang) if admin else "")


def articles_list(articles: Sequence[ArticleInfo], lang: Lang = "en") -> str:
    if not articles:
        return "색인된 기사가 없습니다." if lang == "ko" else "No articles are indexed."
    head = f"<b>기사 {len(articles)}개</b>" if lang == "ko" else f"<b>{len(articles)} article(s)</b>"
    unit = "청크 {n}개" if lang == "ko" else "{n} chunks"
    lines = [head]
    for a in articles:
        lines.append(f"<code>{esc(a.id)}</code> {esc(a.title)} ({unit.format(n=a.chunks)}){link(a.url, LINK(lang))}")
    return "\n".join(lines)


def summary(rep: IngestReport, lang: Lang = "en") -> str:
    if lang != "ko":
        return esc(rep.summary())
    text = (f"기사 {rep.articles}개: 청크 {rep.added}개 추가, {rep.unchanged}개 그대로, {rep.removed}개 삭제 "
            f"({rep.seconds:.1f}초)")
    return text + (f"; 문제 {len(rep.failures)}건" if rep.failures else "")


def report(verb: str, rep: IngestReport, lang: Lang = "en") -> str:
    text = f"{verb}: {summary(rep, lang)}."
    skipped = "건너뜀" if lang == "ko" else "skipped"
    for problem in rep.failures[:10]:
        text += f"\n• {skipped}: {esc(problem)}"
    return text


def progress(verb: str, stage: str, done: int, total: int, seconds: float, lang: Lang = "en") -> str:
    secs = f"{seconds:.0f}초" if lang == "ko" else f"{seconds:.0f} s"
    if not stage:
        return f"{verb}… ({secs})"
    shown = _STAGES[stage](lang) if stage in _STAGES else esc(stage)
    return f"{verb}… {shown} {done}/{total} ({secs})"


def _ms(v: float | None, lang: Lang) -> str:
    if v is None:
        return "–"
    return f"{v / 1000:.2f}초" if lang == "ko" else f"{v / 1000:.2f} s"


def stats(s: dict[str, Any], lang: Lang = "en", window: str = "", limiter: dict[str, Any] | None = None,
          budget: tuple[int, int, int] | None = None) -> str:
    """Usage (all time, or in `window` like "7d"), the daily budgets (questions, tokens, users at a limit
    today) and the flood limiter's counters since start."""
    ko = lang == "ko"
    modes = ", ".join(f"{k}: {v}" for k, v in sorted(s["answers_by_mode"].items())) or ("없음" if ko else "none")
    if ko:
        head = f"<b>사용 통계</b> (최근 {esc(window)})" if window else "<b>사용 통계</b> (전체)"
        text = (f"{head}\n사용자 {s['users']}명, 대화 {s['chats']}개\n질문: {s['questions']}\n"
                f"방식별 답변: {modes}\n거절(기사에 없음): {s['refusals']}\n"
                f"오류: {s['errors']}, 취소: {s['cancelled']}\n"
                f"지연 p50 {_ms(s['latency_p50_ms'], lang)}, p95 {_ms(s['latency_p95_ms'], lang)}\n"
                f"LLM 토큰: 프롬프트 {s['prompt_tokens']} + 응답 {s['completion_tokens']}")
    else:
        head = f"<b>Usage</b> (last {esc(window)})" if window else "<b>Usage</b> (all time)"
        text = (f"{head}\nUsers: {s['users']} in {s['chats']} chat(s)\nQuestions: {s['questions']}\n"
                f"Answers by mode: {modes}\nRefusals (not in the articles): {s['refusals']}\n"
                f"Errors: {s['errors']}, cancelled: {s['cancelled']}\n"
                f"Latency p50 {_ms(s['latency_p50_ms'], lang)}, p95 {_ms(s['latency_p95_ms'], lang)}\n"
                f"LLM tokens: {s['prompt_tokens']} prompt + {s['completion_tokens']} completion")
    if budget and (budget[0] or budget[1]):
        q, t = (str(n) if n else ("무제한" if ko else "no limit") for n in budget[:2])
        text += (f"\n하루 한도(사용자별): 질문 {q}, LLM 토큰 {t}; 오늘 한도에 닿은 사용자 {budget[2]}명" if ko else
                 f"\nDaily budget per user: {q} questions, {t} LLM tokens; users at a limit today: {budget[2]}")
    if limiter:
        text += ("\n<b>텔레그램 속도 제한</b> (시작 이후)\n" if ko else "\n<b>Telegram flood limits</b> (since start)\n")
        text += (f"메시지 {limiter.get('messages', 0)}, 미리보기 {limiter.get('previews', 0)} "
                 f"(건너뜀 {limiter.get('previews_dropped', 0)}), 429 응답 {limiter.get('http_429', 0)}"
                 if ko else
                 f"messages {limiter.get('messages', 0)}, previews {limiter.get('previews', 0)} "
                 f"({limiter.get('previews_dropped', 0)} dropped), 429s {limiter.get('http_429', 0)}")
    return text


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
