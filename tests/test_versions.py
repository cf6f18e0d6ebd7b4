"""Versions as manifest deltas: written on the active version, resolved in any process, collected by chain."""

from __future__ import annotations

import pytest
from conftest import make_store
from test_store import chunk_ids, key, records, unit_vectors, version_names

from retrieval.errors import StoreUnavailable
from retrieval.index import manifest as mf
from retrieval.index.manifest import Entry
from retrieval.index.store import VectorStore


@pytest.fixture
def store(tmp_path) -> VectorStore:
    return make_store(tmp_path / "data")


def add(store: VectorStore, tag: str, base: str | None, drop: str | None = None) -> str:
    """Write (and activate) a version: `base`'s articles, without `drop`, plus article `tag`."""
    entries = [e for e in (store.manifest(base).entries if base else []) if e.id != drop]
    recs = records(2, tag)
    name = store.write_version("emb-1", [*entries, Entry(tag, key(tag), 2, title=tag)], recs, unit_vectors(2),
                               base=base)
    store.activate(name)
    return name


def meta(store: VectorStore, name: str) -> dict:
    return store._call(lambda c: dict(c.get_collection(name).metadata or {}))


def test_delta_and_apply_round_trip_in_merge_order():
    a, b, c = Entry("a", "ka", 1), Entry("b", "kb", 1), Entry("c", "kc", 1)
    b2, d = Entry("b", "kb2", 2), Entry("d", "kd", 1)
    old, new = [a, b, c], [a, b2, d]
    put, drop = mf.delta(old, new)
    assert put == [b2, d] and drop == ["c"]
    assert mf.apply(old, put, drop) == new
    assert mf.delta(old, [c, a, b]) is None  # reordered: written whole


def test_a_version_on_the_active_one_stores_only_the_change(store):
    first = add(store, "a", None)
    second = add(store, "b", first)
    stored = meta(store, second)
    assert stored["base"] == first and stored["depth"] == 1
    assert [e.id for e in mf.rows(stored)] == ["b"]
    fresh = make_store(store.cache_dir)  # another process: resolves the chain from the store
    assert [e.id for e in fresh.manifest(second).entries] == ["a", "b"]
    assert fresh.records(second).ids == ["a#0", "a#1", "b#0", "b#1"]


def test_a_whole_manifest_starts_a_new_chain_after_max_chain_deltas(store, monkeypatch):
    monkeypatch.setattr(mf, "MAX_CHAIN", 2)
    name = add(store, "a", None)
    depths = []
    for tag in "bcde":
        name = add(store, tag, name)
        depths.append(meta(store, name)["depth"])
    assert depths == [1, 2, 0, 1]
    assert [e.id for e in make_store(store.cache_dir).manifest(name).entries] == list("abcde")


def test_a_base_that_is_no_longer_active_gets_a_whole_manifest(store):
    first = add(store, "a", None)
    add(store, "b", first)  # another writer switched meanwhile
    late = store.write_version("emb-1", store.manifest(first).entries, records(0), unit_vectors(0), base=first)
    assert "base" not in meta(store, late) and meta(store, late)["depth"] == 0


def test_a_chain_is_kept_while_a_kept_version_rests_on_it_then_collected_with_its_chunks(store, monkeypatch):
    monkeypatch.setattr(mf, "MAX_CHAIN", 2)
    v1 = add(store, "a", None)
    v2 = add(store, "b", v1, drop="a")  # a delta dropping a: a's chunks are still named by v1
    v3 = add(store, "c", v2)
    assert {v1, v2, v3} <= version_names(store)  # v3 and v2 rest on v1
    assert set(records(2, "a").ids) <= chunk_ids(store)
    v4 = add(store, "d", v3)  # whole again: nothing rests on v1 once v3 is no longer kept
    v5 = add(store, "e", v4)
    assert version_names(store) == {v4, v5}
    assert not set(records(2, "a").ids) & chunk_ids(store)
    assert [e.id for e in make_store(store.cache_dir).manifest(v5).entries] == ["b", "c", "d", "e"]


def test_a_chain_cut_short_is_a_clear_error_and_collects_nothing(store):
    first = add(store, "a", None)
    second = add(store, "b", first)
    store._call(lambda c: c.delete_collection(first))  # what a broken store would look like
    fresh = make_store(store.cache_dir)
    assert not fresh.intact(second)
    with pytest.raises(StoreUnavailable, match="rests on"):
        fresh.manifest(second)
    before = chunk_ids(store)
    assert fresh.activate(second) == set()
    assert chunk_ids(store) == before


def test_a_base_replaced_under_the_same_name_is_not_applied_to(store):
    first = add(store, "a", None)
    second = add(store, "b", first)
    stored = meta(store, first)

    def replace(client):  # the store emptied and written again: the same name, other content
        client.delete_collection(first)
        client.create_collection(first, metadata={**stored, "manifest": "[]", "created": stored["created"] + 1})

    store._call(replace)
    with pytest.raises(StoreUnavailable, match="rests on"):
        make_store(store.cache_dir).manifest(second)
