"""One worker process for heavy indexing work, so it never holds the interpreter questions run in.

Kiwi holds the GIL while it analyses, so minutes of sentence splitting and term extraction in a thread
stalled every other thread and the bot's event loop: during a 5 MB upload a question waited 128 s. A
separate process has its own interpreter (and its own Kiwi). It is started on first use (spawned: a
fork of a process running threads may inherit a held lock) and kept for the next batch; if it dies,
the work is done in this process instead, and that is logged.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
# Text (characters) analysed right here; more goes to the worker process. A typical article or /add is
# below it (no process start-up to pay); a big upload, a .jsonl batch or a reload is above it.
IN_PROCESS_CHARS = 100_000
# The worker's CPU priority below the bot's (os.nice): its minutes of Kiwi are background work, and on a
# busy 2-core machine the bot's answers should get a core first.
WORKER_NICE = 10
_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=os.nice, initargs=(WORKER_NICE,))
        return _pool


def load_kiwi_beside() -> None:
    """For the commands that ask (`articlebot search`, `ask`, `chat`, `eval`): the worker starts now and
    loads Kiwi, on the other core, while this process imports and opens the index; it then answers this
    process's Kiwi calls (korean.analyse_elsewhere).

    Forked, not spawned, when this process runs no other thread yet (so it holds no lock a thread took):
    a fork starts at once with what is imported, where a spawned interpreter imports again (about 0.4 s)."""
    from ..korean import analyse_elsewhere

    global _pool
    with _lock:
        if _pool is None and threading.active_count() == 1:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                                        initializer=_forget_pool)
    analyse_elsewhere(submit)


def _forget_pool() -> None:
    """In a forked worker: the pool it inherited is its parent's, never one to submit to."""
    global _pool
    _pool = None


def submit(fn: Callable[..., T], *args: Any) -> Future[T]:
    """`fn(*args)` started in the worker process (fn and args picklable); the caller waits on the future
    and handles the worker's failure (BrokenProcessPool, OSError) itself."""
    return _executor().submit(fn, *args)


def in_worker(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in the worker process (fn and args picklable); here if the worker cannot run it."""
    global _pool
    try:
        return submit(fn, *args).result()
    except (BrokenProcessPool, OSError) as exc:
        log.warning("indexing worker process failed (%s); doing the work in this process", exc)
        with _lock:
            _pool = None
        return fn(*args)


def sized(fn: Callable[[Any], T], arg: Any, chars: int) -> T:
    """`fn(arg)` right here for under IN_PROCESS_CHARS characters of text, else in the worker process."""
    return fn(arg) if chars < IN_PROCESS_CHARS else in_worker(fn, arg)


def shutdown() -> None:
    """Stop the worker (if one was started)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(cancel_futures=True)
