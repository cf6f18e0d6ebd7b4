"""The Bot API half of FakeTelegram: request decoding, Telegram's HTML and flood rules, the methods."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import threading
import time
from collections import deque
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

    @property
    def ok(self) -> bool:
        """Answered successfully. `status` reads 200 from the moment the call arrives, so a waiter that
        looked at it alone could see a sendMessage before the message was stored (`sent` still empty)."""
        return self.status == 200 and self.result is not None


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
    # Sliding windows instead of buckets for the overall and group limits: at most `overall_per_sec` in
    # any sliding second and `group_per_min` in any sliding minute, counted when each call arrives.
    sliding: bool = False


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



class _Window:
    """Arrival times of the last `period` seconds; full at `limit`."""

    def __init__(self, limit: float, period: float) -> None:
        self.limit, self.period, self.times = limit, period, deque()

    def wait(self, now: float) -> float:
        """0 when a call may arrive now, else seconds until the oldest leaves the window."""
        while self.times and self.times[0] <= now - self.period:
            self.times.popleft()
        return 0.0 if len(self.times) < self.limit else self.times[0] + self.period - now


class BotApi:
    """Mixin: the HTTP handlers and Bot API methods; FakeTelegram holds the state they use."""

    token: str
    bot_user: dict[str, Any]
    rate_limits: RateLimits | None
    calls: list[Call]
    messages: dict[tuple[int, int], BotMessage]
    files: dict[str, tuple[str, bytes]]
    bytes_served: int
    webhook: dict[str, Any] | None
    _updates: list[dict]
    _msg_ids: dict[int, itertools.count]
    _lock: threading.RLock
    _buckets: dict[Any, _Bucket]
    _new: asyncio.Event | None
    observers: list

    def _observe(self, call: Call) -> None:
        for observer in list(getattr(self, "observers", ())):
            observer(call)

    def _take_fault(self, method: str) -> tuple[str, float] | None:
        raise NotImplementedError

    def _chat(self, chat_id: int, chat_type: str, user_id: int) -> dict:
        raise NotImplementedError

    def _flood_check(self, method: str, params: dict) -> None:
        limits = self.rate_limits
        if limits is None or method not in SENDING:
            return
        chat = params.get("chat_id")
        if limits.sliding:
            return self._window_check(limits, chat)
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

    def _window_check(self, limits: RateLimits, chat: Any) -> None:
        """Sliding windows for the overall and group limits (checked together, counted only when all
        pass), the per-chat bucket as usual."""
        now = time.monotonic()
        with self._lock:
            windows = [self._buckets.setdefault("window-all", _Window(limits.overall_per_sec, 1.0))]
            if isinstance(chat, int) and chat < 0:
                windows.append(self._buckets.setdefault(("window-group", chat), _Window(limits.group_per_min, 60.0)))
            wait = max(w.wait(now) for w in windows)
            if not wait:
                wait = self._buckets.setdefault(("chat", chat), _Bucket(limits.per_chat_per_sec,
                                                                        limits.per_chat_burst)).take()
            if wait:
                retry = max(1, math.ceil(wait))
                raise ApiError(429, f"Too Many Requests: retry after {retry}", retry)
            for w in windows:
                w.times.append(now)

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
            self._observe(call)
            return web.Response(status=call.status, text="<html>Bad Gateway</html>", content_type="text/html")
        elif fault and fault[0] == "drop":
            call.status = 0
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError  # aiohttp drops the connection without answering
        try:
            if fault and fault[0] == "flood":
                raise ApiError(429, f"Too Many Requests: retry after {fault[1]:.0f}", int(fault[1]))
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
            self._observe(call)
            return web.json_response(body, status=exc.code)
        call.result = result
        self._observe(call)
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        """The file's bytes, streamed in pieces (counted in `bytes_served`) like a real server."""
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for fpath, data in list(self.files.values()):
            if fpath == path:
                resp = web.StreamResponse()
                resp.content_length = len(data)
                await resp.prepare(request)
                for i in range(0, len(data), 65536):
                    await resp.write(data[i:i + 65536])
                    self.bytes_served += len(data[i:i + 65536])
                await resp.write_eof()
                return resp
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

    async def _m_editMessageReplyMarkup(self, p: dict) -> dict:
        msg = self.messages.get((p.get("chat_id"), p.get("message_id")))  # type: ignore[arg-type]
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if p.get("reply_markup") == msg.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        msg.reply_markup = p.get("reply_markup")
        return self._as_api(msg)

    async def _m_getChatMember(self, p: dict) -> dict:
        """Members are plain members unless listed in `chat_admins` (chat id -> user ids)."""
        chat_id, user_id = p.get("chat_id"), p.get("user_id")
        admin = user_id in getattr(self, "chat_admins", {}).get(chat_id, ())
        user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        if admin:
            return {"status": "administrator", "user": user, "can_be_edited": False, "is_anonymous": False,
                    "can_manage_chat": True, "can_delete_messages": True, "can_manage_video_chats": True,
                    "can_restrict_members": True, "can_promote_members": False, "can_change_info": True,
                    "can_invite_users": True, "can_post_stories": False, "can_edit_stories": False,
                    "can_delete_stories": False}
        return {"status": "member", "user": user}

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
        size = getattr(self, "claimed_sizes", {}).get(file_id, len(data))
        return {"file_id": file_id, "file_unique_id": f"U{file_id}", "file_path": path,
                **({"file_size": size} if size else {})}

    async def _m_getMyCommands(self, p: dict) -> list:
        return []

