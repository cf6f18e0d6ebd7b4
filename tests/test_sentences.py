"""Sentence splits, terms and vectors are computed once per content and read back after a restart."""

from __future__ import annotations

from retrieval.answer.sentences import SentenceIndex

CHUNKS = ["서울시는 20만㎡ 규모의 부지를 조성한다. 오세훈 시장이 말했다.", "행사는 코엑스에서 열린다."]


def test_vectors_are_computed_once_and_persist(tmp_path, embedder):
    path = tmp_path / "sentences.sqlite"
    index = SentenceIndex(embedder, path)
    assert index.update(CHUNKS) == 3
    table = index.table_for(CHUNKS)
    first = table.sentences(CHUNKS[0])
    assert [CHUNKS[0][s.start : s.end] for s in first] == ["서울시는 20만㎡ 규모의 부지를 조성한다.", "오세훈 시장이 말했다."]
    assert "오세훈" in first[1].proper
    assert table.vectors.shape == (3, embedder.dim)
    assert index.update(CHUNKS) == 0  # nothing new
    embedder.reset()
    again = SentenceIndex(embedder, path)  # a restart reads the sidecar
    assert again.update(CHUNKS + ["새 문장이 추가됐다."]) == 1 and embedder.embedded == 1
    assert again.table_for(CHUNKS).sentences("unknown chunk") == []


def test_another_embedder_never_reuses_vectors(tmp_path, embedder):
    from fakes.embedder import HashEmbedder

    path = tmp_path / "sentences.sqlite"
    SentenceIndex(embedder, path).update(CHUNKS)
    assert SentenceIndex(HashEmbedder(id="test/other"), path).update(CHUNKS) == 3
