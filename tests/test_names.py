"""Names and numbers shared across scripts: the anchors an English question has in a Korean sentence."""

from retrieval.answer.evidence import analyze
from retrieval.answer.names import holds, share
from retrieval.korean import squash, terms


def test_english_question_anchors_are_its_names_and_numbers():
    q = analyze("How many people will Jeju deploy at its 11 beaches in 2024?")
    assert q.anchors == ["jeju", "11", "2024"]


def test_question_words_and_the_first_word_are_not_names():
    assert analyze("Which county head attended the briefing on Geochang's festival?").anchors == ["geochang"]
    assert analyze("What did they say?").anchors == []
    assert analyze("Can I bring my dog to the beach in Jeju?").anchors == ["jeju"]
    assert analyze("Where do I apply for the A program?").anchors == []


def test_english_words_capitalized_in_a_name_are_not_romanized_korean():
    # 한국과학재단 is "Korea Science and Engineering Foundation": only Korea (as 한국) can be found in Hangul.
    q = analyze("How many results did the Korea Science and Engineering Foundation select?")
    assert "science" not in q.anchors and "foundation" not in q.anchors and "한국" in q.anchors
    # Acronyms are written in Latin letters in Korean articles too.
    assert analyze("Who scored SBS's opening goal?").anchors == ["sbs"]


def test_a_province_named_in_english_is_its_korean_name():
    # Korean text writes 경남 and 전북; nothing in it romanizes to "gyeongsang" or "jeolla".
    assert analyze("How many beaches in South Gyeongsang province will open?").anchors == ["경남"]
    assert analyze("Which county in North Jeolla holds the festival?").anchors == ["전북"]
    sentence = "경남도는 도내 해수욕장 26곳을 순차적으로 개장한다."
    assert share(["경남"], frozenset(terms(sentence)), squash(sentence), ()) == 1.0


def test_korean_question_anchors_are_proper_nouns_and_numbers():
    q = analyze("포스텍 연구팀은 2016년에 무엇을 발표했나?")
    assert "포스텍" in q.anchors and "2016" in q.anchors


def test_a_romanized_name_matches_the_hangul_name():
    assert holds("geochang", frozenset(), "거창군수가참석했다.", ("거창군",))
    assert holds("jeju", frozenset(), "", ("제주",))
    assert not holds("busan", frozenset(), "", ("제주",))


def test_numbers_match_as_written_in_either_script():
    assert holds("246", frozenset(), "안전관리에는총246명이투입된다.", ())
    assert holds("1000", frozenset(), "1,000명", ())
    assert not holds("24", frozenset(), "246명", ())


def test_share_is_zero_when_the_question_names_nothing():
    assert share([], frozenset(), "아무것", ()) == 0.0
    assert share(["jeju", "busan"], frozenset(), "", ("제주",)) == 0.5
