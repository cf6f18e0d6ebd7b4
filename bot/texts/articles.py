"""What the bot says around choosing an article (/articles, /all), naming sources and suggesting questions."""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.models import ArticleInfo

from ..markup import esc, link, title_link
from .base import Lang, Text

__all__ = ["ARTICLE_GONE", "FOCUS_GONE", "OTHER_ARTICLE_QUESTION", "QUESTION_GONE",
           "ONLY_GROUP_ADMINS", "NO_ARTICLES", "PAGE_LINES", "PREVIOUS", "NEXT", "article_date", "articles_page",
           "article_button", "question_button", "other_article_button", "chosen", "all_articles",
           "answered_from", "asked", "other_summaries"]

PAGE_LINES = 20  # articles per /articles page, so 20 lines always fit one message the pager can edit
ARTICLE_GONE = Text("That article is no longer available, so this chat now asks about all articles.",
                    "그 기사는 더 이상 없어서, 이 대화는 이제 모든 기사에 대해 묻습니다.")
FOCUS_GONE = Text("(The article this chat had chosen was removed, so I answered from all articles.)",
                  "(이 대화에서 고른 기사가 삭제되어 모든 기사에서 답했습니다.)")
OTHER_ARTICLE_QUESTION = Text(
    "That question is about another article than the one this chat has chosen. /all or /articles.",
    "그 질문은 이 대화에서 고른 기사가 아닌 다른 기사에 대한 것입니다. /all 또는 /articles.")
QUESTION_GONE = Text("That question is no longer available.", "그 질문은 더 이상 쓸 수 없습니다.")
ONLY_GROUP_ADMINS = Text("Only this group's admins can choose its article.",
                         "이 그룹의 기사는 그룹 관리자만 고를 수 있습니다.")
NO_ARTICLES = Text("No articles are indexed.", "색인된 기사가 없습니다.")
PREVIOUS = Text("‹ Previous", "‹ 이전")
NEXT = Text("Next ›", "다음 ›")
_COUNT = Text("<b>{n} article(s)</b>", "<b>기사 {n}개</b>")
_PAGE = Text(" — page {page} of {pages}", " — {pages}쪽 중 {page}쪽")
_NOW_ONE = Text("Now asking about: <b>{title}</b> (/all for every article)",
                "지금 묻는 기사: <b>{title}</b> (/all 로 모든 기사)")
_NOW_ALL = Text("Now asking about all articles. Press one to ask about it only.",
                "지금은 모든 기사에 대해 묻습니다. 하나를 누르면 그 기사에 대해서만 묻습니다.")
_CHUNKS = Text("{n} chunks", "청크 {n}개")
_CHOSEN = Text("Now I answer from <b>{title}</b> only{link}.\nAsk away; /all goes back to every article.",
               "이제 <b>{title}</b> 기사에서만 답합니다{link}.\n물어보세요. /all 로 모든 기사로 돌아갑니다.")
_ALL = Text("Now I answer from all {n} article(s) again.", "이제 다시 기사 {n}개 모두에서 답합니다.")
_OTHERS = Text("Several articles fit; this summary is of the one above. The others:",
               "여러 기사가 해당합니다. 이 요약은 위 기사의 것입니다. 다른 기사:")
_LINK = Text("link", "링크")


def article_date(a: ArticleInfo) -> str:
    """The publication date when known, else the day it was indexed (ISO dates cut to the day)."""
    return (a.published or a.indexed_at or "")[:10]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def articles_page(articles: Sequence[ArticleInfo], start: int, page: int, pages: int,
                  focus: ArticleInfo | None, admin: bool, lang: Lang = "en") -> str:
    """One page of /articles: numbered titles with dates (and ids for admins, for /remove)."""
    head = _COUNT(lang, n=len(articles)) + (_PAGE(lang, page=page + 1, pages=pages) if pages > 1 else "")
    now = _NOW_ONE(lang, title=esc(focus.title or focus.id)) if focus else _NOW_ALL(lang)
    lines = [head, now, ""]
    for n, a in enumerate(articles[start:start + PAGE_LINES], start + 1):
        when = f" — {esc(article_date(a))}" if article_date(a) else ""
        # Bounded, so 20 lines always fit one message (4,096 characters) that the pager can edit.
        ident = f"\n    <code>{esc(_short(a.id, 64))}</code> ({_CHUNKS(lang, n=a.chunks)})" if admin else ""
        lines.append(f"{n}. {title_link(_short(a.title or a.id, 90), a.url)}{when}{ident}")
    return "\n".join(lines)


def article_button(n: int, a: ArticleInfo, chosen: bool) -> str:
    return f"{'✅ ' if chosen else ''}{n}. {_short(a.title or a.id, 48)}"


def question_button(question: str) -> str:
    return f"💬 {_short(question, 60)}"


def other_article_button(a: ArticleInfo) -> str:
    return f"📰 {_short(a.title or a.id, 56)}"


def chosen(a: ArticleInfo, lang: Lang = "en") -> str:
    return _CHOSEN(lang, title=esc(a.title or a.id), link=link(a.url, _LINK(lang)))


def all_articles(n: int, lang: Lang = "en") -> str:
    return _ALL(lang, n=n)


def answered_from(titles: Sequence[tuple[str, str]]) -> str:
    """The line under an answer naming its article(s): (title, url) pairs; titles link when there is a URL."""
    return "📰 " + "; ".join(title_link(t, u) for t, u in titles)


def asked(question: str) -> str:
    return f"❓ <b>{esc(question)}</b>"


def other_summaries(lang: Lang = "en") -> str:
    return _OTHERS(lang)
