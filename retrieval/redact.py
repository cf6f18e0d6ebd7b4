"""Credentials written into URLs (user:password@host, ?token=...) never reach a reply or a log line."""

from __future__ import annotations

import re

# scheme://user:password@ — the userinfo of any URL in free text (an error message, a log line).
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]*@")
# Query parameters that carry secrets by their usual names.
_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:access_token|api[_-]?key|apikey|auth|key|passw(?:or)?d|pwd|secret|sig|signature|token)=)[^&#\s]*")
HIDDEN = "***"


def redact_credentials(text: str) -> str:
    """`text` with every URL's userinfo and secret-named query values replaced by ***."""
    if "://" not in text and "=" not in text:
        return text
    return _SECRET_PARAM.sub(rf"\g<1>{HIDDEN}", _USERINFO.sub(rf"\g<1>{HIDDEN}@", text))


def without_userinfo(url: str) -> str:
    """A URL to show as a link: its user:password@ dropped (a reader has no use for it)."""
    return _USERINFO.sub(r"\g<1>", url, count=1)
