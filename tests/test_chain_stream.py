"""`LLMAnswerer.astream`, the bot's path: text deltas as they arrive, then exactly one checked Answer."""

from __future__ import annotations

import asyncio
import time

import pytest

from fakes.openai_server import (
    FakeOpenAI,
    Reply,
    cite,
    fake_openai,  # noqa: F401 (fixture)
    question_in,
)

from retrieval.llm.chain import LLMAnswerer
from retrieval.llm.client import chat_model
from retrieval.models import Answer, Turn

Q = "서울관에는 서울 소재 스타트업이 몇 곳 참여했나?"
GOOD = "서울관에는 서울 소재 스타트업 81개 기업이 참여했고 [{n}], 이는 역대 최대 규모였습니다 [{n}]."


# What the grey-zone judge (the same fake model) knows to be true: "참여했다" is the article's "선보였다"
# reworded, which the deterministic rules leave to it (tests/test_verify.py, tests/test_entailment.py).
TRUE_PARAPHRASES = ("스타트업 81개 기업이 참여했",)


@pytest.fixture(autouse=True)
def judge(fake_openai):
    fake_openai.entail = lambda statements: [any(t in s for t in TRUE_PARAPHRASES) for s in statements]


def answerer(service, fake: FakeOpenAI, *, retries: int = 2, timeout: float = 5.0) -> LLMAnswerer:
    return LLMAnswerer(service, lambda: chat_model(model="fake-model", api_key="test", base_url=fake.base_url,
                                                   timeout=timeout), retries=retries, timeout=timeout, backoff=0.01)


async def collect(agen) -> list[tuple[float, str | Answer]]:
    return [(time.monotonic(), item) async for item in agen]


def split(items) -> tuple[list[str], Answer]:
    *deltas, (_, final) = items
    assert all(isinstance(d, str) for _, d in deltas) and isinstance(final, Answer)
    return [d for _, d in deltas], final


SECOND = " 특히, 참여기업 중 18개 기업이 CES 2024 혁신상을 수상했고, 2개 기업은 참여기업 중 1%에만 주어지는 최고혁신상의 영예를 안았습니다 [{n}]."


async def test_slow_stream_previews_each_checked_sentence_as_it_arrives_then_the_checked_answer(service, fake_openai):
    fake_openai.chunk_delay = 0.05
    fake_openai.handler = cite("스타트업 81개", "{sentence} [{n}]" + SECOND)
    t0 = time.monotonic()
    items = await collect(answerer(service, fake_openai).astream(Q))
    deltas, final = split(items)
    assert len(deltas) == 2 and deltas[0].startswith("서울관에선 서울바이오허브") and deltas[0].endswith("[1]")
    assert items[1][0] - items[0][0] >= 0.3  # the first sentence was shown while the second was written
    assert items[0][0] - t0 < items[-1][0] - t0 - 0.3
    assert final.mode == "llm" and final.answer == "".join(deltas)
    assert final.usage and final.usage["output_tokens"] > 0  # usage arrives on the stream's last chunk
    assert {"first_chunk", "llm", "verify", "retrieve", "total"} <= set(final.timings_ms)
    body = fake_openai.chat_requests[0]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


async def test_preview_shows_only_checked_sentences(service, fake_openai):
    def reply(body):
        return cite("스타트업 81개")(body).replace("]", "][8]") + " 입장료는 무료이며 80개 기업이 참여했습니다 [2]. " + \
            SECOND.strip().format(n=1)

    fake_openai.handler = reply
    deltas, final = split(await collect(answerer(service, fake_openai).astream(Q)))
    shown = "".join(deltas)
    assert "[8]" not in shown and "무료" not in shown and "80개" not in shown and "최고혁신상" in shown
    assert "[8]" not in final.answer and "무료" not in final.answer and final.citations
    assert final.note == "기사로 확인되지 않은 문장 1개를 답변에서 뺐습니다."


async def test_stream_500_forever_gives_only_the_extractive_answer_with_a_note(service, fake_openai):
    fake_openai.handler = Reply(status=500)
    items = await collect(answerer(service, fake_openai, retries=2).astream(Q))
    assert len(items) == 1
    final = items[0][1]
    assert final.mode == "extractive" and "HTTP 500" in final.note and final.citations
    assert len(fake_openai.chat_requests) == 3


async def test_stream_429_then_success(service, fake_openai):
    fake_openai.reply(Reply(status=429, headers={"Retry-After": "0.2"}), cite("스타트업 81개"))
    deltas, final = split(await collect(answerer(service, fake_openai).astream(Q)))
    assert final.mode == "llm" and deltas and len(fake_openai.chat_requests) == 2


async def test_stream_that_never_starts_times_out_and_falls_back(service, fake_openai):
    fake_openai.delay = 3.0
    t = time.monotonic()
    items = await collect(answerer(service, fake_openai, retries=1, timeout=0.4).astream("Which hotel hosted the meeting?"))
    assert time.monotonic() - t < 2.5 and len(items) == 1 and len(fake_openai.chat_requests) == 2
    assert items[0][1].mode == "extractive" and "timed out" in items[0][1].note


async def test_stream_that_stalls_midway_is_not_retried_and_falls_back(service, fake_openai):
    fake_openai.reply(Reply("서울관에는 81개 기업이 참여했습니다 [1].", chunks=["서울관에는 ", "81개 기업이"], chunk_delay=1.5))
    items = await collect(answerer(service, fake_openai, retries=2, timeout=0.5).astream(Q))
    _, final = split(items)
    assert final.mode == "extractive" and final.note and len(fake_openai.chat_requests) == 1


async def test_follow_up_streams_after_a_rewrite(service, fake_openai):
    history = [Turn("user", "서울관에서 혁신상을 받은 기업은 몇 곳이야?"), Turn("assistant", "18개 기업입니다 [1].")]
    fake_openai.reply("서울관 참여기업 중 최고혁신상을 받은 기업은 몇 곳인가?",
                      cite("최고혁신상", "참여기업 중 2개 기업이 최고혁신상을 받았습니다 [{n}]."))
    deltas, final = split(await collect(answerer(service, fake_openai).astream("그중 최고혁신상은?", history)))
    rewrite, answer = fake_openai.chat_requests
    assert not rewrite.get("stream") and answer["stream"] is True
    assert question_in(answer) == final.standalone_question == "서울관 참여기업 중 최고혁신상을 받은 기업은 몇 곳인가?"
    assert final.mode == "llm" and "2개" in final.answer and "rewrite" in final.timings_ms


async def test_concurrent_streams_do_not_mix(service, fake_openai):
    fake_openai.chunk_delay = 0.01

    def reply(body):
        q = question_in(body)
        return cite("스타트업 81개" if "스타트업" in q else "시저스 팰리스",
                    "{sentence} [{n}]")(body)

    fake_openai.handler = reply
    llm = answerer(service, fake_openai)
    a, b = await asyncio.gather(collect(llm.astream(Q)), collect(llm.astream("오세훈 시장은 어느 호텔에서 장재민 회장을 만났나?")))
    assert "81개" in a[-1][1].answer and "시저스 팰리스" in b[-1][1].answer
    assert "시저스" not in a[-1][1].answer and "81개" not in b[-1][1].answer


def test_the_same_answerer_streams_from_one_event_loop_after_another(service, fake_openai):
    # langchain-openai shares one async HTTP pool per base URL; reused on a new loop it fails.
    fake_openai.handler = cite("스타트업 81개")
    llm = answerer(service, fake_openai, retries=0)
    for _ in range(3):
        _, final = split(asyncio.run(collect(llm.astream(Q))))
        assert final.mode == "llm" and not final.note
    assert llm.ask(Q).mode == "llm"  # and the sync path alongside



async def test_a_server_that_reports_no_usage_gives_no_usage(service, fake_openai):
    fake_openai.handler = lambda body: Reply(cite("스타트업 81개")(body), report_usage=False)
    _, final = split(await collect(answerer(service, fake_openai).astream(Q)))
    assert final.mode == "llm" and final.usage is None and "usage" not in final.to_json()
