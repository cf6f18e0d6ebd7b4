"""Word lists the support rule uses to tell a reworded claim from a changed one (Korean lemma stems, as
`claims.py` makes them: "참여", "선보이", "받").

Why lists and not a model: the split between "reworded" and "changed" is the one the grey zone exists
for, and it must fail safe. A word missing from a list only sends a true claim to the judge; a list that
is too generous lets a false claim through with its citation. So the lists are small and general (news
vocabulary, not this probe's sentences), and every entry is a word whose swap does not change what
happened:
- synonyms: words news answers use for one another ("참가" for "참여", "열리다" for "개최"), including
  the verbs of taking part and showing ("81개 기업이 참여했다" for "81개 기업의 제품을 선보였다");
- light predicates: verbs of grammar (통하다, 하다, 되다, 받다 as before). When every name, value and
  content noun of a clause is in its support, such a verb may differ from the support's. Evaluative
  and emotional verbs (놀라다/실망하다, 성공/실패) are deliberately absent from both lists: those
  changes are what the judge decides;
- generic nouns: words that restate the frame, not a fact (사람, 현장, 행사, 예정, 계획 ...);
- opposites: a claim whose predicate is the opposite of the support's is rejected outright, whatever
  else agrees (증가/감소, 오르다/내리다, 승리/패배, 추진/철회).
"""

from __future__ import annotations

SYNONYMS = [{"참여", "참가", "선보이", "소개", "공개", "전시", "출품"}, {"개최", "열리", "열"},
            {"수상", "받", "안", "돌아가", "차지", "주어지"}, {"만나", "만남", "회동", "대담", "회담"},
            {"조성", "건설", "짓", "만들", "세우"}, {"밝히", "말하"}, {"방문", "찾", "둘러보"}, {"계획", "예정"},
            {"규모", "크기"}, {"기업", "회사", "업체"}, {"들어서", "갖추", "마련", "갖춰지"}, {"돕", "도움", "지원"},
            {"모이", "몰리"}]
SAME = {w: group for group in SYNONYMS for w in group}

# Verbs of grammar, not of the claim ("통해", "대해"): they may differ once the rest holds. Not 위하다: "X를
# 위해" states a purpose, and "서울시는 규제해소를 위해 혁신상을 받았다" must not pass. Verbs of
# taking part or showing are synonyms above, not light: a light "운영했다" would let "장 회장은 서울관을
# 운영했다" stand on "서울관을 둘러본 장 회장은".
LIGHT = {"하", "되", "있", "받", "주", "가지", "들", "보", "나오", "이루", "갖", "이", "아니", "통하", "대하", "관하",
         "따르", "두"}
# Nouns that restate the frame of a statement, not a fact in it.
GENERIC = {"사람", "현장", "행사", "예정", "계획", "방침", "자리", "모습", "소식", "경우", "가운데", "부분",
           "분야", "모두", "전체", "그중", "이들", "이곳", "당시", "최근", "그곳", "무대", "곳"}
_OPPOSITES = [({"증가", "늘", "늘어나", "확대", "상승", "오르", "인상", "흑자"},
               {"감소", "줄", "줄어들", "축소", "하락", "내리", "인하", "적자"}),
              ({"승리", "이기", "우승", "합격", "성공"}, {"패배", "패하", "탈락", "불합격", "실패"}),
              ({"추진", "계획", "조성", "개최", "운영", "도입", "시작", "허용", "찬성"},
               {"철회", "취소", "중단", "무산", "보류", "폐지", "연기", "금지", "반대", "종료"})]
OPPOSITE = {w: b if w in a else a for a, b in _OPPOSITES for w in a | b}
