"""Tables: the network tree, usage columns, IP order."""

from __future__ import annotations

from typing import Any

from cli.output import compact, ratio
from cli.tables import ips_table, network_tree, networks_table, usage_table


def net(id_: str, parent: str | None = None, partition: str = "p", **extra: Any) -> dict[str, Any]:
    return {"id": id_, "parentnetworkid": parent, "partitionid": partition, **extra}


def first_column(table: str) -> list[str]:
    return [line.split("  ")[0] for line in table.splitlines()[1:]]


def test_children_are_drawn_below_their_super_network() -> None:
    networks = [net("child-b", "super"), net("internet", partition=""), net("super"), net("child-a", "super"),
                net("orphan", "gone")]
    assert first_column(networks_table(networks, False)) == [
        "internet", "orphan", "super", "├─╴child-a", "└─╴child-b"]


def test_grandchildren_indent_under_their_parent() -> None:
    networks = [net("a"), net("b", "a"), net("c", "b"), net("d", "a")]
    assert [drawn + n["id"] for drawn, n in network_tree(networks)] == ["a", "├─╴b", "│  └─╴c", "└─╴d"]


def test_a_parent_cycle_neither_hangs_nor_hides_networks() -> None:
    assert [drawn + n["id"] for drawn, n in network_tree([net("b", "a"), net("a", "b"), net("c", "c")])] == [
        "c", "a", "└─╴b"]  # c (its own parent) is a root; a and b follow as what no root leads to


def test_usage_per_family_and_wide_columns() -> None:
    child = net("c", "s", name="my-node-network", prefixes=["10.0.0.0/22", "2001:db8:0:10::/96"], vrf=20,
                labels={"b": "2", "a": "1"}, description="d", consumption={
                    "ipv4": {"available_ips": 1024, "used_ips": 2, "available_prefixes": 256, "used_prefixes": 0,
                             "reserved_ips": 9},
                    "ipv6": {"available_ips": 2147483647, "used_ips": 1, "available_prefixes": 1, "used_prefixes": 0},
                }, reservedranges=[{"from": "10.0.0.1", "to": "10.0.0.9", "description": "gw"},
                                   {"from": "2001:db8:0:10::1", "to": "2001:db8:0:10::2", "description": ""}])
    table = networks_table([child], True)
    header, row = table.splitlines()
    assert header.split() == ["ID", "NAME", "PROJECT", "PARTITION", "NAT", "SHARED", "PREFIXES", "IPV4", "USE",
                              "IPV6", "USE", "DESCRIPTION", "PRIVATE", "SUPER", "VRF", "LABELS", "RESERVED"]
    assert "10.0.0.0/22,2001:db8:0:10::/96" in row
    assert "2/1024 (<1%) +9 reserved" in row
    assert "1/2.1G (<1%)  " in row
    assert row.endswith("20   a=1,b=2  10.0.0.1-10.0.0.9:gw,2001:db8:0:10::1-2001:db8:0:10::2")


def test_family_without_prefixes_is_empty() -> None:
    row = networks_table([net("x", consumption={"ipv4": None, "ipv6": None})], False).splitlines()[1]
    assert row.split() == ["x", "p"]


def test_ratio_and_compact() -> None:
    assert ratio(512, 1024) == "512/1024 (50%)"
    assert ratio(0, 0) == "0/0"
    assert compact(65536) == "65536"
    assert compact(9999) == "9999"
    assert compact(16777216) == "16.8M"
    assert compact(3 * 10**12) == "3.0T"


def test_ips_sorted_numerically_v4_first_and_tags_shortened() -> None:
    ips = [{"ipaddress": a, "tags": ["machine.metal-stack.io/id=m1"]} for a in
           ("2001:db8::1", "10.0.0.10", "10.0.0.9")]
    table = ips_table(ips, False)
    assert first_column(table) == ["10.0.0.9", "10.0.0.10", "2001:db8::1"]
    assert table.splitlines()[1].endswith("machine:m1")
    assert ips_table(ips, True).splitlines()[1].endswith("machine.metal-stack.io/id=m1")


def test_usage_table_reads_protobuf_json() -> None:
    table = usage_table({"availableIps": "256", "acquiredIps": "2", "availablePrefixes": ["10.0.0.0/24"]}, False)
    assert "acquired prefixes            0" in table
    assert "available IPs                256" in table
    assert "available prefixes           10.0.0.0/24" in table
