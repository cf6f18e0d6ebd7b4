"""HTML escaping and safe links for parse_mode=HTML: the bottom of the bot's import graph."""

from __future__ import annotations

import html
import re


def esc(text: str) -> str:
    """Escape model or article text for parse_mode=HTML."""
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def link(url: str, label: str = "link") -> str:
    """' — <a href=…>label</a>' for a web address; '' for anything else (an article's url is data: a
    javascript: or tg: link from an uploaded file must not become a link, and Telegram refuses odd ones)."""
    if not re.match(r"https?://\S+$", url or "", re.IGNORECASE):
        return ""
    return f' — <a href="{attr(url)}">{esc(label)}</a>'
