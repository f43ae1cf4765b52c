"""The CLI's errors: each one is printed as a single ``Error: …`` line on stderr.

```
click.ClickException (exit 1)
├── ApiError          the API answered with an error status (its message, the status, what to check)
├── ConnectionFailed  the API could not be reached or did not answer in time
├── InputError        an input file (or stdin) is unreadable, not YAML/JSON, or has unknown/mistyped fields
└── ConfigError       the config file or a credential setting is wrong
click.UsageError (exit 2)  raised by click itself for missing/invalid flags
```
"""

from __future__ import annotations

from http import HTTPStatus

import click

#: what to check, per HTTP status, appended to the API's message
_HINTS: dict[int, str] = {
    400: "check the values given",
    401: "check the credentials (--token / --hmac, METALNET_TOKEN / METALNET_HMAC or the config context)",
    403: "the credentials lack the role for this action (an HMAC user is chosen with --hmac-user)",
    404: "check the id or address",
    409: "it exists already or is taken",
    413: "the request is too large",
    422: "refused in the current state",
}


class ApiError(click.ClickException):
    """The API answered with an error status.

    Attributes:
        status: the HTTP status code.
        api_message: the message of the API's error body (or the raw body when it has none).
    """

    exit_code = 1

    def __init__(self, method: str, path: str, status: int, api_message: str, *, context: str = "") -> None:
        self.method = method
        self.path = path
        self.status = status
        self.api_message = api_message
        hint = _HINTS.get(status, "the server failed; see its log" if status >= 500 else "")
        text = f"{context}{method} {path}: {status} {_reason(status)}: {api_message}"
        super().__init__(f"{text} ({hint})" if hint else text)

    def within(self, context: str) -> ApiError:
        """The same error with ``context`` ("document 2 of 3: ") in front."""
        return ApiError(self.method, self.path, self.status, self.api_message, context=context)


class ConnectionFailed(click.ClickException):
    """The API could not be reached, or it did not answer in time."""

    exit_code = 1


class InputError(click.ClickException):
    """An input document is unreadable or does not match the expected schema."""

    exit_code = 1


class ConfigError(click.ClickException):
    """The configuration (file, context, credentials) is unusable."""

    exit_code = 1


def _reason(status: int) -> str:
    """The standard reason phrase of ``status`` ("Unprocessable Entity" for 422)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
