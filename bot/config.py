"""What the bot needs to know, in its own small typed object: the bot never reads the application's settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class BotConfig:
    token: str
    data_dir: Path  # the bot's own SQLite file lives here
    api_url: str | None = None  # a Bot API server other than Telegram's (a local server, or a test fake)
    admin_ids: tuple[int, ...] = ()
    allowed_user_ids: tuple[int, ...] = ()  # empty: everyone
    allowed_chat_ids: tuple[int, ...] = ()
    allow_private_urls: bool = False  # may /add and /reload fetch private or local addresses?
    history_turns: int = 6
    user_rate_per_minute: int = 20
    max_upload_bytes: int = 5_000_000
    suggestions: bool = True  # suggested-question buttons after /start, a choice and each answer
    default_language: Literal["ko", "en"] = "ko"  # for users whose Telegram app sends no language
    conversation_expiry_minutes: int = 60  # of silence, after which a chat starts afresh; 0: never
    daily_questions: int = 0  # per user per UTC day (admins exempt); 0: no limit
    daily_llm_tokens: int = 0  # per user per UTC day, when an LLM answers; 0: no limit
