"""One write per small response (``protocols.CoalescingTransport``) and the request ids that need no system call."""

from __future__ import annotations

import asyncio
from typing import Any

from metalnet.api.protocols import CoalescingTransport
from metalnet.api.telemetry import _request_id


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return f"info:{name}"


def _coalescing() -> tuple[CoalescingTransport, FakeTransport]:
    raw = FakeTransport()
    return CoalescingTransport(raw, asyncio.get_running_loop()), raw  # type: ignore[arg-type]


def test_header_block_and_body_of_one_turn_leave_in_one_write() -> None:
    async def main() -> list[bytes]:
        transport, raw = _coalescing()
        transport.write(b"HTTP/1.1 201 Created\r\n\r\n")
        transport.write(b'{"ip":1}')
        assert raw.writes == [b'HTTP/1.1 201 Created\r\n\r\n{"ip":1}']
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")  # the next response's header block waits for its body
        transport.write(b"{}")
        await asyncio.sleep(0)
        return raw.writes

    assert asyncio.run(main()) == [b'HTTP/1.1 201 Created\r\n\r\n{"ip":1}', b"HTTP/1.1 200 OK\r\n\r\n{}"]


def test_a_header_block_whose_body_comes_later_leaves_at_the_end_of_its_turn() -> None:
    async def main() -> list[bytes]:
        transport, raw = _coalescing()
        transport.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        assert raw.writes == []
        await asyncio.sleep(0)  # a stream's first chunk is not waited for
        assert raw.writes == [b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"]
        await asyncio.sleep(0.01)
        transport.write(b"5\r\nhello\r\n")
        await asyncio.sleep(0)
        return raw.writes

    assert asyncio.run(main())[1:] == [b"5\r\nhello\r\n"]


def test_close_sends_what_is_held_first_and_the_rest_is_the_transports() -> None:
    async def main() -> FakeTransport:
        transport, raw = _coalescing()
        transport.write(b"HTTP/1.1 408 Request Timeout\r\n\r\n")
        transport.close()
        assert transport.get_extra_info("peername") == "info:peername"
        await asyncio.sleep(0)
        return raw

    raw = asyncio.run(main())
    assert raw.writes == [b"HTTP/1.1 408 Request Timeout\r\n\r\n"]
    assert raw.closed


def test_fresh_request_ids_are_16_hex_digits_and_differ() -> None:
    ids = {_request_id({"headers": []}) for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in ids)
