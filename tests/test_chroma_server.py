"""Server mode for real: a `chroma run` subprocess on 127.0.0.1, reached through ARTICLEBOT_CHROMA_HOST/PORT."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from conftest import (
    DEFAULT_ARTICLE,
    DEFAULT_ID,
    VENV_BIN,
    assert_answer_contract,
    run_cli,
)
from fakes.embedder import HashEmbedder
from test_sources import BODY, write

from articlebot.compose import make_store_embedder
from articlebot.settings import load_settings
from retrieval.errors import StoreUnavailable
from retrieval.service import ArticleService

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """`chroma run --path PATH --host 127.0.0.1 --port PORT`, started and stopped by the test that owns it."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = path
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log = path.parent / f"chroma-{self.port}.log"

    def start(self, timeout: float = 60) -> ChromaServer:
        log = self.log.open("ab")
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "chroma"), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port",
             str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**__import__("os").environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"chroma run did not answer its heartbeat within {timeout} s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(15)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db").start()
    yield server
    server.stop()


@pytest.fixture
def server_env(chroma_server, monkeypatch, tmp_path):
    for key in ("OPENAI_API_KEY", "ARTICLEBOT_EMBEDDER"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARTICLEBOT_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("ARTICLEBOT_CHROMA_PORT", str(chroma_server.port))
    monkeypatch.setenv("ARTICLEBOT_DATA_DIR", str(tmp_path / "local"))
    return chroma_server


def server_service(embedder, default_sources=(str(DEFAULT_ARTICLE),)) -> ArticleService:
    """The service the settings describe (store from the environment), with the given embedder."""
    settings = load_settings()
    store, _ = make_store_embedder(settings)
    return ArticleService(store, embedder, default_sources=list(default_sources), top_k=settings.top_k)


def test_ingest_and_ask_through_the_server(server_env, real_embedder, tmp_path):
    service = server_service(real_embedder)
    service.open()
    path = write(tmp_path / "night.txt", "한강 야간 도서관 연다\n" + BODY)
    report = service.ingest([str(path)])
    assert report.articles == 1 and report.failures == []
    assert {a.id for a in service.articles()} >= {DEFAULT_ID, "night"}

    answer = service.ask("서울관에 참여한 서울 소재 스타트업은 몇 개 기업인가?").to_json()
    assert_answer_contract(answer)
    assert answer["answerable"] and "81" in answer["answer"]
    top = service.search("야간 도서관은 몇 시까지 문을 여나", k=1)[0]
    assert top.article_id == "night"
    assert not (tmp_path / "local" / "chroma").exists(), "server mode keeps nothing in the local data dir"

    # Another client (another process, in real life) sees the same active version.
    other = server_service(HashEmbedder(id=real_embedder.id))
    assert other.store.active()[0] == service.snapshot().collection


def test_versions_swap_on_the_server_too(server_env):
    emb = HashEmbedder(id="test/server-swap")
    service = server_service(emb, default_sources=())
    service.ingest([str(DEFAULT_ARTICLE)], replace=True)
    first = service.snapshot().collection
    emb.reset()
    service.ingest([str(DEFAULT_ARTICLE)])
    assert emb.embedded == 0
    assert service.store.active()[0] != first
    names = service.store._call(lambda c: [x if isinstance(x, str) else x.name for x in c.list_collections()])
    # Left: the active version, the previous one, and the versions their deltas rest on.
    kept = set(chain(service.store, service.store.active()[0])) | set(chain(service.store, first))
    assert {n for n in names if n.startswith("articlebot-v")} <= kept


def chain(store, name: str) -> list[str]:
    """`name` and the versions it rests on (its manifest is a delta on the next one)."""
    out = []
    while name:
        out.append(name)
        name = store._call(lambda c, n=name: (c.get_collection(n).metadata or {}).get("base"))
    return out


def test_cli_against_the_server(server_env, tmp_path):
    local = tmp_path / "cli-local"
    result = run_cli(["ask", "제1회 서울 스마트 라이프 위크는 어디에서 개최하나?", "--json"], local,
                     ARTICLEBOT_CHROMA_HOST="127.0.0.1", ARTICLEBOT_CHROMA_PORT=str(server_env.port))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert_answer_contract(data)
    assert data["answerable"] and "코엑스" in data["answer"]
    assert not (local / "chroma").exists()


def test_a_server_that_is_down_is_a_clear_error(tmp_path):
    result = run_cli(["articles", "--json"], tmp_path / "data", ARTICLEBOT_CHROMA_HOST="127.0.0.1",
                     ARTICLEBOT_CHROMA_PORT=str(free_port()))
    assert result.returncode == 1
    assert "127.0.0.1" in result.stderr and "Traceback" not in result.stderr


def test_a_restarted_server_is_reconnected(tmp_path, monkeypatch):
    server = ChromaServer(tmp_path / "db").start()
    try:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("ARTICLEBOT_CHROMA_HOST", "127.0.0.1")
        monkeypatch.setenv("ARTICLEBOT_CHROMA_PORT", str(server.port))
        service = server_service(HashEmbedder())
        service.open()
        before = [p.chunk_id for p in service.search("서울관 스타트업", k=2)]
        collection = service.snapshot().collection

        server.stop()
        with pytest.raises(StoreUnavailable):
            service.search("서울관 스타트업", k=2)

        server.start()
        assert [p.chunk_id for p in service.search("서울관 스타트업", k=2)] == before
        assert service.store.active()[0] == collection
    finally:
        server.stop()
