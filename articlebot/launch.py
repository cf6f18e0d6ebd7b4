"""The `articlebot` command: starts Kiwi's process for the asking commands before anything else loads.

For `search`, `ask`, `chat` and `eval`, Kiwi (about 1.1 s of CPU, most of a one-shot command's start) loads
in a forked worker process while this one imports and opens the index (retrieval/ingest/worker.py). Forked
here, before Typer, pydantic-settings and the CLI's modules are imported (about 0.2 s), Kiwi is ready that
much sooner: on `articlebot search` it is the longest of the start-up's two paths. The CLI itself is
unchanged (articlebot/cli.py); its own call to start the worker then finds it started.
"""

from __future__ import annotations

import sys

# The commands whose CLI function calls `_service(warm_up=...)`: each runs a question through Kiwi.
ASKING = frozenset({"search", "ask", "chat", "eval"})


def main() -> None:
    """Console entry point (pyproject's [project.scripts])."""
    args = sys.argv[1:2]
    # Not for `--help` (or no command): nothing would use Kiwi, and the exit would wait for its load.
    if args and args[0] in ASKING and not {"--help", "-h"} & set(sys.argv[2:]):
        from retrieval.ingest.worker import load_kiwi_beside

        load_kiwi_beside()
    from .cli import main as cli_main

    cli_main()
