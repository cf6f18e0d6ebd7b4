"""The Chroma client module: chromadb's OpenTelemetry exporter is imported only when tracing needs it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from retrieval.index.client import make_client


def _run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


def test_chromadb_opens_without_importing_grpc(tmp_path):
    out = _run(f"""
        import sys
        from pathlib import Path
        from retrieval.index.client import make_client
        client = make_client(Path({str(tmp_path)!r}))
        client.get_or_create_collection("col", embedding_function=None).upsert(ids=["a"], embeddings=[[1.0, 0.0]])
        print("grpc" in sys.modules, client.get_collection("col").count())
    """)
    assert out == "False 1"


def test_configured_tracing_gets_the_real_exporter():
    out = _run("""
        from retrieval.index.client import _defer_otel_exporter
        _defer_otel_exporter()
        import chromadb.telemetry.opentelemetry as otel
        exporter = otel.OTLPSpanExporter(endpoint="http://127.0.0.1:4317", insecure=True)
        print(type(exporter).__module__, type(exporter).__name__)
    """)
    assert out == "opentelemetry.exporter.otlp.proto.grpc.trace_exporter OTLPSpanExporter"


def test_client_in_this_process_still_works(tmp_path):
    client = make_client(tmp_path)
    col = client.get_or_create_collection("col", embedding_function=None)
    col.upsert(ids=["a"], embeddings=[[0.0, 1.0]])
    assert col.count() == 1
