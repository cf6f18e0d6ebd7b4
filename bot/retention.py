"""Keeping the /stats events table bounded: events older than the retention are dropped in the background."""

from __future__ import annotations

import asyncio
import logging

from .storage import BotStore

log = logging.getLogger(__name__)
PRUNE_EVERY_S = 3600.0  # an hour: a day's events are a small DELETE on an indexed column


async def keep_pruning(store: BotStore, keep_days: float, every: float = PRUNE_EVERY_S) -> None:
    """Prune now, then every `every` seconds, until cancelled; a failed prune is logged and retried later."""
    while True:
        try:
            dropped = await asyncio.to_thread(store.prune_events, keep_days)
            if dropped:
                log.info("stats: dropped %d event(s) older than %g days", dropped, keep_days)
        except Exception as exc:  # the next round tries again; usage stats must not stop the bot
            log.warning("stats: pruning old events failed: %s", exc)
        await asyncio.sleep(every)
