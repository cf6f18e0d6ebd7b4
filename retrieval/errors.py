"""The small exception hierarchy every layer raises and the outer layers report."""

from collections.abc import Sequence

from .redact import redact_credentials


class ArticlebotError(Exception):
    """Base of every error articlebot reports to a person in plain words. Its words are shown in chats
    and logs, so credentials in any URL they quote are hidden here, once, whoever raised it."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact_credentials(a) if isinstance(a, str) else a for a in args))


class SourceError(ArticlebotError):
    """A source could not be read, fetched or understood as an article."""


class BlockedURLError(SourceError):
    """A URL points at an address the fetcher is not allowed to reach."""


class EmbedderError(ArticlebotError):
    """The embedder failed or is misconfigured."""


class StoreUnavailable(ArticlebotError):
    """The vector store cannot be reached right now."""


class ArticleNotFound(ArticlebotError):
    """No indexed article has the given id."""


class LLMUnavailable(ArticlebotError):
    """The LLM endpoint failed or answered garbage after retries."""


class InputError(ArticlebotError):
    """A question or request is not acceptable as given (too long, empty)."""


def listed(problems: Sequence[str], shown: int = 10) -> str:
    """The first problems and how many more: a file of 10,000 bad lines must not make a 10,000-line error."""
    more = len(problems) - shown
    return "; ".join(problems[:shown]) + (f"; and {more} more" if more > 0 else "")
