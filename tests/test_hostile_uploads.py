"""Hostile and broken uploads: binary, empty, oversized, wrongly encoded, half-broken JSON Lines.

Every one gets a clear message, and the index either takes the whole good part in one step or does
not change at all (the active collection and the embedder's work are compared before and after).
"""

from __future__ import annotations

import json
import random
import re
from contextlib import asynccontextmanager

from conftest import DEFAULT_ARTICLE, make_service
from fakes.bot_harness import (
    ADMIN,
    ScriptedAnswerer,
    bot_settings,
    from_bot,
    running_bot,
)
from fakes.embedder import HashEmbedder
from fakes.telegram_server import FakeTelegram

from retrieval.errors import EmbedderError

BODY = ("부산항만공사는 지난해 부산항의 컨테이너 물동량이 2,440만 TEU로 사상 최대를 기록했다고 밝혔다. "
        "환적 화물이 크게 늘어난 것이 주된 원인으로 분석됐으며, 공사는 올해 목표를 2,500만 TEU로 잡았다.")
NOT_AN_ARTICLE = b"<html><head><title>Login</title></head><body><nav><a href='/'>Home</a></nav><form></form></body></html>"
FAILED = "stopped, the index is unchanged"
NOT_TEXT = "binary file|encoding could not be detected"


@asynccontextmanager
async def admin_chat(tmp_path, service, **overrides):
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path / "bot", **overrides), service,
                               ScriptedAnswerer(service)) as app:
            yield tg, app


async def upload(tg: FakeTelegram, name: str, data: bytes, expect: str, method: str = "sendMessage", **kw):
    """Upload as the admin and wait for the bot's message (or status edit) containing `expect`."""
    since = tg.mark()
    tg.document(name, data, user_id=ADMIN, **kw)
    return await tg.wait(method, from_bot(ADMIN, expect), since=since, timeout=20)


def fresh_service(tmp_path, embedder=None):
    service = make_service(tmp_path / "data", embedder or HashEmbedder(), [DEFAULT_ARTICLE])
    service.open()
    return service


def noise(n: int, seed: int, keep=lambda b: True) -> bytes:
    return bytes(b for b in random.Random(seed).randbytes(n) if keep(b))


BAD_FILES = [
    ("random.txt", noise(3000, 1) + b"\x00", "binary file"),
    ("photo.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + noise(500, 2), "binary file"),
    ("controls.txt", bytes(range(1, 9)) * 200, "binary file"),
    ("archive.jsonl", b"\x1f\x8b\x08\x08" + noise(800, 3, keep=bool), NOT_TEXT),
    ("noise.txt", noise(3000, 4, keep=lambda b: b > 0x7f), NOT_TEXT),
    ("blank.txt", b" \n\t\r\n   ", "the file is empty"),
    ("invisible.txt", "\u200b\u200c\u200d\ufeff\u2060".encode() * 10, "no article text"),
    ("login.html", NOT_AN_ARTICLE, "no article text"),
    (".jsonl", b'{"id": "x", "text": "a"}', "unsupported file type"),
    ("only-bad.jsonl", b'not json\n{"id": "a"}\n[1, 2]\n{"id": "b", "text": {"nested": 1}}\n\xff\xfe\xfd\n',
     "only-bad.jsonl:1:"),
]


async def test_bad_files_get_a_clear_message_and_change_nothing(tmp_path):
    embedder = HashEmbedder()
    service = fresh_service(tmp_path, embedder)
    before = service.snapshot().collection
    embedder.reset()
    async with admin_chat(tmp_path, service) as (tg, _):
        for name, data, says in BAD_FILES:
            reply = await upload(tg, name, data, "That did not work")
            text = reply.params["text"]
            assert re.search(says, text), (name, text)
            assert "went wrong" not in text and "Traceback" not in text, (name, text)
        report = tg.find("sendMessage", from_bot(ADMIN, "only-bad.jsonl:1:")).params["text"]
        for line in ("only-bad.jsonl:2: missing text", "only-bad.jsonl:3: not a JSON object",
                     "only-bad.jsonl:4: text must be a string", "only-bad.jsonl:5: not UTF-8 text"):
            assert line in report, report
        statuses = [m.text for m in tg.sent(ADMIN) if m.text.startswith("Adding")]
        assert statuses and all(FAILED in s for s in statuses), statuses
    assert service.snapshot().collection == before
    assert embedder.embedded == 0 and [a.id for a in service.articles()] == ["000_db62d54ccc32d396"]


async def test_oversized_uploads_are_refused_claimed_or_not(tmp_path):
    service = fresh_service(tmp_path)
    before = service.snapshot().collection
    big = ("가나다라마바사 " * 400).encode()  # 8,800 bytes
    async with admin_chat(tmp_path, service, max_upload_bytes=4000) as (tg, _):
        await upload(tg, "big.txt", big, "too large")
        assert not tg.calls_to("getFile")  # refused on the size Telegram reported, without downloading
        # A client that under-reports the size: the download itself is measured.
        since = tg.mark()
        tg.files["LIE"] = ("documents/lie.txt", big)
        tg.message(user_id=ADMIN, document={"file_id": "LIE", "file_unique_id": "ULIE", "file_name": "lie.txt",
                                            "mime_type": "text/plain", "file_size": 100})
        await tg.wait("sendMessage", from_bot(ADMIN, "too large"), since=since)
        assert tg.calls_to("getFile")
    assert service.snapshot().collection == before and len(service.articles()) == 1


async def test_legacy_encodings_and_utf16_are_read_correctly(tmp_path):
    service = fresh_service(tmp_path)
    async with admin_chat(tmp_path, service) as (tg, _):
        await upload(tg, "busan-cp949.txt", ("부산항 물동량\n" + BODY).encode("cp949"), "Added: 1 article(s)",
                     "editMessageText")
        await upload(tg, "busan-utf16.md", ("# 인천항 물동량\n" + BODY.replace("부산", "인천")).encode("utf-16"),
                     "Added: 1 article(s)", "editMessageText")
        await upload(tg, "busan-bom.txt", ("\ufeff울산항 물동량\n" + BODY.replace("부산", "울산")).encode("utf-8"),
                     "Added: 1 article(s)", "editMessageText")
    by_id = {a.id: a for a in service.articles()}
    assert by_id["busan-cp949"].title == "부산항 물동량"
    assert by_id["busan-utf16"].title == "인천항 물동량"
    assert by_id["busan-bom"].title == "울산항 물동량"
    assert any("2,440만 TEU" in p.text and p.article_id == "busan-cp949" for p in service.search("부산항 물동량", 5))


async def test_jsonl_with_bad_lines_imports_the_good_ones_and_names_the_bad_lines(tmp_path):
    service = fresh_service(tmp_path)

    def line(i: int, **extra) -> str:
        rec = {"id": f"port-{i}", "title": f"항만 소식 {i}", "text": f"{i}번 항만 소식입니다. " + BODY, **extra}
        return json.dumps(rec, ensure_ascii=False)

    lines = [
        line(1),
        "{broken json",
        line(3, text="줄 안의 특수 구분자\u2028도 JSON 문자열에서는 허용된다\u0085그리고 이것도. " + BODY),
        "",
        json.dumps({"id": "", "text": BODY}),
        line(6),
        "[\"not\", \"an\", \"object\"]",
    ]
    data = "\n".join(lines).encode() + b"\n\xc3\x28 not utf-8\n" + line(9).encode() + b"\r\n"
    async with admin_chat(tmp_path, service) as (tg, _):
        done = await upload(tg, "ports.jsonl", data, "Added: 4 article(s)", "editMessageText")
    text = done.params["text"]
    for problem in ("ports.jsonl:2:", "ports.jsonl:5: missing id", "ports.jsonl:7: not a JSON object",
                    "ports.jsonl:8: not UTF-8 text"):
        assert problem in text, text
    ids = {a.id for a in service.articles()}
    assert {"port-1", "port-3", "port-6", "port-9"} <= ids
    port3 = next(p for p in service.search("특수 구분자", 5) if p.article_id == "port-3")
    assert "\u2028" in port3.text or "특수 구분자" in port3.text  # one article, not two broken halves


async def test_a_file_of_thousands_of_bad_lines_gets_a_short_readable_error(tmp_path):
    service = fresh_service(tmp_path)
    before = service.snapshot().collection
    data = b"\n".join(b'{"id": "x%d"}' % i for i in range(5000))
    async with admin_chat(tmp_path, service) as (tg, _):
        reply = await upload(tg, "junk.jsonl", data, "That did not work")
        assert len(reply.params["text"]) < 4096 and "junk.jsonl:1: missing text" in reply.params["text"]
        assert "more" in reply.params["text"]
    assert service.snapshot().collection == before


class FailingEmbedder(HashEmbedder):
    """Fails after `ok` passages: an embedding endpoint that goes away in the middle of an upload."""

    ok = 10**9

    def embed_passages(self, texts, progress=None):
        if len(texts) > self.ok:
            def failing(done, total):
                if done > self.ok:
                    raise EmbedderError("the embeddings endpoint failed: 503")
                if progress:
                    progress(done, total)
            return super().embed_passages(texts, failing)
        return super().embed_passages(texts, progress)


async def test_an_upload_that_fails_halfway_indexes_nothing_and_can_be_sent_again(tmp_path):
    embedder = FailingEmbedder()
    service = fresh_service(tmp_path, embedder)
    before = service.snapshot().collection
    data = "\n".join(json.dumps({"id": f"n{i}", "text": f"{i}번째 기사. " + BODY * 3}, ensure_ascii=False)
                     for i in range(12)).encode()
    embedder.ok = 5
    async with admin_chat(tmp_path, service) as (tg, _):
        reply = await upload(tg, "news.jsonl", data, "embeddings endpoint failed")
        assert reply.params["text"].startswith("Sorry")
        assert service.snapshot().collection == before and len(service.articles()) == 1
        embedder.ok = 10**9
        await upload(tg, "news.jsonl", data, "Added: 12 article(s)", "editMessageText")
    assert len(service.articles()) == 13


async def test_an_upload_that_lies_about_its_size_is_cut_off_while_downloading(tmp_path, service):
    big = b"x" * 40_000_000  # 40 MB, claimed to be 1 KB (or no size at all)
    async with admin_chat(tmp_path, service, max_upload_bytes=1_000_000) as (tg, _):
        for claimed in (1000, 0):
            served = tg.bytes_served
            await upload(tg, "huge.txt", big, "too large", claimed_size=claimed)
            # The bot stopped reading at the limit: the rest was never sent (the old code read all 40 MB).
            assert tg.bytes_served - served < 12_000_000, tg.bytes_served - served
        await upload(tg, "ok.md", f"# 부산항\n\n{BODY}".encode(), "Added: 1 article(s)", method="editMessageText",
                     claimed_size=0)
