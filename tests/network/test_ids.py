"""The id rule of networks, partitions and projects, against a model written from RFC 3986's grammar."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from metalnet.network import ErrorKind, NetworkCreate, NetworkError, NetworkService, PartitionCreate, ProjectCreate
from metalnet.network.ids import MAX_ID_LENGTH, check_id
from metalnet.storage import open_storage
from tests.network.support import refused

#: RFC 3986 §2.3 spelled out as a regular expression, independent of the rule's own character set
UNRESERVED_ID = re.compile(r"[A-Za-z0-9\-._~]+")
#: dot-segments vanish from URL paths; the others are the verbs beside ``{id}`` in the API's paths
VERBS_AND_DOTS = frozenset({".", "..", "find", "allocate", "free"})
ids_near_the_rule = st.text(alphabet=st.sampled_from(string.ascii_letters + string.digits + "-._~/%?# \x00é٢"),
                            max_size=12)


def model_accepts(ident: str) -> bool:
    return bool(UNRESERVED_ID.fullmatch(ident)) and len(ident) <= MAX_ID_LENGTH and ident not in VERBS_AND_DOTS


@given(st.one_of(ids_near_the_rule, st.text(max_size=8)))
@example("a/b")
@example("tenant-super-network-mini-lab")
@example("4b9b17c4-2d7c-4190-ae95-dda44e430fa6")
@example(".")
@example("..")
@example("...")
@example("~")
@example("find")
@example("allocate")
@example("free")
@example("Find")
@example("a" * MAX_ID_LENGTH)
@example("a" * (MAX_ID_LENGTH + 1))
@example("١")
@example("ＡＢ")
@example("a\nb")
@example("")
def test_accepts_exactly_what_a_path_segment_carries_unescaped(ident: str) -> None:
    if model_accepts(ident):
        assert check_id(ident, "network") == ident
        return
    with pytest.raises(NetworkError) as caught:
        check_id(ident, "network")
    assert caught.value.kind is ErrorKind.INVALID
    offending = next((c for c in ident if not UNRESERVED_ID.fullmatch(c)), None)
    if offending is not None and len(ident) <= MAX_ID_LENGTH:
        assert f"contains {offending!r} (U+{ord(offending):04X})" in caught.value.message, caught.value.message


def test_every_kind_of_record_follows_the_rule() -> None:
    with open_storage("memory://") as storage:
        service = NetworkService(storage)
        with refused(ErrorKind.INVALID, "partition id 'a/b' contains '/' (U+002F)"):
            service.create_partition(PartitionCreate(id="a/b"))
        with refused(ErrorKind.INVALID, "project id 'a b' contains ' ' (U+0020)"):
            service.create_project(ProjectCreate(id="a b"))
        with refused(ErrorKind.INVALID, "network id 'a%2Fb' contains '%' (U+0025)"):
            service.create_network(NetworkCreate(id="a%2Fb", prefixes=["10.0.0.0/24"]))
        with refused(ErrorKind.INVALID, "network id '..' is a dot-segment"):
            service.create_network(NetworkCreate(id="..", prefixes=["10.0.0.0/24"]))
        with refused(ErrorKind.INVALID, f"at most {MAX_ID_LENGTH}"):
            service.create_project(ProjectCreate(id="p" * (MAX_ID_LENGTH + 1)))
        assert service.list_partitions() == service.list_projects() == service.list_networks() == []
        # generated ids (UUIDs) follow the rule too
        assert model_accepts(service.create_project(ProjectCreate()).id)
        assert model_accepts(service.create_network(NetworkCreate(prefixes=["10.0.0.0/24"])).id)
