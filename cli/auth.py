"""Request signing: metal-api's HMAC scheme (as metal-python's ``Driver`` sends it) and bearer tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Callable, Generator
from datetime import UTC, datetime

import httpx

SALT_LETTERS = string.ascii_letters
SALT_LENGTH = 24


def hmac_signature(key: str, date: str, method: str, salt: str) -> str:
    """Lower-case hex HMAC-SHA256 with ``key`` over ``date + method + salt`` (the body is not signed)."""
    message = (date + method + salt).encode("utf-8")
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def utc_timestamp() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ`` (the X-Date format)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def random_salt() -> str:
    """24 random ASCII letters (the X-Data-Salt)."""
    return "".join(secrets.choice(SALT_LETTERS) for _ in range(SALT_LENGTH))


class HmacAuth(httpx.Auth):
    """Signs every request with ``X-Date``, ``X-Data-Salt`` and ``Authorization: <user> <signature>``.

    Args:
        key: the shared key of ``user``.
        user: Metal-View, Metal-Edit or Metal-Admin.
        clock: returns the X-Date value (replaceable in tests).
        salt: returns the X-Data-Salt value (replaceable in tests).
    """

    def __init__(self, key: str, user: str, *, clock: Callable[[], str] = utc_timestamp,
                 salt: Callable[[], str] = random_salt) -> None:
        self._key = key
        self._user = user
        self._clock = clock
        self._salt = salt

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the three headers; a fresh date and salt per request, since the server bounds their age."""
        date, salt = self._clock(), self._salt()
        request.headers["X-Date"] = date
        request.headers["X-Data-Salt"] = salt
        request.headers["Authorization"] = f"{self._user} {hmac_signature(self._key, date, request.method, salt)}"
        yield request


class BearerAuth(httpx.Auth):
    """Sends ``Authorization: Bearer <token>``."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the bearer header."""
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request
