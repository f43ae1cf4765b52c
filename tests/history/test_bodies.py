"""The events of a bulk operation are encoded together (``encode_bodies``): byte for byte what one
``encode_body`` each gives."""

from __future__ import annotations

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from metalnet.history.actor import Principal
from metalnet.history.model import _json_string, decode, encode_bodies, encode_body

texts = st.text(max_size=12)
states = st.none() | st.sampled_from(['{"a":1}', b'{"b":"\\u00e9"}', "{}", '{"n":[1,2]}'])
principals = st.builds(Principal, texts, st.none() | texts, st.none() | texts)


@given(principals, texts, st.sampled_from(["ip", "network"]), st.sampled_from(["allocate", "create"]),
       st.lists(st.tuples(texts, st.none() | texts, states, states), max_size=6))
def test_encode_bodies_is_encode_body_for_each(
    principal: Principal, route: str, kind: str, action: str,
    changes: list[tuple[str, str | None, str | bytes | None, str | bytes | None]],
) -> None:
    expected = [encode_body(principal, route, kind, ident, project, action, before, after)
                for ident, project, before, after in changes]
    assert encode_bodies(principal, route, kind, action, changes) == expected


@given(st.text())
def test_a_json_string_is_the_encoders(text: str) -> None:
    assert _json_string(text) == msgspec.json.encode(text).decode()


def test_bodies_decode_as_events() -> None:
    (body,) = encode_bodies(Principal("local"), "POST /v1/ip/allocate/bulk", "ip", "allocate",
                            [("10.0.0.1", "p", None, '{"ipaddress":"10.0.0.1"}')])
    event = decode(f'{{"seq":1,"at":"2026-12-05T00:00:00Z",{body[1:]}')
    assert (event.id, event.project, event.action) == ("10.0.0.1", "p", "allocate")
