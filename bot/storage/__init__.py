"""The bot's own SQLite database, one module per table concern; `BotStore` is all of them on one connection.

It lives under the data dir next to the index, so a restart loses neither conversations nor counters.
Every call is a few-row query on an indexed table (well under a millisecond), so the handlers call it
directly on the event loop; a lock makes the one connection safe for the worker threads too.
"""

from __future__ import annotations

from .answers import AnswersTable
from .choices import ChoicesTable
from .db import Database
from .events import EventsTable
from .history import HistoryTable
from .updates import UpdatesTable


class BotStore(HistoryTable, AnswersTable, ChoicesTable, UpdatesTable, EventsTable, Database):
    """History, answers behind the Sources button, each chat's chosen article and question buttons, handled
    updates and stats; `path=":memory:"` for throwaway use."""


__all__ = ["BotStore"]
