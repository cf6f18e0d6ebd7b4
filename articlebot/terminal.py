"""Plain-text rendering and the terminal chat (what `make run` opens without a Telegram token)."""

from __future__ import annotations

import sys
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


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar on stderr for long ingests; nothing when not wanted."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update
