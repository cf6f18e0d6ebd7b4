"""Tell article text from page furniture (headline lists, weather, counters, copyright lines)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A line that opens a block of page furniture: everything from it to the end is not the article.
_SECTION_HEADERS = re.compile(
    r"^\s*(관련\s*뉴스|관련\s*기사|주요\s*뉴스|많이\s*본\s*(뉴스|기사)|인기\s*(뉴스|기사)|추천\s*(뉴스|기사)|"
    r"오늘의\s*날씨|주간\s*TOP\s*뉴스|실시간\s*(뉴스|인기)|포토\s*뉴스|핫\s*이슈|이\s*시각\s*(주요|뉴스)|"
    r"많이\s*본|댓글\s*\d*|최신\s*(뉴스|기사)|AI\s*뉴스\s*브리핑|이런\s*일\s*&\s*저런\s*일|기획\s*/\s*취재|Related (news|articles|stories)|Most (read|popular)|Comments?|"
    r"Top stories|Recommended)\s*(\(\d+\))?\s*$",
    re.IGNORECASE,
)
# Single lines that are never article text wherever they stand.
_FURNITURE_LINE = re.compile(
    r"^\s*(\(\d+\)\s*)?(로그인|로그아웃|회원가입|공유하기|기사\s*스크랩|글자\s*크기|프린트|"
    r"구독|좋아요|목록|([^\n]{0,20}?바로\s*가기\s*)+|이전\s*기사|다음\s*기사|SNS\s*공유|Share|Print|Subscribe|Log ?in|Log ?out|기사\s*프린트|"
    r"[•·]?\s*(작게|기본|크게)\s*(보기|크기)|TOP|\(끝\)|더\s*보기|URL\s*복사|전체\s*기사|기상청\s*제공|"
    r"기사\s*URL이\s*복사되었습니다\.?|[•·]?\s*(좋아요|화나요|슬퍼요|추천해요|후속기사\s*원해요|추가취재\s*원해요)\s*\d*|"
    r"\d+\s*/\s*\d+|!\[[^\]]*\]\([^)]*\)\s*\|?|!\[\]\(\)\s*\|?)\s*$"
    # Photo credits and hashtag rows.
    r"|^\s*(출처|사진|자료)\s*[:=]\s*\S.{0,40}$|^\s*(#[^\s#]+\s*){1,}$"
    # Copyright lines: a mark, or "no reproduction" wording (prose about 무단 전재 itself is kept).
    r"|^.{0,80}(무단\s*전재\s*[및·,\-/]?\s*(재배포|배포)|재배포\s*금지|All rights reserved|Copyright\s*[©ⓒ]|"
    r"[©ⓒⒸ]\s*\S+.*(금지|reserved)|저작권자\s*(\(c\)|[©ⓒⒸ])).{0,80}$"
    # Weather widgets are short lines; a sentence that mentions a temperature is prose.
    r"|^.{0,20}(℃|°C|강수확률|미세먼지\s*(좋음|보통|나쁨)).{0,12}$",
    re.IGNORECASE,
)
# What a news site prints around every article rather than in it: a standing call to the reader (send a tip,
# subscribe, add the channel, read the original) that opens with an arrow or note mark or says so in the
# site's set phrases, and a portal's reading widgets. Reported speech ("제보를 기다린다며 …") stays prose.
_NOTICE_LINE = re.compile(
    r"^\s*[▶▷☞※◆■□◇●○➤►]\s*.{0,150}(제보|구독|후원|받아\s*보기|채널\s*추가|원문|다운로드|바로\s*가기|팔로우"
    r"|친구\s*추가).{0,150}$"
    r"|^.{0,200}(여러분의\s*(소중한\s*)?제보|제보를\s*기다립니다|제보\s*(하기|바랍니다)|구독\s*(하기|하세요|해\s*주세요)"
    r"|후원\s*하기|채널\s*추가|원문\s*보기).{0,200}$"
    r"|^\s*(본문\s*요약봇|요약봇|기사\s*섹션\s*분류\s*안내|이\s*기사는\s*언론사에서\s*\S+\s*섹션으로\s*분류했습니다\.?"
    r"|기사의\s*섹션\s*정보는\s*해당\s*언론사의\s*분류를\s*따르고\s*있습니다.*|번역\s*beta|Translated\s+by\s.{0,30}"
    r"|글자\s*크기\s*변경(하기)?|인쇄(하기)?|SNS\s*보내기|이\s*기사를\s*추천합니다|추천\s*기사|기자\s*프로필"
    r"|구독자\s*[\d,]+|응원\s*수\s*[\d,]+|[가-힣]{2,4}\s*기자의?\s*다른\s*기사(\s*보기)?|(이\s*)?기사\s*(제보|듣기)|본문\s*듣기"
    r"|닫기|스크랩|댓글\s*쓰기)\s*$",
    re.IGNORECASE,
)
# Credits: a broadcast's crew row ("(영상취재: 홍길동 / 영상편집: 김철수)"), a photo credit alone on its line
# ("© News1 홍길동 기자", "/사진=연합뉴스") and an anchor's sign-off ("KBS 뉴스 홍길동입니다.").
_CREDIT_LINE = re.compile(
    r"^\s*[(\[]?\s*(영상\s*취재|영상\s*편집|촬영\s*기자|촬영|편집|그래픽|화면\s*제공|영상\s*제공|자료\s*제공|CG|취재\s*지원)"
    r"\s*[:：]\s*\S.{0,80}$"
    r"|^\s*/\s*(사진|그래픽|자료|출처|영상)\s*[:=]\s*\S.{0,40}$|^\s*[©ⓒⒸ]\s*\S.{0,40}$"
    r"|^\s*(KBS|MBC|SBS|YTN|JTBC|MBN|채널\s*A|TV\s*조선|연합뉴스\s*TV|OBS|EBS|CBS)\s*(뉴스)?\s*[가-힣]{2,4}"
    r"\s*(입니다|이었습니다|였습니다)\.?\s*$",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^\s*\[([^\]=]{1,40})=\s*([^\]]{1,40}?)\s*(기자)?\]\s*$")
# Broadcast and credit tags alone on a line ([앵커], [기자], [영상편집 홍길동]) and a reporter's sign-off
# that ends in an e-mail address are not prose; the byline they carry is kept as metadata.
_TAG_LINE = re.compile(r"^\s*\[[^\[\]]{1,24}\]\s*$")
_SIGNOFF = re.compile(r"^.{0,60}?/?\s*[(<\[]?[\w.+-]+@[\w-]+(\.[\w-]+)+[)>\]]?\s*$")
# A first line that is long, or holds two sentences, is a paragraph, not a headline.
_MAX_TITLE = 150
_SHORT_TITLE = 80
_SENTENCE_END = re.compile(r"[.!?。](?=\s|$)")
_DATE = re.compile(r"(?<!\d)(20\d{2}|19\d{2})\s?[.\-/년]\s?(\d{1,2})\s?[.\-/월]\s?(\d{1,2})(?![\d%])")
# Where a page states when the article was published: a dateline or byline ("입력 2019-06-26 15:54",
# "김동기 기자 2003.05.28", "(무안=뉴스1) … | 2023-03-30 17:03 송고"). A date anywhere else (a weather
# widget's "2025.08.21 (목)", "2016년 12.6%" in the prose) says nothing about publication.
_DATELINE = re.compile(r"입력|등록|수정|승인|송고|발행|게재|기사\s*입력|Published|Updated|기자|특파원|=\s*\S+\)")
# Photo captions: "▲ …", a table-cell caption "| ▲ … |", or a credit "(사진=…)", "(… 제공)/뉴스1".
_CAPTION = re.compile(r"^\s*\|?\s*▲|^\s*\|.*\|\s*$|\(사진\s*=[^)]*\)\s*\|?\s*$|\([^()]{1,30}\s제공\)\s*(/\s*\S+)?\s*$")
# A line holding only a date or time (with 입력/수정 and a weekday): a timestamp, never prose.
_STAMP = re.compile(r"^\s*(입력|수정|등록|승인|기사입력|송고)?\s*:?\s*[\d.\-/: ]{8,}\s*(\([월화수목금토일]\))?\s*(송고)?\s*$")
# A bracketed number in the text (삼성전자[005930], a footnote [1]) reads as a citation marker to readers and
# to the answer contract ("every [n] has a citation"); written in parentheses it means the same and cannot.
_BRACKET_NUMBER = re.compile(r"\[(\s*\d[\d,.\s]*)\]")
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


def _drop_repeats_and_captions(body: list[str], title: str) -> list[str]:
    """Captions (printed twice, or marked ▲ / 사진= / 제공), repeated headlines, and before the first prose
    line, short labels (outlet and section names, "URL복사") and timestamps."""
    counts: dict[str, int] = {}
    for line in body:
        counts[line] = counts.get(line, 0) + 1
    head = title.strip()
    out: list[str] = []
    prose_seen = False
    for line in body:
        if line == head or (counts[line] > 1 and len(line) < 200) or (len(line) < 200 and _CAPTION.search(line)):
            continue
        if not prose_seen:
            dateline = len(line) <= 80 and _DATE.search(line) and _DATELINE.search(line)
            if (_STAMP.match(line) or dateline or (len(line) <= 10 and not re.search(r"\d", line) and not _SENTENCE_END.search(line))
                    or (not _SENTENCE_END.search(line) and _similar(line, head))):
                continue
            prose_seen = len(line) >= 40 and bool(_SENTENCE_END.search(line))
        out.append(line)
    return out


def _similar(line: str, title: str) -> bool:
    """A headline printed again with small changes: most of its character pairs are the title's."""
    pairs = lambda t: {t[i : i + 2] for i in range(len(t) - 1)}  # noqa: E731
    a, b = pairs(re.sub(r"\s+", "", line)), pairs(re.sub(r"\s+", "", title))
    return bool(a and b) and len(a & b) / len(a | b) >= 0.4


def _published(lines: list[str]) -> str:
    for line in lines:
        m = _DATE.search(line)
        if m and (_DATELINE.search(line) or _STAMP.match(line) and re.search(r"\d:\d", line)):
            year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if 1 <= month <= 12 and 1 <= day <= 31:
                return f"{year}-{month:02d}-{day:02d}"
    return ""


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
        if _FURNITURE_LINE.match(line) or _NOTICE_LINE.match(line) or _CREDIT_LINE.match(line):
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
    published = _published(body[:15])
    body = [line for line in body if not (_TAG_LINE.match(line) or _SIGNOFF.match(line))]
    body = [_BRACKET_NUMBER.sub(r"(\1)", line) for line in _drop_repeats_and_captions(body, title)]
    return Cleaned(title=title, text="\n".join(body), byline=byline, published=published)
