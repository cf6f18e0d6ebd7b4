"""Load articles from files, directories, URLs, JSON Lines and uploads, cleaned of page furniture."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import SourceError
from ..models import Article
from .cleaning import clean_text
from .fetch import decode, fetch

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
_ID_UNSAFE = re.compile(r"[^0-9A-Za-z가-힣._-]+")


@dataclass
class Loaded:
    """Articles read from one or more sources, and the problems met on the way."""

    articles: list[Article] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def extend(self, other: Loaded) -> None:
        self.articles.extend(other.articles)
        self.problems.extend(other.problems)

    def unique(self) -> Loaded:
        """One article per id: a later article with a taken id is reported, never silently swapped in.

        Ids come from file names, so `one/a.txt` and `two/a.txt` collide; the same source read twice
        gives the same article and is simply dropped.
        """
        out = Loaded(problems=list(self.problems))
        first: dict[str, Article] = {}
        for art in self.articles:
            seen = first.get(art.id)
            if seen is None:
                first[art.id] = art
                out.articles.append(art)
            elif seen != art:
                out.problems.append(f"{art.source}: article id {art.id!r} is already used by {seen.source} "
                                    "(skipped: rename the file or give the article another id)")
        return out


def is_url(source: str) -> bool:
    return source[:8].lower().startswith(("http://", "https://"))


def slug(text: str) -> str:
    """A safe article id fragment from a file name or host."""
    return _ID_UNSAFE.sub("-", text).strip("-.")[:80] or "article"


def url_article_id(url: str) -> str:
    host = urlsplit(url).hostname or "web"
    return f"{slug(host)}-{hashlib.sha256(url.encode()).hexdigest()[:10]}"


def _article(art_id: str, raw: str, source: str, *, title: str = "", url: str = "",
             published: str = "", byline: str = "") -> Article:
    cleaned = clean_text(raw, title=title)
    if not cleaned.text.strip():
        raise SourceError(f"{source}: no article text found (empty, or only page furniture)")
    return Article(
        id=art_id,
        title=cleaned.title or art_id,
        text=cleaned.text,
        url=url,
        published=published or cleaned.published,
        byline=byline or cleaned.byline,
        source=source,
    )


def from_html(html: str, *, art_id: str, source: str, url: str = "") -> Article:
    """Main text and metadata of an HTML page (trafilatura), then our own furniture cleaning."""
    import trafilatura

    extracted = trafilatura.extract(
        html, url=url or None, output_format="json", with_metadata=True,
        include_comments=False, include_tables=False, favor_precision=True,
    )
    data = json.loads(extracted) if extracted else {}
    text = (data.get("text") or "").strip()
    if len(text) < 40:
        raise SourceError(f"{source}: no article text found on this page (is it an article?)")
    return _article(art_id, text, source, title=(data.get("title") or "").strip(), url=url,
                    published=(data.get("date") or "")[:10], byline=(data.get("author") or "").strip())


def _field(rec: dict, key: str) -> str:
    value = rec.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list, bool)):
        raise ValueError(f"{key} must be a string")
    return str(value)


def from_jsonl(data: str | list[str | None], source: str) -> Loaded:
    """One article per line: `id`, `title`, `text`, optional `url`, `published`; bad lines are reported.

    Lines end at "\n" only: JSON strings may hold U+2028, U+0085 and the like, which `splitlines` would cut.
    A line given as None could not be decoded as UTF-8.
    """
    lines = data.split("\n") if isinstance(data, str) else data
    out = Loaded()
    for lineno, line in enumerate(lines, start=1):
        if line is None:
            out.problems.append(f"{source}:{lineno}: not UTF-8 text")
            continue
        if not line.strip():
            continue
        try:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:  # its own "line 1 column 1" would be about this line alone
                raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from None
            if not isinstance(rec, dict):
                raise ValueError("not a JSON object")
            missing = [k for k in ("id", "text") if not _field(rec, k).strip()]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
            art = _article(_field(rec, "id").strip(), _field(rec, "text"), source,
                           title=_field(rec, "title").strip(), url=_field(rec, "url"),
                           published=_field(rec, "published"))
            out.articles.append(art)
        except (ValueError, SourceError) as exc:
            out.problems.append(f"{source}:{lineno}: {str(exc)[:300]}")
    if not out.articles and not out.problems:
        out.problems.append(f"{source}: no articles in this file")
    return out


def _jsonl_lines(data: bytes, name: str) -> list[str | None]:
    """JSON Lines are UTF-8: a line that is not is reported on its own (None) instead of sending the whole
    file to encoding detection, which would read every good line in some legacy encoding."""
    try:
        return data.decode("utf-8-sig").split("\n")
    except UnicodeDecodeError:
        pass
    lines: list[str | None] = []
    for raw in data.split(b"\n"):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(None)
    bad = sum(line is None for line in lines)
    if bad * 2 >= sum(1 for line in lines if line is None or line.strip()):  # mostly not UTF-8: legacy or binary
        return _decode(data, name).split("\n")
    return lines


def _decode(data: bytes, name: str) -> str:
    try:
        text = decode(data, "")
    except SourceError:
        raise SourceError(f"{name}: the text encoding could not be detected (save the file as UTF-8)") from None
    return _check_text(text, name)


def _check_text(text: str, name: str) -> str:
    # Control characters other than line breaks and tabs are not text: this is some binary format.
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\n\r\f" or "\x7f" <= ch < "\xa0")
    if controls > 2 and controls > len(text) // 100:
        raise SourceError(f"{name}: this looks like a binary file, not text")
    return text


def parse_document(name: str, data: bytes, source: str, art_id: str | None = None) -> Loaded:
    """Parse file bytes by their suffix; `source` is recorded so reload can read it again."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SourceError(f"{name}: unsupported file type (use {', '.join(sorted(SUPPORTED_SUFFIXES))})")
    if not data.strip():
        raise SourceError(f"{name}: the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM ("Unicode" in Windows editors)
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        raise SourceError(f"{name}: this looks like a binary file, not text")
    art_id = art_id or slug(Path(name).stem)
    if suffix in JSONL_SUFFIXES:
        lines = _jsonl_lines(data, name)
        _check_text("\n".join(line for line in lines if line), name)
        return from_jsonl(lines, source)
    text = _decode(data, name)
    if suffix in HTML_SUFFIXES:
        return Loaded([from_html(text, art_id=art_id, source=source)])
    return Loaded([_article(art_id, text, source)])


def load_source(source: str, *, allow_private: bool = True, max_bytes: int = 5_000_000) -> Loaded:
    """Read one source: an http(s) URL, a file, or a directory of supported files."""
    if is_url(source):
        page = fetch(source, allow_private=allow_private, max_bytes=max_bytes)
        art_id = url_article_id(source)
        if "html" in page.content_type or page.text.lstrip()[:1] == "<":
            return Loaded([from_html(page.text, art_id=art_id, source=source, url=page.url)])
        return Loaded([_article(art_id, page.text, source, url=page.url)])
    path = Path(source).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        if not files:
            raise SourceError(f"{source}: no .txt/.md/.html/.jsonl files in this directory")
        out = Loaded()
        for f in files:
            try:
                out.extend(load_source(str(f)))
            except SourceError as exc:
                out.problems.append(str(exc))
        return out
    if not path.is_file():
        raise SourceError(f"{source}: no such file, directory or URL")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{source}: cannot read ({exc.strerror})") from exc
    return parse_document(path.name, data, str(path.resolve()))
