"""The operators' port: `/healthz` (is the bot able to answer?) and `/metrics` (Prometheus).

Its own small server rather than a route on the webhook server: the webhook port faces the internet
through a TLS proxy, while health and metrics belong to the host, the container runtime and the
scraper. prometheus-client brings the threaded WSGI server it uses for its own exporter; we only add
the health route in front of its app.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

log = logging.getLogger(__name__)
Check = Callable[[], str]  # returns a short "ok" detail, raises when unhealthy
StartResponse = Callable[..., Any]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # a probe every few seconds is not news
        pass


def run_checks(checks: Mapping[str, Check]) -> tuple[bool, dict[str, str]]:
    """Every check's detail, or its failure; healthy only when none failed."""
    results, healthy = {}, True
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a health check reports any failure, it never raises
            healthy = False
            results[name] = f"failing: {type(exc).__name__}: {exc}"[:300]
    return healthy, results


def make_app(checks: Mapping[str, Check]) -> Callable[[dict, StartResponse], Iterable[bytes]]:
    """WSGI: /healthz runs the checks (200 or 503, JSON); /metrics is prometheus-client's exposition."""
    metrics = make_wsgi_app()

    def app(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            healthy, results = run_checks(checks)
            body = json.dumps({"healthy": healthy, "checks": results}, ensure_ascii=False).encode()
            start_response("200 OK" if healthy else "503 Service Unavailable",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/metrics":
            return metrics(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: /healthz or /metrics\n"]

    return app


class HealthServer:
    """The server in a daemon thread; `port` is the bound one (useful when asked for port 0 in tests)."""

    def __init__(self, host: str, port: int, checks: Mapping[str, Check]) -> None:
        self.httpd = make_server(host, port, make_app(checks), ThreadingWSGIServer, handler_class=_Quiet)
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="health", daemon=True)

    def start(self) -> HealthServer:
        self.thread.start()
        log.info("health and metrics on http://%s:%s/healthz and /metrics", self.httpd.server_address[0], self.port)
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def probe_url(listen: str, port: int) -> str:
    """Where a local probe (`articlebot health`, Docker's HEALTHCHECK) finds /healthz."""
    host = "127.0.0.1" if listen in ("0.0.0.0", "", "::") else listen
    return f"http://{host}:{port}/healthz" if ":" not in host else f"http://[{host}]:{port}/healthz"


def index_check(service: Any) -> Check:
    """The index answers: the store names an active version (a Chroma server that is down raises)."""

    def check() -> str:
        active = service.store.active()
        if active is None:
            raise RuntimeError("no index version is active")
        return f"ok ({active[0]})"

    return check


def serve_health(settings: Any, service: Any, **checks: Check) -> HealthServer | None:
    """Start the server the settings ask for (ARTICLEBOT_METRICS_PORT=0: none), with the index check."""
    if not settings.metrics_port:
        return None
    try:
        return HealthServer(settings.metrics_listen, settings.metrics_port,
                            {"index": index_check(service), **checks}).start()
    except OSError as exc:  # the bot still answers; the failing probe is what tells the operator
        log.error("no health and metrics server on %s:%s: %s", settings.metrics_listen, settings.metrics_port, exc)
        return None
