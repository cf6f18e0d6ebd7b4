"""English words as a Korean news article says them, for checking an English claim against Korean support.

A bilingual dictionary small enough to read: common news vocabulary (people meeting, events held,
companies taking part, awards, building, plans, figures), each English base form with the Korean lemma
stems (as `claims.py` makes them) or noun spellings that say the same. A word missing here is not a
problem of safety: the clause then goes to the judge, as before. Emotional and evaluative words map
only to themselves ("surprised" → 놀라, "disappointed" → 실망), so a changed feeling is never matched.
Written by hand because no maintained, offline English–Korean lexicon ships on PyPI at a size that fits.
"""

from __future__ import annotations

_RAW = """
meet met meeting: 만나 만남 회동 대담 회담
talk talks discuss discussion dialogue interview: 대담 논의 이야기 대화 회담
hold held host hosted organize stage: 개최 열 열리 운영 참여 주최
open: 열 열리 개최 개장 개막
participate participating participant take join: 참여 참가
company companies firm business enterprise: 기업 회사 업체
startup: 스타트업 기업
institution organization agency body: 기관 단체
pavilion hall: 관
booth: 부스
exhibition show fair: 전시 전시회 박람회
award prize honor honour: 상 영예
innovation innovative: 혁신
win won receive received get earn take: 수상 받 안 차지 돌아가
build built construct create develop establish: 조성 건설 짓 만들 세우 구축
site land plot: 부지
city: 도시 시티
plan plans planned intend aim: 계획 예정 방침 추진 하
surprised surprise amazed astonished: 놀라
disappointed disappoint: 실망
impressed impress: 감명 감탄 인상
large big huge: 크 대규모 최대
largest biggest: 최대
ever: 역대
top highest best: 최고
first: 처음 제1회 첫
visit visited tour toured: 방문 찾 둘러보
show showcase present presented display exhibit introduce unveil feature: 선보이 소개 전시 공개
investor: 투자자
investment invest: 투자 유치
technology tech: 기술 테크
product: 제품
talent: 인재
culture cultural: 문화
space: 공간
housing residence residential home: 주거
industry industrial: 산업
future: 미래
direction: 방향
policy policies: 정책
digital: 디지털
revolution: 혁명
prepare preparing: 대비 준비
need necessity: 필요
battlefield battle war: 전장 전쟁
gunfire gunshot gun: 총성
passion: 열정
global world international: 세계 글로벌
opportunity chance: 기회
value: 가치
sale sales sell market: 판로 세일즈 판매 시장
help support assist: 지원 도움 돕 도
attract attraction draw: 유치 모으 모이 몰리
gather: 모이 모으 몰리
people person: 사람
capital: 자본
job: 일자리
size scale: 규모
content contents: 내용
like feel felt seem: 같 느끼
strategy: 전략
whole entire all: 전체 모든
overhaul transform transformation remake: 대개조 개조 혁신
transport transportation traffic: 교통
infrastructure: 인프라
lifestyle: 라이프스타일
design: 설계
regulation deregulation: 규제
driver force: 원동력
meaningful significant: 의미심장
question ask: 질문 묻
run ran operate operated: 운영
participate: 참여
rise increase grow: 증가 늘 상승 오르
fall decrease decline drop: 감소 줄 하락 내리
cancel cancelled canceled withdraw withdrew scrap: 철회 취소
stop halt suspend: 중단
postpone delay: 연기
ban: 금지
hotel: 호텔
wholesale: 도매
grain: 양곡
story: 이야기
"""
GLOSSARY: dict[str, frozenset[str]] = {}
for _line in _RAW.strip().splitlines():
    _words, _korean = _line.split(":")
    for _w in _words.split():
        GLOSSARY[_w] = GLOSSARY.get(_w, frozenset()) | frozenset(_korean.split())

# Titles and the commonest surnames, for "Mayor Oh" → 오 시장, "Chairman Jang Jae-min" → 장재민 회장.
TITLES = {"mayor": "시장", "chairman": "회장", "chairwoman": "회장", "president": "대통령", "minister": "장관",
          "ceo": "대표", "governor": "지사", "professor": "교수", "director": "감독", "lawmaker": "의원",
          "reporter": "기자", "chief": "청장", "premier": "총리"}
SURNAMES = {"kim": "김", "lee": "이", "yi": "이", "rhee": "이", "park": "박", "pak": "박", "choi": "최",
            "choe": "최", "jung": "정", "jeong": "정", "chung": "정", "kang": "강", "cho": "조", "jo": "조",
            "yoon": "윤", "yun": "윤", "jang": "장", "chang": "장", "lim": "임", "im": "임", "han": "한",
            "oh": "오", "shin": "신", "seo": "서", "suh": "서", "kwon": "권", "hwang": "황", "ahn": "안",
            "song": "송", "yoo": "유", "yu": "유", "ryu": "류", "hong": "홍", "jeon": "전", "jun": "전",
            "ko": "고", "koh": "고", "moon": "문", "yang": "양", "son": "손", "sohn": "손", "bae": "배",
            "baek": "백", "paik": "백", "heo": "허", "huh": "허", "nam": "남", "noh": "노", "roh": "노",
            "ha": "하", "kwak": "곽", "sung": "성", "cha": "차", "joo": "주", "woo": "우", "min": "민",
            "na": "나", "jin": "진", "um": "엄", "won": "원", "chae": "채", "byun": "변", "ku": "구",
            "koo": "구", "ji": "지"}
