"""Admin commands end to end: refusals, reload during answers, /add (SSRF guard), uploads, remove, stats."""

from __future__ import annotations

import shutil
import time
from contextlib import asynccontextmanager

from conftest import DEFAULT_ARTICLE, DEFAULT_ID, make_service
from fakes.bot_harness import (
    ADMIN,
    USER,
    ScriptedAnswerer,
    bot_settings,
    from_bot,
    running_bot,
)
from fakes.embedder import HashEmbedder
from fakes.http import NEWS_PAGE
from fakes.telegram_server import FakeTelegram


class SlowEmbedder(HashEmbedder):
    """Embedding passages takes `passage_delay` seconds each: a reload that is still running."""

    passage_delay = 0.0

    def embed_passages(self, texts, progress=None):
        def slowly(done, total):
            time.sleep(self.passage_delay)
            if progress:
                progress(done, total)

        return super().embed_passages(texts, slowly)


@asynccontextmanager
async def admin_bot(tmp_path, service, answerer=None, **overrides):
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path / "bot", **overrides), service,
                               answerer or ScriptedAnswerer(service)) as app:
            yield tg, app


async def say(tg: FakeTelegram, text: str, chat: int, contains: str, method: str = "sendMessage"):
    since = tg.mark()
    tg.message(text, user_id=chat)
    return await tg.wait(method, from_bot(chat, contains), since=since)


async def test_non_admins_are_refused_and_nothing_happens(tmp_path, service, embedder):
    async with admin_bot(tmp_path, service) as (tg, _):
        for command in ("/reload", "/add https://example.com/a", f"/remove {DEFAULT_ID}", "/stats"):
            await say(tg, command, USER, "admins only")
        since = tg.mark()
        tg.document("memo.txt", "새 기사 본문입니다. ".encode() * 20, user_id=USER)
        await tg.wait("sendMessage", from_bot(USER, "admins only"), since=since)
        assert [a.id for a in service.articles()] == [DEFAULT_ID]
        assert embedder.embedded == 0 and not tg.calls_to("getFile")


async def test_admin_reload_reports_progress_while_other_chats_keep_getting_answers(tmp_path):
    src = tmp_path / "articles"
    src.mkdir()
    article = src / DEFAULT_ARTICLE.name
    shutil.copy(DEFAULT_ARTICLE, article)
    embedder = SlowEmbedder()
    service = make_service(tmp_path / "data", embedder, [src])
    service.open()
    # An edited article: the reload must embed its changed chunks, slowly.
    extra = " ".join(f"서울시는 {i}번째 새 정책을 {i + 3}개 구에서 시행한다고 발표했다." for i in range(12))
    lines = article.read_text(encoding="utf-8").splitlines()
    article.write_text("\n".join(lines[:9] + [extra] + lines[9:]), encoding="utf-8")  # inside the body
    embedder.passage_delay = 0.7
    async with admin_bot(tmp_path, service) as (tg, _):
        t0 = time.monotonic()
        await say(tg, "/reload", ADMIN, "Reloading")
        await say(tg, "오세훈 시장은 CES에서 무엇을 말했나?", USER, "답변")
        answered = time.monotonic() - t0
        done = await tg.wait("editMessageText", from_bot(ADMIN, "Reloaded"), timeout=30)
        reloaded = done.at - t0
        assert answered < 1.0 < reloaded, (answered, reloaded)  # the answer did not wait for the reload
        assert "1 article(s)" in done.params["text"] and "added" in done.params["text"]
        edits = [c.params["text"] for c in tg.calls_to("editMessageText", ADMIN)]
        assert any("embedding" in e for e in edits[:-1]), edits  # progress in the same status message
        assert {c.params["message_id"] for c in tg.calls_to("editMessageText", ADMIN)} == {
            tg.sent(ADMIN)[0].message_id}
    assert any("새 정책" in p.text for p in service.search("새 정책 발표", 5))


async def test_add_url_is_refused_for_loopback_unless_private_urls_are_allowed(tmp_path, data_dir, embedder, pages):
    url = pages.add("/news/busan.html", NEWS_PAGE)
    guarded = make_service(data_dir, embedder, [DEFAULT_ARTICLE])
    guarded.open()
    async with admin_bot(tmp_path, guarded) as (tg, _):
        refusal = await say(tg, f"/add {url}", ADMIN, "refusing to fetch")
        assert "private or local address" in refusal.params["text"]
        await tg.wait("editMessageText", from_bot(ADMIN, "stopped, the index is unchanged"))
        await say(tg, "/add http://169.254.169.254/latest/meta-data/", ADMIN, "refusing to fetch")
    assert pages.hits == {} and len(guarded.articles()) == 1

    allowed = make_service(tmp_path / "data2", HashEmbedder(), [DEFAULT_ARTICLE])
    allowed.open()
    async with admin_bot(tmp_path / "b", allowed, allow_private_urls=True) as (tg, _):
        await say(tg, "/add", ADMIN, "Usage")
        since = tg.mark()
        await say(tg, f"/add {url}", ADMIN, "Adding")
        await tg.wait("editMessageText", from_bot(ADMIN, "Added: 1 article(s)"), since=since)
        listing = await say(tg, "/articles", ADMIN, "2 article(s)")
        assert "부산항 물동량 사상 최대" in listing.params["text"] and f'href="{url}"' in listing.params["text"]


async def test_uploads_are_checked_then_indexed(tmp_path, service):
    async with admin_bot(tmp_path, service, max_upload_bytes=2000) as (tg, _):
        since = tg.mark()
        tg.document("report.pdf", b"%PDF-1.4", user_id=ADMIN, mime="application/pdf")
        await tg.wait("sendMessage", from_bot(ADMIN, "I can add only"), since=since)
        tg.document("big.txt", "가".encode() * 1000, user_id=ADMIN)
        await tg.wait("sendMessage", from_bot(ADMIN, "too large"), since=since)
        body = "부산항만공사는 지난해 컨테이너 물동량이 사상 최대를 기록했다고 밝혔다. 환적 화물이 늘었다."
        tg.document("busan-port.md", f"# 부산항 물동량\n\n{body}".encode(), user_id=ADMIN)
        await tg.wait("editMessageText", from_bot(ADMIN, "Added: 1 article(s)"), since=since)
        assert tg.calls_to("getFile")
    assert "busan-port" in {a.id for a in service.articles()}
    assert any(a.source == "upload:busan-port.md" for a in service.articles())


async def test_remove_and_stats(tmp_path, service):
    answerer = ScriptedAnswerer(service, usage={"prompt_tokens": 120, "completion_tokens": 30})
    async with admin_bot(tmp_path, service, answerer) as (tg, _):
        await say(tg, "오세훈 시장은 무엇을 조성하나?", USER, "답변")
        await say(tg, "/reset", USER + 1, "forgot")
        await say(tg, "서울관은?", USER + 1, "답변")
        stats = (await say(tg, "/stats", ADMIN, "Usage")).params["text"]
        assert "Users: 2" in stats and "Questions: 2" in stats and "llm: 2" in stats
        assert "120 prompt + 60" not in stats and "240 prompt + 60 completion" in stats
        assert "p50" in stats and "–" not in stats.split("Latency")[1].split("\n")[0]
        await say(tg, "/remove nope", ADMIN, "No article with id")
        await say(tg, "/remove", ADMIN, "Usage")
        await say(tg, f"/remove {DEFAULT_ID}", ADMIN, "Removed")
    assert service.articles() == []
