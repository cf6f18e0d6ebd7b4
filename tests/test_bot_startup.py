"""Start-up: a network blip is retried with backoff (a log line per attempt); a fatal start error is one
line on standard error, with no traceback and no token."""

from __future__ import annotations

import asyncio
import logging
import socket

from conftest import run_cli
from fakes.bot_harness import bot_settings
from fakes.telegram_server import TOKEN, FakeTelegram

from articlebot.compose import bot_config
from bot.app import build_application
from bot.startup import connect


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_start_keeps_trying_with_backoff_until_telegram_answers(tmp_path, service, caplog):
    port = _free_port()
    offline = FakeTelegram(port=port)  # not started yet: nothing listens on the port
    app = build_application(bot_config(bot_settings(offline, tmp_path / "bot")), service, None)
    caplog.set_level(logging.WARNING, logger="bot.startup")
    task = asyncio.create_task(connect(app, -1, first_wait=0.05, max_wait=0.4))
    while sum("cannot reach Telegram" in r.getMessage() for r in caplog.records) < 3:
        await asyncio.sleep(0.05)
        assert not task.done(), task
    waits = [r.getMessage().rsplit("again in ", 1)[1] for r in caplog.records if "cannot reach" in r.getMessage()]
    assert "attempt 1)" in caplog.records[0].getMessage() and TOKEN not in caplog.text, waits
    with offline:
        await asyncio.wait_for(task, 10)
        assert app.bot.username == offline.username
        await app.shutdown()


def test_a_rejected_token_is_one_line_without_traceback_or_token(tmp_path):
    with FakeTelegram(token="999:RightTokenTheBotDoesNotHave_abcdefghijklmn") as tg:
        result = run_cli(["run"], tmp_path / "data", timeout=120, TELEGRAM_BOT_TOKEN=TOKEN,
                         ARTICLEBOT_TELEGRAM_API_URL=tg.base_url)
    err = result.stderr.strip().splitlines()
    assert result.returncode != 0
    assert err and err[-1].startswith("articlebot: ") and "rejected" in err[-1], result.stderr
    assert "Traceback" not in result.stderr and TOKEN not in result.stderr + result.stdout
    assert TOKEN.split(":")[1] not in result.stderr


def test_unreachable_telegram_after_the_set_retries_is_one_line_and_a_log_line_per_attempt(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}/bot"
    result = run_cli(["run"], tmp_path / "data", timeout=120, TELEGRAM_BOT_TOKEN=TOKEN,
                     ARTICLEBOT_TELEGRAM_API_URL=url, ARTICLEBOT_TELEGRAM_CONNECT_RETRIES="2")
    err = result.stderr.strip().splitlines()
    assert result.returncode != 0
    assert err[-1].startswith("articlebot: cannot reach Telegram after 3 attempt(s)"), result.stderr
    assert sum("cannot reach Telegram (attempt" in line for line in err) == 2, result.stderr
    assert "Traceback" not in result.stderr and TOKEN not in result.stderr
