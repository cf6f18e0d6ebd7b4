"""`articlebot`: run the bot or the terminal chat, manage articles, ask, search and evaluate."""

from __future__ import annotations

import json
import logging
import sys
from functools import partial
from pathlib import Path
from typing import Annotated, Optional

import typer

from retrieval.errors import ArticlebotError
from retrieval.models import Turn

from .settings import Settings, load_settings

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
ArticleOpt = Annotated[Optional[str], typer.Option(
    "--article", metavar="ID", help="Answer from this article only (ids: `articlebot articles`).")]


def _settings() -> Settings:
    return load_settings()


def _service(settings: Settings | None = None):
    from .compose import build_service

    service = build_service(settings or _settings())
    with _progress() as progress:
        report = service.open(progress)
    if report is not None:
        typer.echo(f"Indexed: {report.summary()}", err=True)
    return service


def _progress():
    from .terminal import progress_bar

    return progress_bar(sys.stderr.isatty())


def _history(raw: object) -> list[Turn]:
    if not isinstance(raw, list):
        raise ValueError("history must be a list of {role, content} objects")
    turns = []
    for item in raw:
        if not isinstance(item, dict) or item.get("role") not in ("user", "assistant"):
            raise ValueError("each history item needs role 'user' or 'assistant' and content")
        turns.append(Turn(item["role"], str(item.get("content", "")), list(item.get("chunk_ids") or [])))
    return turns


def _emit(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@app.command()
def run() -> None:
    """Start the Telegram bot when TELEGRAM_BOT_TOKEN is set, else the terminal chat."""
    settings = _settings()
    if settings.telegram_bot_token:
        from .compose import run_bot

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        run_bot(settings)
        return
    chat()


@app.command()
def chat(article: ArticleOpt = None) -> None:
    """Chat in the terminal: one question per line (piped input works; EOF ends)."""
    from .compose import build_answerer
    from .terminal import chat as run_chat

    settings = _settings()
    service = _service(settings)
    service.require_article(article)  # an unknown id fails before the first question, not on each
    run_chat(partial(build_answerer(settings, service).ask, article_id=article), settings.history_turns)


@app.command()
def ingest(
    sources: Annotated[list[str], typer.Argument(help="Files, directories, http(s) URLs or .jsonl files.")],
    replace: Annotated[bool, typer.Option("--replace", help="Replace the whole index with these sources.")] = False,
) -> None:
    """Index articles; unchanged chunks are never embedded again."""
    service = _service()
    with _progress() as progress:
        report = service.ingest(sources, replace=replace, progress=progress)
    for problem in report.failures:
        typer.echo(f"skipped: {problem}", err=True)
    typer.echo(report.summary())
    if report.failures:
        raise typer.Exit(1)


@app.command()
def articles(as_json: JsonOpt = False) -> None:
    """List indexed articles: id, title, chunks, source, indexed at."""
    items = _service().articles()
    if as_json:
        _emit([a.__dict__ for a in items])
        return
    if not items:
        typer.echo("No articles indexed.")
    for a in items:
        typer.echo(f"{a.id}\t{a.title}\t{a.chunks} chunks\t{a.source}\t{a.indexed_at}")


@app.command()
def remove(article_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Remove one article from the index."""
    info = _service().remove(article_id)
    typer.echo(f"Removed {info.id} ({info.title}, {info.chunks} chunks).")


@app.command()
def search(
    query: Annotated[Optional[str], typer.Argument(help="What to look for.")] = None,
    k: Annotated[int, typer.Option("-k", help="How many passages.", min=1, max=100)] = 5,
    as_json: JsonOpt = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='Read {"q", "k"} lines from stdin.')] = False,
) -> None:
    """Hybrid search over the index (dense + BM25)."""
    if not jsonl and not query:
        raise typer.BadParameter("give a QUERY, or --jsonl with queries on stdin")
    service = _service()

    def results(q: str, n: int) -> dict:
        if isinstance(n, bool) or not 1 <= n <= 100:
            raise ValueError(f"k must be between 1 and 100, not {n}")
        return {"results": [{"chunk_id": p.chunk_id, "article_id": p.article_id, "text": p.text,
                             "score": round(p.score, 6)} for p in service.search(q, n)]}

    if jsonl:
        for line in sys.stdin:
            if line.strip():
                try:
                    req = json.loads(line)
                    _emit(results(str(req["q"]), req.get("k", k)))
                except (ValueError, KeyError, TypeError, ArticlebotError) as exc:
                    _emit({"error": f"bad request line: {exc}"})
        return
    out = results(query or "", k)
    if as_json:
        _emit(out)
        return
    for i, r in enumerate(out["results"], 1):
        typer.echo(f"{i}. [{r['score']:.3f}] {r['article_id']}: {r['text'][:160]}")


@app.command()
def ask(
    question: Annotated[Optional[str], typer.Argument(help="The question.")] = None,
    history: Annotated[Optional[Path], typer.Option(help="JSON file: [{role, content}, ...].")] = None,
    as_json: JsonOpt = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='Read {"q", "history"} lines from stdin.')] = False,
    article: ArticleOpt = None,
) -> None:
    """Answer one question (or many with --jsonl) from the indexed articles, with citations."""
    from .compose import build_answerer
    from .terminal import render_text

    if not jsonl and not question:
        raise typer.BadParameter("give a QUESTION, or --jsonl with questions on stdin")
    settings = _settings()
    service = _service(settings)
    service.require_article(article)
    answerer = partial(build_answerer(settings, service).ask, article_id=article)
    if jsonl:
        for line in sys.stdin:
            if line.strip():
                try:
                    req = json.loads(line)
                    _emit(answerer(str(req["q"]), _history(req.get("history") or [])).to_json())
                except (ValueError, KeyError, TypeError, ArticlebotError) as exc:
                    _emit({"error": f"bad request line: {exc}"})
        return
    turns = _history(json.loads(history.read_text(encoding="utf-8"))) if history else []
    answer = answerer(question or "", turns)
    if as_json:
        _emit(answer.to_json())
    else:
        typer.echo(render_text(answer))


@app.command("eval")
def evaluate(
    files: Annotated[list[Path], typer.Argument(help="QA files (.jsonl) in the shared eval format.")],
    as_json: JsonOpt = False,
) -> None:
    """Score answers: hit rate, refusal accuracy and follow-up accuracy."""
    from retrieval.evaluation import evaluate as run_eval
    from retrieval.evaluation import read_jsonl

    from .compose import build_answerer

    settings = _settings()
    rows = read_jsonl(files)
    result = run_eval(rows, build_answerer(settings, _service(settings)).ask).as_dict()
    if as_json:
        _emit(result)
        return
    for key in ("hit_rate", "refusal_accuracy", "followup_accuracy"):
        typer.echo(f"{key}: {result[key]}")
    for f in result["failures"]:
        typer.echo(f"  miss {f['id']}#{f['turn']}: {f['q']} -> {f['answer'][:100]}")


def main() -> None:
    """Console entry point: known errors become one clear line and exit status 1 (2 for settings)."""
    from .settings import SettingsError

    try:
        app()
    except SettingsError as exc:
        typer.echo(f"articlebot: {exc}", err=True)
        sys.exit(2)
    except (ArticlebotError, ValueError, OSError) as exc:
        typer.echo(f"articlebot: {exc}", err=True)
        sys.exit(1)
