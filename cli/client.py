"""The API client: JSON requests over an ``httpx.Client``, errors turned into one-line CLI errors.

The CLI holds no allocation logic; every command is one or two calls of :class:`Api`. Tests hand in any
``httpx.Client`` (a ``litestar.testing.TestClient`` or one with an ``httpx.MockTransport``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import msgspec

from cli.auth import BearerAuth, HmacAuth
from cli.config import Connection
from cli.errors import ApiError, ConnectionFailed

DEFAULT_TIMEOUT = 30.0
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: more tries after the first one (waits 0.2, 0.4, 0.8, 1.6 s: about 3 s in all)
RETRIES = 4
_BACKOFF_BASE = 0.2
#: IPAM service calls that change nothing (no key needed)
_IPAM_READS = frozenset({"GetPrefix", "ListPrefixes", "PrefixUsage", "Dump", "ListNamespaces", "Version"})
IPAM_SERVICE = "/api.v1.IpamService"
_MESSAGE_LIMIT = 300


def build_http_client(conn: Connection, *, timeout: float = DEFAULT_TIMEOUT,
                      transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An ``httpx.Client`` for ``conn``: its base URL and its credentials (HMAC wins over a token).

    Args:
        conn: the resolved endpoint and credentials.
        timeout: seconds per request.
        transport: replaces the network transport (tests use ``httpx.MockTransport``).
    """
    auth: httpx.Auth | None = None
    if conn.hmac:
        auth = HmacAuth(conn.hmac, conn.hmac_user)
    elif conn.token:
        auth = BearerAuth(conn.token)
    return httpx.Client(base_url=conn.url, auth=auth, timeout=timeout, transport=transport,
                        headers={"User-Agent": "metalnet-cli", "Accept": "application/json"})


def segment(value: str) -> str:
    """``value`` quoted as one path segment (``:`` stays, so IPv6 addresses read naturally)."""
    return quote(value, safe=":@")


class Api:
    """JSON calls against the metalnet API.

    Args:
        http: the transport; its ``base_url`` is the API's URL.
    """

    def __init__(self, http: httpx.Client, sleep: Callable[[float], None] = time.sleep) -> None:
        self.http = http
        self.sleep = sleep

    @property
    def url(self) -> str:
        """The API's base URL, for messages."""
        return str(self.http.base_url).rstrip("/")

    def call(self, method: str, path: str, body: Any = None, *, params: dict[str, str] | None = None) -> Any:
        """Send one request and return the decoded JSON answer.

        A request that changes something carries a fresh ``Idempotency-Key``; every request is retried with
        the same key (so a change happens once) after a failed connection, a timeout, a 503, or a 409 saying
        the first try still runs: up to :data:`RETRIES` more times, with growing waits.

        Raises:
            ApiError: the API answered with a status >= 400.
            ConnectionFailed: no answer (refused, timed out, broken) or an answer that is not JSON.
        """
        content = None if body is None else msgspec.json.encode(body)
        headers = {"Content-Type": "application/json"} if content is not None else {}
        if _changes(method, path):
            headers[IDEMPOTENCY_HEADER] = str(uuid.uuid4())
        for attempt in range(RETRIES + 1):
            last = attempt == RETRIES
            try:
                response = self._send(method, path, content, headers, params)
            except ConnectionFailed:
                if last:
                    raise
                self.sleep(_backoff(attempt))
                continue
            if not last and _retryable(response):
                self.sleep(_backoff(attempt))
                continue
            break
        if response.status_code >= 400:
            raise ApiError(method, path, response.status_code, error_message(response))
        if not response.content:
            return None
        try:
            return msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            raise ConnectionFailed(
                f"{method} {path}: the answer of {self.url} is not JSON: is that URL a metalnet API?"
            ) from None

    def _send(self, method: str, path: str, content: bytes | None, headers: dict[str, str],
              params: dict[str, str] | None) -> httpx.Response:
        try:
            return self.http.request(method, path, content=content, headers=headers or None, params=params)
        except httpx.ConnectError as exc:
            raise ConnectionFailed(
                f"cannot reach {self.url} ({_reason(exc)}): is `metalnet serve` running, and is the URL right "
                "(--api-url, METALNET_URL, config context)?"
            ) from None
        except httpx.TimeoutException:
            waited = self.http.timeout.read or DEFAULT_TIMEOUT
            raise ConnectionFailed(
                f"{method} {path}: no answer from {self.url} within {waited:g} s: is the server overloaded "
                "(or raise --timeout)?"
            ) from None
        except httpx.HTTPError as exc:
            raise ConnectionFailed(f"{method} {path}: request to {self.url} failed: {_reason(exc)}") from None

    def get(self, path: str) -> Any:
        """``GET path``."""
        return self.call("GET", path)

    def put(self, path: str, body: Any) -> Any:
        """``PUT path`` with a JSON body."""
        return self.call("PUT", path, body)

    def post(self, path: str, body: Any = None, *, params: dict[str, str] | None = None) -> Any:
        """``POST path`` with a JSON body."""
        return self.call("POST", path, {} if body is None else body, params=params)

    def delete(self, path: str) -> Any:
        """``DELETE path``."""
        return self.call("DELETE", path)

    def ipam(self, rpc: str, body: dict[str, Any]) -> Any:
        """Call ``rpc`` of the go-ipam-compatible service (``POST /api.v1.IpamService/<rpc>``)."""
        return self.call("POST", f"{IPAM_SERVICE}/{rpc}", body)


def _changes(method: str, path: str) -> bool:
    """Whether the request changes something (finds are POSTs that only read)."""
    if method not in ("POST", "PUT", "PATCH", "DELETE"):
        return False
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last != "find" and not (path.startswith(IPAM_SERVICE) and last in _IPAM_READS)


def _retryable(response: httpx.Response) -> bool:
    """503 (the store is out), or 409 because the first try with this key still runs on the server."""
    if response.status_code == 503:
        return True
    return response.status_code == 409 and "still running" in error_message(response)


def _backoff(attempt: int) -> float:
    return float(_BACKOFF_BASE * 2**attempt)


def error_message(response: httpx.Response) -> str:
    """The message of an error answer: metal-api's or Connect's ``message``, else the start of the body."""
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return str(body["message"])
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])
    text = " ".join(response.text.split())
    return text[:_MESSAGE_LIMIT] or "(no message)"


def _reason(exc: Exception) -> str:
    """A short reason for a transport error ("connection refused" rather than the errno soup)."""
    text = str(exc) or type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    return text.splitlines()[0][:_MESSAGE_LIMIT]
