"""The LLM path as a person runs it (`articlebot ask --json`), and the OpenAI-compatible embedder, on the fake."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import DEFAULT_ARTICLE, make_service, run_cli
from fakes.openai_server import (
    FakeOpenAI,
    Reply,
    cite,
    fake_openai,  # noqa: F401 (fixture)
    hash_vector,
)

from articlebot.compose import build_answerer
from articlebot.settings import load_settings
from retrieval.answer.offline import OfflineAnswerer
from retrieval.errors import EmbedderError
from retrieval.index.embeddings import OpenAIEmbedder, make_embedder
from retrieval.llm.chain import LLMAnswerer


def llm_env(fake: FakeOpenAI, **extra: str) -> dict[str, str]:
    # The fake serves the embeddings too, so the CLI needs no model load.
    return {"OPENAI_API_KEY": "test", "OPENAI_BASE_URL": fake.base_url, "ARTICLEBOT_LLM_MODEL": "fake-model",
            "ARTICLEBOT_EMBEDDER": "openai", "ARTICLEBOT_EMBEDDING_MODEL": "fake-embedding",
            "ARTICLEBOT_LLM_TIMEOUT": "5", "ARTICLEBOT_LLM_RETRIES": "1", **extra}


@pytest.mark.slow
def test_cli_ask_json_answers_with_the_llm(tmp_path, fake_openai):
    fake_openai.handler = cite("시저스 팰리스", "오 시장은 시저스 팰리스 호텔에서 장재민 회장을 만났습니다 [{n}].")
    res = run_cli(["ask", "--json", "오세훈 시장은 어느 호텔에서 장재민 회장을 만났나?"], tmp_path / "data",
                  **llm_env(fake_openai))
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["mode"] == "llm" and out["answerable"] and "note" not in out
    assert out["answer"] == "오 시장은 시저스 팰리스 호텔에서 장재민 회장을 만났습니다 [1]."
    assert "시저스 팰리스 호텔" in out["citations"][0]["quote"] and out["citations"][0]["quote"] in out["citations"][0]["passage"]
    assert out["usage"]["total_tokens"] > 0 and set(out["usage"]) == {"input_tokens", "output_tokens", "total_tokens"}
    chat = [r for r in fake_openai.requests if r["path"] == "/v1/chat/completions"]
    assert chat[0]["body"]["model"] == "fake-model" and chat[0]["headers"]["Authorization"] == "Bearer test"
    assert any(r["path"] == "/v1/embeddings" for r in fake_openai.requests)


@pytest.mark.slow
def test_cli_with_the_llm_down_still_answers_with_a_note(tmp_path, fake_openai):
    fake_openai.handler = Reply(status=503)
    res = run_cli(["ask", "--json", "서울관에는 서울 소재 스타트업이 몇 곳 참여했나?"], tmp_path / "data",
                  **llm_env(fake_openai))
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["mode"] == "extractive" and "81" in out["answer"] and out["note"].startswith("LLM을 사용할 수 없어(HTTP 503)")
    said = [line for line in res.stderr.strip().splitlines()
            if not re.fullmatch(r"[a-z ]+: \d+/\d+", line)]  # piped progress lines of the first indexing
    assert "Traceback" not in res.stderr and len(said) <= 2


def test_build_answerer_picks_the_chain_only_with_a_key(service, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(build_answerer(load_settings(_env_file=None), service), OfflineAnswerer)
    assert isinstance(build_answerer(load_settings(_env_file=None, OPENAI_API_KEY="  "), service), OfflineAnswerer)
    chain = build_answerer(load_settings(_env_file=None, OPENAI_API_KEY="k", llm_retries=4, llm_timeout=7), service)
    assert isinstance(chain, LLMAnswerer) and chain.policy.retries == 4


# ----- the OpenAI-compatible embeddings backend ------------------------------------------------
def test_openai_embedder_on_the_fake(fake_openai):
    emb = make_embedder("openai", model="fake-embedding", api_key="test", base_url=fake_openai.base_url)
    assert isinstance(emb, OpenAIEmbedder) and emb.id == "openai/fake-embedding"
    texts = [f"서울관 문장 {i}" for i in range(70)]
    seen: list[tuple[int, int]] = []
    vecs = emb.embed_passages(texts, progress=lambda done, total: seen.append((done, total)))
    assert vecs.shape == (70, fake_openai.embed_dim) and np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-5)
    assert seen == [(64, 70), (70, 70)]
    calls = [r["body"] for r in fake_openai.requests if r["path"] == "/v1/embeddings"]
    assert [len(c["input"]) for c in calls] == [64, 6] and calls[0]["model"] == "fake-embedding"
    q = emb.embed_query("서울관 문장 3")
    assert np.allclose(q, vecs[3], atol=1e-5) and np.allclose(q, hash_vector("서울관 문장 3", fake_openai.embed_dim), atol=1e-5)
    # A question embedded again (the warm-up's, then retrieval's and the answer's) is one request.
    sent = len(fake_openai.requests)
    q[0] += 1  # callers get a copy: changing it changes nothing kept
    assert np.allclose(emb.embed_query("서울관 문장 3"), vecs[3], atol=1e-5) and len(fake_openai.requests) == sent


def test_openai_embedder_errors_are_embedder_errors(fake_openai):
    fake_openai.embed_failure = Reply(status=400)
    with pytest.raises(EmbedderError, match="embeddings endpoint failed"):
        OpenAIEmbedder("fake-embedding", "test", fake_openai.base_url).embed_passages(["가", "나"])
    assert len(fake_openai.requests) == 1  # a 400 is not retried
    with pytest.raises(EmbedderError, match="must name a model"):
        make_embedder("openai", model="", api_key="test", base_url=fake_openai.base_url)


def test_openai_embedder_against_a_dead_endpoint_fails_clearly():
    emb = OpenAIEmbedder("m", "test", "http://127.0.0.1:9/v1", timeout=1)
    emb._client = emb._client.with_options(max_retries=0)
    with pytest.raises(EmbedderError, match="embeddings endpoint failed"):
        emb.embed_query("x")


def test_service_search_with_the_openai_embedder(data_dir, fake_openai):
    emb = make_embedder("openai", model="fake-embedding", api_key="test", base_url=fake_openai.base_url)
    svc = make_service(data_dir, emb, [DEFAULT_ARTICLE])
    svc.open()
    hits = svc.search("시저스 팰리스 호텔", 2)
    assert hits and "시저스 팰리스" in hits[0].text
    assert svc.store.active()[1]["embedder"] == "openai/fake-embedding"
