"""The versioned Chroma store: inactive writes, one-step activation, stale versions dropped."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from conftest import make_store

from retrieval.errors import StoreUnavailable
from retrieval.index.manifest import Entry, chunk_collection, content_key, record_id
from retrieval.index.store import META, PREFIX, Records, VectorStore, make_client


def records(n: int, tag: str = "a") -> Records:
    """Chunk records of one article `tag` (ids are record ids under the article's key)."""
    return Records([record_id(key(tag), i) for i in range(n)], [f"본문 {tag} {i}" for i in range(n)],
                   [{"chunk_id": f"{tag}#{i}", "text": f"본문 {tag} {i}", "article_id": tag, "position": i,
                     "terms": f"본문 {tag}"} for i in range(n)])


def key(tag: str) -> str:
    return content_key(tag, f"본문 {tag}")


def write(store: VectorStore, recs: Records, vecs: np.ndarray, embedder: str = "emb-1") -> str:
    """A version holding the one article of `recs` (or nothing)."""
    tag = recs.metas[0]["article_id"] if recs.ids else None
    entries = [Entry(tag, key(tag), len(recs.ids), title=tag)] if tag else []
    return store.write_version(embedder, entries, recs, vecs)


def unit_vectors(n: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def chunk_ids(store: VectorStore, embedder: str = "emb-1") -> set[str]:
    return store._call(lambda c: set(c.get_collection(chunk_collection(embedder)).get(include=[])["ids"]))


def version_names(store: VectorStore) -> set[str]:
    def run(client):
        names = {c if isinstance(c, str) else c.name for c in client.list_collections()}
        return {n for n in names if n.startswith(PREFIX)}

    return store._call(run)


@pytest.fixture
def store(tmp_path) -> VectorStore:
    return make_store(tmp_path / "data")


def test_nothing_is_active_before_the_first_version(store):
    assert store.active() is None


def test_a_written_version_is_inactive_until_activated(store):
    name = write(store, records(3), unit_vectors(3), "emb-1")
    assert store.active() is None
    store.activate(name)
    active, meta = store.active()
    assert active == name and meta["embedder"] == "emb-1"


def test_records_and_vectors_round_trip(store):
    recs, vecs = records(4), unit_vectors(4)
    name = write(store, recs, vecs, "emb-1")
    got = store.records(name)  # by chunk id, with the passage text (the document is the squashed text)
    assert got.ids == [m["chunk_id"] for m in recs.metas] and got.texts == [m["text"] for m in recs.metas]
    assert [m["position"] for m in got.metas] == [0, 1, 2, 3]
    stored = store.vectors(name, ["a#2", "a#0", "missing"])
    assert set(stored) == {"a#0", "a#2"}
    assert np.allclose(stored["a#2"], vecs[2], atol=1e-6)
    assert store.vectors(name, []) == {}


def test_query_returns_nearest_by_cosine_similarity(store):
    vecs = unit_vectors(5)
    write(store, records(5), vecs, "emb-1")
    hits = store.query(chunk_collection("emb-1"), vecs[3], 2)
    assert hits[0][0] == record_id(key("a"), 3)
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
    assert len(hits) == 2 and hits[1][1] < hits[0][1]
    assert len(store.query(chunk_collection("emb-1"), vecs[0], 50)) == 5  # never more than there are


def test_an_empty_version_is_valid(store):
    name = write(store, Records([], [], []), np.zeros((0, 0), dtype=np.float32), "emb-1")
    store.activate(name)
    assert store.active()[0] == name
    assert store.records(name).ids == []
    assert store.manifest(name).entries == []


def test_activation_keeps_the_previous_version_one_cycle_and_drops_older_ones(store):
    names = []
    for i in range(4):
        names.append(write(store, records(2, tag=f"v{i}"), unit_vectors(2, seed=i), "emb-1"))
        store.activate(names[-1])
    assert len(set(names)) == 4
    assert version_names(store) == {names[-2], names[-1]}
    assert store.active()[0] == names[-1]


def test_an_abandoned_version_is_cleaned_up_by_later_activations(store):
    first = write(store, records(2), unit_vectors(2), "emb-1")
    store.activate(first)
    orphan = write(store, records(2, "b"), unit_vectors(2), "emb-1")  # never activated (a crash)
    assert store.active()[0] == first
    nxt = write(store, records(2, "c"), unit_vectors(2), "emb-1")
    assert nxt != orphan
    store.activate(nxt)
    assert store.active()[0] == nxt
    # It is older than the new version but newer than the previous one: kept one more cycle, then gone.
    store.activate(write(store, records(2, "d"), unit_vectors(2), "emb-1"))
    assert orphan not in version_names(store)
    assert len(version_names(store)) == 2


def test_versions_survive_a_new_client(tmp_path):
    a = make_store(tmp_path / "data")
    name = write(a, records(3), unit_vectors(3), "emb-1")
    a.activate(name)
    b = make_store(tmp_path / "data")
    assert b.active()[0] == name
    assert b.records(name).ids == ["a#0", "a#1", "a#2"]


def test_meta_collection_is_not_a_version(store):
    store.activate(write(store, records(1), unit_vectors(1), "e"))
    assert META not in version_names(store)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_is_store_unavailable(tmp_path):
    store = make_store(tmp_path, host="127.0.0.1", port=_closed_port())
    with pytest.raises(StoreUnavailable):
        store.active()


def test_make_client_names_the_address_it_could_not_reach(tmp_path):
    port = _closed_port()
    with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{port}"):
        make_client(tmp_path, "127.0.0.1", port)


def test_a_dropped_connection_is_retried_once_with_a_fresh_client(store):
    store.activate(write(store, records(1), unit_vectors(1), "e"))
    clients = []
    real_factory = store._factory

    def factory():
        clients.append(1)
        return real_factory()

    store._factory = factory
    store._client = None
    calls = {"n": 0}

    def flaky(client):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("connection reset by peer")
        return client.heartbeat()

    assert store._call(flaky)
    assert calls["n"] == 2 and len(clients) == 2


def test_other_errors_are_not_retried(store):
    calls = {"n": 0}

    def broken(client):
        calls["n"] += 1
        raise KeyError("a bug, not an outage")

    with pytest.raises(KeyError):
        store._call(broken)
    assert calls["n"] == 1


# ----- two writers (the bot and the CLI) -------------------------------------------------------------------
def test_activating_an_older_version_never_drops_a_newer_pending_one(store):
    store.activate(write(store, records(1, "a"), unit_vectors(1), "e"))
    mine = write(store, records(1, "b"), unit_vectors(1), "e")  # process A writes...
    theirs = write(store, records(1, "c"), unit_vectors(1), "e")  # ...process B writes a newer one
    store.activate(mine)
    assert theirs in version_names(store)
    store.activate(theirs)  # B's activation still points at a collection that exists
    assert store.active()[0] == theirs and store.records(theirs).ids == ["c#0"]


def test_a_version_number_taken_by_another_writer_is_skipped(store):
    first = write(store, records(1), unit_vectors(1), "e")

    def rewind(client):  # another process read the same counter before we bumped it
        meta = client.get_or_create_collection(META, embedding_function=None)
        meta.modify(metadata={**(meta.metadata or {}), "next_version": 1})

    store._call(rewind)
    second = write(store, records(1, "b"), unit_vectors(1), "e")
    assert second != first
    store.activate(second)
    assert store.records(second).ids == ["b#0"]


# ----- chunks written once, collected when no kept version names them ------------------------------------
def test_a_version_sharing_an_article_writes_no_chunk_again(store):
    store.activate(write(store, records(3), unit_vectors(3)))
    entry = store.manifest(store.active()[0]).entries[0]
    b = records(1, "b")
    name = store.write_version("emb-1", [entry, Entry("b", key("b"), 1)], b, unit_vectors(1))
    store.activate(name)
    assert [e.id for e in store.manifest(name).entries] == ["a", "b"]
    assert chunk_ids(store) == set(records(3).ids) | set(b.ids)
    assert store.records(name).ids == ["a#0", "a#1", "a#2", "b#0"]


def test_chunks_of_a_dropped_article_go_when_no_kept_version_names_them(store):
    store.activate(write(store, records(2, "a"), unit_vectors(2)))
    store.activate(write(store, records(2, "b"), unit_vectors(2)))
    assert chunk_ids(store) == set(records(2, "a").ids) | set(records(2, "b").ids)  # the previous version's too
    collected = store.activate(write(store, records(2, "c"), unit_vectors(2)))
    assert collected == {key("a")}
    assert chunk_ids(store) == set(records(2, "b").ids) | set(records(2, "c").ids)


def test_a_pending_version_keeps_its_chunks_through_another_writers_collection(store):
    store.activate(write(store, records(1, "a"), unit_vectors(1)))
    store.activate(write(store, records(1, "b"), unit_vectors(1)))
    a_entry = Entry("a", key("a"), 1)
    pending = store.write_version("emb-1", [a_entry], Records([], [], []), np.zeros((0, 0)))  # reuses a's chunk
    store.activate(write(store, records(1, "c"), unit_vectors(1)))  # drops the version naming "a"
    assert records(1, "a").ids[0] in chunk_ids(store)
    store.activate(pending)
    assert store.records(pending).ids == ["a#0"]


def test_a_former_embedders_collection_goes_as_a_whole(store):
    store.activate(write(store, records(1), unit_vectors(1), "old"))
    for tag in ("b", "c"):
        store.activate(write(store, records(1, tag), unit_vectors(1, dim=4), "new"))
    names = store._call(lambda c: {x if isinstance(x, str) else x.name for x in c.list_collections()})
    assert chunk_collection("old") not in names and chunk_collection("new") in names


def test_a_big_write_goes_in_short_upserts_each_after_a_pause(store, monkeypatch):
    from chromadb.api.models.Collection import Collection

    from retrieval.index import store as module

    calls: list[str | int] = []
    real = Collection.upsert

    def upsert(self, ids, **kw):
        calls.append(len(ids))
        return real(self, ids, **kw)

    # Chroma's local client holds the GIL for a whole call: 5,461 records froze the bot for 11 s.
    monkeypatch.setattr(module, "WRITE_BATCH", 3)
    monkeypatch.setattr(Collection, "upsert", upsert)
    recs = records(7)
    entries = [Entry("a", key("a"), 7, title="a")]
    name = store.write_version("emb-1", entries, recs, unit_vectors(7), pause=lambda: calls.append("pause"))
    # Before every call the writer gives way to the questions in flight (retrieval/foreground.py).
    assert calls == ["pause", 3, "pause", 3, "pause", 1]
    store.activate(name)
    assert chunk_ids(store) == {record_id(key("a"), i) for i in range(7)}


def test_collecting_pauses_before_each_delete(store, monkeypatch):
    from retrieval.index import store as module

    monkeypatch.setattr(module, "WRITE_BATCH", 2)
    store.activate(write(store, records(5, "a"), unit_vectors(5)))
    store.activate(write(store, records(1, "b"), unit_vectors(1)))
    pauses: list[int] = []
    store.activate(write(store, records(1, "c"), unit_vectors(1)), pause=lambda: pauses.append(1))
    assert len(pauses) == 3  # article a's 5 chunks, 2 per delete
    assert not any(r.startswith(key("a")) for r in chunk_ids(store))
