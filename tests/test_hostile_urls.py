"""Hostile URLs: every private, local or disguised address is refused, on every hop and at every reload;
a name is resolved once and the connection goes to the address that was checked (no DNS rebinding);
malformed URLs and pages that are not articles get a clear message, never a crash."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import DEFAULT_ARTICLE, make_service
from fakes.bot_harness import (
    ADMIN,
    ScriptedAnswerer,
    bot_settings,
    from_bot,
    running_bot,
)
from fakes.embedder import HashEmbedder
from fakes.http import NEWS_PAGE
from fakes.telegram_server import FakeTelegram

from retrieval.errors import BlockedURLError, SourceError
from retrieval.ingest import fetch as fetch_mod
from retrieval.ingest.fetch import check_url, fetch
from retrieval.ingest.sources import load_source

LOGIN_PAGE = """<html><head><title>로그인</title></head><body><nav><a href="/">홈</a> <a href="/news">뉴스</a></nav>
<form><input name="id"><input name="pw" type="password"><button>로그인</button></form></body></html>"""

PRIVATE = [
    # loopback, written every way a resolver accepts
    "http://127.0.0.1/", "http://127.1/", "http://127.255.255.254:8080/x", "http://2130706433/",
    "http://0x7f000001/", "http://017700000001/", "http://localhost/",
    "http://LocalHost:9/admin", "http://0.0.0.0/", "http://0/",
    # RFC 1918, link-local (cloud metadata), carrier-grade NAT, multicast, broadcast
    "http://10.0.0.1/", "http://10.255.255.255/", "http://172.16.0.1/", "http://172.31.255.254/",
    "http://192.168.0.1/", "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/",
    "http://224.0.0.1/", "http://255.255.255.255/",
    # IPv6: loopback, unspecified, v4-mapped and v4-compatible loopback, NAT64 and 6to4 wrapping private v4,
    # link-local, unique-local
    "http://[::1]/", "http://[::1]:8000/x", "http://[::]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/",
    "http://[::ffff:169.254.169.254]/", "http://[::127.0.0.1]/", "http://[64:ff9b::a9fe:a9fe]/",
    "http://[64:ff9b::10.0.0.1]/", "http://[2002:7f00:1::]/", "http://[2002:a9fe:a9fe::1]/", "http://[fe80::1]/",
    "http://[fc00::1]/", "http://[fd12:3456::1]/",
    # credentials and odd casing do not hide the host
    "http://user:pw@127.0.0.1/", "HTTP://LOCALHOST/", "https://127.0.0.1:443/",
]
MALFORMED = [
    "http://[::1/", "http://host:99999/", "http://a..b/", "http://" + "a" * 64 + ".example/",
    "http://ｌｏｃａｌｈｏｓｔ/", "http://\u00ad/", "http://", "http:///path", "javascript:alert(1)",
    "file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1:25/", "//127.0.0.1/x", "127.0.0.1", "",
    # octal and hex dotted forms: the HTTP client would not read them as the resolver does, so they are refused
    "http://0177.0.0.1/", "http://0x7f.0.0.1/",
]


@pytest.fixture
def resolver(monkeypatch) -> dict[str, list[str]]:
    """Made-up names for socket.getaddrinfo: `resolver[name] = [addresses]`, consumed one per lookup
    (the last one stays); every lookup of a made-up name is counted in `resolver["lookups"]`."""
    names: dict[str, list[str]] = {"lookups": []}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        key = host.decode() if isinstance(host, bytes) else host
        if key in names and key != "lookups":
            names["lookups"].append(key)
            queue = names[key]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port or 0, 0, 0) if family == socket.AF_INET6 else (address, port or 0)
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


@pytest.fixture
def loopback_is_public(monkeypatch) -> None:
    """Offline, a "public" first hop can only be 127.0.0.1: let exactly that address pass the guard."""
    real = fetch_mod._blocked
    monkeypatch.setattr(fetch_mod, "_blocked", lambda address: address != "127.0.0.1" and real(address))


class RecordingServer:
    """An HTTP server on 127.0.0.1 that answers every GET with `body` and records (path, Host header)."""

    def __init__(self, body: str = NEWS_PAGE) -> None:
        self.seen: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.seen.append((self.path, self.headers.get("Host", "")))
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]

    @contextmanager
    def running(self) -> Iterator[RecordingServer]:
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()
            thread.join(5)


# ----- the address check -------------------------------------------------------------------------
@pytest.mark.parametrize("url", PRIVATE)
def test_private_local_and_disguised_addresses_are_refused(url):
    with pytest.raises(BlockedURLError, match="private or local address"):
        check_url(url, allow_private=False)


@pytest.mark.parametrize("url", MALFORMED)
def test_malformed_urls_are_a_clear_source_error_not_a_crash(url):
    for allow in (False, True):
        with pytest.raises(SourceError) as info:
            load_source(url, allow_private=allow) if url.startswith(("http://", "https://")) else check_url(url, allow)
        assert "Traceback" not in str(info.value)


@pytest.mark.parametrize("addresses", [["10.0.0.7"], ["169.254.169.254"], ["::1"], ["64:ff9b::a9fe:a9fe"],
                                       ["93.184.216.34", "192.168.1.5"], ["fd00::5"]])
def test_names_that_resolve_to_private_addresses_are_refused(resolver, addresses):
    resolver["intranet.example"] = list(addresses)

    def every_address(host, port, *args, **kwargs):  # one lookup returning all of them at once
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port, 0, 0) if ":" in a else (a, port)) for a in addresses]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "getaddrinfo", every_address)
        with pytest.raises(BlockedURLError):
            check_url("https://intranet.example/report", allow_private=False)


def test_a_public_name_passes_and_the_checked_address_is_returned(resolver):
    resolver["news.example"] = ["93.184.216.34"]
    assert check_url("https://news.example/a?x=1", allow_private=False) == "93.184.216.34"
    resolver["v6.example"] = ["2606:2800:220:1:248:1893:25c8:1946"]
    assert check_url("http://v6.example/", allow_private=False) == "2606:2800:220:1:248:1893:25c8:1946"
    resolver["nat64.example"] = ["64:ff9b::5db8:d822"]  # DNS64 wrapping a public IPv4 address stays usable
    assert check_url("http://nat64.example/", allow_private=False) == "64:ff9b::5db8:d822"


def test_the_guard_refuses_a_loopback_server_before_any_request(pages):
    url = pages.add("/go", b"", status=302, content_type="text/plain", Location="/secret")
    pages.add("/secret", NEWS_PAGE)
    with pytest.raises(BlockedURLError):
        fetch(url, allow_private=False)
    with pytest.raises(BlockedURLError):
        load_source(url.replace("127.0.0.1", "localhost"), allow_private=False)
    assert pages.hits == {}


# ----- every hop is checked -------------------------------------------------------------------
@pytest.mark.parametrize("location", ["http://intranet.example/admin", "http://169.254.169.254/latest/meta-data/",
                                      "http://[::1]:{port}/secret", "http://[::ffff:10.0.0.1]/", "http://0xa000001/",
                                      "http://localhost.localdomain.example/", "file:///etc/passwd"])
def test_a_redirect_to_a_private_address_is_refused_at_that_hop(pages, resolver, loopback_is_public, location):
    resolver["intranet.example"] = ["10.0.0.7"]
    resolver["localhost.localdomain.example"] = ["127.0.0.2"]
    pages.add("/secret", NEWS_PAGE)
    pages.add("/hop2", b"", status=301, content_type="text/plain", Location=location.format(port=pages.port))
    first = pages.add("/hop1", b"", status=302, content_type="text/plain", Location="/hop2")
    with pytest.raises(SourceError) as info:
        fetch(first, allow_private=False)
    assert isinstance(info.value, BlockedURLError) or "http(s)" in str(info.value)
    assert pages.hits == {"/hop1": 1, "/hop2": 1}  # the private target was never asked


def test_redirect_loops_end(pages, loopback_is_public):
    url = pages.add("/loop", b"", status=302, content_type="text/plain", Location="/loop")
    with pytest.raises(SourceError, match="redirects more than"):
        fetch(url, allow_private=False)
    assert pages.hits["/loop"] == 6


# ----- DNS rebinding: the connection goes to the address that was checked --------------------------
def test_the_connection_uses_the_checked_address_not_a_second_lookup(resolver, loopback_is_public):
    with RecordingServer().running() as server:
        # Public at the check, private a moment later: a client resolving again would go to 10.9.9.9.
        resolver["rebind.example"] = ["127.0.0.1", "10.9.9.9"]
        url = f"http://rebind.example:{server.port}/news/1"
        page = fetch(url, allow_private=False)
        assert "부산항" in page.text and page.url == url
        assert resolver["lookups"] == ["rebind.example"]  # resolved once, by the check
        assert server.seen == [("/news/1", f"rebind.example:{server.port}")]  # virtual hosting still works

        resolver["rebind.example"] = ["10.9.9.9"]
        with pytest.raises(BlockedURLError):
            fetch(url, allow_private=False)
        assert len(server.seen) == 1


# ----- through the bot ---------------------------------------------------------------------------
async def _admin_says(tg: FakeTelegram, text: str, contains: str, method: str = "sendMessage"):
    since = tg.mark()
    tg.message(text, user_id=ADMIN)
    return await tg.wait(method, from_bot(ADMIN, contains), since=since, timeout=15)


async def test_add_refuses_hostile_and_malformed_urls_with_a_clear_message(tmp_path, pages):
    pages.add("/secret", NEWS_PAGE)
    service = make_service(tmp_path / "data", HashEmbedder(), [DEFAULT_ARTICLE])
    service.open()
    before = service.snapshot().collection
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path / "bot"), service, ScriptedAnswerer(service)):
            for url in (pages.url("/secret"), f"http://localhost:{pages.port}/secret", "http://[::1]/",
                        "http://2130706433/", "http://[::ffff:169.254.169.254]/latest"):
                reply = await _admin_says(tg, f"/add {url}", "That did not work")
                assert "private or local address" in reply.params["text"]
            for url, says in (("http://[::1/", "not a valid URL"), ("http://a..b/", "cannot resolve"),
                              ("javascript:alert(1)", "not an http(s)"),
                              # a chat names web pages, never files or directories of the machine it runs on
                              ("file:///etc/passwd", "not an http(s) URL"), ("/etc/hostname", "not an http(s) URL"),
                              (str(DEFAULT_ARTICLE), "not an http(s) URL"), ("/", "not an http(s) URL")):
                reply = await _admin_says(tg, f"/add {url}", "That did not work")
                assert says in reply.params["text"] and "went wrong" not in reply.params["text"]
            assert not tg.find("sendMessage", from_bot(ADMIN, "went wrong"))
    assert pages.hits == {} and service.snapshot().collection == before


async def test_a_page_that_is_not_an_article_gets_a_clear_message(tmp_path, pages):
    login = pages.add("/login", LOGIN_PAGE)
    empty = pages.add("/empty", b"", content_type="text/html")
    binary = pages.add("/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, content_type="image/png")
    service = make_service(tmp_path / "data", HashEmbedder(), [DEFAULT_ARTICLE])
    service.open()
    before = service.snapshot().collection
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path / "bot", allow_private_urls=True), service,
                               ScriptedAnswerer(service)):
            for url in (login, empty):
                reply = await _admin_says(tg, f"/add {url}", "That did not work")
                assert "no article text" in reply.params["text"]
            reply = await _admin_says(tg, f"/add {binary}", "That did not work")
            assert "went wrong" not in reply.params["text"]
    assert service.snapshot().collection == before and len(service.articles()) == 1


async def test_reload_checks_url_sources_again(tmp_path, resolver, loopback_is_public):
    # Added while the name pointed at a public address; by the reload it points at a private one.
    with RecordingServer().running() as server:
        resolver["news.example"] = ["127.0.0.1"]
        url = f"http://news.example:{server.port}/busan"
        service = make_service(tmp_path / "data", HashEmbedder(), [DEFAULT_ARTICLE])
        service.open()
        with FakeTelegram() as tg:
            async with running_bot(bot_settings(tg, tmp_path / "bot"), service, ScriptedAnswerer(service)):
                await _admin_says(tg, f"/add {url}", "Added: 1 article(s)", "editMessageText")
                before = service.snapshot().collection
                resolver["news.example"] = ["169.254.169.254"]
                reply = await _admin_says(tg, "/reload", "That did not work")
                assert "reload stopped, the index is unchanged" in reply.params["text"]
                assert "private or local address" in reply.params["text"]
        assert len(server.seen) == 1  # the reload never connected anywhere
    assert service.snapshot().collection == before and len(service.articles()) == 2
