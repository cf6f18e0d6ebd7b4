"""Answers first: index writes in this process step aside while a question is being answered.

An upload's write runs in a thread of the bot's process, and parts of it hold the interpreter (the GIL)
for a long time: Chroma's local client holds it for a whole upsert (0.3-1 s on a loaded 2-core machine,
whatever the batch size), and the fake or any Python embedder holds it per text. Smaller batches or a
fixed sleep between them did not help a question that needs the interpreter dozens of times on its way
from the Bot API to the reply: each time, the writer had started its next step. Here the question says
it is in flight (`serving`) and the writer, between its steps, waits (`pause`) until none is: a question
then waits for at most the one step already running. A writer waits at most SHARE times as long as its
last step took (within MIN_WAIT..MAX_WAIT): a slow question on a loaded machine is not cut into by one
upsert after another (a bound of 0.5 s let one wait 8.6 s), and a steady stream of questions slows an
upload (to about 1/(1 + SHARE) of its pace, or one short step per MIN_WAIT) but cannot stop it.

Threads only: no library offers "give way to these threads", and the count is one integer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

MIN_WAIT, MAX_WAIT = 0.5, 5.0  # seconds a writer may wait per step for the questions in flight
SHARE = 4.0  # ... or this many times its last step's duration, if more
Pause = Callable[[], None]  # what writers call between steps


def no_pause() -> None:
    """For writers no question waits for (the CLI, tests)."""


class Foreground:
    """How many questions are in flight; writers pause between steps while any is."""

    def __init__(self, min_wait: float = MIN_WAIT, max_wait: float = MAX_WAIT) -> None:
        self.min_wait, self.max_wait = min_wait, max_wait
        self._busy = 0
        self._quiet = threading.Condition()
        self._resumed = threading.local()  # when this writer's current step began

    @property
    def busy(self) -> int:
        """Questions in flight now."""
        return self._busy

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Mark a question in flight for the block (usable from async code: it never blocks)."""
        with self._quiet:
            self._busy += 1
        try:
            yield
        finally:
            with self._quiet:
                self._busy -= 1
                if not self._busy:
                    self._quiet.notify_all()

    def pause(self) -> None:
        """Between a writer's steps: give the interpreter up once (a thread that was about to mark its
        question gets to), then wait while questions are in flight (see the module's bound). Costs a few
        microseconds when nothing is asked, so it may be called per text embedded."""
        now = time.monotonic()
        step = now - getattr(self._resumed, "at", now)
        time.sleep(0)
        if self._busy:
            bound = min(self.max_wait, max(self.min_wait, SHARE * step))
            with self._quiet:
                self._quiet.wait_for(lambda: not self._busy, timeout=bound)
        self._resumed.at = time.monotonic()
