"""HTML escaping and safe links for parse_mode=HTML: the bottom of the bot's import graph."""

from __future__ import annotations

import html
import re


def esc(text: str) -> str:
    """Escape model or article text for parse_mode=HTML."""
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def _web(url: str) -> bool:
    # An article's url is data: a javascript: or tg: link from an uploaded file must not become a link,
    # and Telegram refuses odd ones.
    return bool(re.match(r"https?://\S+$", url or "", re.IGNORECASE))


def link(url: str, label: str = "link") -> str:
    """' — <a href=…>label</a>' for a web address; '' for anything else."""
    return f' — <a href="{attr(url)}">{esc(label)}</a>' if _web(url) else ""


def title_link(title: str, url: str) -> str:
    """The title, itself the link when the article has a web address."""
    return f'<a href="{attr(url)}">{esc(title)}</a>' if _web(url) else esc(title)
