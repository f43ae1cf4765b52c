"""The wire requests mirror the network layer's requests field for field.

:func:`metalnet.api.v1_convert.to_domain` copies fields by name; a field added to or renamed in one side only
would be dropped without an error, so every pair the routes convert is pinned here.
"""

from __future__ import annotations

import msgspec
import pytest

from metalnet.api import v1_wire as w
from metalnet.api.v1_convert import to_domain
from metalnet.network import requests as r

PAIRS = [
    (w.V1NetworkCreateRequest, r.NetworkCreate),
    (w.V1NetworkAllocateRequest, r.NetworkAllocate),
    (w.V1NetworkUpdateRequest, r.NetworkUpdate),
    (w.V1NetworkFindRequest, r.NetworkFind),
    (w.V1IPAllocateRequest, r.IPAllocate),
    (w.V1IPUpdateRequest, r.IPUpdate),
    (w.V1IPFindRequest, r.IPFind),
]


#: network-layer request fields that metal-api's v1 wire has no field for (the v2 API sets them)
NOT_IN_V1 = {
    r.NetworkUpdate: {"fresh", "label_change", "minchildprefixlength", "nattype"},
    r.NetworkFind: {"description", "networktype", "nattype", "namespace"},
    r.IPUpdate: {"fresh", "label_change", "namespace"},
    r.IPFind: {"namespace"},
    r.IPAllocate: {"networktypes"},
}


@pytest.mark.parametrize(("wire", "domain"), PAIRS, ids=[wire.__name__ for wire, _ in PAIRS])
def test_wire_request_has_the_domain_fields(wire: type[msgspec.Struct], domain: type[msgspec.Struct]) -> None:
    assert set(wire.__struct_fields__) == set(domain.__struct_fields__) - NOT_IN_V1.get(domain, set())
    assert wire.__struct_encode_fields__ == tuple(
        domain.__struct_encode_fields__[domain.__struct_fields__.index(name)] for name in wire.__struct_fields__
    )


def test_to_domain_copies_every_field() -> None:
    wire = w.V1IPAllocateRequest(networkid="n", projectid="p", name="a", description="d", type="static",
                                 tags=["t"], machineid="m", addressfamily="IPv6")
    domain = msgspec.structs.asdict(to_domain(wire, r.IPAllocate))
    assert {k: v for k, v in domain.items() if k not in NOT_IN_V1[r.IPAllocate]} == msgspec.structs.asdict(wire)
