"""Answers first: a writer's pause waits while a question is in flight, never longer than its bound."""

from __future__ import annotations

import threading
import time

from test_sources import BODY

from retrieval.foreground import Foreground


def paused(fg: Foreground) -> threading.Thread:
    t = threading.Thread(target=fg.pause, daemon=True)
    t.start()
    return t


def test_a_pause_with_no_question_in_flight_returns_at_once():
    fg = Foreground(max_wait=60)
    t = paused(fg)
    t.join(10)
    assert not t.is_alive()


def test_a_pause_waits_for_the_questions_in_flight_then_goes_on():
    fg = Foreground(max_wait=60)
    with fg.serving():
        with fg.serving():
            assert fg.busy == 2
            t = paused(fg)
        t.join(0.3)
        assert t.is_alive()  # one question is still in flight
    t.join(10)
    assert not t.is_alive() and fg.busy == 0


def test_a_question_that_never_ends_holds_a_writer_only_for_the_bound():
    fg = Foreground(min_wait=0.05, max_wait=0.05)
    with fg.serving():
        t = paused(fg)
        t.join(10)
        assert not t.is_alive()


def test_after_a_long_step_a_writer_waits_longer_than_the_minimum():
    fg = Foreground(min_wait=0.0, max_wait=60)
    fg._resumed.at = time.monotonic() - 1.0  # this thread's step (an upsert, say) took a second
    waited: list[bool] = []
    with fg.serving():
        release = threading.Timer(0.3, lambda: waited.append(True))
        release.start()
        fg.pause()  # min_wait 0 but a 1 s step: it may wait up to SHARE seconds; the question still runs
        assert waited  # it waited past the 0.3 s mark rather than going on at once


def test_an_upload_waits_between_its_steps_while_an_answer_is_in_flight(service):
    service.foreground.min_wait = service.foreground.max_wait = 60
    done: list[object] = []
    with service.foreground.serving():
        writer = threading.Thread(target=lambda: done.append(service.ingest_document("도서관.txt", ("한강 야간 도서관 연다\n" + BODY).encode())),
                                  daemon=True)
        writer.start()
        writer.join(1.0)
        assert writer.is_alive() and not done
        # Meanwhile questions read the old version, which is whole.
        assert [a.id for a in service.articles()] == ["000_db62d54ccc32d396"]
    writer.join(60)
    assert done and "도서관" in [a.id for a in service.articles()]
