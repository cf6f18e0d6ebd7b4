"""The indexing worker process: background work, below the bot's CPU priority."""

from __future__ import annotations

import os

from retrieval.ingest import worker


def test_the_worker_process_runs_below_the_bots_cpu_priority():
    assert worker.in_worker(os.nice, 0) == min(os.nice(0) + worker.WORKER_NICE, 19)
