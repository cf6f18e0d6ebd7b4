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
