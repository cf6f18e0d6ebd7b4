"""Shared fixtures: a loopback-only network guard, fake and real embedders, services on temp dirs, the CLI."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:  # `fakes` importable however pytest is started
    sys.path.insert(0, str(TESTS))

from fakes.embedder import HashEmbedder  # noqa: E402
from fakes.http import PageServer  # noqa: E402

from retrieval.index.store import VectorStore, make_client  # noqa: E402
from retrieval.service import ArticleService  # noqa: E402

DEFAULT_ARTICLE = ROOT / "articles" / "000_db62d54ccc32d396.txt"
DEFAULT_ID = "000_db62d54ccc32d396"
SHARED_EVAL = ROOT.parent / "shared" / "eval"
VENV_BIN = ROOT / ".venv" / "bin"
# Variables that would change what the CLI does (a developer's keys, another data dir): never inherited.
_FOREIGN_ENV = ("ARTICLEBOT_", "OPENAI_", "TELEGRAM_")

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# A developer's HTTP(S)_PROXY must not route the tests' 127.0.0.1 traffic elsewhere.
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = ",".join(filter(None, [os.environ.get(_var, ""), "127.0.0.1,localhost,::1"]))


# ----- no network but loopback ---------------------------------------------------------------
def _loopback(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session", autouse=True)
def loopback_only():
    """Any in-process connection to a non-loopback address fails the call loudly."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self, address):
        if not _loopback(address):
            raise OSError(f"tests may only connect to 127.0.0.1, not {address!r}")
        return real_connect(self, address)

    def connect_ex(self, address):
        if not _loopback(address):
            raise OSError(f"tests may only connect to 127.0.0.1, not {address!r}")
        return real_connect_ex(self, address)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    yield
    socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex


# ----- services --------------------------------------------------------------------------------
def make_store(data_dir: Path, host: str | None = None, port: int = 8000) -> VectorStore:
    return VectorStore(lambda: make_client(data_dir, host, port), cache_dir=data_dir)


def make_service(data_dir: Path, embedder, default_sources: Sequence[str] = (), **kwargs) -> ArticleService:
    """A service on its own embedded Chroma under `data_dir` (not opened yet)."""
    kwargs.setdefault("sentence_cache", data_dir / "sentences.sqlite")  # as build_service does
    return ArticleService(make_store(data_dir), embedder, default_sources=[str(s) for s in default_sources],
                          **kwargs)


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def service(data_dir: Path, embedder: HashEmbedder) -> ArticleService:
    """A fake-embedder service whose first use indexed the default article."""
    svc = make_service(data_dir, embedder, [DEFAULT_ARTICLE])
    svc.open()
    embedder.reset()
    return svc


@pytest.fixture
def empty_service(data_dir: Path, embedder: HashEmbedder) -> ArticleService:
    """A fake-embedder service with no default sources: its first ingest is what it holds."""
    return make_service(data_dir, embedder)


@pytest.fixture(scope="session")
def real_embedder():
    from retrieval.index.embeddings import E5Embedder

    return E5Embedder()


@pytest.fixture(scope="session")
def real_service(tmp_path_factory, real_embedder) -> ArticleService:
    """One service per session with the real E5 embedder over the default article (read-only use!)."""
    svc = make_service(tmp_path_factory.mktemp("real"), real_embedder, [DEFAULT_ARTICLE])
    svc.open()
    return svc


@pytest.fixture
def pages():
    """A PageServer on 127.0.0.1 for the test's duration."""
    with PageServer() as server:
        yield server


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    if not (SHARED_EVAL / "seed_article_dev.jsonl").is_file():
        pytest.skip("../shared/eval is not here")
    return SHARED_EVAL


# ----- the CLI as a person runs it ------------------------------------------------------------
def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN_ENV)}
    # No health server unless a test asks for one: bots run side by side would fight over its port.
    env.update(ARTICLEBOT_DATA_DIR=str(data_dir), ANONYMIZED_TELEMETRY="False", PYTHONUNBUFFERED="1",
               ARTICLEBOT_METRICS_PORT="0", ARTICLEBOT_ENV_FILE=os.devnull)  # never a developer's .env
    env.update(extra)
    return env


def run_cli(args: Sequence[str], data_dir: Path, *, input: str | None = None, cwd: Path | None = None,
            timeout: float = 240, **env: str) -> subprocess.CompletedProcess[str]:
    """`.venv/bin/articlebot ARGS` in a clean environment (no .env: cli_env names os.devnull)."""
    cwd = cwd or data_dir.parent
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run([str(VENV_BIN / "articlebot"), *args], input=input, capture_output=True, text=True,
                          cwd=cwd, env=cli_env(data_dir, **env), timeout=timeout, stdin=None if input is not None
                          else subprocess.DEVNULL)


# ----- the answer contract ---------------------------------------------------------------------------
ANSWER_KEYS = {"question", "standalone_question", "answer", "answerable", "mode", "citations", "timings_ms"}
CITATION_KEYS = {"n", "article_id", "title", "chunk_id", "quote", "passage"}


def assert_answer_contract(data: dict, chunk_texts: dict[str, str] | None = None) -> None:
    """The JSON shape every `ask` prints, and the citation rules: each `[n]` has exactly one citation,
    every citation is used, and its quote is verbatim in its passage (the chunk's own text)."""
    import re

    assert ANSWER_KEYS <= set(data), set(data) ^ ANSWER_KEYS
    assert isinstance(data["question"], str) and isinstance(data["standalone_question"], str)
    assert isinstance(data["answer"], str) and data["answer"].strip()
    assert isinstance(data["answerable"], bool)
    assert data["mode"] == "extractive"
    assert isinstance(data["timings_ms"], dict)
    assert all(isinstance(v, (int, float)) and v >= 0 for v in data["timings_ms"].values())
    citations = data["citations"]
    assert isinstance(citations, list)
    numbers = [c["n"] for c in citations]
    assert len(numbers) == len(set(numbers)), "one citation per number"
    used = {int(n) for n in re.findall(r"\[(\d+)\]", data["answer"])}
    assert used == set(numbers), f"markers {sorted(used)} vs citations {sorted(numbers)}"
    for c in citations:
        assert CITATION_KEYS <= set(c), set(c)
        assert isinstance(c["n"], int) and c["quote"] and c["passage"]
        assert c["quote"] in c["passage"], "a quote must be verbatim in its passage"
        assert c["chunk_id"].startswith(c["article_id"] + "#")
        if chunk_texts is not None:
            assert chunk_texts.get(c["chunk_id"]) == c["passage"], "the passage is the cited chunk's text"
    if data["answerable"]:
        assert citations, "an answer from the article cites it"
    else:
        assert citations == [], "a refusal cites nothing"
