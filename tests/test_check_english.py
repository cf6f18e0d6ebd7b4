"""English claims against Korean passages (retrieval/check/english.py, sounds.py): aligned word by word, or left to
the judge."""

from __future__ import annotations

from retrieval.check.sounds import KoreanText, skeleton
from retrieval.check.verify import check
from retrieval.models import Passage

P = [
    Passage("a#1", "a", "CES", "오세훈 서울시장이 지난 9일 미국 라스베이거스 시저스 팰리스 호텔에서 장재민 회장을 만났다. "
            "두 사람은 미래 서울의 방향에 대해 대담했다."),
    Passage("a#2", "a", "CES", "오 시장은 “양재동 양곡도매시장 부지에 20만㎡ 규모의 ‘AI 서울테크시티’를 조성하고 있다”고 말했다. "
            "이어 “올해 10월 ‘제1회 서울 스마트 라이프 위크’를 코엑스에서 개최할 계획이다”라고 밝혔다. "
            "서울관을 둘러본 장 회장은 “서울관의 규모와 내용에 놀랐다”고 말했다."),
    Passage("a#3", "a", "CES", "서울관에는 13개 기관과 스타트업 81개 기업이 참여했다. "
            "참여기업 중 18개 기업이 혁신상을 수상했고, 2개 기업은 최고혁신상의 영예를 안았다."),
]


def run(reply: str, **kw):
    return check(reply, P, **kw)


def kept(reply: str) -> bool:
    return bool(run(reply).citations)


def test_transliterated_names_align_by_their_sounds_at_word_edges():
    assert skeleton("Yangjae-dong") == skeleton("yangjaedong") == "njtn"
    sup = KoreanText("미국 라스베이거스 호텔과 코엑스에서, 양재동 부지에 서울시장이", frozenset())
    for name, korean in [("Las Vegas", "라스베이거스"), ("COEX", "코엑스에서"), ("Yangjae-dong", "양재동")]:
        assert sup.sounds(skeleton(name)) == korean, name
    assert sup.sounds(skeleton("Seoul")) == ""  # 서울 is only the start of 서울시장
    assert KoreanText("미래 서울의 방향", frozenset()).sounds(skeleton("Seoul"), place=True) == ""  # not a place


def test_a_faithful_english_claim_is_kept_without_the_judge():
    for claim in ["Mayor Oh is building AI Seoul Tech City in Yangjae-dong, on a 200,000 square meter site [2].",
                  "Mayor Oh Se-hoon met Chairman Jang Jae-min in Las Vegas [1].",
                  "Mayor Oh plans to hold the first Seoul Smart Life Week at COEX in October [2].",
                  'Eighteen participating companies won Innovation Awards ("혁신상") [3].',
                  'Chairman Jang said he was surprised ("놀랐다") by the size and content of the pavilion [2].']:
        c = run(claim)
        assert c.citations and c.grey == 0, claim


def test_a_changed_word_goes_to_the_judge_and_a_contradiction_is_rejected():
    felt = run("Chairman Jang said he was disappointed by the size and content of the pavilion [2].")
    assert not felt.citations and felt.grey == 1  # a feeling the passage does not say: the judge decides
    yes = lambda items: [True] * len(items)  # noqa: E731
    for wrong in ["Chairman Jang is building AI Seoul Tech City in Yangjae-dong [2].",  # the mayor is
                  "Mayor Oh cancelled the first Seoul Smart Life Week at COEX [2].",  # the opposite of 개최
                  'Eighteen companies won the top innovation award ("최고혁신상") [3].',  # two did
                  'Mayor Oh said he was surprised ("놀랐다") by the pavilion [2].']:  # the chairman was
        c = run(wrong, entail=yes)
        assert not c.citations and c.grey == 0, wrong


def test_a_name_from_another_sentence_or_an_unknown_word_is_not_enough():
    assert not kept("Mayor Oh met Chairman Jang in Seoul [1].")  # Seoul only as 서울의 in the next sentence
    assert not kept('The pavilion won the CES Best of Show award ("서울관") [3].')
    assert not kept('The pavilion won the CES Best of Show ("서울관") [3].')  # a gloss must say what it glosses


def test_the_actor_of_a_sentence_without_a_subject_is_the_one_carried_over():
    ps = [Passage("b#1", "b", "CES", "장 회장이 소감을 묻자 오 시장은 “전장 같았다”고 말했다. "
                  "이어 “올해 10월 코엑스에서 서울 스마트 라이프 위크를 개최할 계획이다”라고 밝혔다.")]
    assert check("Mayor Oh plans to hold the Seoul Smart Life Week at COEX in October [1].", ps).citations
    swapped = check("Chairman Jang plans to hold the Seoul Smart Life Week at COEX in October [1].", ps,
                    entail=lambda items: [True] * len(items))
    assert not swapped.citations and swapped.grey == 0


def test_figures_stand_in_one_sentence_and_a_negation_is_the_judges():
    # 13 from the first sentence of passage 3, 18 (the prize winners) from the second
    for wrong in ["The pavilion hosted 13 institutions and 18 startups [3].", "서울관에는 13개 기관과 18개 기업이 참여했다 [3]."]:
        c = run(wrong, entail=lambda items: [True] * len(items))
        assert not c.citations and c.grey == 0, wrong
    # the passage's only negation is 총성 없는 ("without gunfire"), not about what he said
    ps = [Passage("d#1", "d", "CES", "오 시장은 “CES 현장이 총성 없는 전장 같았다”고 말했다.")]
    assert check("Mayor Oh said CES felt like a battlefield [1].", ps).citations
    never = check("Mayor Oh never said CES felt like a battlefield [1].", ps)
    assert not never.citations and never.grey == 1
