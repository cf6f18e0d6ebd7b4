"""`kill -9` of a running `articlebot run`, then a restart on the same data dir: nothing it finished is lost.

The bot runs as people run it (a subprocess with settings from the environment) against FakeTelegram
and a FakeOpenAI that serves both the model and the embeddings (so no E5 model is loaded). Killed in
the middle of an answer, the chat's earlier exchanges, their Sources and the follow-up context survive;
the question being answered is lost with the process (Telegram had already confirmed its update), and
it is never answered twice. Killed in the middle of an admin's /reload, the old index is what serves
after the restart, and /reload simply works again.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from conftest import DEFAULT_ARTICLE, VENV_BIN, cli_env, make_store, run_cli
from fakes.bot_harness import ADMIN, USER, from_bot
from fakes.http import NEWS_PAGE, PageServer
from fakes.openai_server import FakeOpenAI, cite, is_rewrite, question_in
from fakes.telegram_server import Call, FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
UP = 180.0  # seconds for a start (imports, opening or building the index) on a busy machine
REPLY = 60.0  # seconds for one reply
Q1 = "서울관에는 스타트업이 몇 곳 참여했나?"
BUSAN = "부산항의 컨테이너 물동량은 얼마였나?"
OLD_TITLE, NEW_TITLE = "부산항 물동량 사상 최대", "부산항 물동량 또 최대"
EDITED_PAGE = NEWS_PAGE.replace(OLD_TITLE, NEW_TITLE).replace("2,440만", "2,610만")
# `articlebot run`, but VectorStore.activate waits while the file named by HOLD_ACTIVATE exists: the
# reload is then held after writing its new version and before switching to it (the worst moment).
HELD_RUN = """
import os, sys, time
from retrieval.index.store import VectorStore
real = VectorStore.activate
def activate(self, name, *args):
    hold = os.environ["HOLD_ACTIVATE"]
    if os.path.exists(hold):
        open(hold + ".held", "w").write(name)
        time.sleep(600)
    return real(self, name, *args)
VectorStore.activate = activate
sys.argv = ["articlebot", "run"]
from articlebot.cli import main
main()
"""


def model(body: dict) -> str:
    """The fake model: a rewrite repeats the question; an answer quotes the passage that has the fact."""
    question = question_in(body)
    if is_rewrite(body):
        return question
    needle = "코엑스" if "어디" in question else "만 TEU로" if "물동량" in question else "스타트업 81개"
    return cite(needle)(body)


class Bot:
    """One `articlebot run` subprocess at a time on `data_dir`; its output goes to bot.log."""

    def __init__(self, tmp_path: Path, tg: FakeTelegram, llm: FakeOpenAI, sources: list[str]) -> None:
        self.tg, self.data_dir, self.log = tg, tmp_path / "data", tmp_path / "bot.log"
        self.hold = tmp_path / "hold"
        self.env = dict(TELEGRAM_BOT_TOKEN=tg.token, ARTICLEBOT_TELEGRAM_API_URL=tg.base_url,
                        ARTICLEBOT_ADMIN_IDS=str(ADMIN), OPENAI_API_KEY="test", OPENAI_BASE_URL=llm.base_url,
                        ARTICLEBOT_LLM_MODEL="fake-model", ARTICLEBOT_EMBEDDER="openai",
                        ARTICLEBOT_EMBEDDING_MODEL="fake-embedding", ARTICLEBOT_DEFAULT_ARTICLES=",".join(sources),
                        ARTICLEBOT_ALLOW_PRIVATE_URLS="true", HOLD_ACTIVATE=str(self.hold))
        self.proc: subprocess.Popen | None = None

    def start(self, held: bool = False) -> None:
        """Start and wait until it polls (deleteWebhook comes right before the first getUpdates)."""
        since = self.tg.mark()
        cmd = [str(VENV_BIN / "python"), "-c", HELD_RUN] if held else [str(VENV_BIN / "articlebot"), "run"]
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.data_dir.parent, env=cli_env(self.data_dir, **self.env),
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            self.tg.wait_sync("deleteWebhook", timeout=UP, since=since)
        except TimeoutError:
            self.stop()
            raise AssertionError(f"the bot did not start:\n{self.tail()}") from None

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no handler, no cleanup, no last getUpdates
        self.proc.wait(30)

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.terminate()
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)
            return None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def say(self, text: str, user_id: int = USER) -> dict:
        return self.tg.message(text, user_id=user_id)

    def reply_to(self, msg: dict, since: int = 0) -> Call:
        """The bot's first message replying to `msg` (in a private chat, previews are drafts: this is final)."""
        mid = msg["message_id"]
        return self.tg.wait_sync("sendMessage", lambda c: (c.params.get("reply_parameters") or {}).get("message_id")
                                 == mid, timeout=REPLY, since=since)


@pytest.fixture
def rig(tmp_path):
    with FakeTelegram() as tg, FakeOpenAI() as llm, PageServer() as pages:
        llm.handler = model
        url = pages.add("/news/busan.html", NEWS_PAGE)
        bot = Bot(tmp_path, tg, llm, [str(DEFAULT_ARTICLE), url])
        try:
            yield bot, tg, llm, pages
        finally:
            code = bot.stop()
            llm.delay = 0
            print(f"bot exit code {code}; log tail:\n{bot.tail()}")


def turns(data_dir: Path, chat_id: int) -> list[tuple[str, str]]:
    with sqlite3.connect(data_dir / "bot.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return db.execute("SELECT role, content FROM turns WHERE chat_id=? ORDER BY id", (chat_id,)).fetchall()


def test_kill9_during_an_answer_keeps_the_history_and_answers_again(rig):
    bot, tg, llm, _ = rig
    bot.start()
    first = bot.reply_to(bot.say(Q1))
    assert "81" in first.params["text"], first.params

    llm.delay = 300  # the model hangs: the bot is killed while it waits for the follow-up's rewrite
    asked = len(llm.chat_requests)
    lost = bot.say("그중 혁신상을 받은 기업은?")
    deadline = time.monotonic() + REPLY
    while len(llm.chat_requests) == asked and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(llm.chat_requests) > asked, "the follow-up never reached the model"
    bot.kill9()
    llm.delay = 0

    bot.start()
    since = tg.mark()
    sources = bot.reply_to(bot.say("/sources"), since)
    assert "81" in sources.params["text"], "the Sources of the answer given before the kill"
    answer = bot.reply_to(bot.say("그 행사는 어디에서 열리나?"), since)
    assert "코엑스" in answer.params["text"], answer.params
    rewrite = [b for b in llm.chat_requests[asked + 1:] if is_rewrite(b)][-1]
    assert Q1 in json.dumps(rewrite, ensure_ascii=False), "the follow-up was read with the earlier exchange"
    time.sleep(1.0)  # a late answer to the lost question would show now
    assert bot.stop() == 0, bot.tail()
    replies = [c for c in tg.calls_to("sendMessage", USER)
               if (c.params.get("reply_parameters") or {}).get("message_id") == lost["message_id"]]
    assert len(replies) <= 1
    assert [r for r, _ in turns(bot.data_dir, USER)] == ["user", "assistant"] * 2
    assert turns(bot.data_dir, USER)[0][1] == Q1


@pytest.mark.parametrize("moment", ["embedding", "written, not active"])
def test_kill9_during_a_reload_keeps_the_old_index_and_reload_works_again(rig, moment):
    bot, tg, llm, pages = rig
    held = moment == "written, not active"
    bot.start(held=held)
    assert "2,440만" in bot.reply_to(bot.say(BUSAN)).params["text"]

    pages.add("/news/busan.html", EDITED_PAGE)  # the reload has something new to embed and write
    if held:
        bot.hold.write_text("hold")
    else:
        llm.delay = 300  # the embeddings endpoint hangs
    since, requests = tg.mark(), len(llm.requests)
    bot.say("/reload", ADMIN)
    tg.wait_sync("sendMessage", from_bot(ADMIN, "Reloading"), timeout=REPLY, since=since)
    deadline = time.monotonic() + REPLY
    while time.monotonic() < deadline and not (
            Path(f"{bot.hold}.held").exists() if held
            else any(r["path"].endswith("/embeddings") for r in llm.requests[requests:])):
        time.sleep(0.05)
    assert time.monotonic() < deadline, f"the reload never got to {moment}:\n{bot.tail()}"
    bot.kill9()
    llm.delay = 0
    bot.hold.unlink(missing_ok=True)

    if held:  # the new version is complete in the store, but the switch to it never happened
        written = Path(f"{bot.hold}.held").read_text()
        store = make_store(bot.data_dir)
        assert store.records(written).ids and store.active()[0] != written
    listed = run_cli(["articles", "--json"], bot.data_dir, timeout=UP, **bot.env)
    assert listed.returncode == 0, listed.stderr
    titles = {a["title"] for a in json.loads(listed.stdout)}
    assert OLD_TITLE in titles and NEW_TITLE not in titles, titles

    bot.start(held=held)
    since = tg.mark()
    assert "2,440만" in bot.reply_to(bot.say(BUSAN), since).params["text"], "the old index serves"
    bot.say("/reload", ADMIN)
    tg.wait_sync("editMessageText", from_bot(ADMIN, "Reloaded:"), timeout=UP, since=since)
    since = tg.mark()
    assert "2,610만" in bot.reply_to(bot.say(BUSAN), since).params["text"], "the reload took effect"
    assert bot.stop() == 0, bot.tail()
