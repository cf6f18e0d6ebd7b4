"""The Markdown models write even when asked for plain text, as Telegram HTML or as plain text.

Parsed with markdown-it-py (CommonMark) rather than by pattern: emphasis, nesting and escapes have rules a
few regular expressions get wrong. Only what Telegram can show is kept: bold, italics and code inline;
headings become bold lines, list items lines of their own ("• ", "1. "); `[n]` markers are plain text
(no link definitions exist for them) and survive anywhere. Raw HTML in a reply is shown as text, never
passed through as markup.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import lru_cache

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": False}).disable(["link", "image", "autolink", "html_inline",
                                                         "html_block", "reference", "code"])
_HTML_TAGS = {"strong": ("<b>", "</b>"), "em": ("<i>", "</i>"), "code_inline": ("<code>", "</code>"),
              "heading": ("<b>", "</b>")}
_PLAIN_TAGS = {"strong": ("", ""), "em": ("", ""), "code_inline": ("", ""), "heading": ("", "")}


def _render(text: str, tags: dict[str, tuple[str, str]], escape: Callable[[str], str]) -> str:
    lines: list[str] = []
    lists: list[list[int]] = []  # per open list: [next number] for ordered lists, [] for bullets
    prefix = ""
    heading = False
    for tok in _MD.parse(text):
        if tok.type == "bullet_list_open":
            lists.append([])
        elif tok.type == "ordered_list_open":
            lists.append([int(tok.attrGet("start") or 1)])
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif tok.type == "list_item_open":
            indent = "  " * (len(lists) - 1)
            if lists and lists[-1]:
                prefix = f"{indent}{lists[-1][0]}. "
                lists[-1][0] += 1
            else:
                prefix = f"{indent}• "
        elif tok.type == "heading_open":
            heading = True
        elif tok.type == "heading_close":
            heading = False
        elif tok.type == "paragraph_close" and not lists:
            lines.append("")  # a blank line between paragraphs, as written
        elif tok.type == "hr":
            lines.append("")
        elif tok.type in ("inline", "fence"):
            body = _inline(tok, tags, escape) if tok.type == "inline" else escape(tok.content.rstrip("\n"))
            if heading:
                body = tags["heading"][0] + body + tags["heading"][1]
            for i, line in enumerate(body.split("\n")):
                lines.append((prefix if i == 0 else " " * len(prefix)) + line)
            prefix = ""
    return "\n".join(lines).strip()


def _inline(tok, tags: dict[str, tuple[str, str]], escape: Callable[[str], str]) -> str:
    out: list[str] = []
    for child in tok.children or []:
        kind = child.type
        if kind == "text":
            out.append(escape(child.content))
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "code_inline":
            out.append(tags["code_inline"][0] + escape(child.content) + tags["code_inline"][1])
        elif kind.endswith("_open") and kind[:-5] in tags:
            out.append(tags[kind[:-5]][0])
        elif kind.endswith("_close") and kind[:-6] in tags:
            out.append(tags[kind[:-6]][1])
        else:
            out.append(escape(child.content))
    return "".join(out)


@lru_cache(maxsize=256)
def to_html(text: str) -> str:
    """Telegram HTML (parse_mode=HTML) for a reply in Markdown."""
    return _render(text, _HTML_TAGS, lambda s: html.escape(s, quote=False))


@lru_cache(maxsize=256)
def to_plain(text: str) -> str:
    """Plain text for the CLI and JSON: no asterisks or hashes, lists and headings as lines."""
    return _render(text, _PLAIN_TAGS, lambda s: s)
