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
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from aiohttp import ClientSession, web

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"
# Parameters PTB sends JSON-encoded inside a form body; everything else stays a string.
_JSON_KEYS = {"reply_markup", "reply_parameters", "entities", "caption_entities", "commands", "scope",
              "allowed_updates", "link_preview_options", "media", "drop_pending_updates", "show_alert"}
_INT_KEYS = {"chat_id", "message_id", "draft_id", "offset", "limit", "timeout", "from_chat_id",
             "message_thread_id", "user_id", "cache_time"}
# Methods that count as "messages" for Telegram's flood limits.
SENDING = {"sendMessage", "editMessageText", "sendDocument", "sendPhoto", "copyMessage",
           "forwardMessage", "editMessageReplyMarkup"}
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                 "blockquote", "tg-spoiler", "span", "tg-emoji"}
_TAG = re.compile(r"<(/?)([a-z][a-z-]*)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def parse_html(text: str) -> str:
    """Telegram's HTML check: known tags, balanced, every other <, > and & escaped; returns plain text."""
    stack: list[str] = []
    for m in _TAG.finditer(text):
        closing, name = m.group(1), m.group(2)
        if name not in _ALLOWED_TAGS:
            raise ApiError(400, f"Bad Request: can't parse entities: unsupported start tag \"{name}\"")
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise ApiError(400, f"Bad Request: can't parse entities: unmatched end tag \"{name}\"")
    if stack:
        raise ApiError(400, f"Bad Request: can't parse entities: unclosed start tag \"{stack[-1]}\"")
    bare = _ENTITY.sub("", _TAG.sub("", text))
    if re.search(r"[<>&]", bare):
        raise ApiError(400, "Bad Request: can't parse entities: unescaped character")
    return unescape(_TAG.sub("", text))


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    result: Any = None


@dataclass
class BotMessage:
    """A message the bot sent, as it looks now (edits applied); `history` holds earlier texts."""

    chat_id: int
    message_id: int
    text: str
    html: str
    reply_to: int | None = None
    reply_markup: dict | None = None
    history: list[str] = field(default_factory=list)


@dataclass
class RateLimits:
    """Telegram's documented flood limits (token buckets); `burst` allows short bursts as Telegram does."""

    per_chat_per_sec: float = 1.0
    per_chat_burst: int = 3
    overall_per_sec: float = 30.0
    group_per_min: float = 20.0


class _Bucket:
    def __init__(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity, self.tokens, self.at = rate, capacity, capacity, time.monotonic()

    def take(self) -> float:
        """0 when a token was taken, else seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class FakeTelegram:
    """The fake server; use as a context manager or call start()/stop()."""

    def __init__(self, token: str = TOKEN, *, bot_id: int = 4242, username: str = "articlebot_test_bot",
                 rate_limits: RateLimits | None = None) -> None:
        self.token, self.bot_id, self.username = token, bot_id, username
        self.bot_user = {"id": bot_id, "is_bot": True, "first_name": "Articlebot", "username": username,
                         "can_join_groups": True, "can_read_all_group_messages": False,
                         "supports_inline_queries": False}
        self.rate_limits = rate_limits
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], BotMessage] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self.webhook: dict[str, Any] | None = None
        self.faults: list[tuple[str | None, str, float]] = []  # (method or None, kind, arg)
        self._updates: list[dict] = []
        self._ids = itertools.count(1)
        self._msg_ids: dict[int, itertools.count] = {}
        self._lock = threading.RLock()
        self._buckets: dict[Any, _Bucket] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

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
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
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

    def _flood_check(self, method: str, params: dict) -> None:
        limits = self.rate_limits
        if limits is None or method not in SENDING:
            return
        chat = params.get("chat_id")
        checks = [("all", limits.overall_per_sec, limits.overall_per_sec),
                  (("chat", chat), limits.per_chat_per_sec, limits.per_chat_burst)]
        if isinstance(chat, int) and chat < 0:
            checks.append((("group", chat), limits.group_per_min / 60, limits.group_per_min))
        with self._lock:
            for key, rate, cap in checks:
                wait = self._buckets.setdefault(key, _Bucket(rate, cap)).take()
                if wait:
                    retry = max(1, math.ceil(wait))
                    raise ApiError(429, f"Too Many Requests: retry after {retry}", retry)

    # ----- feeding updates -----------------------------------------------------------------
    def _user(self, user_id: int, name: str = "") -> dict:
        return {"id": user_id, "is_bot": False, "first_name": name or f"User{user_id}", "language_code": "ko"}

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
                 **kw: Any) -> dict:
        """Push a document upload; the bytes are served by getFile + /file/bot<token>/<path>."""
        with self._lock:
            n = len(self.files) + 1
            file_id = f"DOC{n}"
            self.files[file_id] = (f"documents/file_{n}_{name}", data)
        doc = {"file_id": file_id, "file_unique_id": f"U{file_id}", "file_name": name,
               "mime_type": mime, "file_size": len(data)}
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
            return [c for c in self.calls if c.method == method and c.status == 200
                    and (chat_id is None or c.params.get("chat_id") == chat_id)]

    def sent(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in a chat, oldest first, as they look now."""
        with self._lock:
            return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id]

    def find(self, method: str, pred: Callable[[Call], bool] | None = None, since: int = 0) -> Call | None:
        with self._lock:
            for c in self.calls[since:]:
                if c.method == method and c.status == 200 and (pred is None or pred(c)):
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

    # ----- the API -------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        params: dict[str, Any] = {}
        for key, value in (await request.post()).items():
            if not isinstance(value, str):
                params[key] = value.file.read()
            elif key in _JSON_KEYS:
                params[key] = json.loads(value)
            elif key in _INT_KEYS and re.fullmatch(r"-?\d+", value):
                params[key] = int(value)
            else:
                params[key] = value
        params.update({k: v for k, v in request.query.items() if k not in params})
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params, time.monotonic())
        with self._lock:
            self.calls.append(call)
        fault = self._take_fault(method)
        if fault and fault[0] == "delay":
            await asyncio.sleep(fault[1])
        elif fault and fault[0] == "status":
            call.status = int(fault[1])
            return web.Response(status=call.status, text="<html>Bad Gateway</html>", content_type="text/html")
        elif fault and fault[0] == "drop":
            call.status = 0
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError  # aiohttp drops the connection without answering
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            self._flood_check(method, params)
            handler = getattr(self, f"_m_{method}", None)
            result = await handler(params) if handler else True
        except ApiError as exc:
            call.status = exc.code
            body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            return web.json_response(body, status=exc.code)
        call.result = result
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for fpath, data in list(self.files.values()):
            if fpath == path:
                return web.Response(body=data)
        return web.Response(status=404)

    async def _m_getMe(self, p: dict) -> dict:
        return self.bot_user

    async def _m_getUpdates(self, p: dict) -> list[dict]:
        if self.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset, limit = int(p.get("offset", 0) or 0), int(p.get("limit", 100) or 100)
        deadline = time.monotonic() + min(float(p.get("timeout", 0) or 0), 30)
        while True:
            assert self._new is not None
            self._new.clear()
            with self._lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or time.monotonic() >= deadline:
                    return self._updates[:limit]
            try:
                await asyncio.wait_for(self._new.wait(), max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                pass

    async def _deliver(self) -> None:
        """Webhook mode: POST pending updates to the bot with the secret-token header, like Telegram."""
        hook = self.webhook
        if not hook:
            return
        with self._lock:
            pending, self._updates = self._updates, []
        headers = {"X-Telegram-Bot-Api-Secret-Token": hook["secret_token"]} if hook.get("secret_token") else {}
        async with ClientSession() as session:
            for update in pending:
                async with session.post(hook["url"], json=update, headers=headers) as resp:
                    hook.setdefault("statuses", []).append(resp.status)

    async def _m_setWebhook(self, p: dict) -> bool:
        self.webhook = {"url": p["url"], "secret_token": p.get("secret_token")}
        return True

    async def _m_deleteWebhook(self, p: dict) -> bool:
        self.webhook = None
        return True

    async def _m_getWebhookInfo(self, p: dict) -> dict:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    def _new_message(self, p: dict) -> BotMessage:
        chat_id = p["chat_id"]
        html = str(p.get("text", ""))
        text = parse_html(html) if p.get("parse_mode") == "HTML" else html
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        reply = (p.get("reply_parameters") or {}).get("message_id") or p.get("reply_to_message_id")
        with self._lock:
            mid = next(self._msg_ids.setdefault(chat_id, itertools.count(1)))
            msg = BotMessage(chat_id, mid, text, html, reply, p.get("reply_markup"))
            self.messages[(chat_id, mid)] = msg
        return msg

    def _as_api(self, msg: BotMessage) -> dict:
        chat_type = "private" if msg.chat_id > 0 else "group"
        out: dict[str, Any] = {"message_id": msg.message_id, "date": int(time.time()), "text": msg.text,
                               "chat": self._chat(msg.chat_id, chat_type, msg.chat_id), "from": self.bot_user}
        if msg.reply_markup:
            out["reply_markup"] = msg.reply_markup
        return out

    async def _m_sendMessage(self, p: dict) -> dict:
        return self._as_api(self._new_message(p))

    async def _m_editMessageText(self, p: dict) -> dict:
        msg = self.messages.get((p.get("chat_id"), p.get("message_id")))  # type: ignore[arg-type]
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        html = str(p.get("text", ""))
        text = parse_html(html) if p.get("parse_mode") == "HTML" else html
        if len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        if html == msg.html and p.get("reply_markup") == msg.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and "
                                "reply markup are exactly the same as a current content and reply markup")
        msg.history.append(msg.html)
        msg.text, msg.html, msg.reply_markup = text, html, p.get("reply_markup")
        return self._as_api(msg)

    async def _m_sendMessageDraft(self, p: dict) -> bool:
        if p.get("chat_id", 0) <= 0:
            raise ApiError(400, "Bad Request: drafts are only available in private chats")
        if not p.get("draft_id"):
            raise ApiError(400, "Bad Request: draft_id must be non-zero")
        return True

    async def _m_getFile(self, p: dict) -> dict:
        file_id = p.get("file_id", "")
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, data = self.files[file_id]
        return {"file_id": file_id, "file_unique_id": f"U{file_id}", "file_size": len(data), "file_path": path}

    async def _m_getMyCommands(self, p: dict) -> list:
        return []
