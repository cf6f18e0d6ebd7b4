"""A restart loses nothing: history, the Sources buttons, stats; `articlebot run` stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time

import pytest
from conftest import VENV_BIN, cli_env
from fakes.bot_harness import (
    ADMIN,
    USER,
    ScriptedAnswerer,
    bot_settings,
    from_bot,
    running_bot,
)
from fakes.telegram_server import FakeTelegram

Q1 = "오세훈 시장이 조성한다는 AI 서울테크시티는 어디에 있나?"


async def test_history_sources_and_stats_survive_a_restart(tmp_path, service):
    with FakeTelegram() as tg:
        settings = bot_settings(tg, tmp_path / "bot")
        async with running_bot(settings, service, ScriptedAnswerer(service)):
            tg.message(Q1)
            await tg.wait("sendMessage", from_bot(USER, "답변"))
        old_answer = tg.sent(USER)[-1]

        later = ScriptedAnswerer(service)
        async with running_bot(settings, service, later):
            since = tg.mark()
            tg.message("그 부지의 규모는?")
            await tg.wait("sendMessage", from_bot(USER, "답변"), since=since)
            _, history = later.calls[0]
            assert [t.content for t in history][0] == Q1
            assert history[1].role == "assistant" and history[1].chunk_ids

            since = tg.mark()
            tg.callback(old_answer.reply_markup["inline_keyboard"][0][0]["callback_data"], message=old_answer)
            await tg.wait("sendMessage", from_bot(USER, "<blockquote expandable>"), since=since)
            tg.message("/stats", user_id=ADMIN)
            stats = await tg.wait("sendMessage", from_bot(ADMIN, "Usage"), since=since)
            assert "Questions: 2" in stats.params["text"]


def _start(tg: FakeTelegram, data_dir, log_path):
    env = cli_env(data_dir, TELEGRAM_BOT_TOKEN=tg.token, ARTICLEBOT_TELEGRAM_API_URL=tg.base_url,
                  ARTICLEBOT_ADMIN_IDS=str(ADMIN))
    log = open(log_path, "ab")  # noqa: SIM115 (closed by the caller through the process)
    return subprocess.Popen([str(VENV_BIN / "articlebot"), "run"], cwd=data_dir.parent, env=env,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL), log


def _stop(proc: subprocess.Popen, log) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(20)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()


@pytest.mark.slow
def test_articlebot_run_answers_stops_on_sigterm_and_remembers_after_a_restart(tmp_path):
    data_dir = tmp_path / "data"
    log_path = tmp_path / "bot.log"
    with FakeTelegram() as tg:
        proc, log = _start(tg, data_dir, log_path)
        try:
            tg.wait_sync("deleteWebhook", timeout=180)  # polling has started (after indexing)
            msg = tg.message(Q1)
            t0 = time.monotonic()
            first = tg.wait_sync("sendMessage", lambda c: c.params.get("reply_parameters", {}).get("message_id")
                                 == msg["message_id"], timeout=60)
            first_latency = first.at - t0
        finally:
            code = _stop(proc, log)
        assert code == 0, log_path.read_text(errors="replace")[-3000:]

        since = tg.mark()
        proc, log = _start(tg, data_dir, log_path)
        try:
            tg.wait_sync("deleteWebhook", timeout=120, since=since)
            msg = tg.message("그 부지의 규모는?")
            tg.wait_sync("sendMessage", lambda c: c.params.get("reply_parameters", {}).get("message_id")
                         == msg["message_id"], timeout=60, since=since)
        finally:
            code = _stop(proc, log)
        assert code == 0
    logged = log_path.read_text(errors="replace")
    assert tg.token not in logged and tg.token.split(":")[1] not in logged
    assert logged.count("Application.stop() complete") == 2 or logged.count("stopping") >= 2
    with sqlite3.connect(data_dir / "bot.sqlite3") as db:
        rows = db.execute("SELECT role, content, chunk_ids FROM turns WHERE chat_id=? ORDER BY id", (USER,)).fetchall()
    assert [r[0] for r in rows] == ["user", "assistant", "user", "assistant"]
    assert rows[0][1] == Q1 and rows[1][2] != "[]"
    print(f"first answer after start: {first_latency * 1000:.0f} ms")
