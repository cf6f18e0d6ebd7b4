"""The two languages the bot speaks and one message written in both: the bottom of the texts package."""

from __future__ import annotations

from typing import Literal, NamedTuple

Lang = Literal["en", "ko"]
LANGUAGES: tuple[Lang, ...] = ("en", "ko")


class Text(NamedTuple):
    """One message in both languages; `{name}` fields are filled by the caller (already escaped)."""

    en: str
    ko: str

    def __call__(self, lang: Lang, **fields: object) -> str:
        text = self.ko if lang == "ko" else self.en
        return text.format(**fields) if fields else text


def language(code: str | None, default: Lang) -> Lang:
    """Korean for a Korean Telegram app, English for any other language, `default` when the app says none."""
    if not code:
        return default
    return "ko" if code.lower().startswith("ko") else "en"
