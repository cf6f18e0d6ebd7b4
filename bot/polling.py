"""Polling that survives an update the library cannot read.

PTB parses a getUpdates batch as a whole: one update it cannot parse (a message without `date`) fails
the batch, the offset never moves past it, and the same batch is fetched again and again (3,050 times
in 25 s), each time with a CRITICAL log line quoting the users' messages. Here each update is tried on
its own as the response arrives, through the request object's documented hook for parsing JSON
(`parse_json_payload`); one that fails is replaced by a bare update with the same id, so the offset
moves past it and handlers see nothing to answer. It is logged once, by id and field names only.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)


def readable(updates: list[Any]) -> list[Any]:
    """The updates, each unreadable one replaced by {"update_id": id} (dropped if it has no id)."""
    out = []
    for raw in updates:
        try:
            Update.de_json(raw, None)
            out.append(raw)
        except Exception as exc:  # whatever the library trips on: the update is skipped, never retried
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            kinds = sorted(k for k in raw if k != "update_id") if isinstance(raw, dict) else type(raw).__name__
            log.error("update %s could not be read (%s; fields %s); skipped", update_id, type(exc).__name__, kinds)
            if isinstance(update_id, int):
                out.append({"update_id": update_id})
    return out


class UpdatesRequest(HTTPXRequest):
    """The request object for getUpdates only (ApplicationBuilder.get_updates_request)."""

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        data = super().parse_json_payload(payload)
        if data.get("ok") and isinstance(data.get("result"), list):
            data["result"] = readable(data["result"])
        return data
