"""Page furniture never reaches the index; the article's own prose always does."""

from __future__ import annotations

import pytest
from conftest import DEFAULT_ARTICLE, DEFAULT_ID

from retrieval.ingest.cleaning import clean_text
from retrieval.ingest.sources import load_source

# Every piece of furniture at the end of the default article, and a word from it that no prose contains.
FURNITURE = {
    "related headlines": ["한남4구역", "노웅래", "꽁꽁 언 한강", "제주항공", "무암", "정용진"],
    "weather widget": ["마포구 상암동", "강수확률", "오늘의 날씨", "℃"],
    "top news": ["주간 TOP", "서학개미", "부산도시공사", "BNK부산은행"],
    "section headers": ["관련뉴스", "주요뉴스", "기획/취재"],
    "comment counter": ["로그아웃", "댓글", "(0)"],
    "copyright": ["ⓒ", "무단 전재", "재배포 금지", "www.sentv.co.kr"],
}
PROSE = [
    "장재민 서울경제신문·미주한국일보 회장이 세계 최대가전·정보기술(IT) 전시회인 ‘CES 2024’에서",
    "시저스 팰리스 호텔",
    "20만㎡ 규모의 ‘AI 서울테크시티’를 조성하고 있다",
    "코엑스에서 개최할 계획이다",
    "서울 소재 스타트업 81개 기업의 혁신기술과 제품을 세계 투자자에 선보였습니다.",
    "2개 기업은 참여기업 중 1%에만 주어지는 최고혁신상의 영예를 안았습니다.",
    "도시 전체를 획기적으로 혁신할 계획이다.”라고 밝혔습니다.",
]


@pytest.fixture(scope="module")
def article():
    [art] = load_source(str(DEFAULT_ARTICLE)).articles
    return art


@pytest.mark.parametrize("kind", sorted(FURNITURE))
def test_default_article_text_has_no_furniture(article, kind):
    for word in FURNITURE[kind]:
        assert word not in article.text, f"{kind}: {word!r} is still in the article text"


@pytest.mark.parametrize("kind", sorted(FURNITURE))
def test_indexed_chunks_have_no_furniture(service, kind):
    records = service.snapshot().records
    indexed = "\n".join(records.texts)
    assert indexed
    for word in FURNITURE[kind]:
        assert word not in indexed, f"{kind}: {word!r} was indexed"


def test_default_article_keeps_all_its_prose(article):
    for sentence in PROSE:
        assert sentence in article.text


def test_title_and_byline_are_metadata(article, service):
    assert article.id == DEFAULT_ID
    assert article.title == "오세훈 “서울에 AI 산업도시 조성…인재·기업 모은다”"
    assert article.byline == "이지영 (서울경제TV)"
    assert not article.text.startswith(article.title)
    meta = service.snapshot().records.metas[0]
    assert meta["title"] == article.title
    assert meta["byline"] == article.byline
    assert service.articles()[0].title == article.title


# ----- the rules one by one (no section header to stop at) ------------------------------------------
ARTICLE = "제목입니다\n본문 첫 문단은 충분히 긴 기사 문장으로 이루어져 있습니다.\n둘째 문단도 기사 본문입니다."


@pytest.mark.parametrize(
    "line",
    [
        "마포구 상암동℃", "강수확률 %", "미세먼지 보통", "(0) 로그아웃", "로그인", "공유하기", "기사 스크랩",
        "[ⓒ 서울경제TV(www.sentv.co.kr), 무단 전재 및 재배포 금지]",
        "<저작권자 ⓒ 연합뉴스, 무단 전재-재배포, AI 학습 및 활용 금지>",
        "Copyright © 2024 The Daily. All rights reserved.", "Share", "Print",
    ],
)
def test_furniture_lines_are_dropped_anywhere(line):
    title, first, second = ARTICLE.split("\n")
    cleaned = clean_text(f"{title}\n{line}\n{first}\n{line}\n{second}")
    assert cleaned.title == title
    assert cleaned.text == f"{first}\n{second}"


@pytest.mark.parametrize(
    "header",
    ["관련뉴스", "관련 기사", "주요뉴스", "많이 본 뉴스", "오늘의 날씨", "주간 TOP뉴스", "댓글", "댓글 (12)",
     "Related articles", "Most read", "Comments"],
)
def test_section_header_ends_the_article(header):
    cleaned = clean_text(f"{ARTICLE}\n{header}\n다른 기사의 제목이 이어집니다\n또 다른 제목")
    assert cleaned.text == ARTICLE.split("\n", 1)[1]


def test_furniture_header_is_never_the_title():
    cleaned = clean_text("관련뉴스\n- 한남4구역 시공사 오늘 결정\n")
    assert "관련뉴스" not in cleaned.title


def test_trailing_headline_list_without_header_is_dropped():
    bullets = "\n".join(f"- 다른 기사 제목 {i}번" for i in range(5))
    cleaned = clean_text(f"{ARTICLE}\n{bullets}")
    assert cleaned.text == ARTICLE.split("\n", 1)[1]


def test_short_lists_inside_the_article_are_kept():
    text = "제목\n정부는 세 가지 대책을 내놨다.\n- 첫째, 임대료 지원\n- 둘째, 세금 감면\n이후 시행 시기는 내년이다."
    assert clean_text(text).text == text.split("\n", 1)[1]


@pytest.mark.parametrize(
    "sentence",
    [
        "이날 서울의 아침 최저기온은 영하 12℃까지 떨어져 올겨울 들어 가장 추웠다고 기상청은 밝혔다.",
        "기상청은 내일 오후 비가 올 강수확률이 60%라며 우산을 챙기라고 당부했다고 말했다.",
        "독자 댓글에서 가장 많이 나온 의견은 대중교통 요금에 관한 것이었다.",
        "법원은 다른 언론사의 기사를 무단 전재한 업체에 손해를 배상하라고 판결했다.",
        "그는 로그인 절차가 너무 복잡하다는 민원이 하루 수백 건씩 들어왔다고 설명했다.",
    ],
)
def test_prose_that_mentions_furniture_words_is_kept(sentence):
    text = f"제목\n{sentence}\n두 번째 문단입니다."
    assert sentence in clean_text(text).text


def test_title_given_separately_is_not_repeated_in_the_text():
    cleaned = clean_text("똠방각하 재출간 소식\n소설이 다시 나왔다.", title="똠방각하 재출간 소식")
    assert cleaned.title == "똠방각하 재출간 소식"
    assert cleaned.text == "소설이 다시 나왔다."


@pytest.mark.parametrize(
    ("line", "byline"),
    [("[서울경제TV=이지영기자]", "이지영 (서울경제TV)"), ("[서울=연합뉴스] 홍길동 기자", ""),
     ("[연합뉴스=홍길동 기자]", "홍길동 (연합뉴스)")],
)
def test_byline(line, byline):
    assert clean_text(f"제목\n{line}\n본문입니다.").byline == byline


def test_published_date_is_read_from_the_top():
    assert clean_text("제목\n입력 2024.01.10 오전 9:00\n본문입니다.").published == "2024-01-10"
    assert clean_text("제목\n본문입니다.").published == ""


def test_line_endings_bom_and_blank_runs_are_normalized():
    cleaned = clean_text("\ufeff제목\r\n\r\n\r\n첫 문단.\r\n\n\n  둘째 문단.  \r")
    assert (cleaned.title, cleaned.text) == ("제목", "첫 문단.\n둘째 문단.")


def test_byline_tags_and_signoff_are_metadata_not_text(article):
    for line in ("[서울경제TV=이지영기자]", "[앵커]", "[기자]", "[영상편집 이한얼]", "easy@sedaily.com"):
        assert line not in article.text
    assert article.byline == "이지영 (서울경제TV)"


@pytest.mark.parametrize("line", ["[앵커]", "[속보]", "[영상편집 이한얼]", "홍길동 기자 hong@example.co.kr",
                                  "서울경제TV 이지영입니다. /easy@sedaily.com"])
def test_tag_and_signoff_lines_are_dropped(line):
    assert clean_text(f"제목\n본문 첫 문장입니다.\n{line}\n본문 둘째 문장입니다.").text == \
        "본문 첫 문장입니다.\n본문 둘째 문장입니다."


def test_prose_with_brackets_or_an_address_is_kept():
    text = ("제목\n[서울=연합뉴스] 정부는 오늘 새 대책을 발표했다.\n"
            "문의는 시청 홈페이지나 help@seoul.go.kr 로 하면 되며 답변은 사흘 안에 온다고 시는 설명했다.")
    assert clean_text(text).text == text.split("\n", 1)[1]


def test_text_without_a_title_line_keeps_its_first_paragraph():
    first = ("서울시가 내년부터 한강 공원에 야간 도서관을 운영한다고 밝혔다. 시는 여의도와 반포 두 곳에서 시범 운영한 뒤 "
             "이용자가 많으면 다른 공원으로 넓힐 계획이다. 도서관은 오후 6시부터 밤 11시까지 문을 연다.")
    cleaned = clean_text(first + "\n둘째 문단입니다.")
    assert cleaned.text == first + "\n둘째 문단입니다.", "a paragraph is not a headline: it must be indexed"
    assert cleaned.title.startswith("서울시가 내년부터") and len(cleaned.title) <= 81


NEWS_PAGE = """새 공장 준공식 열려
매일뉴스

새 공장 준공식 열려

입력 2019-06-26 15:54

2025.08.21 (목)
  • 구름많음서울 29.7℃
  • 작게보기
기사프린트
왼쪽부터 김철수 사장, 이영희 대표.
왼쪽부터 김철수 사장, 이영희 대표.
▲ 준공식 모습(사진=회사 제공)
(서울=뉴스) 홍길동 기자 = 회사는 20만㎡ 규모의 공장을 준공했다고 26일 밝혔다.
삼성전자[005930]의 투자 비중은 2016년 12.6%에서 지난해 17.4%로 높아졌다.
출처 : 게티이미지뱅크
#공장 #준공
(끝)
TOP
저작권자 Ⓒ매일뉴스
댓글 0
경제일반
다른 회사, 전혀 다른 소식
"""


def test_news_page_furniture_is_dropped_and_the_prose_kept():
    cleaned = clean_text(NEWS_PAGE)
    assert cleaned.title == "새 공장 준공식 열려"
    assert cleaned.text.splitlines()[0].startswith("(서울=뉴스) 홍길동 기자 = 회사는 20만㎡")
    for gone in ("매일뉴스", "입력", "구름많음", "작게보기", "기사프린트", "왼쪽부터", "▲", "게티이미지", "#공장",
                 "(끝)", "TOP", "Ⓒ", "댓글", "전혀 다른 소식", "2025.08.21"):
        assert gone not in cleaned.text, gone


def test_publication_date_comes_from_the_dateline_not_a_widget_or_the_prose():
    assert clean_text(NEWS_PAGE).published == "2019-06-26"
    widget_only = "제목\n2025.08.21 (목)\n비중은 2016년 12.6%에서 지난해 17.4%로 높아졌다고 밝혔다.\n"
    assert clean_text(widget_only).published == ""


def test_bracketed_numbers_in_the_text_cannot_pass_for_citation_markers():
    text = clean_text(NEWS_PAGE).text
    assert "삼성전자(005930)" in text and "[005930]" not in text


def test_standing_notices_credits_and_sign_offs_are_dropped():
    page = "\n".join([
        "서울시, 새 버스 노선 12개 발표",
        "(서울=연합뉴스) 홍길동 기자 = 서울시는 30일 새 버스 노선 12개를 발표했다.",
        "경찰은 목격자의 제보를 기다린다며 112로 연락해 달라고 당부했다.",
        "▶ 제보는 카카오톡 okjebo",
        "※ YTN은 여러분의 소중한 제보를 기다립니다. [카카오톡] YTN 검색해 채널 추가 [전화] 02-398-8585",
        "MBC 뉴스는 24시간 여러분의 제보를 기다립니다. ▷ 전화 02-784-4000 ▷ 이메일 mbcjebo@mbc.co.kr",
        "(영상취재: 홍길동 / 영상편집: 김철수)",
        "© News1 홍길동 기자",
        "/사진=연합뉴스",
        "KBS 뉴스 홍길동입니다.",
        "YTN 홍길동 (hong@ytn.co.kr)",
        "본문 요약봇",
        "이 기사는 언론사에서 사회 섹션으로 분류했습니다.",
        "홍길동 기자의 다른 기사 보기",
        "구독자 1,234",
        "새 노선은 다음 달부터 운행한다.",
    ])
    assert clean_text(page).text.split("\n") == [
        "(서울=연합뉴스) 홍길동 기자 = 서울시는 30일 새 버스 노선 12개를 발표했다.",
        "경찰은 목격자의 제보를 기다린다며 112로 연락해 달라고 당부했다.",
        "새 노선은 다음 달부터 운행한다.",
    ]


@pytest.mark.parametrize("prose", [
    "구독자 수가 1년 새 두 배로 늘어 300만 명을 넘었다.",
    "편집국장은 이날 기자회견에서 사과했다.",
    "유튜브 채널은 출범 이후 꾸준히 성장했다고 회사 측은 설명했다.",
    "ⓒ 표시가 없는 사진도 저작권의 보호를 받는다는 판결이 나왔다고 법조계는 전했다.",
])
def test_prose_that_mentions_subscribers_or_credits_is_kept(prose):
    assert prose in clean_text("제목\n" + prose + "\n다음 문장도 기사다.").text
