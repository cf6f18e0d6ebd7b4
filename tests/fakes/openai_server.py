"""A fake OpenAI-compatible server on 127.0.0.1 that the real `openai` client talks to over HTTP.

Serves `/v1/chat/completions` (JSON and SSE streaming), `/v1/embeddings` and `/v1/models` from an
aiohttp app on its own thread. Replies are scripted per test: queue them with `reply(...)`, or set
`handler` (a callable given the request body) for whatever the queue does not cover. Every request
is recorded, so a test can assert what the prompt carried.

    with FakeOpenAI() as fake:                   # or the `fake_openai` fixture
        fake.reply(Reply(status=429, headers={"Retry-After": "1"}), "답입니다 [1].")
        ... OPENAI_BASE_URL=fake.base_url ...
        fake.chat_requests[-1]["messages"]

Use as a pytest plugin with `pytest_plugins = ["fakes.openai_server"]` (or "tests.fakes.openai_server").
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from aiohttp import web


@dataclass
class Reply:
    """One scripted chat answer: text (streamed in `chunks` pieces when the client streams) or an error."""

    text: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float | None = None  # seconds before the response starts (None: the server's `delay`)
    chunk_delay: float | None = None  # seconds between streamed pieces (None: the server's `chunk_delay`)
    chunks: list[str] | None = None  # explicit stream pieces; default: the text cut every few characters
    raw: str | None = None  # a body sent as is (garbage, HTML error pages ...)
    usage: dict[str, int] | None = None
    report_usage: bool = True  # False: like servers that never report token usage
    finish_reason: str = "stop"


Script = Reply | str | Callable[[dict[str, Any]], "Reply | str"]


def _as_reply(item: Script, body: dict[str, Any]) -> Reply:
    if callable(item) and not isinstance(item, Reply):
        item = item(body)
    return Reply(item) if isinstance(item, str) else item


def hash_vector(text: str, dim: int = 64) -> list[float]:
    """A deterministic unit vector from character bigrams: similar texts get similar vectors."""
    v = np.zeros(dim, dtype=np.float64)
    s = re.sub(r"\s+", " ", text.lower())
    for i in range(max(len(s) - 1, 1)):
        h = hashlib.blake2b(s[i : i + 2].encode(), digest_size=4).digest()
        v[int.from_bytes(h[:3], "little") % dim] += 1.0 if h[3] & 1 else -1.0
    n = float(np.linalg.norm(v)) or 1.0
    return (v / n).tolist()


class FakeOpenAI:
    """The server; a context manager. `base_url` ends in /v1 like OPENAI_BASE_URL."""

    def __init__(self, *, models: tuple[str, ...] = ("fake-model", "fake-embedding"), embed_dim: int = 64) -> None:
        self.models = list(models)
        self.embed_dim = embed_dim
        self.script: deque[Script] = deque()
        self.handler: Script | None = None  # used when the script is empty; default: "OK"
        # Grey-zone entailment requests (prompts/entail.md): when set, answered by this function of the
        # statements, outside the script and handler; None leaves them to the script like any request.
        self.entail: Callable[[list[str]], list[bool]] | None = None
        self.delay = 0.0
        self.chunk_delay = 0.0
        self.embed_failure: Reply | None = None  # when set, /v1/embeddings answers with this error
        self.requests: list[dict[str, Any]] = []  # {"path", "headers", "body", "time"}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="fake-openai")
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._runner: web.AppRunner | None = None

    # ----- scripting -----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reply(self, *items: Script) -> None:
        """Queue replies for the next chat requests, in order."""
        with self._lock:
            self.script.extend(items)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """Bodies of the chat completion requests so far."""
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    def _next(self, body: dict[str, Any]) -> Reply:
        if self.entail is not None and is_entailment(body):
            verdicts = self.entail(statements_in(body))
            return Reply("\n".join(f"{n}: {'yes' if v else 'no'}" for n, v in enumerate(verdicts, 1)))
        with self._lock:
            item = self.script.popleft() if self.script else self.handler
        return _as_reply(item if item is not None else "OK", body)

    # ----- HTTP ----------------------------------------------------------------------------------
    async def _record(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            body = {}
        self.requests.append({"path": request.path, "headers": dict(request.headers), "body": body,
                              "time": time.monotonic()})
        return body

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        reply = await asyncio.to_thread(self._next, body)  # a handler may be slow (runs real code)
        await asyncio.sleep(self.delay if reply.delay is None else reply.delay)
        if reply.raw is not None:
            return web.Response(status=reply.status, text=reply.raw, headers=reply.headers,
                                content_type="text/plain")
        if reply.status != 200:
            err = {"error": {"message": f"fake error {reply.status}", "type": "fake", "code": reply.status}}
            return web.json_response(err, status=reply.status, headers=reply.headers)
        prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        usage = reply.usage or {"prompt_tokens": prompt_chars // 4 + 1, "completion_tokens": len(reply.text) // 4 + 1}
        usage = {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]}
        base = {"id": "chatcmpl-fake", "created": int(time.time()), "model": body.get("model", "fake-model")}
        if not body.get("stream"):
            done = {**base, "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": reply.text},
                 "finish_reason": reply.finish_reason}]}
            return web.json_response({**done, "usage": usage} if reply.report_usage else done, headers=reply.headers)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", **reply.headers})
        await resp.prepare(request)
        pieces = reply.chunks if reply.chunks is not None else [reply.text[i : i + 8] for i in range(0, len(reply.text), 8)]
        gap = self.chunk_delay if reply.chunk_delay is None else reply.chunk_delay

        async def send(choices: list, extra: dict | None = None) -> None:
            event = {**base, "object": "chat.completion.chunk", "choices": choices, **(extra or {})}
            await resp.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())

        await send([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
        for piece in pieces:
            await asyncio.sleep(gap)
            await send([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
        await send([{"index": 0, "delta": {}, "finish_reason": reply.finish_reason}])
        if reply.report_usage and (body.get("stream_options") or {}).get("include_usage"):
            await send([], {"usage": usage})
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        await asyncio.sleep(self.delay)
        if (fail := self.embed_failure) is not None:
            return web.json_response({"error": {"message": f"fake error {fail.status}"}}, status=fail.status,
                                     headers=fail.headers)
        inputs = body.get("input", [])
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        data = [{"object": "embedding", "index": i, "embedding": hash_vector(str(t), self.embed_dim)}
                for i, t in enumerate(inputs)]
        tokens = sum(len(str(t)) // 4 + 1 for t in inputs)
        return web.json_response({"object": "list", "data": data, "model": body.get("model", ""),
                                  "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    async def _models(self, request: web.Request) -> web.Response:
        await self._record(request)
        return web.json_response({"object": "list", "data": [
            {"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.models]})

    # ----- lifecycle -----------------------------------------------------------------------------
    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_get("/v1/models", self._models)
        # Handlers are cancelled when the client hangs up (a timed-out request must not linger).
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock, shutdown_timeout=0.5).start()

    def start(self) -> FakeOpenAI:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A running FakeOpenAI for one test."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def fake_openai_env(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    """The fake plus OPENAI_API_KEY / OPENAI_BASE_URL / ARTICLEBOT_LLM_MODEL pointing at it."""
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("ARTICLEBOT_LLM_MODEL", "fake-model")
    return fake_openai


# ----- reading the articlebot prompt (for handlers that play a model) ------------------------------
_PASSAGE = re.compile(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', re.DOTALL)
_QUESTION = re.compile(r"<question>\n(.*?)\n</question>", re.DOTALL)


def prompt_text(body: dict[str, Any]) -> str:
    """All message contents of a chat request, joined."""
    return "\n".join(str(m.get("content", "")) for m in body.get("messages", []))


def passages_in(body: dict[str, Any]) -> dict[int, str]:
    """The numbered passages of an articlebot answer prompt: {n: text}."""
    return {int(n): text for n, text in _PASSAGE.findall(prompt_text(body))}


def question_in(body: dict[str, Any]) -> str:
    """The question of an articlebot prompt (the standalone one for answers)."""
    found = _QUESTION.findall(prompt_text(body))
    return found[-1].strip() if found else ""


_STATEMENT = re.compile(r"<statement>([^<]*)</statement>")


def statements_in(body: dict[str, Any]) -> list[str]:
    """The statements of an entailment request, in order."""
    return _STATEMENT.findall(prompt_text(body))


def is_entailment(body: dict[str, Any]) -> bool:
    """Whether the request is the citation check's grey-zone call (prompts/entail.md)."""
    return bool(statements_in(body))


def is_rewrite(body: dict[str, Any]) -> bool:
    """True for the follow-up rewrite request (it carries the conversation, not passages)."""
    return "<conversation>" in prompt_text(body)


_SENTENCE = re.compile(r"[^.!?\n]*[.!?]+[”’\"']?|[^.!?\n]+$", re.MULTILINE)


def sentence_with(text: str, needle: str) -> str | None:
    """The sentence of `text` containing `needle` (split at . ! ? and line ends), verbatim."""
    for m in _SENTENCE.finditer(text):
        if needle in m.group(0):
            return m.group(0).strip()
    return None


def quote_first_passage(body: dict[str, Any]) -> str:
    """A zero-cost model for benchmarks: rewrites echo the question; answers quote a sentence of the
    first passage with its number (so the citation check passes), or refuse when there is none."""
    if is_rewrite(body):
        return question_in(body)
    passages = passages_in(body)
    if not passages:
        return "기사에는 이 질문에 대한 내용이 나와 있지 않습니다."
    n = min(passages)
    first = passages[n]
    return f"{sentence_with(first, first.split()[0]) or first[:80]} [{n}]"


def cite(needle: str, fmt: str = "{sentence} [{n}]", otherwise: str = "기사에는 이 질문에 대한 내용이 나와 있지 않습니다.") -> Callable[[dict[str, Any]], str]:
    """A handler playing a faithful model: quote the passage sentence containing `needle`, cited with
    that passage's number; `otherwise` when no passage in the prompt has it."""

    def handler(body: dict[str, Any]) -> str:
        for n, text in passages_in(body).items():
            if (s := sentence_with(text, needle)) is not None:
                return fmt.format(sentence=s, n=n)
        return otherwise

    return handler
