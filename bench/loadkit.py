"""The pieces of bench/load.py: the bot's own process, the simulated people, RSS sampling, statistics.

Run as a script (`loadkit.py '<json config>'`) it is the bot's process: the real PTB Application with
the real LLM answer path, talking to the fake servers whose URLs the config gives.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bot.storage.events import percentile as pct  # noqa: E402  (nearest rank, as /stats reports it)

DEFAULT_ARTICLE = ROOT / "articles" / "000_db62d54ccc32d396.txt"
QUESTIONS = ["서울관에는 스타트업이 몇 개 참여했나?", "그중 혁신상을 받은 기업은 몇 개야?",
             "장 회장은 서울관을 보고 뭐라고 했어?",
             "오 시장은 AI 서울테크시티를 어디에 조성한다고 했나?", "서울판 CES는 언제 어디서 열리나?"]
OVERALL_PER_SEC = 30.0  # Telegram's limits, as the fake server enforces them
GROUP_PER_MIN = 20.0
GROUP_BURST = 20  # the fake's per-group bucket holds a minute's budget


# ----- the bot process ---------------------------------------------------------------------------
def bot_process(cfg: dict[str, Any]) -> None:
    """Run the real bot against the fakes until stdin says STOP. Reports on stdout, a line each:
    READY <pid>, W <flood wait of one final answer>, DONE <max RSS, the limiter's counters>."""
    import asyncio
    import ctypes
    import gc

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from fakes.bot_harness import running_bot
    from fakes.embedder import HashEmbedder

    from articlebot.compose import build_answerer, quiet_libraries
    from articlebot.settings import load_settings
    from retrieval.index.store import VectorStore, make_client
    from retrieval.service import ArticleService

    quiet_libraries()
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim  # glibc
    except (OSError, AttributeError):
        trim = None
    data = Path(cfg["data_dir"])
    store = VectorStore(lambda: make_client(data / "index"), cache_dir=data / "index")
    service = ArticleService(store, HashEmbedder(), default_sources=[str(DEFAULT_ARTICLE)])
    service.open()
    settings = load_settings(telegram_bot_token=cfg["token"], telegram_api_url=cfg["telegram_url"],
                             data_dir=data / "bot", openai_api_key="bench", openai_base_url=cfg["openai_url"],
                             llm_model="fake-model",
                             # Off, so the figures stay comparable with the README's table (measured before
                             # suggested questions existed); their cost is one cached list per article.
                             suggestions=False)
    out_lock = threading.Lock()

    def emit(kind: str, payload: Any) -> None:
        with out_lock:
            sys.stdout.write(f"{kind} {json.dumps(payload)}\n")
            sys.stdout.flush()

    async def main() -> None:
        async with running_bot(settings, service, build_answerer(settings, service)) as app:
            _time_final_answers(app.bot.rate_limiter, emit)
            await asyncio.to_thread(service.retrieve, QUESTIONS[0])  # as the bot's own warm-up does
            emit("READY", os.getpid())
            profile = None
            while (line := (await asyncio.to_thread(sys.stdin.readline)).strip()) not in ("STOP", ""):
                if line == "PROFILE":  # diagnostics (LOAD_PROFILE=file): the bot's CPU from now to STOP
                    import cProfile

                    profile = cProfile.Profile()
                    profile.enable()
                elif line == "COLLECT":  # between waves: what the bot keeps, without freed memory
                    gc.collect()
                    if trim is not None:
                        trim(0)  # give freed heap back to the OS, so RSS shows kept memory
                    emit("OBJECTS", len(gc.get_objects()))
            if profile is not None:
                profile.disable()
                profile.dump_stats(os.environ["LOAD_PROFILE"])
            stats = getattr(app.bot.rate_limiter, "stats", None)
        emit("DONE", {"maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "limiter": stats() if callable(stats) else None})

    asyncio.run(main())


def _time_final_answers(limiter: Any, emit: Any) -> None:
    """Report, per final answer (a message with a button), the time from asking the rate limiter to its
    last HTTP attempt: how long it waited for Telegram's flood budget."""
    inner = limiter.process_request

    async def process_request(callback, args, kwargs, endpoint, data, rate_limit_args):
        if data.get("reply_markup") is None or endpoint not in ("sendMessage", "editMessageText"):
            return await inner(callback, args, kwargs, endpoint, data, rate_limit_args)
        entered, last = time.monotonic(), [0.0]

        async def timed(*a, **kw):
            last[0] = time.monotonic()
            return await callback(*a, **kw)

        result = await inner(timed, args, kwargs, endpoint, data, rate_limit_args)
        reply = data.get("reply_parameters")
        reply_to = reply.get("message_id") if isinstance(reply, dict) else getattr(reply, "message_id", None)
        emit("W", {"c": int(data.get("chat_id", 0)), "r": reply_to, "i": data.get("message_id"),
                   "w": last[0] - entered})
        return result

    limiter.process_request = process_request


class BotProcess:
    """The bot in a child process (its CPU and memory are its own), and what it reports."""

    def __init__(self, cfg: dict[str, Any], log_path: Path, cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARTICLEBOT_", "OPENAI_", "TELEGRAM_"))}
        self.log_path = log_path
        with open(log_path, "w") as log:
            self.child = subprocess.Popen([sys.executable, __file__, json.dumps(cfg)], cwd=cwd, env=env,
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
        self.waits: dict[tuple[int, int | None, int | None], float] = {}  # (chat, reply to, edited msg)
        self._lines: queue.Queue[tuple[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        kind, self.pid = self._lines.get(timeout=120)
        assert kind == "READY", kind

    def _read(self) -> None:
        assert self.child.stdout is not None
        for line in self.child.stdout:
            kind, _, payload = line.partition(" ")
            data = json.loads(payload) if payload.strip() else None
            if kind == "W":
                self.waits[(data["c"], data["r"], data["i"])] = data["w"]
            else:
                self._lines.put((kind, data))

    def send(self, command: str) -> None:
        assert self.child.stdin is not None
        self.child.stdin.write(command + "\n")
        self.child.stdin.flush()

    def collect(self) -> int:
        """Have the idle bot collect garbage and return freed heap to the OS (glibc's malloc_trim);
        how many (container) Python objects it still holds."""
        self.send("COLLECT")
        kind, count = self._lines.get(timeout=60)
        assert kind == "OBJECTS", kind
        return count

    def stop(self) -> dict[str, Any]:
        """Stop the bot; its max RSS, the limiter's counters and the warnings it logged."""
        self.send("STOP")
        try:
            _, done = self._lines.get(timeout=60)
        except queue.Empty:
            done = {}
        self.child.wait(30)
        warnings = [ln for ln in self.log_path.read_text(errors="replace").splitlines()
                    if ln.startswith(("WARNING", "ERROR"))]
        return {"bot_maxrss_mb": round(done["maxrss_mb"], 1) if "maxrss_mb" in done else None,
                "limiter": done.get("limiter"), "bot_log_warnings": len(warnings),
                "bot_log_sample": Counter(ln[:140] for ln in warnings).most_common(8)}



# ----- the people --------------------------------------------------------------------------------
@dataclass
class Chat:
    chat_id: int
    user_id: int
    group: bool
    wave: str
    turn: int = 0
    question: int = 0  # message id of the question in flight


@dataclass
class Turn:
    chat_id: int
    turn: int
    wave: str
    pushed: float
    question: int
    answered: float | None = None
    error: str | None = None


@dataclass
class Wave:
    name: str
    expected: int
    started: float
    pending: int  # chats not done yet
    done: threading.Event = field(default_factory=threading.Event)
    last: float = 0.0  # when the last final answer arrived


class People:
    """Chats that ask their next question as soon as the final answer to the previous one arrives.

    Runs on the fake server's thread through its `observers` hook, so a reply is seen (and the next
    question pushed) the moment the bot's request arrives. A final answer is a message carrying the
    Sources button; an HTML message without one is an error reply; placeholders and edits are ignored."""

    def __init__(self, tg: Any, turns: int) -> None:
        self.tg, self.turns = tg, turns
        self.chats: dict[int, Chat] = {}
        self.turn_log: dict[tuple[int, int], Turn] = {}  # (chat, question message id)
        self.finals: Counter[tuple[int, int]] = Counter()
        self.waves: dict[str, Wave] = {}
        self.unexpected: list[str] = []
        tg.observers.append(self.on_call)

    def ask(self, chat: Chat) -> None:
        text = QUESTIONS[chat.turn % len(QUESTIONS)]
        if chat.group:
            msg = self.tg.message(f"/ask {text}", user_id=chat.user_id, chat_id=chat.chat_id, chat_type="group")
        else:
            msg = self.tg.message(text, user_id=chat.user_id)
        chat.question = msg["message_id"]
        self.turn_log[(chat.chat_id, chat.question)] = Turn(chat.chat_id, chat.turn, chat.wave, time.monotonic(),
                                                            chat.question)

    def start(self, name: str, chats: list[Chat]) -> Wave:
        wave = self.waves[name] = Wave(name, len(chats) * self.turns, time.monotonic(), len(chats))
        self.chats.update((c.chat_id, c) for c in chats)
        for chat in chats:
            self.ask(chat)
        return wave

    def duplicates(self, wave: str) -> int:
        return sum(n - 1 for (c, _), n in self.finals.items() if n > 1 and self.chats[c].wave == wave)

    def _question_of(self, call: Any) -> int | None:
        p = call.params
        if call.method == "sendMessage":
            return (p.get("reply_parameters") or {}).get("message_id") or p.get("reply_to_message_id")
        msg = self.tg.messages.get((p.get("chat_id"), p.get("message_id")))
        return msg.reply_to if msg else None

    def on_call(self, call: Any) -> None:
        if call.status != 200 or call.method not in ("sendMessage", "editMessageText"):
            return
        p = call.params
        chat = self.chats.get(p.get("chat_id"))
        if chat is None:
            return
        buttons = [b for row in (p.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
        final = any(str(b.get("callback_data", "")).startswith("src:") for b in buttons)
        if not final and not (call.method == "sendMessage" and p.get("parse_mode") == "HTML"):
            return  # a streaming placeholder or its edits
        question = self._question_of(call)
        turn = self.turn_log.get((chat.chat_id, question or 0))
        if turn is None:
            self.unexpected.append(f"{call.method} in chat {chat.chat_id} for question {question}: "
                                   f"{str(p.get('text', ''))[:80]!r}")
            return
        if final:
            self.finals[(chat.chat_id, turn.question)] += 1
        if turn.answered is not None or turn.error is not None:
            return  # a duplicate (counted in finals) or a late reply after an error
        if final:
            turn.answered = call.at
        else:
            turn.error = str(p.get("text", ""))[:120]
        if question == chat.question:
            self._next(chat, call.at)

    def _next(self, chat: Chat, at: float) -> None:
        chat.turn += 1
        wave = self.waves[chat.wave]
        wave.last = max(wave.last, at)
        if chat.turn < self.turns:
            self.ask(chat)
        else:
            wave.pending -= 1
            if wave.pending == 0:
                wave.done.set()


# ----- measuring ---------------------------------------------------------------------------------
class RssSampler(threading.Thread):
    """The bot process's RSS every `every` seconds."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        import psutil

        self.proc, self.every = psutil.Process(pid), every
        self.samples: list[tuple[float, float]] = []  # (monotonic, MB)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.samples.append((time.monotonic(), self.now()))
            except Exception:
                return
            self.stop.wait(self.every)

    def now(self) -> float:
        return self.proc.memory_info().rss / 2**20

    def cpu(self) -> float:
        return sum(self.proc.cpu_times()[:2])

    def between(self, t0: float, t1: float) -> list[float]:
        return [mb for t, mb in self.samples if t0 <= t <= t1]

    def settled(self, seconds: float = 1.5) -> float:
        """RSS after `seconds` (the median of a few samples)."""
        time.sleep(seconds)
        samples = []
        for _ in range(5):
            samples.append(self.now())
            time.sleep(0.05)
        return round(statistics.median(samples), 1)




def ms(xs: list[float], *ps: float) -> dict[str, float | None]:
    """Percentiles in milliseconds: {"p50": .., "p95": ..}."""
    return {f"p{p:g}" if p < 100 else "max": None if not xs else round(1000 * pct(xs, p), 1) for p in ps}


def dispatch_times(turns: list[Turn], calls: list[Any]) -> dict[tuple[int, int], float]:
    """Per question: update available -> the bot's first request for it (the typing action), i.e. how
    long the update took to be fetched, parsed and handed to the conversation."""
    typing: dict[int, list[float]] = {}
    for c in calls:
        if c.status == 200 and c.method == "sendChatAction":
            typing.setdefault(c.params.get("chat_id"), []).append(c.at)
    out = {}
    for t in turns:
        if t.answered is not None:
            first = next((at for at in typing.get(t.chat_id, []) if t.pushed <= at <= t.answered), None)
            if first is not None:
                out[(t.chat_id, t.question)] = first - t.pushed
    return out


def flood_waits(waits: dict[tuple[int, int | None, int | None], float], tg: Any) -> dict[tuple[int, int], float]:
    """(chat, question) -> the flood wait of its final answer, whether sent anew or edited into the
    streamed placeholder (whose reply_to is the question)."""
    out = {}
    for (chat, reply_to, edited), wait in list(waits.items()):
        if edited is not None:
            msg = tg.messages.get((chat, edited))
            reply_to = msg.reply_to if msg is not None else None
        if reply_to is not None:
            out[(chat, reply_to)] = wait
    return out


class CancelledSends(logging.Handler):
    """Counts (and keeps off the console) aiohttp's tracebacks for requests the bot abandoned mid-send:
    a typing action cancelled because the answer is ready closes its connection."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and isinstance(record.exc_info[1], ConnectionResetError):
            self.count += 1
        else:
            sys.stderr.write(self.format(record) + "\n")

    def install(self) -> CancelledSends:
        server = logging.getLogger("aiohttp.server")
        server.addHandler(self)
        server.propagate = False
        return self


if __name__ == "__main__":
    bot_process(json.loads(sys.argv[1]))
