"""Storage URLs as they may be shown: :func:`redact_url` hides passwords for messages and logs."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``, safe for messages and logs.

    Both places a libpq URL can carry one are covered: ``user:password@`` and ``?password=…``.
    """
    parts = urlsplit(url)
    if parts.password is None and "password=" not in parts.query:
        return url  # untouched: urlunsplit would turn sqlite:/// into sqlite:/
    if parts.password is not None:
        netloc = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{netloc}")
    if "password=" in parts.query:
        parts = parts._replace(query=_PASSWORD_PARAM.sub(r"\1***", parts.query))
    return urlunsplit(parts)


_PASSWORD_PARAM = re.compile(r"((?:^|&)password=)[^&]*")
