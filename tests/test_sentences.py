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


def test_a_big_batch_is_split_and_analysed_in_the_worker_process_with_the_same_result(tmp_path, embedder,
                                                                                       monkeypatch):
    from retrieval.ingest import worker

    here = SentenceIndex(embedder, None)
    here.update(CHUNKS)
    expected = here.table_for(CHUNKS).chunks
    used: list[str] = []
    real = worker.in_worker

    def recording(fn, *args):
        used.append(fn.__name__)
        return real(fn, *args)

    monkeypatch.setattr(worker, "IN_PROCESS_CHARS", 10)  # these two chunks count as a big upload
    monkeypatch.setattr(worker, "in_worker", recording)
    there = SentenceIndex(embedder, tmp_path / "sentences.sqlite")
    try:
        assert there.update(CHUNKS) == 3
    finally:
        worker.shutdown()
    assert used == ["_split"]  # Kiwi ran in the worker: it holds the GIL for each call
    assert there.table_for(CHUNKS).chunks == expected


def test_a_question_reads_its_sentences_while_an_update_is_computing(tmp_path, embedder):
    import threading

    index = SentenceIndex(embedder, tmp_path / "sentences.sqlite")
    index.update(CHUNKS)
    entered, gate = threading.Event(), threading.Event()

    class HeldEmbedder:
        id = embedder.id

        def embed_passages(self, texts, progress=None):
            entered.set()
            gate.wait(60)
            return embedder.embed_passages(texts)

    index.embedder = HeldEmbedder()
    writer = threading.Thread(target=index.update, args=(["새 문장이 추가됐다."],))
    writer.start()
    try:
        assert entered.wait(60)
        reader = threading.Thread(target=index.table_for, args=(CHUNKS,))
        reader.start()
        reader.join(30)
        # Before, the update held the sidecar's lock while it computed: the question waited for all of it.
        assert not reader.is_alive(), "a question waited for another chunk's analysis"
    finally:
        gate.set()
        writer.join()
    assert index.update(["새 문장이 추가됐다."]) == 0  # the update was stored
