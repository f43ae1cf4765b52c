"""The public API of the packages people import: adding or removing a name is a deliberate change."""

from __future__ import annotations

import subprocess
import sys

import metalnet.ipam


def test_ipam_exports() -> None:
    assert sorted(metalnet.ipam.__all__) == sorted(
        [
            "IP", "AlreadyAllocatedError", "ConflictError", "ExhaustedError", "InvalidInputError", "IpamError",
            "IpamSession", "Ipamer", "NoIPAvailableError", "NoPrefixAvailableError", "NotFoundError", "Prefix",
            "ReservedAddressError", "ReservedRange", "Usage", "prefixes_overlapping",
        ]
    )
    for name in metalnet.ipam.__all__:
        assert getattr(metalnet.ipam, name).__module__.startswith("metalnet.ipam.")


def test_ipamer_methods_are_go_ipams_in_snake_case() -> None:
    methods = {
        "new_prefix", "delete_prefix", "prefix_from", "acquire_child_prefix", "acquire_specific_child_prefix",
        "release_child_prefix", "acquire_ip", "acquire_specific_ip", "release_ip", "release_ip_from_prefix",
        "read_all_prefix_cidrs", "dump", "load", "create_namespace", "list_namespaces", "delete_namespace",
    }
    assert methods <= set(dir(metalnet.ipam.Ipamer))


def test_core_layers_import_no_framework_or_driver() -> None:
    """The IPAM core, the network layer and the storage package load without any driver or framework."""
    code = (
        "import sys, metalnet.ipam, metalnet.network, metalnet.storage;"
        "print(sorted(m for m in ('psycopg', 'rethinkdb', 'litestar', 'click', 'uvicorn') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"
