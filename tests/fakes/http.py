"""A tiny HTTP server on 127.0.0.1 serving canned responses, for fetch and URL-ingest tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# A small news page in the shape real sites serve: trafilatura finds its main text.
NEWS_PAGE = """<html><head><title>부산항 물동량 사상 최대</title></head><body><article>
<h1>부산항 물동량 사상 최대</h1>
<p>부산항만공사는 지난해 부산항의 컨테이너 물동량이 2,440만 TEU로 사상 최대를 기록했다고 밝혔다.</p>
<p>환적 화물이 크게 늘어난 것이 주된 원인으로 분석됐으며, 공사는 올해 목표를 2,500만 TEU로 잡았다.</p>
<p>공사 관계자는 신항 7부두 개장으로 처리 능력이 늘어난 점도 영향을 미쳤다고 설명했다.</p>
</article></body></html>"""


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})


class PageServer:
    """`routes[path] = Route(...)`; unknown paths answer 404. Counts hits per path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                route = server.routes.get(self.path) or Route(b"not found", 404, {"Content-Type": "text/plain"})
                self.send_response(route.status)
                for k, v in route.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes | str, status: int = 200, content_type: str = "text/html; charset=utf-8",
            **headers: str) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, status, {"Content-Type": content_type, **headers})
        return self.url(path)

    def __enter__(self) -> PageServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
