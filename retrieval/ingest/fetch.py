"""Fetch a web page safely: size and time limits, charset detection, and an SSRF guard."""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx
from charset_normalizer import from_bytes

from ..errors import BlockedURLError, SourceError

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.IGNORECASE)
# EUC-KR pages routinely contain CP949's extra syllables; CP949 is the superset that decodes them all.
_SUPERSETS = {"euc-kr": "cp949", "euc_kr": "cp949", "ks_c_5601-1987": "cp949", "ksc5601": "cp949"}


@dataclass
class Page:
    """A fetched page, decoded."""

    url: str
    text: str
    content_type: str


# DNS64/NAT64's well-known prefix: 64:ff9b::a9fe:a9fe is 169.254.169.254 behind a NAT64 gateway.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _blocked(address: str) -> bool:
    """True for every address that is not plainly public, including IPv4 addresses inside IPv6 ones
    (mapped, NAT64, 6to4), which a gateway would turn back into the private address they carry."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(ip.packed[12:]) if ip in _NAT64 else None)
        if inner is not None:
            ip = inner
    return not ip.is_global or ip.is_multicast or ip.is_reserved


def _parse(url: str) -> httpx.URL:
    """The URL as the HTTP client will read it (the guard must check the host the client connects to)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
        raise SourceError(f"not a valid URL: {url[:200]} ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise SourceError(f"not an http(s) URL: {url[:200]}")
    return parsed


def check_url(url: str, allow_private: bool) -> str | None:
    """Refuse non-http(s) URLs and, unless allowed, hosts that resolve to non-public addresses.

    Returns the checked address to connect to, or None when private addresses are allowed (then the
    client resolves the name itself). Connecting to the checked address, not resolving the name a
    second time, is what keeps DNS rebinding (public at the check, private at the connect) out.
    """
    parsed = _parse(url)
    if allow_private:
        return None
    host = parsed.raw_host.decode("ascii")
    try:
        infos = socket.getaddrinfo(host, parsed.port or (443 if parsed.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise SourceError(f"cannot resolve {host}: {exc.strerror}") from exc
    except (UnicodeError, ValueError, OverflowError) as exc:
        raise SourceError(f"cannot resolve {host[:100]}: {exc}") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or any(_blocked(a) for a in addresses):
        raise BlockedURLError(f"refusing to fetch {url}: it points at a private or local address")
    return addresses[0]


def _pinned(url: str, address: str) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """(request URL with the host replaced by `address`, Host header, TLS name) for one checked hop."""
    parsed = _parse(url)
    return (parsed.copy_with(host=address.split("%")[0]), {"Host": parsed.netloc.decode("ascii")},
            {"sni_hostname": parsed.raw_host.decode("ascii")})


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
    """GET `url`, following redirects by hand so every hop passes `check_url`.

    `timeout` bounds each read and also the whole download: httpx's timeouts are per read, so a server
    trickling a byte a second would otherwise hold an admin's /add for as long as it liked."""
    deadline = time.monotonic() + timeout
    headers = {"User-Agent": "articlebot/0.1 (+https://github.com/articlebot)"}
    with httpx.Client(timeout=timeout, follow_redirects=False, headers=headers) as client:
        for _ in range(max_redirects + 1):
            address = check_url(url, allow_private)
            target, host, extensions = _pinned(url, address) if address else (url, {}, {})
            try:
                with client.stream("GET", target, headers=host, extensions=extensions) as resp:
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
                        if time.monotonic() > deadline:
                            raise SourceError(f"{url} took longer than {timeout:.0f} s to download")
                        chunks.append(chunk)
                    ctype = resp.headers.get("content-type", "")
                    return Page(url=url, text=decode(b"".join(chunks), ctype), content_type=ctype)
            except httpx.TimeoutException as exc:
                raise SourceError(f"{url} did not answer within {timeout:.0f} s") from exc
            except httpx.HTTPError as exc:
                raise SourceError(f"cannot fetch {url}: {exc}") from exc
            except (UnicodeError, ValueError) as exc:  # a host name the resolver cannot even encode
                raise SourceError(f"cannot fetch {url}: {exc}") from None
        raise SourceError(f"{url} redirects more than {max_redirects} times")
