"""Features of candidate sentences: what a sentence holds of the question, counting what its article's title
and (in a conversation) its borrowed topic say for it."""

from __future__ import annotations

from conftest import make_service

from retrieval.answer.evidence import Kind, analyze, has_kind

JEJU = ("제주도 해수욕장 개장 계획\n\n제주도내 해수욕장이 오는 27일부터 본격 개장된다. 이호테우해변이 가장 먼저 "
        "개장한다. 운영시간은 오전 10시부터 오후 7시까지다.\n")


def one_article(tmp_path, embedder, text: str):
    """A service over one article (its first line is the title)."""
    src = tmp_path / "src" / "article.txt"
    src.parent.mkdir(parents=True)
    src.write_text(text, encoding="utf-8")
    svc = make_service(tmp_path / "data", embedder, [src])
    svc.open()
    return svc


def test_a_sentence_holds_what_its_articles_title_says(tmp_path, embedder):
    svc = one_article(tmp_path, embedder, JEJU)
    question = "제주도 해수욕장의 운영시간은?"
    ranked = svc.extractive.rank(analyze(question), embedder.embed_query(question), svc.search(question), svc._stats)
    hours = next(c for c in ranked if c.text.startswith("운영시간은"))
    # The sentence never says 제주도 or 해수욕장; the headline it sits under does.
    assert hours.features["nouns"] < hours.features["titled"] == 1.0
    # The lead says the title's words itself and not the asked ones: the title adds nothing to it.
    lead = next(c for c in ranked if c.text.startswith("제주도내"))
    assert lead.features["titled"] == lead.features["nouns"] < 1.0


BEACHES = ("경남 해수욕장 순차 개장\n\n경남도는 오는 7월 5일 남해상주은모래비치 개장을 시작으로 도내 해수욕장 26곳을 "
           "순차적으로 개장한다고 26일 밝혔다. 해수욕장은 8월 25일까지 매일 오전 9시∼오후 7시 사이 운영한다. "
           "도는 개장 기간 안전요원을 배치한다.\n")


def test_a_borrowed_topic_counts_as_held_by_every_sentence_of_the_conversations_article(tmp_path, embedder):
    svc = one_article(tmp_path, embedder, BEACHES)
    q = analyze("하루 운영 시간은?")
    q.nouns += ["남해상주은모래비치"]  # what "거기는 언제 문 열어?" borrowed from the conversation
    passages = svc.search("남해상주은모래비치 하루 운영 시간은?")
    qvec = embedder.embed_query("남해상주은모래비치 하루 운영 시간은?")

    def nouns(topic) -> dict[str, float]:
        ranked = svc.extractive.rank(q, qvec, passages, svc._stats, topic)
        return {c.text[:6]: c.features["nouns"] for c in ranked}

    plain, given = nouns(None), nouns(("article", ["남해상주은모래비치"]))
    hours, lead = "해수욕장은 ", "경남도는 오"
    # The sentence that answers never names the beach; the lead that introduced it does.
    assert given[hours] > plain[hours] and given[lead] == plain[lead]
    assert given[hours] > given[lead] >= plain[hours]
    assert nouns(("another-article", ["남해상주은모래비치"])) == plain  # only the conversation's article


REPORTERS = ("전남교육청 홍보기자단 모집\n\n전남도교육청은 4월 30일까지 홍보기자단을 모집한다. 홍보기자단은 교육 현장의 "
             "소식을 취재한다. 위촉된 기자는 1년 동안 활동한다.\n")


def test_an_article_that_never_says_the_asked_thing_is_told_apart_at_any_index_size(tmp_path, embedder):
    svc = one_article(tmp_path, embedder, REPORTERS)

    def top(question: str):
        ranked = svc.extractive.rank(analyze(question), embedder.embed_query(question), svc.search(question),
                                     svc._stats)
        return ranked[0].features

    # 활동비 (the asked noun) is nowhere in the article; 기간 is said by a sentence of the article as 1년.
    unsaid, said = top("홍보기자단에게는 활동비가 얼마 지급돼?"), top("홍보기자단은 얼마 동안 활동해?")
    assert unsaid["focus_article"] == 0.0 and unsaid["nouns_article"] < 1.0
    assert said["kind_article"] == 1.0 and said["nouns_article"] == 1.0



def test_a_feature_in_another_embedders_cosine_scale_is_read_at_its_fitted_mean(tmp_path, embedder):
    import pytest

    from retrieval.answer.features import EMBEDDER_SCALED, decision_features, question_features

    svc = one_article(tmp_path, embedder, REPORTERS)
    question = "홍보기자단은 얼마 동안 활동해?"
    q = analyze(question)
    ranked = svc.extractive.rank(q, embedder.embed_query(question), svc.search(question), svc._stats)
    model = svc.extractive.model.decision
    row = decision_features(question_features(q, svc._stats), ranked)
    fitted = dict(zip(model.features, model.mean))
    neutral = row | {f: fitted[f] for f in EMBEDDER_SCALED}
    assert row["top_dense"] != pytest.approx(fitted["top_dense"])
    # The test's hash embedder is not the one the model was fitted with: its cosines say nothing here.
    assert svc.extractive.confidence(q, ranked, svc._stats) == pytest.approx(
        float(model.logits([neutral])[0]) - model.threshold)
    embedder.id = svc.extractive.model.meta["embedder"]  # as if it were
    assert svc.extractive.confidence(q, ranked, svc._stats) == pytest.approx(
        float(model.logits([row])[0]) - model.threshold)


def test_a_name_in_the_headline_counts_for_the_sentences_under_it(tmp_path, embedder):
    svc = one_article(tmp_path, embedder, JEJU)
    question = "What are the opening hours of Jeju's beaches?"
    q = analyze(question)
    ranked = svc.extractive.rank(q, embedder.embed_query(question), svc.search(question), svc._stats)
    hours = next(c for c in ranked if c.text.startswith("운영시간은"))
    # "Jeju" is romanized 제주도 of the headline; the sentence itself names no place.
    assert "jeju" in q.anchors
    assert hours.features["names"] < hours.features["names_titled"] == 1.0


OIL = ("러시아산 원유 도입\n\n한국 최초의 러시아산 원유 도입이다. 2010년 1월 GS칼텍스는 ESPO 75만 배럴을 수입했다.\n")


def test_a_sentence_that_only_restates_the_question_holds_nothing_new(tmp_path, embedder):
    svc = one_article(tmp_path, embedder, OIL)
    question = "2010년 한국 최초로 러시아산 원유를 도입한 곳은?"
    ranked = svc.extractive.rank(analyze(question), embedder.embed_query(question), svc.search(question), svc._stats)
    restated = next(c for c in ranked if c.text.startswith("한국 최초"))
    answer = next(c for c in ranked if c.text.startswith("2010년"))
    assert restated.features["novel"] < 0.5 < answer.features["novel"]
    # GS칼텍스 is a name the question does not say; 한국 and 러시아 are.
    assert answer.features["proper_new"] == 1.0 and restated.features["proper_new"] == 0.0


def test_a_place_kiwi_does_not_tag_as_a_name_is_known_by_its_kind_of_place():
    question = "제주에서 가장 먼저 개장하는 해수욕장은 어디야?"
    assert analyze(question).kind is Kind.PLACE
    # Kiwi tags 이호테우해변 as a common noun; "해변" says it is a place.
    assert has_kind(Kind.PLACE, "이호테우해변이 오는 27일 가장 먼저 개장한다.", question)
    # The asked kind of place alone ("해수욕장은") names none, nor does a person's title ("연구원").
    assert not has_kind(Kind.PLACE, "해수욕장은 8월까지 운영한다.", question)
    assert not has_kind(Kind.PLACE, "선임 연구원이 말했다.", question)


def test_a_why_question_is_answered_by_a_sentence_that_gives_a_reason():
    question = "교과부가 우수연구 성과 100선을 선정하는 이유는 뭐야?"
    assert analyze(question).kind is Kind.REASON
    assert analyze("Why was the concert cancelled?").kind is Kind.REASON
    assert analyze("이유가 몇 가지야?").kind is Kind.NUMBER  # a count of reasons is a number
    assert has_kind(Kind.REASON, "과학기술에 대한 관심을 높이기 위해 교과부가 선정한다.", question)
    assert has_kind(Kind.REASON, "메모리 수요가 늘면서 수출이 확대됐다.", question)
    # The question's own word, restated, gives no reason.
    assert not has_kind(Kind.REASON, "선정 이유는 이달 중 발표된다.", question)
    assert not has_kind(Kind.REASON, "포스텍은 6개 연구팀이 선정됐다.", question)
