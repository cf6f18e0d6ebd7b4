"""Property-based fuzzing of the message path: whatever a person types, the real handlers answer once,
in HTML Telegram accepts (the fake Bot API parses it like Telegram and answers 400 otherwise), and
nothing crashes. Over-long questions get the polite limit, not a truncated search.

The bot runs once per test in its own thread and event loop; each example is a new message in a new
chat (no per-chat "busy" or rate limit in the way), so a few hundred examples take seconds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any

from fakes.bot_harness import ScriptedAnswerer, bot_settings, running_bot
from fakes.telegram_server import FakeTelegram
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval.answer.offline import OfflineAnswerer
from retrieval.service import MAX_QUESTION_CHARS

GROUP = -100700
# Fixed examples by default (the suite must not fail at random for others); FUZZ_RANDOM=1 explores anew.
FUZZ = settings(max_examples=100, deadline=None, derandomize=not os.environ.get("FUZZ_RANDOM"), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
NASTY = ["<", ">", "&", '"', "'", "&amp;", "&lt;", "&#x27;", "&#0;", "&bogus;", "<b>", "</b>", "<i>", "<a href='x'>",
         "</a>", "<pre>", "<code>", "<tg-spoiler>", "<script>", "<!--", "-->", "*", "_", "`", "```", "[", "]", "(",
         ")", "~", "|", "||", "#", "\\", "[1]", "[99]", "[-1]", "@", "@articlebot_test_bot", "/", "/start", "\u200b",
         "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069", "\ufeff", "\u2028", "\u2029",
         "\x00", "\x01", "\x1b", "\x7f", "\x85", "\r", "\n", "\t", " ", "\u3000", "가", "ㄱ", "똠", "é", "\u0301",
         "😀", "👨‍👩‍👧", "🇰🇷", "\U0001d54f", "\uffff", "\U0010ffff", "서울관", "스타트업", "시저스 팰리스"]
nasty_text = st.lists(st.sampled_from(NASTY), max_size=40).map("".join)
any_text = st.text(max_size=300)
questions = st.one_of(any_text, nasty_text, st.tuples(any_text, nasty_text).map("".join))


class BotThread:
    """The real Application polling the fake server from its own thread and event loop."""

    def __init__(self, settings_: Any, service: Any, answerer: Any) -> None:
        self.args = (settings_, service, answerer)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.stop: asyncio.Event | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="bot-under-fuzz", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as exc:  # surfaced by __enter__/__exit__
            self.error = exc
            self.ready.set()
        finally:
            self.loop.close()

    async def _main(self) -> None:
        self.stop = asyncio.Event()
        async with running_bot(*self.args):
            self.ready.set()
            await self.stop.wait()

    def __enter__(self) -> BotThread:
        self.thread.start()
        if not self.ready.wait(60) or self.error:
            raise RuntimeError(f"the bot did not start: {self.error!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.stop is not None
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(30)
        if self.error:
            raise self.error


@contextmanager
def problems_logged() -> Iterator[list[logging.LogRecord]]:
    """Records at ERROR and above from the bot and its libraries: a crash in a handler is logged there
    (the fake server's own aiohttp log is not the bot's business)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = records.append  # type: ignore[method-assign]
    handler.addFilter(lambda r: not r.name.startswith("aiohttp"))
    logging.getLogger().addHandler(handler)
    try:
        yield records
    finally:
        logging.getLogger().removeHandler(handler)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def push_text(tg: FakeTelegram, chat_id: int, user_id: int, text: str, entities: list[dict] | None = None,
              chat_type: str = "private") -> int:
    """A message as Telegram sends it: entity offsets and lengths in UTF-16 code units."""
    message_id = next(tg._msg_ids.setdefault(chat_id, count(1)))
    msg: dict[str, Any] = {"message_id": message_id, "date": int(time.time()), "text": text,
                           "chat": tg._chat(chat_id, chat_type, user_id), "from": tg._user(user_id)}
    if entities:
        msg["entities"] = entities
    tg.push_update({"message": msg})
    return message_id


def replies_to(tg: FakeTelegram, chat_id: int, message_id: int) -> list:
    return [c for c in tg.calls if c.method == "sendMessage" and c.params.get("chat_id") == chat_id
            and (c.params.get("reply_parameters") or {}).get("message_id") == message_id]


def rejected(tg: FakeTelegram, chat_id: int) -> list:
    """Calls Telegram would have refused (bad HTML, too long, empty), in this chat."""
    return [c for c in tg.calls if c.params.get("chat_id") == chat_id and c.status not in (0, 200)]


def await_reply(tg: FakeTelegram, chat_id: int, message_id: int, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = [c for c in replies_to(tg, chat_id, message_id) if c.status == 200]
        if got:
            return got[0]
        if rejected(tg, chat_id):
            break
        time.sleep(0.005)
    raise AssertionError(f"no reply in chat {chat_id}; rejected: "
                         f"{[(c.method, c.status, c.params.get('text', '')[:200]) for c in rejected(tg, chat_id)]}")


def is_command(text: str) -> bool:
    return re.match(r"/\w", text) is not None  # what FakeTelegram (like Telegram) marks as a bot command


def check_reply(tg: FakeTelegram, chat_id: int, text: str, reply: Any) -> None:
    body = reply.params["text"]
    assert reply.params.get("parse_mode") == "HTML"
    assert "went wrong" not in body and "did not accept" not in body, body
    if not text.strip():
        assert "What would you like to know" in body
    elif len(text.strip()) > MAX_QUESTION_CHARS:
        assert "too long" in body and f"the limit is {MAX_QUESTION_CHARS}" in body, body
    assert not rejected(tg, chat_id)


def run_fuzz(tg: FakeTelegram, strategy, ask) -> list[tuple[int, int, str]]:
    """Drive `ask(chat_id, text) -> (chat_id, message_id)` with examples; returns what was sent."""
    chats = count(10_000)
    sent: list[tuple[int, int, str]] = []

    @FUZZ
    @given(text=strategy)
    def example(text: str) -> None:
        chat_id, message_id, asked = ask(next(chats), text)
        sent.append((chat_id, message_id, asked))
        if asked is None:
            return
        check_reply(tg, chat_id, asked, await_reply(tg, chat_id, message_id))

    example()
    return sent


def private(tg: FakeTelegram):
    def ask(chat: int, text: str) -> tuple[int, int, str | None]:
        if is_command(text):
            text = "\u200b" + text  # commands are tested on their own; this is a question
        text = text or " "  # Telegram never sends an empty text
        return chat, push_text(tg, chat, chat, text), text

    return ask


def test_any_private_message_gets_one_valid_html_reply_from_the_scripted_answerer(tmp_path, service):
    # The scripted answer repeats the question, so every character typed goes through the HTML renderer.
    with FakeTelegram() as tg, problems_logged() as errors:
        with BotThread(bot_settings(tg, tmp_path / "bot"), service, ScriptedAnswerer(service)):
            sent = run_fuzz(tg, questions, private(tg))
            time.sleep(0.3)
        assert not errors, [r.getMessage() for r in errors]
        for chat_id, message_id, _ in sent:
            assert len(replies_to(tg, chat_id, message_id)) == 1  # none twice


def test_any_private_message_gets_one_valid_html_reply_from_the_offline_answerer(tmp_path, service):
    with FakeTelegram() as tg, problems_logged() as errors:
        with BotThread(bot_settings(tg, tmp_path / "bot"), service, OfflineAnswerer(service)):
            sent = run_fuzz(tg, questions, private(tg))
            # Sources of the answers that cited something: quoted article text, valid HTML too.
            for chat_id, message_id, _ in sent[:20]:
                push_text(tg, chat_id, chat_id, "/sources", [{"type": "bot_command", "offset": 0, "length": 8}])
            time.sleep(1.0)
        assert not errors, [r.getMessage() for r in errors]
        for chat_id, _, _ in sent:
            assert not rejected(tg, chat_id)


def test_group_mentions_anywhere_in_any_text_are_answered(tmp_path, service):
    # Telegram counts entity offsets in UTF-16 code units: emoji before the mention shift them.
    with FakeTelegram() as tg, problems_logged() as errors:
        with BotThread(bot_settings(tg, tmp_path / "bot"), service, ScriptedAnswerer(service)):
            mention = "@" + tg.username

            def ask(chat: int, parts: tuple[str, str]) -> tuple[int, int, str | None]:
                before, after = parts
                if is_command(before):
                    before = "\u200b" + before
                text = f"{before} {mention.upper() if len(after) % 2 else mention} {after}"
                entity = {"type": "mention", "offset": utf16_len(before) + 1, "length": utf16_len(mention)}
                message_id = push_text(tg, -chat, chat, text, [entity], chat_type="supergroup")
                return -chat, message_id, f"{before}  {after}".strip(" ,:\n")

            run_fuzz(tg, st.tuples(questions, questions), ask)
        assert not errors, [r.getMessage() for r in errors]


def test_the_question_is_what_was_typed_without_the_mention(tmp_path, service):
    answerer = ScriptedAnswerer(service)
    with FakeTelegram() as tg:
        with BotThread(bot_settings(tg, tmp_path / "bot"), service, answerer):
            mention = "@" + tg.username
            for i, before in enumerate(["😀👍 ", "İİİ ", "ẞ ", "👨‍👩‍👧 가 "]):
                text = f"{before}{mention} 서울관에는 몇 개 기업이 참여했나?"
                entity = {"type": "mention", "offset": utf16_len(before), "length": utf16_len(mention)}
                message_id = push_text(tg, GROUP - i, 5, text, [entity], chat_type="supergroup")
                await_reply(tg, GROUP - i, message_id)
    asked = [" ".join(q.split()) for q, _ in answerer.calls]
    assert asked == [f"{b.strip()} 서울관에는 몇 개 기업이 참여했나?" for b in ["😀👍 ", "İİİ ", "ẞ ", "👨‍👩‍👧 가 "]], asked


def test_length_limits_are_polite_and_exact(tmp_path, service, embedder):
    answerer = ScriptedAnswerer(service)
    with FakeTelegram() as tg:
        with BotThread(bot_settings(tg, tmp_path / "bot"), service, answerer):
            cases = {
                "가" * MAX_QUESTION_CHARS: "답변",  # at the limit: answered
                "  " + "가" * MAX_QUESTION_CHARS + "\n\n": "답변",  # surrounding blanks do not count
                "가" * (MAX_QUESTION_CHARS + 1): "too long",
                ("서울관 스타트업 " * 600)[:4096]: "too long",  # Telegram's own maximum
                "😀" * 2048: "too long",  # 4,096 UTF-16 units
                "<&>" * 1365: "too long",
            }
            for i, (text, says) in enumerate(cases.items()):
                message_id = push_text(tg, 20_000 + i, 20_000 + i, text)
                reply = await_reply(tg, 20_000 + i, message_id)
                assert says in reply.params["text"], (len(text), reply.params["text"][:200])
    # Too-long questions were never searched, whole or truncated: only the two at the limit were.
    assert [len(q) for q in embedder.query_calls if "가" in q] == [MAX_QUESTION_CHARS, MAX_QUESTION_CHARS]
    assert max(len(q) for q in embedder.query_calls) <= MAX_QUESTION_CHARS


def test_unknown_commands_and_odd_buttons_get_a_short_reply(tmp_path, service):
    with FakeTelegram() as tg, problems_logged() as errors:
        with BotThread(bot_settings(tg, tmp_path / "bot"), service, ScriptedAnswerer(service)):
            for i, command in enumerate(["/foo", "/start@someone_else_bot", "/ASK", "/reload_all now", "/😀"]):
                message_id = push_text(tg, 30_000 + i, 30_000 + i, command,
                                       [{"type": "bot_command", "offset": 0, "length": len(command.split()[0])}])
                reply = await_reply(tg, 30_000 + i, message_id)
                assert "/help" in reply.params["text"] or "/ask" in reply.params["text"]
            chat = 30_100
            message_id = push_text(tg, chat, chat, "서울관에는 몇 개 기업이 참여했나?")
            await_reply(tg, chat, message_id)
            answer = tg.sent(chat)[-1]
            for data in ("src:²", "src:-1", "src:99999999999999999999", "src:", "src:1e3"):
                since = tg.mark()
                tg.callback(data, message=answer, user_id=chat)
                tg.wait_sync("answerCallbackQuery", since=since)
            time.sleep(0.3)
        assert not errors, [r.getMessage() for r in errors]
        assert not tg.find("sendMessage", lambda c: "went wrong" in str(c.params.get("text")))
