"""ArticleService: first use, remove, atomic reload, and reads that never see half a write."""

from __future__ import annotations

import threading

import pytest
from conftest import DEFAULT_ARTICLE, DEFAULT_ID, make_service
from fakes.embedder import HashEmbedder
from test_sources import BODY, write

from retrieval.errors import ArticleNotFound, InputError, SourceError, StoreUnavailable
from retrieval.models import Turn
from retrieval.service import MAX_QUESTION_CHARS

QUESTIONS = ["서울관에는 스타트업이 몇 곳 참여했나?", "AI 서울테크시티는 어디에 조성되나?", "장재민 회장은 누구를 만났나?"]


def ids(service) -> list[str]:
    return [a.id for a in service.articles()]


def answers(service) -> list[dict]:
    out = []
    for q in QUESTIONS:
        a = service.ask(q).to_json()
        a.pop("timings_ms")
        out.append(a)
    return out


def searches(service) -> list[list[str]]:
    return [[p.chunk_id for p in service.search(q, k=3)] for q in QUESTIONS]


# ----- first use ------------------------------------------------------------------------------------
def test_first_use_of_an_empty_data_dir_indexes_the_default_article(data_dir, embedder):
    svc = make_service(data_dir, embedder, [DEFAULT_ARTICLE])
    report = svc.open()
    assert report is not None and report.article_ids == [DEFAULT_ID]
    # Every text embedded is a chunk or one of its sentences (the answerer's vectors), each counted once.
    assert report.added == len(svc.snapshot()) > 0 and embedder.embedded == report.added + report.sentences
    [info] = svc.articles()
    assert info.id == DEFAULT_ID and info.chunks == report.added
    assert info.source == str(DEFAULT_ARTICLE.resolve())
    assert info.indexed_at
    assert (data_dir / "chroma").is_dir()


def test_second_open_reuses_the_index(service, data_dir):
    again = HashEmbedder()
    svc = make_service(data_dir, again, [DEFAULT_ARTICLE])
    assert svc.open() is None and again.embedded == 0
    assert ids(svc) == [DEFAULT_ID]


def test_snapshot_opens_lazily(data_dir, embedder):
    svc = make_service(data_dir, embedder, [DEFAULT_ARTICLE])
    assert ids(svc) == [DEFAULT_ID]  # no explicit open()


def test_a_missing_default_source_gives_an_empty_index_not_a_crash(data_dir, embedder, tmp_path):
    svc = make_service(data_dir, embedder, [tmp_path / "gone"])
    report = svc.open()
    assert report is not None and report.failures and ids(svc) == []
    assert svc.search("아무거나") == []


# ----- warm-up --------------------------------------------------------------------------------------
def test_warm_up_loads_the_embedder_and_queries_the_active_collection(service, embedder, monkeypatch):
    queried = []
    real = service.store.query
    monkeypatch.setattr(service.store, "query", lambda col, vec, n, **kw: queried.append((col, n)) or real(col, vec, n))
    embedder.reset()
    service.searcher.warm_up(service.snapshot()).join(timeout=60)
    assert embedder.query_calls == ["warm-up"] and queried == [(service.snapshot().chunks, 1)]
    assert [p.article_id for p in service.search("서울관", k=1)] == [DEFAULT_ID]


def test_a_failed_warm_up_is_left_to_the_question(service, monkeypatch, caplog):
    def down(*_a, **_k):
        raise StoreUnavailable("the vector store is unavailable: refused")

    monkeypatch.setattr(service.store, "query", down)
    with caplog.at_level("DEBUG", logger="retrieval.index.search"):
        service.searcher.warm_up(service.snapshot()).join(timeout=60)
    assert "warm-up failed" in caplog.text
    with pytest.raises(StoreUnavailable):  # the question itself says what went wrong
        service.search("서울관")


def test_warm_up_of_an_empty_index_queries_nothing(empty_service, monkeypatch):
    queried = []
    monkeypatch.setattr(empty_service.store, "query", lambda *a, **k: queried.append(a) or [])
    empty_service.searcher.warm_up(empty_service.snapshot()).join(timeout=60)
    assert queried == []


# ----- remove -----------------------------------------------------------------------------------------
def test_remove_one_article(service, tmp_path):
    service.ingest([str(write(tmp_path / "other.txt", "다른 기사\n" + BODY))])
    info = service.remove("other")
    assert info.id == "other" and info.title == "다른 기사"
    assert ids(service) == [DEFAULT_ID]
    assert all(p.article_id == DEFAULT_ID for p in service.search("야간 도서관", k=10))


def test_remove_unknown_article(service):
    with pytest.raises(ArticleNotFound, match="nope"):
        service.remove("nope")
    assert ids(service) == [DEFAULT_ID]


def test_after_removing_everything_the_index_stays_empty(service, data_dir):
    service.remove(DEFAULT_ID)
    assert ids(service) == []
    assert service.search("서울관") == []
    answer = service.ask("서울관에는 스타트업이 몇 곳 참여했나?")
    assert not answer.answerable and answer.citations == []
    # A new process on the same data dir does not seed the default article again.
    reopened = make_service(data_dir, HashEmbedder(), [DEFAULT_ARTICLE])
    assert reopened.open() is None
    assert ids(reopened) == []
    # ... and the next ingest works from empty.
    reopened.ingest([str(DEFAULT_ARTICLE)])
    assert ids(reopened) == [DEFAULT_ID]


# ----- reload -----------------------------------------------------------------------------------------
def test_reload_rereads_changed_sources_and_embeds_only_changes(service, embedder, tmp_path):
    path = write(tmp_path / "news.txt", "뉴스\n" + BODY)
    service.ingest([str(path)])
    embedder.reset()
    assert service.reload().added == 0 and embedder.embedded == 0
    write(tmp_path / "news.txt", "뉴스\n" + BODY.replace("3천 권", "5천 권"))
    report = service.reload()
    assert report.added >= 1 and embedder.embedded == report.added + report.sentences
    assert report.sentences >= 1 and all("5천 권" in t or DEFAULT_ID not in t for t in embedder.embedded_texts)
    assert any("5천 권" in t for t in service.snapshot().records.texts)


def test_reload_keeps_uploads(service):
    service.ingest_document("memo.txt", ("메모 기사\n" + BODY).encode())
    service.reload()
    assert ids(service) == [DEFAULT_ID, "memo"]


def test_reload_with_a_removed_file_fails_and_the_old_index_keeps_serving(service, tmp_path):
    path = write(tmp_path / "news.txt", "뉴스\n" + BODY)
    service.ingest([str(path)])
    before_answers, before_search = answers(service), searches(service)
    collection = service.snapshot().collection
    path.unlink()
    with pytest.raises(SourceError, match="unchanged") as err:
        service.reload()
    assert "news.txt" in str(err.value)
    assert service.snapshot().collection == collection
    assert service.store.active()[0] == collection
    assert ids(service) == [DEFAULT_ID, "news"]
    assert answers(service) == before_answers
    assert searches(service) == before_search


def test_reload_with_a_url_answering_500_fails_and_the_old_index_keeps_serving(service, pages):
    url = pages.add("/news", "야간 도서관 기사\n" + BODY, content_type="text/plain; charset=utf-8")
    service.ingest([url])
    before_answers, before_search = answers(service), searches(service)
    collection = service.snapshot().collection
    pages.add("/news", b"internal error", status=500, content_type="text/plain")
    with pytest.raises(SourceError, match="500"):
        service.reload()
    assert pages.hits["/news"] == 2
    assert service.store.active()[0] == collection
    assert answers(service) == before_answers
    assert searches(service) == before_search
    # Once the page is back, reload succeeds.
    pages.add("/news", "야간 도서관 기사\n" + BODY, content_type="text/plain; charset=utf-8")
    assert service.reload().added == 0


def test_a_reload_that_crashes_before_activation_changes_nothing(service, tmp_path, monkeypatch):
    path = write(tmp_path / "news.txt", "뉴스\n" + BODY)
    service.ingest([str(path)])
    collection = service.snapshot().collection
    write(tmp_path / "news.txt", "뉴스\n" + BODY.replace("3천 권", "5천 권"))

    def crash(name, pause=None):
        raise RuntimeError("crash")

    monkeypatch.setattr(service.store, "activate", crash)
    with pytest.raises(RuntimeError):
        service.reload()
    monkeypatch.undo()
    assert service.snapshot().collection == collection == service.store.active()[0]
    assert not any("5천 권" in t for t in service.snapshot().records.texts)
    service.reload()
    assert any("5천 권" in t for t in service.snapshot().records.texts)


# ----- reads never see a half-done write ------------------------------------------------------------------
class BlockingEmbedder(HashEmbedder):
    """Stops inside `embed_passages` of an ingest until released, so reads can run meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = threading.Event()
        self.release = threading.Event()
        self.armed = False

    def embed_passages(self, texts, progress=None):
        if self.armed and any("야간 도서관" in t or "밤 11시" in t for t in texts):
            self.inside.set()
            assert self.release.wait(30)
        return super().embed_passages(texts, progress)


def test_reads_during_an_ingest_see_the_old_index_then_the_new_one(data_dir, tmp_path):
    emb = BlockingEmbedder()
    svc = make_service(data_dir, emb, [DEFAULT_ARTICLE])
    svc.open()
    before = searches(svc)
    emb.armed = True
    path = write(tmp_path / "news.txt", "야간 도서관\n" + BODY)
    errors: list[BaseException] = []

    def write_side():
        try:
            svc.ingest([str(path)])
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    t = threading.Thread(target=write_side)
    t.start()
    try:
        assert emb.inside.wait(30)
        assert searches(svc) == before  # not blocked, and not half-written
        assert ids(svc) == [DEFAULT_ID]
    finally:
        emb.release.set()
        t.join(60)
    assert not errors
    assert ids(svc) == [DEFAULT_ID, "news"]


# ----- ask and search ------------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["", "   ", "\n"])
def test_empty_question_is_an_input_error(service, question):
    with pytest.raises(InputError):
        service.ask(question)


def test_too_long_question_is_an_input_error(service):
    with pytest.raises(InputError, match=str(MAX_QUESTION_CHARS)):
        service.ask("가" * (MAX_QUESTION_CHARS + 1))


def test_answer_shape(service):
    answer = service.ask("서울관에는 서울 소재 스타트업 몇 개 기업이 참여했나?")
    data = answer.to_json()
    assert set(data) >= {"question", "standalone_question", "answer", "answerable", "mode", "citations",
                         "timings_ms"}
    assert data["mode"] == "extractive" and isinstance(data["answerable"], bool)
    assert data["timings_ms"]["total"] >= 0
    for c in answer.citations:
        assert c.quote in c.passage
        assert f"[{c.n}]" in answer.answer


def test_search_returns_passages_with_what_a_citation_needs(service):
    hits = service.search("서울 소재 스타트업 81개 기업", k=2)
    assert len(hits) == 2
    top = hits[0]
    assert "81개" in top.text and top.article_id == DEFAULT_ID
    assert top.title.startswith("오세훈")
    snap = service.snapshot()
    assert top.chunk_id in snap.row
    assert hits[0].score >= hits[1].score


def test_carried_chunks_from_the_previous_answer_are_retrieved(service):
    service.top_k = 1
    snap = service.snapshot()
    history = [Turn("user", "서울관에 대해 알려줘"), Turn("assistant", "…", list(snap.records.ids) + ["unknown#1"])]
    _, _, passages, _ = service.retrieve("그건 언제야?", history)
    assert sorted(p.chunk_id for p in passages) == sorted(snap.records.ids)


# ----- reload and JSON Lines ------------------------------------------------------------------------------
def _jsonl(path, records):
    import json

    return write(path, "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records))


def test_reload_is_not_blocked_forever_by_a_line_that_was_always_bad(empty_service, tmp_path):
    path = _jsonl(tmp_path / "batch.jsonl", [{"id": "a", "title": "가", "text": BODY}, "{bad line"])
    assert len(empty_service.ingest([str(path)]).failures) == 1
    report = empty_service.reload()
    assert ids(empty_service) == ["a"]
    assert any("batch.jsonl:2" in f for f in report.failures)


def test_reload_stops_when_a_line_that_held_an_article_went_bad(empty_service, tmp_path):
    path = _jsonl(tmp_path / "batch.jsonl", [{"id": "a", "title": "가", "text": BODY},
                                             {"id": "b", "title": "나", "text": BODY}])
    empty_service.ingest([str(path)])
    collection = empty_service.snapshot().collection
    _jsonl(path, [{"id": "a", "title": "가", "text": BODY}, '{"id": "b", "title": "나", "text": '])
    with pytest.raises(SourceError, match="batch.jsonl:2"):
        empty_service.reload()
    assert empty_service.store.active()[0] == collection and ids(empty_service) == ["a", "b"]


def test_reload_drops_an_article_whose_line_was_deleted(empty_service, tmp_path):
    path = _jsonl(tmp_path / "batch.jsonl", [{"id": "a", "title": "가", "text": BODY},
                                             {"id": "b", "title": "나", "text": BODY}])
    empty_service.ingest([str(path)])
    _jsonl(path, [{"id": "b", "title": "나", "text": BODY}])
    report = empty_service.reload()
    assert ids(empty_service) == ["b"] and report.removed >= 1


# ----- two processes on one index (the bot running while `articlebot ingest` runs) ----------------------------
def test_another_process_ingesting_is_seen_and_never_breaks_reads(service, data_dir, tmp_path):
    other = make_service(data_dir, HashEmbedder(), [DEFAULT_ARTICLE])  # e.g. the CLI, while the bot serves
    path = write(tmp_path / "news.txt", "야간 도서관\n" + BODY)
    other.ingest([str(path)])
    write(tmp_path / "news.txt", "야간 도서관\n" + BODY.replace("3천 권", "5천 권"))
    other.ingest([str(path)])  # two versions later, the bot's old version is gone from the store
    hits = service.search("야간 도서관 책 몇 권", k=1)
    assert hits[0].article_id == "news" and "5천 권" in hits[0].text
    assert ids(service) == [DEFAULT_ID, "news"]
    assert service.ask("야간 도서관은 책 몇 권을 갖추나?").question


def test_a_write_after_another_process_wrote_keeps_its_articles(service, data_dir, tmp_path):
    other = make_service(data_dir, HashEmbedder(), [DEFAULT_ARTICLE])
    other.ingest([str(write(tmp_path / "cli.txt", "CLI 기사\n" + BODY))])
    service.ingest([str(write(tmp_path / "bot.txt", "봇 기사\n" + BODY.replace("한강", "청계천")))])
    assert ids(service) == [DEFAULT_ID, "cli", "bot"]
    assert ids(make_service(data_dir, HashEmbedder())) == [DEFAULT_ID, "cli", "bot"]
