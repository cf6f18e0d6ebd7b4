"""Plain-text rendering and the terminal chat (what `make run` opens without a Telegram token)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import IO, Iterator

from retrieval.errors import ArticlebotError
from retrieval.models import Answer, Turn

Asker = Callable[[str, list[Turn]], Answer]


def render_text(answer: Answer) -> str:
    """The answer, any note, then the cited excerpts."""
    lines = [answer.answer]
    if answer.note:
        lines.append(f"({answer.note})")
    for c in answer.citations:
        where = f" — {c.url}" if c.url else ""
        lines.append(f"  [{c.n}] {c.title}{where}")
        if c.quote not in answer.answer:  # the extractive answer already shows its quotes
            lines.append(f"      “{c.quote}”")
    return "\n".join(lines)


def chat(ask: Asker, history_turns: int, stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout) -> None:
    """Read questions line by line until EOF; `/reset` forgets the conversation, `/quit` leaves."""
    interactive = stdin.isatty()
    history: list[Turn] = []
    if interactive:
        print("Ask about the articles. /reset forgets the conversation, /quit (or Ctrl-D) leaves.", file=stdout)
    while True:
        if interactive:
            print("\n> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            break
        question = line.strip()
        if not question:
            continue
        if question in ("/quit", "/exit"):
            break
        if question == "/reset":
            history.clear()
            print("(conversation forgotten)", file=stdout)
            continue
        try:
            answer = ask(question, history)
        except ArticlebotError as exc:
            print(f"Sorry: {exc}", file=stdout, flush=True)
            continue
        if not interactive:
            print(f"Q: {question}", file=stdout)
        print(render_text(answer), file=stdout, flush=True)
        if not interactive:
            print(file=stdout)
        history += [Turn("user", question),
                    Turn("assistant", answer.answer, [c.chunk_id for c in answer.citations])]
        del history[: max(0, len(history) - 2 * history_turns)]


class ProgressLines:
    """Progress as log lines for piped runs: a line when a stage starts or ends, else one every `every` s."""

    def __init__(self, stream: IO[str], every: float = 5.0) -> None:
        self.stream, self.every = stream, every
        self.stage, self.shown = "", 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == self.stage and done < total and now - self.shown < self.every:
            return
        self.stage, self.shown = stage, now
        print(f"{stage}: {done}/{total}", file=self.stream, flush=True)


@contextmanager
def progress_bar(tty: bool, stream: IO[str] | None = None) -> Iterator[Callable[[str, int, int], None]]:
    """Progress of long work on stderr: a rich bar on a terminal, plain log lines when piped."""
    stream = stream or sys.stderr
    if not tty:
        yield ProgressLines(stream)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(file=stream)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update
