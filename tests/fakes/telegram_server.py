"""A fake Telegram Bot API on 127.0.0.1 for tests and benchmarks (no network, no Telegram).

It runs an aiohttp app in a background thread, so synchronous code, subprocesses and async tests can
all drive it. Tests push updates (text, commands, documents, callback queries), the bot under test
long-polls `getUpdates` (or receives webhook POSTs), and every call it makes is recorded with the
parameters decoded, so tests can wait for replies and assert on them. Optional: Telegram-like flood
limits (429 + retry_after) and injected faults (HTTP 502, dropped connections, delays).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .telegram_api import (
    TOKEN,
    ApiError,
    BotApi,
    BotMessage,
    Call,
    RateLimits,
    _Bucket,
    parse_html,
)

__all__ = ["TOKEN", "ApiError", "BotMessage", "Call", "FakeTelegram", "RateLimits", "parse_html"]


class FakeTelegram(BotApi):
    """The fake server; use as a context manager or call start()/stop()."""

    def __init__(self, token: str = TOKEN, *, bot_id: int = 4242, username: str = "articlebot_test_bot",
                 rate_limits: RateLimits | None = None, language_code: str | None = "en", port: int = 0) -> None:
        self.token, self.bot_id, self.username = token, bot_id, username
        # The users' app language (the bot's UI follows it); English unless a test sets another,
        # per user in `user_languages` (None: the app sends none).
        self.language_code = language_code
        self.user_languages: dict[int, str | None] = {}
        self.bot_user = {"id": bot_id, "is_bot": True, "first_name": "Articlebot", "username": username,
                         "can_join_groups": True, "can_read_all_group_messages": False,
                         "supports_inline_queries": False}
        self.rate_limits = rate_limits
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], BotMessage] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self.claimed_sizes: dict[str, int] = {}
        self.bytes_served = 0  # file bytes written to downloading clients
        self.webhook: dict[str, Any] | None = None
        self.faults: list[tuple[str | None, str, float]] = []  # (method or None, kind, arg)
        # Called (on the server's thread; keep them quick) with every answered call: a benchmark
        # can react to a reply the moment it arrives instead of scanning `calls`.
        self.observers: list[Callable[[Call], None]] = []
        self._updates: list[dict] = []
        self._ids = itertools.count(1)
        self._msg_ids: dict[int, itertools.count] = {}
        self._lock = threading.RLock()
        self._buckets: dict[Any, _Bucket] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = port  # 0: any free port

    # ----- lifecycle -----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """What ARTICLEBOT_TELEGRAM_API_URL should be (PTB appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def start(self) -> FakeTelegram:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="fake-telegram", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Telegram server did not start")
        return self

    def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._new = asyncio.Event()
        app = web.Application(client_max_size=60_000_000)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def stop(self) -> None:
        if self._loop and self._thread:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- faults and limits ---------------------------------------------------------------
    def fail_next(self, method: str | None = None, *, status: int = 502, count: int = 1) -> None:
        """The next `count` calls (of `method`, or any) answer HTTP `status` with an HTML body."""
        with self._lock:
            self.faults += [(method, "status", float(status))] * count

    def drop_next(self, method: str | None = None, *, count: int = 1) -> None:
        """The next `count` calls have their connection closed without an answer."""
        with self._lock:
            self.faults += [(method, "drop", 0.0)] * count

    def flood_next(self, method: str | None = None, *, retry_after: int = 2, count: int = 1) -> None:
        """The next `count` calls answer 429 Too Many Requests with this `retry_after`, as Telegram does."""
        with self._lock:
            self.faults += [(method, "flood", float(retry_after))] * count

    def delay_next(self, method: str | None = None, *, seconds: float = 1.0, count: int = 1) -> None:
        with self._lock:
            self.faults += [(method, "delay", seconds)] * count

    def _take_fault(self, method: str) -> tuple[str, float] | None:
        with self._lock:
            for i, (m, kind, arg) in enumerate(self.faults):
                if m is None or m == method:
                    del self.faults[i]
                    return kind, arg
        return None
    # ----- feeding updates -----------------------------------------------------------------
    def _user(self, user_id: int, name: str = "") -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": name or f"User{user_id}"}
        code = self.user_languages.get(user_id, self.language_code)
        return user if code is None else {**user, "language_code": code}

    def _chat(self, chat_id: int, chat_type: str, user_id: int) -> dict:
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": f"User{user_id}"}
        return {"id": chat_id, "type": chat_type, "title": f"Group {chat_id}"}

    def push_update(self, update: dict) -> dict:
        """Queue a raw update (its update_id is assigned here)."""
        with self._lock:
            update = {"update_id": next(self._ids), **update}
            self._updates.append(update)
        if self._loop:
            self._loop.call_soon_threadsafe(self._wake)
        return update

    def _wake(self) -> None:
        assert self._new is not None
        self._new.set()
        if self.webhook:
            self._loop.create_task(self._deliver())  # type: ignore[union-attr]

    def message(self, text: str = "", *, user_id: int = 1001, chat_id: int | None = None,
                chat_type: str = "private", reply_to: int | None = None, **extra: Any) -> dict:
        """Push a message from a user; commands (/x) and @mentions get their entities like Telegram's."""
        chat_id = user_id if chat_id is None else chat_id
        with self._lock:
            mid = next(self._msg_ids.setdefault(chat_id, itertools.count(1)))
        msg: dict[str, Any] = {"message_id": mid, "date": int(time.time()), "chat": self._chat(chat_id, chat_type, user_id),
                               "from": self._user(user_id), **extra}
        if text:
            msg["text"] = text
            ents = [{"type": "mention", "offset": m.start(), "length": m.end() - m.start()}
                    for m in re.finditer(r"@\w+", text)]
            cmd = re.match(r"/\w+(@\w+)?", text)
            if cmd:
                ents = [{"type": "bot_command", "offset": 0, "length": cmd.end()}] + [
                    e for e in ents if e["offset"] >= cmd.end()]
            if ents:
                msg["entities"] = ents
        if reply_to is not None:
            original = self.messages.get((chat_id, reply_to))
            msg["reply_to_message"] = {"message_id": reply_to, "date": int(time.time()),
                                       "chat": msg["chat"], "text": original.text if original else "",
                                       "from": self.bot_user if original else self._user(user_id)}
        self.push_update({"message": msg})
        return msg

    def document(self, name: str, data: bytes, *, caption: str = "", mime: str = "text/plain",
                 claimed_size: int | None = None, **kw: Any) -> dict:
        """Push a document upload; the bytes are served by getFile + /file/bot<token>/<path>.
        `claimed_size`: the size the message and getFile state (0: none), as a lying client would."""
        with self._lock:
            n = len(self.files) + 1
            file_id = f"DOC{n}"
            self.files[file_id] = (f"documents/file_{n}_{name}", data)
            if claimed_size is not None:
                self.claimed_sizes[file_id] = claimed_size
        doc = {"file_id": file_id, "file_unique_id": f"U{file_id}", "file_name": name,
               "mime_type": mime, "file_size": len(data) if claimed_size is None else claimed_size}
        if not doc["file_size"]:
            del doc["file_size"]
        extra: dict[str, Any] = {"document": doc}
        if caption:
            extra["caption"] = caption
        return self.message(**kw, **extra)

    def callback(self, data: str, *, message: BotMessage, user_id: int = 1001) -> dict:
        """Push a button press on one of the bot's messages."""
        chat_type = "private" if message.chat_id > 0 else "group"
        return self.push_update({"callback_query": {
            "id": f"cb{next(self._ids)}", "from": self._user(user_id), "chat_instance": "ci", "data": data,
            "message": {"message_id": message.message_id, "date": int(time.time()),
                        "chat": self._chat(message.chat_id, chat_type, user_id), "from": self.bot_user,
                        "text": message.text}}})

    # ----- observing -----------------------------------------------------------------------
    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and c.ok
                    and (chat_id is None or c.params.get("chat_id") == chat_id)]

    def sent(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in a chat, oldest first, as they look now."""
        with self._lock:
            return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id]

    def find(self, method: str, pred: Callable[[Call], bool] | None = None, since: int = 0) -> Call | None:
        with self._lock:
            for c in self.calls[since:]:
                if c.method == method and c.ok and (pred is None or pred(c)):
                    return c
        return None

    def wait_sync(self, method: str, pred: Callable[[Call], bool] | None = None, *, timeout: float = 10,
                  since: int = 0) -> Call:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := self.find(method, pred, since):
                return found
            time.sleep(0.01)
        raise TimeoutError(f"no {method} call matched within {timeout} s; calls: {self.summary()}")

    async def wait(self, method: str, pred: Callable[[Call], bool] | None = None, *, timeout: float = 10,
                   since: int = 0) -> Call:
        """Wait (without blocking the caller's loop) for a successful call matching `pred`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := self.find(method, pred, since):
                return found
            await asyncio.sleep(0.01)
        raise TimeoutError(f"no {method} call matched within {timeout} s; calls: {self.summary()}")

    def mark(self) -> int:
        """An index into `calls`: pass as `since` to look only at what happens next."""
        with self._lock:
            return len(self.calls)

    def summary(self) -> list[str]:
        with self._lock:
            return [f"{c.method}({c.status}) {str(c.params.get('text', ''))[:60]!r}" for c in self.calls
                    if c.method != "getUpdates"][-30:]
