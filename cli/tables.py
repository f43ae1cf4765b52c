"""Table layouts per resource: networks as a tree of super networks and children, IPs, partitions …

Each renderer takes the API's answer (one object or a list) and ``wide``; missing fields render empty, so a
table never fails on an answer that carries less than expected.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from cli.output import compact, ratio, render_table, yes


def as_list(data: Any) -> list[dict[str, Any]]:
    """One object, a list of objects, or ``None`` (metal-api's empty network list) as a list."""
    if data is None:
        return []
    items = data if isinstance(data, list) else [data]
    return [item for item in items if isinstance(item, dict)]


def text(value: Any) -> str:
    """A cell: ``None`` empty, lists comma-joined, maps as ``k=v`` pairs."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(text(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in sorted(value.items()))
    if isinstance(value, bool):
        return yes(value)
    return str(value)


def family_usage(network: dict[str, Any], family: str) -> str:
    """``used/available (pct)`` of the IPs of one family (``ipv4``/``ipv6``), empty when it has none; with
    ``+N reserved`` when addresses of reserved ranges are not allocated."""
    consumption = network.get("consumption") or {}
    usage = consumption.get(family) if isinstance(consumption, dict) else None
    if not isinstance(usage, dict):
        return ""
    shown = ratio(int(usage.get("used_ips") or 0), int(usage.get("available_ips") or 0))
    reserved = int(usage.get("reserved_ips") or 0)
    return f"{shown} +{compact(reserved)} reserved" if reserved else shown


def reserved_ranges(network: dict[str, Any]) -> str:
    """The network's reserved ranges as ``FROM-TO`` (the description after a colon), comma-separated."""
    ranges = [r for r in network.get("reservedranges") or [] if isinstance(r, dict)]
    return ",".join(f"{r.get('from')}-{r.get('to')}" + (f":{r['description']}" if r.get("description") else "")
                    for r in ranges)


def network_tree(networks: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Networks in tree order with the prefix drawn before the id (``├─╴`` / ``└─╴``).

    Top level: networks without a parent, or whose parent is not in the list, ordered by partition and id;
    each is followed by its children (ordered by id), recursively. Networks no top-level one leads to (a
    parent cycle in broken data) follow at the top level, so that no network is left out.
    """
    ids = {str(n.get("id")) for n in networks}
    children: dict[str, list[dict[str, Any]]] = defaultdict(list)
    roots = []
    for network in networks:
        parent = network.get("parentnetworkid")
        if parent and parent in ids and parent != network.get("id"):
            children[str(parent)].append(network)
        else:
            roots.append(network)

    def key(n: dict[str, Any]) -> tuple[str, str]:
        return str(n.get("partitionid") or ""), str(n.get("id") or "")

    shown: set[int] = set()

    def walk(node: dict[str, Any], lead: str, branch: str) -> Iterator[tuple[str, dict[str, Any]]]:
        if id(node) in shown:  # a cycle in the data must not loop forever
            return
        shown.add(id(node))
        yield lead + branch, node
        kids = sorted(children.get(str(node.get("id")), []), key=key)
        deeper = lead + ("   " if branch == "└─╴" else "│  " if branch else "")
        for i, kid in enumerate(kids):
            yield from walk(kid, deeper, "└─╴" if i == len(kids) - 1 else "├─╴")

    for root in sorted(roots, key=key):
        yield from walk(root, "", "")
    for rest in sorted(networks, key=key):
        yield from walk(rest, "", "")


def networks_table(data: Any, wide: bool) -> str:
    """ID, Name, Project, Partition, Nat, Shared, Prefixes, IP usage per family (+ wide columns)."""
    headers = ["ID", "NAME", "PROJECT", "PARTITION", "NAT", "SHARED", "PREFIXES", "IPV4 USE", "IPV6 USE"]
    if wide:
        headers += ["DESCRIPTION", "PRIVATE SUPER", "VRF", "LABELS", "RESERVED"]
    rows = []
    for drawn, n in network_tree(as_list(data)):
        row = [drawn + text(n.get("id")), text(n.get("name")), text(n.get("projectid")),
               text(n.get("partitionid")), yes(n.get("nat")), yes(n.get("shared")), text(n.get("prefixes")),
               family_usage(n, "ipv4"), family_usage(n, "ipv6")]
        if wide:
            vrf = n.get("vrf")
            row += [text(n.get("description")), yes(n.get("privatesuper")), str(vrf) if vrf else "",
                    text(n.get("labels")), reserved_ranges(n)]
        rows.append(row)
    return render_table(headers, rows)


def _ip_key(ip: dict[str, Any]) -> tuple[int, int, str]:
    """Numeric address order, IPv4 before IPv6; unparsable addresses last."""
    raw = str(ip.get("ipaddress", ""))
    try:
        addr = ipaddress.ip_address(raw)
    except ValueError:
        return 7, 0, raw
    return addr.version, int(addr), raw


def short_tag(tag: str) -> str:
    """metalctl's shorthand for the two well-known tags (``machine:<id>``, ``service:<name>``)."""
    if tag.startswith("machine.metal-stack.io/id="):
        return "machine:" + tag.partition("=")[2]
    if tag.startswith("cluster.metal-stack.io/id/namespace/service="):
        return "service:" + tag.partition("=")[2]
    return tag


def ips_table(data: Any, wide: bool) -> str:
    """IP, Description, Name, Network, Project, Type, Tags (+ Allocation UUID and full tags when wide)."""
    headers = ["IP", "DESCRIPTION", "NAME", "NETWORK", "PROJECT", "TYPE", "TAGS"]
    if wide:
        headers.insert(1, "ALLOCATION UUID")
    rows = []
    for ip in sorted(as_list(data), key=_ip_key):
        tags = [str(t) for t in ip.get("tags") or []]
        row = [text(ip.get("ipaddress")), text(ip.get("description")), text(ip.get("name")),
               text(ip.get("networkid")), text(ip.get("projectid")), text(ip.get("type")),
               ",".join(tags if wide else [short_tag(t) for t in tags])]
        if wide:
            row.insert(1, text(ip.get("allocationuuid")))
        rows.append(row)
    return render_table(headers, rows)


def partitions_table(data: Any, wide: bool) -> str:
    """ID, Name, Description, Labels."""
    rows = [[text(p.get("id")), text(p.get("name")), text(p.get("description")), text(p.get("labels"))]
            for p in sorted(as_list(data), key=lambda p: str(p.get("id")))]
    return render_table(["ID", "NAME", "DESCRIPTION", "LABELS"], rows)


def project_id(project: dict[str, Any]) -> str:
    """A project's id, which metal-api keeps in ``meta.id``."""
    meta = project.get("meta")
    return text(meta.get("id")) if isinstance(meta, dict) else text(project.get("id"))


def projects_table(data: Any, wide: bool) -> str:
    """ID, Name, Description, Tenant."""
    rows = [[project_id(p), text(p.get("name")), text(p.get("description")), text(p.get("tenant_id"))]
            for p in sorted(as_list(data), key=project_id)]
    return render_table(["ID", "NAME", "DESCRIPTION", "TENANT"], rows)


def field(obj: dict[str, Any], *names: str) -> Any:
    """The first of ``names`` present in ``obj`` (protobuf JSON may use lowerCamelCase or the proto name)."""
    for name in names:
        if name in obj:
            return obj[name]
    return None


def prefixes_table(data: Any, wide: bool) -> str:
    """CIDR and parent of IPAM prefixes."""
    rows = [[text(field(p, "cidr")), text(field(p, "parentCidr", "parent_cidr"))] for p in as_list(data)]
    return render_table(["CIDR", "PARENT"], rows)


def ipam_ips_table(data: Any, wide: bool) -> str:
    """IP and parent prefix of IPAM addresses."""
    rows = [[text(field(ip, "ip")), text(field(ip, "parentPrefix", "parent_prefix"))] for ip in as_list(data)]
    return render_table(["IP", "PREFIX"], rows)


def usage_table(data: Any, wide: bool) -> str:
    """One prefix's usage as label/value rows (protobuf JSON leaves zero counters out: they show as 0)."""
    usage = data if isinstance(data, dict) else {}

    def count(*names: str) -> str:
        return text(field(usage, *names)) or "0"

    rows = [
        ["available IPs", count("availableIps", "available_ips")],
        ["acquired IPs", count("acquiredIps", "acquired_ips")],
        ["available smallest prefixes", count("availableSmallestPrefixes", "available_smallest_prefixes")],
        ["acquired prefixes", count("acquiredPrefixes", "acquired_prefixes")],
        ["available prefixes", text(field(usage, "availablePrefixes", "available_prefixes"))],
    ]
    return render_table(["USAGE", "VALUE"], rows)


def namespaces_table(data: Any, wide: bool) -> str:
    """One namespace name per row."""
    names = data if isinstance(data, list) else []
    return render_table(["NAMESPACE"], [[text(n)] for n in names])
