"""articlebot: run the bot or the terminal chat, manage articles, ask, search and evaluate."""

from __future__ import annotations

import json
import sys
from functools import partial
from pathlib import Path
from typing import Annotated, Optional

import typer

from retrieval.errors import ArticlebotError
from retrieval.models import Turn

from .settings import Settings, load_settings

SETTINGS_HELP = (
    "Settings come from ARTICLEBOT_* environment variables (and OPENAI_API_KEY, OPENAI_BASE_URL, "
    "TELEGRAM_BOT_TOKEN), then from .env in the project directory or the file named by ARTICLEBOT_ENV_FILE. "
    ".env.example lists every setting with its default."
)
app = typer.Typer(help=__doc__, epilog=SETTINGS_HELP, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
ArticleOpt = Annotated[Optional[str], typer.Option(
    "--article", metavar="ID", help="Answer from this article only (the ids: articlebot articles).")]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"articlebot {version('articlebot')}")
        raise typer.Exit()


@app.callback()
def _main(
    _: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                              help="Print the version and exit.")] = None,
) -> None:
    """articlebot: run the bot or the terminal chat, manage articles, ask, search and evaluate."""


def _settings() -> Settings:
    return load_settings()


def _service(settings: Settings | None = None, *, warm_up: str | None = None):
    """The opened service; with `warm_up` (the first question, or ""), Kiwi loads in the worker process,
    and the embedder and the vector index in a thread, embedding that question, while the index opens."""
    if warm_up is not None:
        from retrieval.ingest.worker import load_kiwi_beside
        load_kiwi_beside()  # first: it forks this process, which must not run a thread yet
    from .compose import build_service

    settings = settings or _settings()
    service = build_service(settings)
    with _progress() as progress:
        report = service.open(progress)
    if report is not None:  # first use of this data dir: say where it is
        where = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else settings.data_dir
        typer.echo(f"Indexed into {where}: {report.summary()}", err=True)
    if warm_up is not None:
        service.searcher.warm_up(service.snapshot(), warm_up)
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


@app.command(epilog=SETTINGS_HELP)
def run() -> None:
    """Start the Telegram bot when TELEGRAM_BOT_TOKEN is set, else the terminal chat."""
    settings = _settings()
    if settings.telegram_bot_token:
        from .compose import run_bot
        from .logs import setup_logging

        setup_logging(settings.log_level, settings.log_format)
        run_bot(settings)
        return
    chat()


@app.command(epilog=SETTINGS_HELP)
def chat(article: ArticleOpt = None) -> None:
    """Chat in the terminal: one question per line (piped input works; EOF ends)."""
    from .compose import build_answerer
    from .terminal import chat as run_chat

    settings = _settings()
    service = _service(settings, warm_up="")
    service.require_article(article)  # an unknown id fails before the first question, not on each
    typer.echo("loading models…", err=True)
    service.search("warm-up", 1)  # the embedder, Kiwi and BM25 load now, not during the first question
    run_chat(partial(build_answerer(settings, service).ask, article_id=article), settings.history_turns)


@app.command(epilog=SETTINGS_HELP)
def ingest(
    sources: Annotated[list[str], typer.Argument(metavar="SOURCE", help="Files, directories, http(s) URLs or .jsonl files.")],
    replace: Annotated[bool, typer.Option("--replace", help="Replace the whole index with these sources.")] = False,
) -> None:
    """Index articles; unchanged chunks are never embedded again.

    Exit status 0 when any article was imported (problems with other sources are listed), 2 when none was.
    """
    from retrieval.errors import SourceError

    service = _service()
    try:
        with _progress() as progress:
            report = service.ingest(sources, replace=replace, progress=progress)
    except SourceError as exc:
        typer.echo(f"nothing imported: {exc}", err=True)
        raise typer.Exit(2) from None
    for problem in report.failures:
        typer.echo(f"skipped: {problem}", err=True)
    typer.echo(report.summary())


@app.command(epilog=SETTINGS_HELP)
def articles(as_json: JsonOpt = False) -> None:
    """List indexed articles: id, title, chunks, source, indexed at (a table; tab-separated when piped)."""
    from .output import articles_table

    items = _service().articles()
    if as_json:
        _emit([a.__dict__ for a in items])
        return
    articles_table(items)


@app.command(epilog=SETTINGS_HELP)
def remove(article_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Remove one article from the index."""
    info = _service().remove(article_id)
    typer.echo(f"Removed {info.id} ({info.title}, {info.chunks} chunks).")


@app.command(epilog=SETTINGS_HELP)
def search(
    query: Annotated[Optional[str], typer.Argument(metavar="QUERY", help="What to look for.")] = None,
    k: Annotated[int, typer.Option("-k", help="How many passages.", min=1, max=100)] = 5,
    as_json: JsonOpt = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='Read {"q", "k"} lines from stdin.')] = False,
) -> None:
    """Hybrid search over the index (dense + BM25): ranked passages, a table (tab-separated when piped)."""
    if not jsonl and not query:
        raise typer.BadParameter("give a QUERY, or --jsonl with queries on stdin")
    service = _service(warm_up=query or "")

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
    if as_json:
        _emit(results(query or "", k))
        return
    from .output import search_table

    search_table(query or "", service.search(query or "", k))


@app.command(epilog=SETTINGS_HELP)
def ask(
    question: Annotated[Optional[str], typer.Argument(metavar="QUESTION", help="The question.")] = None,
    history: Annotated[Optional[Path], typer.Option(help="JSON file: [{role, content}, ...].")] = None,
    as_json: JsonOpt = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='Read {"q", "history"} lines from stdin.')] = False,
    article: ArticleOpt = None,
) -> None:
    """Answer one question (or many with --jsonl) from the indexed articles, with citations."""
    if not jsonl and not question:
        raise typer.BadParameter("give a QUESTION, or --jsonl with questions on stdin")
    settings = _settings()
    service = _service(settings, warm_up=question or "")
    from .compose import build_answerer
    from .terminal import render_text
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


@app.command("eval", epilog=SETTINGS_HELP)
def evaluate(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="QA files (.jsonl), format in eval/README.md.")],
    as_json: JsonOpt = False,
) -> None:
    """Score answers: hit rate, refusal accuracy and follow-up accuracy."""
    from retrieval.evaluation import evaluate as run_eval
    from retrieval.evaluation import read_jsonl

    from .compose import build_answerer
    from .output import eval_lines

    settings = _settings()
    rows = read_jsonl(files)
    service = _service(settings, warm_up="")
    ask, total, asked = build_answerer(settings, service).ask, sum(len(r.get("turns") or [r]) for r in rows), 0
    with _progress() as progress:

        def counted(question: str, history: list[Turn]):
            nonlocal asked
            progress("answering", asked, total)
            answer = ask(question, history)
            asked += 1
            progress("answering", asked, total)
            return answer

        result = run_eval(rows, counted).as_dict()
    if as_json:
        _emit(result)
        return
    for line in eval_lines(result, service.articles()):
        typer.echo(line)
    for f in result["failures"]:
        typer.echo(f"  miss {f['id']}#{f['turn']}: {f['q']} -> {f['answer'][:100]}")


@app.command(epilog=SETTINGS_HELP)
def health() -> None:
    """Ask the running bot's /healthz (ARTICLEBOT_METRICS_PORT): exit 0 when healthy (the image's HEALTHCHECK)."""
    import httpx

    from .health import probe_url

    settings = _settings()
    if not settings.metrics_port:
        typer.echo("unhealthy: the health server is off (ARTICLEBOT_METRICS_PORT=0)", err=True)
        raise typer.Exit(1)
    url = probe_url(settings.metrics_listen, settings.metrics_port)
    try:
        response = httpx.get(url, timeout=10, trust_env=False)
    except httpx.HTTPError as exc:
        typer.echo(f"unhealthy: no answer from {url}: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(response.text)
    if response.status_code != 200:
        raise typer.Exit(1)


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
