"""The `articlebot` command: starts Kiwi's process for the asking commands before anything else loads, and
ends the read-only commands without the interpreter's teardown.

For `search`, `ask`, `chat` and `eval`, Kiwi (about 1.1 s of CPU, most of a one-shot command's start) loads
in a forked worker process while this one imports and opens the index (retrieval/ingest/worker.py). Forked
here, before Typer, pydantic-settings and the CLI's modules are imported (about 0.2 s), Kiwi is ready that
much sooner: on `articlebot search` it is the longer of the start-up's two paths. The CLI itself is
unchanged (articlebot/cli.py); its own call to start the worker then finds it started.
"""

from __future__ import annotations

import os
import sys

# The commands whose CLI function calls `_service(warm_up=...)`: each runs a question through Kiwi.
ASKING = frozenset({"search", "ask", "chat", "eval"})
# One-shot commands that only read (the first use of a data dir indexes the default article, committed
# before any output, like every write). Once they have printed, the interpreter's teardown (freeing every
# module and Chroma's Rust objects: about 0.1 s, a twentieth of `search`) is skipped. The index survives a
# kill -9 at any moment (tests/test_faults_process.py), so an exit after a finished command loses nothing.
QUICK_EXIT = frozenset({"search", "ask", "articles"})


def main() -> None:
    """Console entry point (pyproject's [project.scripts])."""
    args = sys.argv[1:2]
    helping = bool({"--help", "-h"} & set(sys.argv[2:]))
    # Not for `--help` (or no command): nothing would use Kiwi, and the exit would wait for its load.
    if args and args[0] in ASKING and not helping:
        from retrieval.ingest.worker import load_kiwi_beside

        load_kiwi_beside()
    from .cli import main as cli_main

    if not (args and args[0] in QUICK_EXIT and not helping):
        cli_main()
        return
    try:
        cli_main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    _exit(code)


def _exit(code: object) -> None:
    """Exit with `code` as SystemExit would, after flushing output and stopping the worker process."""
    import logging

    from retrieval.ingest.worker import shutdown

    if isinstance(code, str):  # as the interpreter does with sys.exit("message")
        sys.stderr.write(code + "\n")
        code = 1
    shutdown()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said on it
            pass
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)
