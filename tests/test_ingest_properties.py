"""Any sequence of ingests and removals leaves exactly the expected chunks, with vectors of their own text,
having embedded only chunks the index did not already hold."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from conftest import make_service
from fakes.embedder import HashEmbedder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_chunking import paragraph

from retrieval.errors import ArticleNotFound
from retrieval.ingest.chunking import chunk_article
from retrieval.ingest.sources import Loaded
from retrieval.models import Article

IDS = ["a", "b", "c"]


def make_article(art_id: str, variant: int) -> Article:
    # Variants share most paragraphs, so an edit leaves most chunks (and their vectors) reusable.
    paras = [paragraph(i + 10 * IDS.index(art_id)) for i in range(8)]
    if variant % 2:
        paras[3] = paras[3].replace("구체적인", f"판 {variant}의", 1)
    if variant >= 2:
        paras = paras[: 8 - variant]
    return Article(id=art_id, title=f"기사 {art_id}", text="\n".join(paras), source=f"upload:{art_id}")


operations = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.sampled_from(IDS), st.integers(0, 3)),
        st.tuples(st.just("remove"), st.sampled_from(IDS), st.just(0)),
    ),
    min_size=1, max_size=6,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_ingest_and_remove_sequences(ops):
    emb = HashEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        svc = make_service(Path(tmp) / "data", emb)
        svc.open()
        model: dict[str, Article] = {}
        for op, art_id, variant in ops:
            before = set(svc.snapshot().records.ids)
            emb.reset()
            if op == "put":
                art = make_article(art_id, variant)
                svc._ingest_loaded(Loaded([art]))  # the step every ingest path ends in
                model[art_id] = art
            else:
                try:
                    svc.remove(art_id)
                    del model[art_id]
                except ArticleNotFound:
                    assert art_id not in model
                    continue
            snap = svc.snapshot()
            expected = [c for a in model.values() for c in chunk_article(a)]
            assert snap.records.ids == [c.id for c in expected]
            assert snap.records.texts == [c.text for c in expected]
            assert [a.id for a in svc.articles()] == list(model)
            new = [cid for cid in snap.records.ids if cid not in before]
            # Only chunks the index lacked are embedded; an article removed and put back within one cycle
            # finds its chunks still stored (the previous version keeps them) and embeds nothing.
            # The write's one embedding call is the chunks'; later calls are the new sentences' vectors.
            chunk_call = emb.passage_calls[0] if emb.passage_calls else []
            assert len(chunk_call) <= len(new), "only chunks the index lacked are embedded"
            stored = svc.store.vectors(snap.collection, snap.records.ids)
            for cid, text in zip(snap.records.ids, snap.records.texts):
                assert np.allclose(stored[cid], emb.vector(text), atol=1e-5)
