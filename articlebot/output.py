"""How the CLI prints lists: a rich table on a terminal, plain tab-separated lines when piped.

Piped output is for scripts: one header line, then one line per row, cells on one line (newlines and
tabs inside a cell become spaces), never cut and never coloured. `--json` stays the format for programs
that want every field.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import IO

from retrieval.models import ArticleInfo, Passage


def one_line(text: str) -> str:
    """A cell on one line: runs of whitespace (newlines, tabs) become one space."""
    return " ".join(str(text).split())


def is_terminal(stream: IO[str]) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def table(columns: Sequence[str], rows: Sequence[Sequence[object]], *, title: str = "",
          out: IO[str] | None = None, tty: bool | None = None) -> None:
    """Print rows under their column names (see the module docstring for the two forms)."""
    out = out or sys.stdout
    if tty is None:
        tty = is_terminal(out)
    if not tty:
        out.write("\t".join(columns) + "\n")
        for row in rows:
            out.write("\t".join(one_line(str(cell)) for cell in row) + "\n")
        out.flush()
        return
    from rich.console import Console
    from rich.table import Table

    grid = Table(title=title or None, title_justify="left", show_lines=False, expand=False)
    for name in columns:
        grid.add_column(name, overflow="fold")
    for row in rows:
        grid.add_row(*(str(cell) for cell in row))
    Console(file=out, soft_wrap=False).print(grid)


def articles_table(items: Sequence[ArticleInfo], out: IO[str] | None = None, tty: bool | None = None) -> None:
    columns = ["id", "title", "chunks", "source", "indexed_at"]
    rows = [[a.id, a.title, a.chunks, a.source, a.indexed_at] for a in items]
    table(columns, rows, title=f"{len(items)} article(s)", out=out, tty=tty)


def search_table(query: str, passages: Sequence[Passage], out: IO[str] | None = None,
                 tty: bool | None = None) -> None:
    """Rank, article and the passage in full. The fused score is relative to the best match (the top one is
    always near 1), so it says nothing here; --json carries it."""
    out = out or sys.stdout
    tty = is_terminal(out) if tty is None else tty
    if tty:
        rows = [[i, f"{p.title or p.article_id}\n{p.article_id}", p.text.strip()] for i, p in enumerate(passages, 1)]
        table(["#", "article", "passage"], rows, title=f"{len(passages)} passage(s) for “{query}”", out=out, tty=True)
    else:
        rows = [[i, p.article_id, p.chunk_id, p.title, p.text] for i, p in enumerate(passages, 1)]
        table(["rank", "article_id", "chunk_id", "title", "text"], rows, out=out, tty=False)


def eval_lines(result: dict, indexed: Sequence[ArticleInfo]) -> list[str]:
    """What was scored against (the data dir's index, whatever it holds), then each rate with its count."""
    names = ", ".join(a.id for a in indexed[:5]) + (f" and {len(indexed) - 5} more" if len(indexed) > 5 else "")
    lines = [f"index: {len(indexed)} article(s), {sum(a.chunks for a in indexed)} chunks ({names or 'empty'})"]
    for key, total in (("hit_rate", "answerable"), ("refusal_accuracy", "unanswerable"),
                       ("followup_accuracy", "followup_turns")):
        rate, n = result[key], result[total]
        shown = "– (none)" if rate is None else f"{rate:.3f} ({round(rate * n)}/{n})"
        lines.append(f"{key}: {shown}")
    return lines
