"""What the bot says about admin jobs (/reload, /add, uploads) and usage (/stats)."""

from __future__ import annotations

from typing import Any

from retrieval.models import IngestReport

from ..markup import esc
from .base import Lang, Text

__all__ = ["RELOADING", "ADDING", "JOB_STOPPED", "summary", "report", "progress", "stats"]

# Admin jobs: (in progress, done) for /reload, /add and uploads.
RELOADING = (Text("Reloading", "다시 읽는 중"), Text("Reloaded", "다시 읽음"))
ADDING = (Text("Adding", "추가하는 중"), Text("Added", "추가함"))
JOB_STOPPED = Text("{verb}: stopped, the index is unchanged.", "{verb}: 중단됨, 색인은 그대로입니다.")
_STAGES = {"reading sources": Text("reading sources", "출처 읽는 중"), "embedding": Text("embedding", "임베딩 중"),
           "writing": Text("writing", "쓰는 중")}


def summary(rep: IngestReport, lang: Lang = "en") -> str:
    if lang != "ko":
        return esc(rep.summary())
    text = (f"기사 {rep.articles}개: 청크 {rep.added}개 추가, {rep.unchanged}개 그대로, {rep.removed}개 삭제 "
            f"({rep.seconds:.1f}초)")
    return text + (f"; 문제 {len(rep.failures)}건" if rep.failures else "")


def report(verb: str, rep: IngestReport, lang: Lang = "en") -> str:
    text = f"{verb}: {summary(rep, lang)}."
    skipped = "건너뜀" if lang == "ko" else "skipped"
    for problem in rep.failures[:10]:
        text += f"\n• {skipped}: {esc(problem)}"
    return text


def progress(verb: str, stage: str, done: int, total: int, seconds: float, lang: Lang = "en") -> str:
    secs = f"{seconds:.0f}초" if lang == "ko" else f"{seconds:.0f} s"
    if not stage:
        return f"{verb}… ({secs})"
    shown = _STAGES[stage](lang) if stage in _STAGES else esc(stage)
    return f"{verb}… {shown} {done}/{total} ({secs})"


def _ms(v: float | None, lang: Lang) -> str:
    if v is None:
        return "–"
    return f"{v / 1000:.2f}초" if lang == "ko" else f"{v / 1000:.2f} s"


def stats(s: dict[str, Any], lang: Lang = "en", window: str = "", limiter: dict[str, Any] | None = None,
          budget: tuple[int, int, int] | None = None) -> str:
    """Usage (all time, or in `window` like "7d"), the daily budgets (questions, tokens, users at a limit
    today) and the flood limiter's counters since start."""
    ko = lang == "ko"
    modes = ", ".join(f"{k}: {v}" for k, v in sorted(s["answers_by_mode"].items())) or ("없음" if ko else "none")
    if ko:
        head = f"<b>사용 통계</b> (최근 {esc(window)})" if window else "<b>사용 통계</b> (전체)"
        text = (f"{head}\n사용자 {s['users']}명, 대화 {s['chats']}개\n질문: {s['questions']}\n"
                f"방식별 답변: {modes}\n거절(기사에 없음): {s['refusals']}\n"
                f"오류: {s['errors']}, 취소: {s['cancelled']}\n"
                f"지연 p50 {_ms(s['latency_p50_ms'], lang)}, p95 {_ms(s['latency_p95_ms'], lang)}\n"
                f"LLM 토큰: 프롬프트 {s['prompt_tokens']} + 응답 {s['completion_tokens']}")
    else:
        head = f"<b>Usage</b> (last {esc(window)})" if window else "<b>Usage</b> (all time)"
        text = (f"{head}\nUsers: {s['users']} in {s['chats']} chat(s)\nQuestions: {s['questions']}\n"
                f"Answers by mode: {modes}\nRefusals (not in the articles): {s['refusals']}\n"
                f"Errors: {s['errors']}, cancelled: {s['cancelled']}\n"
                f"Latency p50 {_ms(s['latency_p50_ms'], lang)}, p95 {_ms(s['latency_p95_ms'], lang)}\n"
                f"LLM tokens: {s['prompt_tokens']} prompt + {s['completion_tokens']} completion")
    if budget and (budget[0] or budget[1]):
        q, t = (str(n) if n else ("무제한" if ko else "no limit") for n in budget[:2])
        text += (f"\n하루 한도(사용자별): 질문 {q}, LLM 토큰 {t}; 오늘 한도에 닿은 사용자 {budget[2]}명" if ko else
                 f"\nDaily budget per user: {q} questions, {t} LLM tokens; users at a limit today: {budget[2]}")
    if limiter:
        text += ("\n<b>텔레그램 속도 제한</b> (시작 이후)\n" if ko else "\n<b>Telegram flood limits</b> (since start)\n")
        text += (f"메시지 {limiter.get('messages', 0)}, 미리보기 {limiter.get('previews', 0)} "
                 f"(건너뜀 {limiter.get('previews_dropped', 0)}), 429 응답 {limiter.get('http_429', 0)}"
                 if ko else
                 f"messages {limiter.get('messages', 0)}, previews {limiter.get('previews', 0)} "
                 f"({limiter.get('previews_dropped', 0)} dropped), 429s {limiter.get('http_429', 0)}")
    return text
