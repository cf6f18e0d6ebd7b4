"""Logging for the long-running bot: a level and a text or JSON format from the settings.

JSON is one object per line with the standard fields plus any `extra=` a call passed (answer lines pass
chat, user and update ids, mode and latency), so a log pipeline can filter on them. A formatter is a few
lines on top of the standard library; a dependency for it would bring nothing more.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import IO

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that log per request or set their own logger to DEBUG (bm25s does, at import): only their
# warnings reach the operator.
NOISY = ("bm25s", "httpx", "httpcore", "chromadb", "urllib3", "openai", "trafilatura", "htmldate", "courlan",
         "charset_normalizer", "kiwipiepy", "apscheduler")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, extras, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        data = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        data.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exception"] = record.exc_text
        return json.dumps(data, ensure_ascii=False, default=str)


class BelowWarningFromNoisy(logging.Filter):
    """Drops third-party records below WARNING, whatever level their library set on its own logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not record.name.split(".")[0] in NOISY


def setup_logging(level: str = "INFO", fmt: str = "text", stream: IO[str] | None = None) -> logging.Handler:
    """Replace the root handlers with one on stderr at `level`, in `fmt` ("text" or "json")."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(BelowWarningFromNoisy())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
