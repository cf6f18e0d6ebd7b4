"""The health and metrics server, and `articlebot health` probing it as Docker's HEALTHCHECK does."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import run_cli

from articlebot.health import HealthServer, index_check, probe_url


def failing() -> str:
    raise RuntimeError("the breaker is open")


@pytest.fixture
def server():
    servers = []

    def start(**checks):
        s = HealthServer("127.0.0.1", 0, checks).start()
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


def get(server: HealthServer, path: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{server.port}{path}", timeout=10, trust_env=False)


def test_healthy_when_every_check_passes(server):
    s = server(index=lambda: "ok (v1)")
    r = get(s, "/healthz")
    assert r.status_code == 200
    assert r.json() == {"healthy": True, "checks": {"index": "ok (v1)"}}


def test_one_failing_check_makes_it_unhealthy_and_says_which(server):
    s = server(index=lambda: "ok", llm=failing)
    r = get(s, "/healthz")
    assert r.status_code == 503
    body = r.json()
    assert body["healthy"] is False and body["checks"]["index"] == "ok"
    assert "breaker is open" in body["checks"]["llm"]


def test_metrics_are_prometheus_text_and_other_paths_are_404(server):
    s = server()
    r = get(s, "/metrics")
    assert r.status_code == 200 and "# TYPE" in r.text
    assert get(s, "/").status_code == 404


def test_index_check_on_a_real_service(tmp_path):
    from conftest import make_service
    from fakes.embedder import HashEmbedder

    service = make_service(tmp_path / "data", HashEmbedder())
    check = index_check(service)
    with pytest.raises(RuntimeError, match="no index version"):
        check()
    (tmp_path / "a.txt").write_text("제목\n\n본문 문장입니다. 두 번째 문장입니다.\n", encoding="utf-8")
    service.ingest([str(tmp_path / "a.txt")])
    assert check().startswith("ok")


def test_probe_url_reaches_a_server_listening_on_all_addresses():
    assert probe_url("0.0.0.0", 9464) == "http://127.0.0.1:9464/healthz"
    assert probe_url("10.0.0.5", 9) == "http://10.0.0.5:9/healthz"


@pytest.mark.slow
def test_health_command_exit_codes(server, tmp_path):
    good, bad = server(index=lambda: "ok"), server(index=failing)
    ok = run_cli(["health"], tmp_path / "d", ARTICLEBOT_METRICS_PORT=str(good.port), timeout=60)
    assert ok.returncode == 0 and json.loads(ok.stdout)["healthy"] is True
    sick = run_cli(["health"], tmp_path / "d", ARTICLEBOT_METRICS_PORT=str(bad.port), timeout=60)
    assert sick.returncode == 1 and "breaker" in sick.stdout
    bad.stop()
    gone = run_cli(["health"], tmp_path / "d", ARTICLEBOT_METRICS_PORT=str(bad.port), timeout=60)
    assert gone.returncode == 1 and "no answer" in gone.stderr and "Traceback" not in gone.stderr
    off = run_cli(["health"], tmp_path / "d", timeout=60)  # run_cli turns the server off
    assert off.returncode == 1 and "ARTICLEBOT_METRICS_PORT=0" in off.stderr


@pytest.mark.slow
def test_a_running_bot_serves_healthz_and_metrics(tmp_path):
    """`articlebot run` against the fake Bot API: /healthz is 200 once the index is open."""
    import signal
    import socket
    import subprocess
    import time

    from conftest import VENV_BIN, cli_env
    from fakes.telegram_server import FakeTelegram

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with FakeTelegram() as tg:
        env = cli_env(tmp_path / "data", TELEGRAM_BOT_TOKEN=tg.token, ARTICLEBOT_TELEGRAM_API_URL=tg.base_url,
                      ARTICLEBOT_METRICS_PORT=str(port))
        with open(tmp_path / "bot.log", "wb") as log:
            proc = subprocess.Popen([str(VENV_BIN / "articlebot"), "run"], cwd=tmp_path, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            deadline, body = time.monotonic() + 120, None
            while time.monotonic() < deadline and body is None:
                try:
                    r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5, trust_env=False)
                    body = r.json() if r.status_code == 200 else None
                except httpx.HTTPError:
                    time.sleep(0.5)
            assert body is not None, (tmp_path / "bot.log").read_text()[-3000:]
            assert body["checks"]["index"].startswith("ok")
            metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5, trust_env=False)
            assert metrics.status_code == 200
            assert "articlebot_telegram_messages_total" in metrics.text and "articlebot_answer_seconds" in metrics.text
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
