"""HMAC signing: the same headers metal-python's Driver sends, bearer tokens as ``Bearer <token>``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cli.auth import SALT_LETTERS, BearerAuth, HmacAuth, hmac_signature, random_salt, utc_timestamp


def _driver_headers(method: str, key: str, user: str) -> dict[str, str]:
    """The headers metal-python's Driver adds to a request (its request wrapper, called directly)."""
    from metal_python.driver import Driver

    seen: dict[str, Any] = {}

    def fake_request(method: str, url: str, **kwargs: Any) -> None:
        seen.update(kwargs["headers"])

    driver = Driver("http://x", None, key, hmac_user=user)
    driver.client.request.__wrapped__ = fake_request
    driver.client.request(method, "http://x/v1/network")
    return seen


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the Driver calls datetime.utcnow()
@pytest.mark.parametrize(("method", "user"), [("GET", "Metal-View"), ("POST", "Metal-Edit"), ("PUT", "Metal-Admin")])
def test_same_headers_as_metal_pythons_driver(method: str, user: str) -> None:
    expected = _driver_headers(method, "s3cret", user)
    auth = HmacAuth("s3cret", user, clock=lambda: expected["X-Date"], salt=lambda: expected["X-Data-Salt"])
    request = next(auth.auth_flow(httpx.Request(method, "http://x/v1/network")))
    assert {k: request.headers[k] for k in ("X-Date", "X-Data-Salt", "Authorization")} == expected


def test_signature_is_hmac_sha256_over_date_method_salt() -> None:
    # computed independently: printf '2026-01-02T03:04:05ZGETabc' | openssl dgst -sha256 -hmac key
    assert hmac_signature("key", "2026-01-02T03:04:05Z", "GET", "abc") == (
        "8b604948d57338a72984ab99b920679f8748a262bdbe7b6b908e6c7b0561f0a0"
    )


def test_fresh_date_and_salt_per_request() -> None:
    auth = HmacAuth("k", "Metal-Admin")
    first = next(auth.auth_flow(httpx.Request("GET", "http://x/")))
    second = next(auth.auth_flow(httpx.Request("GET", "http://x/")))
    assert first.headers["X-Data-Salt"] != second.headers["X-Data-Salt"]
    assert len(random_salt()) == 24
    assert set(random_salt()) <= set(SALT_LETTERS)
    assert len(utc_timestamp()) == len("2026-01-02T03:04:05Z")
    assert utc_timestamp().endswith("Z")


def test_bearer() -> None:
    request = next(BearerAuth("tok").auth_flow(httpx.Request("GET", "http://x/")))
    assert request.headers["Authorization"] == "Bearer tok"
