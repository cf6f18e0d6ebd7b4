"""Scoring QA files: hits, refusals and follow-ups are judged on the answer and its citations."""

from __future__ import annotations

import json

import pytest

from retrieval.evaluation import evaluate, judge, read_jsonl
from retrieval.models import Answer, Citation, Turn


def answer(text: str, passage: str | None = None) -> Answer:
    if passage is None:
        return Answer("q", "q", text, False, "extractive")
    return Answer("q", "q", text, True, "extractive",
                  [Citation(1, "a", "t", "a#1", text.split("”")[0].strip("“"), passage)])


def test_judge():
    good = answer("“81개 기업” [1]", "스타트업 81개 기업이 참여했다")
    assert judge(good, ["81개"], True)
    assert not judge(good, ["18개"], True)
    assert not judge(answer("81개 [1]", "다른 문단"), ["81개"], True), "the key must be in a cited passage"
    assert not judge(answer("기사에 없습니다."), ["81개"], True)
    assert judge(answer("기사에 없습니다."), [], False)
    assert not judge(good, [], False), "an unanswerable question must be declined"
    uncited = Answer("q", "q", "기사에 없습니다.", False, "extractive", good.citations)
    assert not judge(uncited, [], False), "a refusal cites nothing"


def test_evaluate_counts_each_kind_and_passes_history():
    seen: list[tuple[str, list[Turn]]] = []

    def ask(q: str, history: list[Turn]) -> Answer:
        seen.append((q, list(history)))
        if "없는" in q:
            return answer("기사에 없습니다.")
        return answer(f"“{q} 답” [1]", f"본문 {q} 답")

    rows = [
        {"id": "1", "q": "질문1", "keys": ["질문1 답"]},
        {"id": "2", "q": "없는 것", "keys": [], "answerable": False},
        {"id": "3", "q": "질문3", "keys": ["틀린 키"]},
        {"id": "c", "turns": [{"q": "처음", "keys": ["처음"]}, {"q": "그다음", "keys": ["그다음"]},
                              {"q": "없는 것도", "keys": [], "answerable": False}]},
    ]
    res = evaluate(rows, ask).as_dict()
    assert (res["answerable"], res["unanswerable"], res["followup_turns"]) == (3, 1, 2)
    assert res["hit_rate"] == pytest.approx(2 / 3, abs=1e-3)
    assert res["refusal_accuracy"] == 1.0 and res["followup_accuracy"] == 1.0
    assert [f["id"] for f in res["failures"]] == ["3"]
    # Conversation turns see the earlier turns (question and answer with its chunk ids); rows do not.
    history = dict((q, h) for q, h in seen)
    assert history["질문3"] == []
    assert [t.content for t in history["그다음"]][0] == "처음"
    assert history["그다음"][1].chunk_ids == ["a#1"]
    assert len(history["없는 것도"]) == 4


def test_empty_categories_score_none():
    res = evaluate([], lambda q, h: answer("x")).as_dict()
    assert res["hit_rate"] is None and res["failures"] == []


def test_read_jsonl_names_the_bad_line(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"q": "a"}) + "\n\n{oops\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"qa\.jsonl:3"):
        read_jsonl([path])
    path.write_text(json.dumps({"q": "a"}) + "\n", encoding="utf-8")
    assert read_jsonl([path]) == [{"q": "a"}]


@pytest.mark.parametrize(("line", "says"), [
    ('{"id": "x", "question": "wrong key"}', '"q"'),
    ('{"id": "x", "q": "  "}', '"q"'),
    ('{"q": "누구?", "keys": "장재민"}', '"keys"'),
    ('{"q": "누구?", "answerable": "no"}', '"answerable"'),
    ('{"turns": []}', '"turns"'),
    ('{"turns": [{"q": "a"}, {"keys": ["b"]}]}', "turn 2"),
    ('["not", "an", "object"]', "JSON object"),
])
def test_a_bad_row_names_its_file_line_and_problem(tmp_path, line, says):
    path = tmp_path / "qa.jsonl"
    path.write_text('{"q": "fine", "keys": ["a"]}\n\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        read_jsonl([path])
    assert f"{path}:3:" in str(err.value) and says in str(err.value)


def test_the_seed_dev_sets_ship_in_the_repository_and_parse():
    """`make eval` works on a fresh clone: its default files are in eval/, not ../shared."""
    import re

    from conftest import ROOT

    makefile = (ROOT / "Makefile").read_text()
    files = re.search(r"^EVAL \?= (.+)$", makefile, re.M).group(1).split()
    rows = read_jsonl([ROOT / f for f in files])
    assert len(rows) >= 10 and any("turns" in r for r in rows)
    assert "../shared" not in makefile
