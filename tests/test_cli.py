"""The `articlebot` command as a person or a script runs it: a subprocess, its exit code and its JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import DEFAULT_ID, VENV_BIN, assert_answer_contract, cli_env, run_cli
from test_sources import BODY, write

pytestmark = pytest.mark.slow

ARTICLE_KEYS = {"id", "title", "chunks", "source", "indexed_at", "url", "published"}


def lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A data dir whose first use (`articles --json`) indexed the default article. Read-only: copy to change."""
    data = tmp_path_factory.mktemp("cli") / "data"
    return data, run_cli(["articles", "--json"], data)


@pytest.fixture
def data(seeded, tmp_path) -> Path:
    """A private copy of the seeded data dir, for commands that change the index."""
    copy = tmp_path / "data"
    shutil.copytree(seeded[0], copy)
    return copy


def test_first_use_indexes_the_default_article_and_lists_it(seeded):
    _, result = seeded
    ok(result)
    [art] = json.loads(result.stdout)
    assert set(art) >= ARTICLE_KEYS
    assert art["id"] == DEFAULT_ID and art["chunks"] >= 2 and art["title"].startswith("오세훈")
    assert f"Indexed into {seeded[0]}:" in result.stderr, "first use says where the data dir is"


def test_ask_json_prints_one_answer_object(seeded):
    result = ok(run_cli(["ask", "서울관에 참여한 서울 소재 스타트업은 몇 개 기업인가?", "--json"], seeded[0]))
    [data] = lines(result.stdout)
    assert_answer_contract(data)
    assert data["question"] == "서울관에 참여한 서울 소재 스타트업은 몇 개 기업인가?"
    assert data["answerable"] is True and "81" in data["answer"]
    assert "Indexed" not in result.stderr, "the second use must not index again"


def test_ask_jsonl_answers_each_line_in_order(seeded):
    history = [{"role": "user", "content": "AI 서울테크시티는 어느 부지에 조성돼?"},
               {"role": "assistant", "content": "“양재동 양곡도매시장 부지에 …” [1]"}]
    requests = [
        {"q": "AI 서울테크시티는 어느 부지에 조성돼?"},
        {"q": "규모는?", "history": history},
        {"q": "한남4구역 시공사는 어디로 결정됐나?", "history": []},
    ]
    stdin = "\n".join(json.dumps(r, ensure_ascii=False) for r in requests)
    stdin += "\nthis is not json\n\n" + json.dumps({"q": "규모는?", "history": "not a list"}) + "\n"
    stdin += json.dumps({"q": ""}) + "\n" + json.dumps({"question": "wrong key"}) + "\n"
    out = lines(ok(run_cli(["ask", "--jsonl"], seeded[0], input=stdin)).stdout)
    assert len(out) == 7  # the blank line is skipped, every other line gets exactly one answer
    first, follow, refused, *errors = out
    for data in (first, follow, refused):
        assert_answer_contract(data)
    assert first["answerable"] and "양곡도매시장" in first["answer"]
    assert follow["question"] == "규모는?" and follow["standalone_question"] != "규모는?"
    assert "서울테크시티" in follow["standalone_question"]
    assert follow["answerable"] and "20만" in follow["answer"]
    assert refused["answerable"] is False and refused["citations"] == []
    assert all(set(e) == {"error"} and e["error"] for e in errors)


def test_search_jsonl(seeded):
    stdin = "\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"q": "서울관 스타트업 81개", "k": 2}, {"q": "코엑스"}, {"q": "코엑스", "k": -1}, {"q": "코엑스", "k": 0},
        {"q": "코엑스", "k": "2"}, {"k": 2}]) + "\n{broken\n"
    out = lines(ok(run_cli(["search", "--jsonl"], seeded[0], input=stdin)).stdout)
    assert len(out) == 7
    two, default_k, *errors = out
    assert all(set(e) == {"error"} for e in errors), errors
    assert len(two["results"]) == 2
    assert "81개" in two["results"][0]["text"]
    assert 1 <= len(default_k["results"]) <= 5
    for r in two["results"] + default_k["results"]:
        assert set(r) == {"chunk_id", "article_id", "text", "score"}
        assert r["article_id"] == DEFAULT_ID and r["chunk_id"].startswith(DEFAULT_ID + "#")
        assert isinstance(r["score"], float)
    scores = [r["score"] for r in default_k["results"]]
    assert scores == sorted(scores, reverse=True)


def test_search_json_and_text(seeded):
    data = json.loads(ok(run_cli(["search", "코엑스", "-k", "1", "--json"], seeded[0])).stdout)
    assert len(data["results"]) == 1 and "코엑스" in data["results"][0]["text"]
    piped = ok(run_cli(["search", "코엑스", "-k", "2"], seeded[0])).stdout.splitlines()
    assert piped[0].split("\t") == ["rank", "article_id", "chunk_id", "title", "text"]
    rows = [line.split("\t") for line in piped[1:]]
    assert [r[0] for r in rows] == ["1", "2"] and all(len(r) == 5 for r in rows), "one line per passage"
    assert rows[0][1] == DEFAULT_ID and rows[0][3].startswith("오세훈")
    full = {r["chunk_id"]: " ".join(r["text"].split())
            for r in json.loads(ok(run_cli(["search", "코엑스", "-k", "2", "--json"], seeded[0])).stdout)["results"]}
    assert all(r[4] == full[r[2]] for r in rows), "the whole passage, not cut at 160 characters"


def test_chat_answers_piped_questions_and_exits_cleanly(seeded):
    result = ok(run_cli(["chat"], seeded[0], input="서울관에 참여한 스타트업은 몇 개야?\n한남4구역 시공사는 어디야?\n"))
    assert "Q: 서울관에 참여한 스타트업은 몇 개야?" in result.stdout
    assert "loading models…" in result.stderr
    assert "Q: 한남4구역 시공사는 어디야?" in result.stdout
    first, second = result.stdout.split("Q: 한남4구역")
    assert "81" in first and "[1]" in first
    assert "[1]" not in second and any("\uac00" <= ch <= "\ud7a3" for ch in second.split("\n", 1)[1])
    # (the second is a refusal, in Korean, citing nothing)


def test_eval_prints_scores(seeded, tmp_path):
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join([
        json.dumps({"id": "a", "q": "서울관에 참여한 서울 소재 스타트업은 몇 개 기업인가?", "keys": ["81"]},
                   ensure_ascii=False),
        json.dumps({"id": "b", "q": "한남4구역 시공사는 어디로 결정됐나?", "keys": [], "answerable": False},
                   ensure_ascii=False),
    ]), encoding="utf-8")
    data = json.loads(ok(run_cli(["eval", str(qa), "--json"], seeded[0])).stdout)
    assert data["hit_rate"] == 1.0 and data["refusal_accuracy"] == 1.0 and data["failures"] == []
    scored = ok(run_cli(["eval", str(qa)], seeded[0]))
    assert "answering: 0/2" in scored.stderr and "answering: 2/2" in scored.stderr, "piped: progress lines"
    text = scored.stdout.splitlines()
    assert text[0].startswith("index: 1 article(s)") and DEFAULT_ID in text[0], "says what it scored against"
    assert "hit_rate: 1.000 (1/1)" in text and "refusal_accuracy: 1.000 (1/1)" in text
    assert "followup_accuracy: – (none)" in text


def test_eval_with_a_bad_row_names_file_and_line(seeded, tmp_path):
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"id": "a", "q": "질문", "keys": ["x"]}\n{"id": "b", "question": "wrong key"}\n', encoding="utf-8")
    result = run_cli(["eval", str(qa)], seeded[0])
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{qa}:2:" in result.stderr and '"q"' in result.stderr


def test_ingest_articles_remove(data, pages, tmp_path):
    path = write(tmp_path / "night.txt", "한강 야간 도서관 연다\n" + BODY)
    url = pages.add("/news", "청계천 야간 도서관\n" + BODY.replace("한강", "청계천"),
                    content_type="text/plain; charset=utf-8")
    missing = tmp_path / "missing.txt"

    result = run_cli(["ingest", str(path), url, str(missing)], data)
    assert result.returncode == 0, "articles were imported: success, with the problems listed"
    assert "2 article(s)" in result.stdout and "0 unchanged" in result.stdout, "the default article is not news"
    assert "skipped:" in result.stderr and "missing.txt" in result.stderr
    assert "Traceback" not in result.stderr

    listed = json.loads(ok(run_cli(["articles", "--json"], data)).stdout)
    ids = [a["id"] for a in listed]
    assert ids[0] == DEFAULT_ID and "night" in ids and len(ids) == 3
    assert {a["source"] for a in listed if a["id"] != DEFAULT_ID} == {str(path.resolve()), url}

    removed = ok(run_cli(["remove", "night"], data))
    assert "Removed night" in removed.stdout

    unknown = run_cli(["remove", "nope"], data)
    assert unknown.returncode == 1
    assert "nope" in unknown.stderr and "Traceback" not in unknown.stderr

    text = ok(run_cli(["articles"], data)).stdout.splitlines()
    assert text[0].split("\t") == ["id", "title", "chunks", "source", "indexed_at"]
    assert len(text) == 3 and "night" not in "".join(text) and text[1].startswith(DEFAULT_ID + "\t")


def test_ingest_with_nothing_readable_fails_clearly(data, tmp_path):
    result = run_cli(["ingest", str(tmp_path / "nope.txt")], data)
    assert result.returncode == 2, "nothing imported"
    assert "nothing imported" in result.stderr and "no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_ingest_jsonl_reports_the_files_line_numbers_and_progress_lines(data, tmp_path):
    good = json.dumps({"id": "j1", "title": "제목", "text": BODY}, ensure_ascii=False)
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join([good, good.replace("j1", "j2"), "", "{broken"]) + "\n", encoding="utf-8")
    result = run_cli(["ingest", str(path)], data)
    assert result.returncode == 0 and "2 article(s)" in result.stdout
    assert "batch.jsonl:4:" in result.stderr and "line 1" not in result.stderr
    assert "reading sources: 0/1" in result.stderr and "embedding: 0/" in result.stderr, "piped: progress lines"


def test_a_bad_setting_exits_non_zero_naming_the_variable(tmp_path):
    result = run_cli(["articles", "--json"], tmp_path / "data", ARTICLEBOT_CHROMA_PORT="abc")
    assert result.returncode != 0
    assert "ARTICLEBOT_CHROMA_PORT" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "data").exists(), "nothing may start on a bad setting"


def test_ask_without_a_question_is_a_usage_error(tmp_path):
    result = run_cli(["ask"], tmp_path / "data")
    assert result.returncode == 2
    assert "QUESTION" in result.stderr


def _command_names() -> list[str]:
    import typer

    from articlebot.cli import app

    return sorted(typer.main.get_command(app).commands)


def test_help_on_every_command(tmp_path):
    names = _command_names()
    assert {"ask", "search", "articles", "ingest", "remove", "chat", "run", "eval"} <= set(names)
    env = cli_env(tmp_path / "data")
    procs = {name: subprocess.Popen([str(VENV_BIN / "articlebot"), *([name] if name else []), "--help"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                    cwd=tmp_path, stdin=subprocess.DEVNULL)
             for name in ["", *names]}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"{name} --help: {err}"
        assert "Usage:" in out and "--help" in out
        assert "`" not in out, f"{name} --help shows literal backticks"
        assert "ARTICLEBOT_" in out and ".env" in out, f"{name} --help does not say where settings come from"
        if not name:
            for command in names:
                assert command in out
    assert not (tmp_path / "data").exists(), "--help must not open the index"


def test_version(tmp_path):
    from importlib.metadata import version

    result = ok(run_cli(["--version"], tmp_path / "data"))
    assert result.stdout.strip() == f"articlebot {version('articlebot')}"
    assert not (tmp_path / "data").exists()
