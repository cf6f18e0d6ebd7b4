"""Ingesting files, directories, URLs and JSON Lines; embedding only what changed; crash safety."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import DEFAULT_ARTICLE, DEFAULT_ID, make_service
from fakes.embedder import HashEmbedder
from test_chunking import paragraph
from test_sources import BODY, EUC_KR_PAGE, NAV_ONLY_PAGE, write

from retrieval.errors import SourceError, StoreUnavailable
from retrieval.ingest.sources import url_article_id


def ids(service) -> list[str]:
    return [a.id for a in service.articles()]


def long_text(n: int = 20, title: str = "긴 기사 제목") -> str:
    return title + "\n" + "\n".join(paragraph(i) for i in range(n))


# ----- each kind of source ----------------------------------------------------------------------
def test_ingest_a_text_file(service, tmp_path, embedder):
    path = write(tmp_path / "night-library.txt", "한강 야간 도서관 연다\n" + BODY)
    report = service.ingest([str(path)])
    assert report.articles == 1 and report.failures == []
    assert report.article_ids == ["night-library"]
    assert report.added >= 1 and embedder.embedded == report.added + report.sentences
    assert ids(service) == [DEFAULT_ID, "night-library"]
    top = service.search("야간 도서관은 몇 시까지 여나", k=1)[0]
    assert top.article_id == "night-library" and top.title == "한강 야간 도서관 연다"
    assert "밤 11시" in top.text


def test_ingest_a_directory(empty_service, tmp_path):
    write(tmp_path / "arts" / "a.txt", "첫 기사\n" + BODY)
    write(tmp_path / "arts" / "b.md", "# 둘째 기사\n" + BODY.replace("한강", "청계천"))
    write(tmp_path / "arts" / "c.jsonl", json.dumps({"id": "c1", "title": "셋째", "text": long_text()},
                                                     ensure_ascii=False))
    write(tmp_path / "arts" / "bad.txt", "")
    report = empty_service.ingest([str(tmp_path / "arts")])
    assert sorted(ids(empty_service)) == ["a", "b", "c1"]
    assert report.articles == 3
    assert len(report.failures) == 1 and "bad.txt" in report.failures[0]
    assert {a.title for a in empty_service.articles()} == {"첫 기사", "둘째 기사", "셋째"}


def test_ingest_urls_from_a_local_server_including_euc_kr(empty_service, pages):
    utf8 = pages.add("/utf8.txt", "한강 야간 도서관\n" + BODY, content_type="text/plain; charset=utf-8")
    euckr = pages.add("/euckr", EUC_KR_PAGE.encode("cp949"), content_type="text/html")
    report = empty_service.ingest([utf8, euckr])
    assert report.failures == []
    assert ids(empty_service) == [url_article_id(utf8), url_article_id(euckr)]
    info = {a.id: a for a in empty_service.articles()}[url_article_id(euckr)]
    assert info.title == "똠방각하 재출간 소식" and info.url == euckr and info.source == euckr
    top = empty_service.search("똠방각하 정가", k=1)[0]
    assert top.article_id == url_article_id(euckr) and "만 오천 원" in top.text
    assert "한남4구역" not in "\n".join(empty_service.snapshot().records.texts)


def test_a_page_without_main_text_is_a_clear_error_and_changes_nothing(service, pages):
    before = service.snapshot().collection
    url = pages.add("/nav", NAV_ONLY_PAGE)
    with pytest.raises(SourceError, match="no article text"):
        service.ingest([url])
    assert service.snapshot().collection == before
    assert ids(service) == [DEFAULT_ID]


def test_good_sources_are_indexed_even_when_others_fail(service, pages, tmp_path):
    good = write(tmp_path / "good.txt", "좋은 기사\n" + BODY)
    bad = pages.add("/500", b"boom", status=500, content_type="text/plain")
    report = service.ingest([str(good), bad, str(tmp_path / "missing.txt")])
    assert ids(service) == [DEFAULT_ID, "good"]
    assert len(report.failures) == 2
    assert any("500" in f for f in report.failures) and any("missing.txt" in f for f in report.failures)


def test_jsonl_good_lines_are_imported_and_bad_ones_reported_with_line_numbers(empty_service, tmp_path):
    lines = [
        json.dumps({"id": "n1", "title": "야간 도서관", "text": BODY}, ensure_ascii=False),
        "not json at all",
        json.dumps({"id": "n3", "title": "본문 없음", "text": "  "}, ensure_ascii=False),
        json.dumps({"id": "n4", "title": "둘째", "text": long_text()}, ensure_ascii=False),
    ]
    path = write(tmp_path / "batch.jsonl", "\n".join(lines))
    report = empty_service.ingest([str(path)])
    assert ids(empty_service) == ["n1", "n4"]
    lines_reported = sorted(int(m.group(1)) for f in report.failures
                            for m in [re.search(r"batch\.jsonl:(\d+):", f)] if m)
    assert lines_reported == [2, 3]


def test_nothing_readable_is_a_source_error(empty_service, tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        empty_service.ingest([str(tmp_path / "nope.txt")])
    assert empty_service.store.active() is None  # nothing was written
    assert ids(empty_service) == []


def test_upload_is_indexed_under_its_upload_source(service):
    report = service.ingest_document("메모.md", ("# 업로드 기사\n" + BODY).encode())
    assert report.article_ids == ["메모"]
    info = {a.id: a for a in service.articles()}["메모"]
    assert info.source == "upload:메모.md" and info.title == "업로드 기사"


def test_bad_upload_is_a_source_error(service):
    with pytest.raises(SourceError, match="unsupported"):
        service.ingest_document("photo.png", b"\x89PNG")


def test_replace_drops_everything_else(service, tmp_path):
    path = write(tmp_path / "only.txt", "유일한 기사\n" + BODY)
    report = service.ingest([str(path)], replace=True)
    assert ids(service) == ["only"]
    assert report.removed >= 1


def test_progress_reports_embedding_then_writing(empty_service, tmp_path):
    path = write(tmp_path / "long.txt", long_text(20))
    seen = []
    empty_service.ingest([str(path)], progress=lambda stage, done, total: seen.append((stage, done, total)))
    stages = list(dict.fromkeys(s for s, _, _ in seen))
    assert stages == ["reading sources", "embedding", "writing"], "every stage shows, before embedding too"
    assert seen[0] == ("reading sources", 0, 1)
    embedding = [(d, t) for s, d, t in seen if s == "embedding"]
    total = embedding[0][1]
    assert embedding[0] == (0, total), "shown before the first batch (while the model loads)"
    assert embedding[-1] == (total, total) and len(embedding) == total + 1


def test_unchanged_counts_only_the_ingested_articles_chunks(service, tmp_path):
    """The default article is in the index; adding another must not call its chunks "unchanged"."""
    path = write(tmp_path / "new.txt", long_text(6, "새 기사"))
    first = service.ingest([str(path)])
    assert first.added > 0 and first.unchanged == 0
    again = service.ingest([str(path)])
    assert again.added == 0 and again.unchanged == first.added


# ----- embed only what changed ---------------------------------------------------------------------
def test_reingesting_the_same_article_embeds_nothing(service, embedder):
    report = service.ingest([str(DEFAULT_ARTICLE)])
    assert embedder.embedded == 0
    assert report.added == 0 and report.removed == 0
    assert report.unchanged == len(service.snapshot())


def test_reingesting_a_directory_twice_embeds_nothing_the_second_time(empty_service, embedder, tmp_path):
    write(tmp_path / "d" / "a.txt", long_text(10, "가 기사"))
    write(tmp_path / "d" / "b.txt", long_text(12, "나 기사"))
    first = empty_service.ingest([str(tmp_path / "d")])
    assert first.added > 0 and embedder.embedded == first.added + first.sentences
    embedder.reset()
    second = empty_service.ingest([str(tmp_path / "d")])
    assert embedder.embedded == 0
    assert (second.added, second.unchanged, second.removed) == (0, first.added, 0)


def test_a_changed_article_embeds_only_its_changed_chunks(empty_service, embedder, tmp_path):
    path = write(tmp_path / "long.txt", long_text(24))
    empty_service.ingest([str(path)])
    before = empty_service.snapshot()
    old_vectors = empty_service.store.vectors(before.collection, before.records.ids)
    embedder.reset()

    paras = path.read_text(encoding="utf-8").split("\n")
    paras[13] = paras[13].replace("구체적인 일정과", "새로 바뀐 일정과", 1)
    path.write_text("\n".join(paras), encoding="utf-8")
    report = empty_service.ingest([str(path)])

    after = empty_service.snapshot()
    new_ids = [i for i in after.records.ids if i not in set(before.records.ids)]
    assert 1 <= report.added == len(new_ids) <= 2
    # Only the changed sentence gets a new sentence vector.
    assert report.sentences == 1 and embedder.embedded == report.added + report.sentences
    assert any("새로 바뀐 일정과" in t for t in embedder.embedded_texts)
    assert report.removed == len(set(before.records.ids) - set(after.records.ids))
    assert report.unchanged == len(after) - len(new_ids) >= len(before) - 2
    # Unchanged chunks carried their vectors over instead of being embedded again.
    kept = [i for i in after.records.ids if i in old_vectors]
    new_vectors = empty_service.store.vectors(after.collection, kept)
    for cid in kept:
        assert np.allclose(new_vectors[cid], old_vectors[cid], atol=1e-6)
    # Only one copy of the article, in order.
    assert [m["position"] for m in after.records.metas] == list(range(len(after)))
    assert len({m["article_hash"] for m in after.records.metas}) == 1


def test_changed_article_is_replaced_and_others_untouched(service, embedder, tmp_path):
    path = write(tmp_path / "news.txt", "뉴스 제목\n" + BODY)
    service.ingest([str(path)])
    default_rows = [i for i, m in zip(service.snapshot().records.ids, service.snapshot().records.metas)
                    if m["article_id"] == DEFAULT_ID]
    embedder.reset()
    write(tmp_path / "news.txt", "뉴스 제목\n" + BODY.replace("3천 권", "5천 권"))
    service.ingest([str(path)])
    snap = service.snapshot()
    assert "5천 권" in "\n".join(snap.records.texts) and "3천 권" not in "\n".join(snap.records.texts)
    assert [i for i, m in zip(snap.records.ids, snap.records.metas) if m["article_id"] == DEFAULT_ID] == default_rows
    assert all(DEFAULT_ID not in t for t in embedder.embedded_texts)


def test_a_title_change_alone_is_picked_up(service, tmp_path):
    path = write(tmp_path / "news.txt", "옛 제목\n" + BODY)
    service.ingest([str(path)])
    write(tmp_path / "news.txt", "새 제목\n" + BODY)
    service.ingest([str(path)])
    titles = {m["title"] for m in service.snapshot().records.metas if m["article_id"] == "news"}
    assert titles == {"새 제목"}


# ----- embedder change -------------------------------------------------------------------------------
def test_a_different_embedder_re_embeds_everything_instead_of_mixing(service, data_dir, tmp_path):
    path = write(tmp_path / "news.txt", long_text(6))
    service.ingest([str(path)])
    n = len(service.snapshot())

    other = HashEmbedder(id="test/other-embedder")
    reopened = make_service(data_dir, other, [DEFAULT_ARTICLE])
    report = reopened.open()
    assert report is not None and report.added == n and other.embedded == n + report.sentences
    snap = reopened.snapshot()
    assert snap.embedder_id == "test/other-embedder"
    assert reopened.store.active()[1]["embedder"] == "test/other-embedder"
    stored = reopened.store.vectors(snap.collection, snap.records.ids)
    for cid, text in zip(snap.records.ids, snap.records.texts):
        assert np.allclose(stored[cid], other.vector(text), atol=1e-5), "a vector of the old embedder survived"
    # Later ingests with the new embedder reuse the new vectors.
    other.reset()
    reopened.ingest([str(path)])
    assert other.embedded == 0


def test_reopening_with_the_same_embedder_embeds_nothing(service, data_dir):
    again = HashEmbedder()
    reopened = make_service(data_dir, again, [DEFAULT_ARTICLE])
    assert reopened.open() is None
    assert again.embedded == 0
    assert reopened.snapshot().records.ids == service.snapshot().records.ids


# ----- crash between writing a version and activating it ---------------------------------------------
def test_a_crash_before_activation_leaves_the_old_version_active(service, data_dir, tmp_path, monkeypatch,
                                                                 embedder):
    before = service.snapshot()
    answer_before = service.search("서울관 스타트업", k=3)
    path = write(tmp_path / "news.txt", "새 기사\n" + BODY)

    abandoned = []

    def crash(name, pause=None):
        abandoned.append(name)
        raise RuntimeError("power cut between write_version and activate")

    monkeypatch.setattr(service.store, "activate", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        service.ingest([str(path)])
    monkeypatch.undo()

    # This process still serves the old snapshot, and so does a fresh one on the same data dir.
    assert service.snapshot() is before
    assert ids(service) == [DEFAULT_ID]
    assert [p.chunk_id for p in service.search("서울관 스타트업", k=3)] == [p.chunk_id for p in answer_before]
    fresh = make_service(data_dir, HashEmbedder(), [DEFAULT_ARTICLE])
    assert fresh.open() is None
    assert fresh.snapshot().collection == before.collection
    assert [a.id for a in fresh.articles()] == [DEFAULT_ID]

    # The next ingest works, and the abandoned version does not linger.
    report = fresh.ingest([str(path)])
    assert report.articles == 1
    assert [a.id for a in fresh.articles()] == [DEFAULT_ID, "news"]
    fresh.ingest([str(DEFAULT_ARTICLE)])
    from test_store import version_names

    # Left: the active version, the previous one, and the versions their deltas rest on.
    names = version_names(fresh.store)
    assert abandoned[0] not in names
    assert fresh.store.intact(fresh.snapshot().collection)
    assert len(names) <= 3


def test_a_write_that_outlived_two_others_is_refused_not_activated_with_chunks_missing(data_dir, tmp_path):
    """Process A embeds slowly while process B removes an article A keeps and writes again: B's collection
    deletes that article's chunks, so A must not activate a version naming them."""
    a_embedder = HashEmbedder()
    a = make_service(data_dir, a_embedder, [DEFAULT_ARTICLE])
    a.open()
    a.ingest([str(write(tmp_path / "keep.txt", "남길 기사\n" + BODY))])
    b = make_service(data_dir, HashEmbedder())
    real = a_embedder.embed_passages

    def slow(texts, progress=None):  # meanwhile, the other process writes twice
        b.remove("keep")
        b.ingest([str(write(tmp_path / "other.txt", "다른 기사\n" + BODY.replace("한강", "청계천")))])
        return real(texts, progress)

    a_embedder.embed_passages = slow
    with pytest.raises(StoreUnavailable, match="try again"):
        a.ingest([str(write(tmp_path / "late.txt", "늦은 기사\n" + BODY.replace("한강", "낙동강")))])
    assert [x.id for x in make_service(data_dir, HashEmbedder()).articles()] == [DEFAULT_ID, "other"]
    a_embedder.embed_passages = real
    a.ingest([str(tmp_path / "late.txt")])  # once it has seen the new index, it writes on top of it
    assert ids(a) == [DEFAULT_ID, "other", "late"]


# ----- ids that collide, private addresses from the bot ------------------------------------------------
def test_two_files_with_the_same_name_are_not_silently_merged(empty_service, tmp_path):
    write(tmp_path / "src" / "one" / "a.txt", "첫째 기사\n첫째 기사의 본문은 서울 이야기입니다.")
    write(tmp_path / "src" / "two" / "a.txt", "둘째 기사\n둘째 기사의 본문은 부산 이야기입니다.")
    report = empty_service.ingest([str(tmp_path / "src")])
    assert [a.id for a in empty_service.articles()] == ["a"]
    assert report.articles == 1 and report.article_ids == ["a"]
    [problem] = report.failures
    assert "two" in problem and "'a'" in problem


def test_the_same_source_given_twice_is_one_article(empty_service, tmp_path):
    path = write(tmp_path / "a.txt", "기사\n" + BODY)
    report = empty_service.ingest([str(path), str(path)])
    assert report.failures == [] and report.article_ids == ["a"]
    assert ids(empty_service) == ["a"]


def test_jsonl_duplicate_ids_are_reported(empty_service, tmp_path):
    lines = [json.dumps({"id": "x", "title": "첫째", "text": BODY}, ensure_ascii=False),
             json.dumps({"id": "x", "title": "둘째", "text": BODY.replace("한강", "청계천")}, ensure_ascii=False)]
    report = empty_service.ingest([str(write(tmp_path / "d.jsonl", "\n".join(lines)))])
    assert [a.title for a in empty_service.articles()] == ["첫째"]
    assert len(report.failures) == 1 and "'x'" in report.failures[0]


def test_the_bot_may_not_fetch_private_addresses_unless_allowed(data_dir, embedder, pages):
    url = pages.add("/a.txt", "기사\n" + BODY, content_type="text/plain; charset=utf-8")
    strict = make_service(data_dir, embedder)
    with pytest.raises(SourceError, match="private or local"):
        strict.ingest([url], allow_private=False, urls_only=True)
    assert pages.hits.get("/a.txt") is None, "refused before any request"
    assert strict.ingest([url]).article_ids == [url_article_id(url)]  # the CLI (an operator) may


def test_utf16_text_file_with_a_bom_is_text_not_binary(empty_service):
    report = empty_service.ingest_document("memo.txt", ("메모 제목\n" + BODY).encode("utf-16"))
    assert report.article_ids == ["memo"]
    assert "야간 도서관" in "\n".join(empty_service.snapshot().records.texts)


def test_a_large_batch_is_analysed_in_the_worker_process_with_the_same_records():
    import os

    from retrieval.ingest import indexer, worker
    from retrieval.models import Article

    body = "서울시는 새 정책을 발표했다. 시민들은 환영했다, 그리고 질문도 많았다. " * 1500
    articles = [Article(id=f"a{i}", title=f"기사 {i}", text=body + str(i)) for i in range(3)]
    assert sum(len(a.text) for a in articles) >= worker.IN_PROCESS_CHARS
    assert worker.in_worker(os.getpid) != os.getpid()
    items = [(a, indexer.article_key(a)) for a in articles]
    here = indexer._records_of_all(items)
    there = indexer.records_of(items)
    assert [(r.ids, r.texts, r.metas) for r in there] == [(r.ids, r.texts, r.metas) for r in here]
    worker.shutdown()
