"""Fetch a web page safely: size and time limits, charset detection, and an SSRF guard."""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from charset_normalizer import from_bytes

from .errors import BlockedURLError, SourceError

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.IGNORECASE)
# EUC-KR pages routinely contain CP949's extra syllables; CP949 is the superset that decodes them all.
_SUPERSETS = {"euc-kr": "cp949", "euc_kr": "cp949", "ks_c_5601-1987": "cp949", "ksc5601": "cp949"}


@dataclass
class Page:
    """A fetched page, decoded."""

    url: str
    text: str
    content_type: str


def _blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(url: str, allow_private: bool) -> None:
    """Refuse non-http(s) URLs and, unless allowed, hosts that resolve to non-public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(f"not an http(s) URL: {url}")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise SourceError(f"cannot resolve {parts.hostname}: {exc.strerror}") from exc
    for info in infos:
        if _blocked(str(info[4][0])):
            raise BlockedURLError(f"refusing to fetch {url}: it points at a private or local address")


def decode(body: bytes, content_type: str) -> str:
    """Decode HTML/text bytes: declared charset first (header, then <meta>), else detection."""
    declared = ""
    m = re.search(r"charset=([\w\-]+)", content_type or "", re.IGNORECASE)
    if m:
        declared = m.group(1)
    else:
        mm = _META_CHARSET.search(body[:4096])
        if mm:
            declared = mm.group(1).decode("ascii", "ignore")
    if declared:
        enc = _SUPERSETS.get(declared.lower(), declared)
        try:
            return body.decode(enc)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(body).best()
        if best is None:
            raise SourceError("the page's text encoding could not be detected") from None
        return str(best)


def fetch(
    url: str,
    *,
    allow_private: bool = True,
    max_bytes: int = 5_000_000,
    timeout: float = 20.0,
    max_redirects: int = 5,
) -> Page:
    """GET `url`, following redirects by hand so every hop passes `check_url`."""
    headers = {"User-Agent": "articlebot/0.1 (+https://github.com/articlebot)"}
    with httpx.Client(timeout=timeout, follow_redirects=False, headers=headers) as client:
        for _ in range(max_redirects + 1):
            check_url(url, allow_private)
            try:
                with client.stream("GET", url) as resp:
                    if resp.is_redirect and "location" in resp.headers:
                        url = urljoin(url, resp.headers["location"])
                        continue
                    if resp.status_code >= 400:
                        raise SourceError(f"{url} answered HTTP {resp.status_code}")
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in resp.iter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise SourceError(f"{url} is larger than {max_bytes // 1_000_000} MB")
                        chunks.append(chunk)
                    ctype = resp.headers.get("content-type", "")
                    return Page(url=str(resp.url), text=decode(b"".join(chunks), ctype), content_type=ctype)
            except httpx.TimeoutException as exc:
                raise SourceError(f"{url} did not answer within {timeout:.0f} s") from exc
            except httpx.HTTPError as exc:
                raise SourceError(f"cannot fetch {url}: {exc}") from exc
        raise SourceError(f"{url} redirects more than {max_redirects} times")
