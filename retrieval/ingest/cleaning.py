"""Tell article text from page furniture (headline lists, weather, counters, copyright lines)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A line that opens a block of page furniture: everything from it to the end is not the article.
_SECTION_HEADERS = re.compile(
    r"^\s*(관련\s*뉴스|관련\s*기사|주요\s*뉴스|많이\s*본\s*(뉴스|기사)|인기\s*(뉴스|기사)|추천\s*(뉴스|기사)|"
    r"오늘의\s*날씨|주간\s*TOP\s*뉴스|실시간\s*(뉴스|인기)|포토\s*뉴스|핫\s*이슈|이\s*시각\s*(주요|뉴스)|"
    r"많이\s*본|댓글|기획\s*/\s*취재|Related (news|articles|stories)|Most (read|popular)|Comments?|"
    r"Top stories|Recommended)\s*(\(\d+\))?\s*$",
    re.IGNORECASE,
)
# Single lines that are never article text wherever they stand.
_FURNITURE_LINE = re.compile(
    r"^\s*(\(\d+\)\s*)?(로그인|로그아웃|회원가입|공유하기|기사\s*스크랩|글자\s*크기|프린트|"
    r"구독|좋아요|목록|이전\s*기사|다음\s*기사|SNS\s*공유|Share|Print|Subscribe|Log ?in|Log ?out)\s*$"
    # Copyright lines: a mark, or "no reproduction" wording (prose about 무단 전재 itself is kept).
    r"|^.{0,80}(무단\s*전재\s*[및·,\-/]?\s*(재배포|배포)|재배포\s*금지|All rights reserved|Copyright\s*[©ⓒ]|"
    r"[©ⓒ]\s*\S+.*(금지|reserved)).{0,80}$"
    # Weather widgets are short lines; a sentence that mentions a temperature is prose.
    r"|^.{0,20}(℃|°C|강수확률|미세먼지\s*(좋음|보통|나쁨)).{0,12}$",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^\s*\[([^\]=]{1,40})=\s*([^\]]{1,40}?)\s*(기자)?\]\s*$")
# Broadcast and credit tags alone on a line ([앵커], [기자], [영상편집 홍길동]) and a reporter's sign-off
# that ends in an e-mail address are not prose; the byline they carry is kept as metadata.
_TAG_LINE = re.compile(r"^\s*\[[^\[\]]{1,24}\]\s*$")
_SIGNOFF = re.compile(r"^.{0,60}?/?\s*[\w.+-]+@[\w-]+(\.[\w-]+)+\s*$")
# A first line that is long, or holds two sentences, is a paragraph, not a headline.
_MAX_TITLE = 150
_SHORT_TITLE = 80
_SENTENCE_END = re.compile(r"[.!?。](?=\s|$)")
_DATE = re.compile(r"(20\d{2}|19\d{2})[.\-/년]\s?(\d{1,2})[.\-/월]\s?(\d{1,2})")
_BULLET = re.compile(r"^\s*([-*•·▶►▲△■□◆◇]|\d{1,2}[.)]?)\s*\S")


@dataclass
class Cleaned:
    """Article text without furniture, and what the furniture told us."""

    title: str
    text: str
    byline: str = ""
    published: str = ""


def _strip_trailing_lists(lines: list[str]) -> list[str]:
    # Headline lists with no header: a trailing run of 3+ short bullet lines is a link list, not prose.
    end = len(lines)
    run = 0
    while end - run > 0 and _BULLET.match(lines[end - run - 1]) and len(lines[end - run - 1]) < 90:
        run += 1
    return lines[: end - run] if run >= 3 else lines


def _is_prose(line: str) -> bool:
    return len(line) > _MAX_TITLE or (len(line) > 60 and len(_SENTENCE_END.findall(line)) >= 2)


def clean_text(raw: str, title: str = "") -> Cleaned:
    """Drop page furniture from plain article text; the first line is the title unless one is given."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    lines = [line.rstrip() for line in text.split("\n")]
    kept: list[str] = []
    for line in lines:
        if _SECTION_HEADERS.match(line):
            if kept:
                break
            continue  # a furniture header is never the title
        if _FURNITURE_LINE.match(line):
            continue
        kept.append(line)
    kept = _strip_trailing_lists(kept)
    # Collapse runs of blank lines; paragraphs are lines.
    body = [line.strip() for line in kept if line.strip()]
    if not title and body and _is_prose(body[0]):
        # No headline line: the text opens with prose, which stays in the text; the title is its start.
        head = body[0].lstrip("# ").strip()
        title = head if len(head) <= _SHORT_TITLE else head[:_SHORT_TITLE].rstrip() + "…"
    elif not title and body:
        title = body.pop(0).lstrip("# ").strip()
    elif body and body[0].lstrip("# ").strip() == title.strip():
        body.pop(0)  # extractors repeat the headline as the first line: it is metadata, not prose
    byline = ""
    for line in body[:12]:
        m = _BYLINE.match(line)
        if m:
            byline = f"{m.group(2).strip()} ({m.group(1).strip()})"
            break
    published = ""
    m = _DATE.search("\n".join(body[:15]))
    if m:
        published = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    body = [line for line in body if not (_TAG_LINE.match(line) or _SIGNOFF.match(line))]
    return Cleaned(title=title, text="\n".join(body), byline=byline, published=published)
