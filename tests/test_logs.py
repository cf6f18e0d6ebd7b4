"""Bot logging: level and format settings, one start-up line, answer lines with ids, no library noise."""

from __future__ import annotations

import io
import json
import logging

import pytest
from fakes.bot_harness import USER, ScriptedAnswerer, bot_settings, from_bot, running_bot
from fakes.telegram_server import FakeTelegram

from articlebot.compose import startup_line
from articlebot.logs import setup_logging
from articlebot.settings import SettingsError, load_settings


@pytest.fixture
def restore_root():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


def test_json_lines_carry_the_extras_and_library_debug_is_silent(restore_root):
    out = io.StringIO()
    setup_logging("INFO", "json", out)
    import bm25s  # noqa: F401  (it sets its own logger to DEBUG at import)

    logging.getLogger("bm25s").setLevel(logging.DEBUG)
    logging.getLogger("bm25s").debug("Building index from tokens")
    logging.getLogger("bot.conversation").info("answered: chat=%s", 5, extra={"chat_id": 5, "latency_ms": 12})
    logging.getLogger("bot.conversation").debug("not at INFO")
    logging.getLogger("bm25s").warning("a real problem")
    [answered, warning] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert answered["message"] == "answered: chat=5" and answered["chat_id"] == 5 and answered["latency_ms"] == 12
    assert answered["level"] == "INFO" and answered["logger"] == "bot.conversation" and "time" in answered
    assert warning["logger"] == "bm25s" and warning["level"] == "WARNING"


def test_text_format_and_level(restore_root):
    out = io.StringIO()
    setup_logging("WARNING", "text", out)
    logging.getLogger("x").info("hidden")
    logging.getLogger("x").warning("shown")
    assert out.getvalue().count("\n") == 1 and "WARNING x: shown" in out.getvalue()


def test_log_settings_are_case_insensitive_and_checked(monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_LOG_LEVEL", "debug")
    monkeypatch.setenv("ARTICLEBOT_LOG_FORMAT", "JSON")
    s = load_settings(_env_file=None)
    assert (s.log_level, s.log_format) == ("DEBUG", "json")
    monkeypatch.setenv("ARTICLEBOT_LOG_LEVEL", "loud")
    with pytest.raises(SettingsError, match="ARTICLEBOT_LOG_LEVEL"):
        load_settings(_env_file=None)


def test_startup_line_names_mode_model_transport_admins_and_index(service, tmp_path):
    settings = load_settings(_env_file=None, data_dir=tmp_path, admin_ids=[7, 8])
    line, fields = startup_line(settings, service)
    assert "mode=extractive" in line and "model=none" in line and "transport=polling" in line
    assert "admins=7,8" in line and "index=1 article(s)" in line and str(tmp_path) in line
    llm = load_settings(_env_file=None, OPENAI_API_KEY="k", llm_model="qwen", webhook_url="https://b.example/t")
    line, fields = startup_line(llm, service)
    assert "mode=llm model=qwen" in line and "transport=webhook https://b.example/t" in line
    assert "admins=none" in line and fields["chunks"] >= 2


async def test_each_answer_line_has_chat_user_update_mode_and_latency(service, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bot.conversation")
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path), service, ScriptedAnswerer(service)):
            tg.message("서울관에는 스타트업이 몇 개 참여했나?", user_id=USER)
            await tg.wait("sendMessage", from_bot(USER, "답변"))
    [record] = [r for r in caplog.records if r.getMessage().startswith("answered:")]
    assert record.chat_id == USER and record.user_id == USER and isinstance(record.update_id, int)
    assert record.mode == "llm" and record.latency_ms >= 0
    assert f"user={USER}" in record.getMessage() and f"update={record.update_id}" in record.getMessage()
