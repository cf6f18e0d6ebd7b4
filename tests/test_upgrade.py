"""A data dir written by the copy-on-write design opens with its articles and vectors, embedding nothing."""

from __future__ import annotations

from conftest import make_service, make_store
from fakes.embedder import HashEmbedder

from retrieval.index.store import META, PREFIX
from retrieval.korean import terms

TEXTS = ["한강 야간 도서관이 다음 달 문을 연다.", "도서관은 밤 11시까지 운영한다.", "기준금리는 연 3.5%로 동결됐다."]


def write_old_version(data_dir, embedder) -> str:
    """What the old store wrote: one collection holding every record, named by the pointer."""
    name = f"{PREFIX}3"
    arts = ["library", "library", "bank"]
    metas = [{"article_id": a, "title": f"{a} 제목", "url": "", "published": "", "byline": "", "source": f"/x/{a}.txt",
              "indexed_at": "2026-01-01T00:00:00+00:00", "article_hash": f"hash-{a}", "position": p, "start": 0,
              "end": len(t), "chunks": 2 if a == "library" else 1, "terms": " ".join(terms(t))}
             for a, p, t in zip(arts, [0, 1, 0], TEXTS)]

    def run(client):
        col = client.create_collection(name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
                                       metadata={"embedder": embedder.id, "version": 3, "created": 0.0})
        col.add(ids=["library#a", "library#b", "bank#a"], documents=TEXTS, metadatas=metas,
                embeddings=embedder.embed_passages(TEXTS))
        client.get_or_create_collection(META).modify(metadata={"active": name, "next_version": 4})

    make_store(data_dir)._call(run)
    return name


def test_an_old_index_is_upgraded_in_place_without_embedding(data_dir):
    old = write_old_version(data_dir, HashEmbedder())
    embedder = HashEmbedder()
    service = make_service(data_dir, embedder)
    assert service.open() is None
    assert [(a.id, a.chunks, a.source) for a in service.articles()] == [("library", 2, "/x/library.txt"),
                                                                        ("bank", 1, "/x/bank.txt")]
    top = service.search("도서관은 몇 시까지 운영하나", k=1)[0]
    assert top.chunk_id == "library#b" and top.text == TEXTS[1]
    assert embedder.embedded == 0
    assert service.snapshot().collection != old
    # Another process sees the upgraded version; later writes collect the old one.
    again = make_service(data_dir, HashEmbedder())
    assert [a.id for a in again.articles()] == ["library", "bank"]
    service.remove("bank")
    service.remove("library")
    names = make_store(data_dir)._call(lambda c: {x if isinstance(x, str) else x.name for x in c.list_collections()})
    assert old not in names


def test_terms_another_kiwi_made_are_made_again_from_the_stored_text_without_embedding(data_dir):
    """A data dir whose chunk records and lexicon hold terms of another tokenizer (an older Kiwi, or other
    options; records from before the stamp name none) is searched by this one's terms."""
    from conftest import DEFAULT_ARTICLE

    from retrieval.index.lexicon import Lexicon
    from retrieval.korean import terms_id

    first = make_service(data_dir, HashEmbedder(), [DEFAULT_ARTICLE])
    first.open()
    snap = first.snapshot()
    chunk_ids = {e.key: first.lexicon.chunk_ids(e.key) for e in snap.entries}

    def older_records(client):
        col = client.get_collection(snap.chunks)
        got = col.get(include=["documents", "metadatas", "embeddings"])
        col.delete(ids=got["ids"])
        metas = [{**{k: v for k, v in m.items() if k != "terms_by"}, "terms": "낡은 용어"} for m in got["metadatas"]]
        col.add(ids=got["ids"], documents=got["documents"], metadatas=metas, embeddings=got["embeddings"])

    make_store(data_dir)._call(older_records)
    Lexicon(data_dir, terms_by="an older Kiwi").add([(k, ids, [["낡은", "용어"]] * len(ids))
                                                    for k, ids in chunk_ids.items()])
    embedder = HashEmbedder()
    service = make_service(data_dir, embedder)
    assert service.open() is None
    assert len(service.lexicon.postings("낡은")) == 0 and len(service.lexicon.postings("서울관")) > 0
    top = service.search("서울관에 참여한 스타트업은 몇 개인가", k=1)[0]
    assert "서울관" in top.text
    assert embedder.embedded == 0
    # The stored chunks stay as written (written once); what is written from now on names its maker.
    old = make_store(data_dir).get(snap.chunks, [rid for e in snap.entries for rid in e.record_ids()])
    assert old and all("terms_by" not in g["metadata"] for g in old.values())
    service.ingest_document("library.txt", ("한강 야간 도서관 개관\n\n" + " ".join(TEXTS[:2]) * 3).encode())
    new = service.snapshot()
    added = [e for e in new.entries if e.key not in chunk_ids]
    got = make_store(data_dir).get(new.chunks, [rid for e in added for rid in e.record_ids()])
    assert got and all(g["metadata"]["terms_by"] == terms_id() for g in got.values())
