"""The fake API's canned answers, shared by the CLI tests and the contract test that checks them against the app.

A canned answer belongs here once a test relies on its fields: tests/cli/test_fake_contract.py then compares
it with the real app's answer to the same request.
"""

from __future__ import annotations

PROJECT = "4b9b17c4-2d7c-4190-ae95-dda44e430fa6"
CHILD = {
    "id": "2d2c0350-3f66-4597-ae97-ef6797232212", "name": "my-node-network", "description": "",
    "partitionid": "mini-lab", "projectid": PROJECT, "labels": {}, "shared": False,
    "prefixes": ["10.0.0.0/22", "2001:db8:0:10::/96"], "destinationprefixes": [],
    "defaultchildprefixlength": None, "nat": False, "privatesuper": False, "underlay": False, "vrf": 20,
    "vrfshared": None, "parentnetworkid": "tenant-super-network-mini-lab", "networktype": "child",
    "nattype": "none",
    "consumption": {
        "ipv4": {"available_ips": 1024, "used_ips": 2, "available_prefixes": 256, "used_prefixes": 0},
        "ipv6": {"available_ips": 2147483647, "used_ips": 1, "available_prefixes": 1073741824, "used_prefixes": 0},
    },
}
IP = {"ipaddress": "10.0.0.1", "networkid": "n", "projectid": PROJECT, "type": "ephemeral", "tags": []}
PARTITION = {"id": "mini-lab", "name": "Mini Lab"}
PROJECT_RECORD = {"meta": {"id": PROJECT}, "name": "p"}
#: the IPAM service's Prefix message: go-ipam's has no namespace field
PREFIX = {"cidr": "10.0.0.0/24", "parentCidr": "10.0.0.0/16"}
