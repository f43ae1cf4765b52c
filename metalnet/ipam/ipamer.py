"""``Ipamer``: the go-ipam API as plain synchronous calls, each one storage transaction.

It is the library's edge: it takes whatever a caller passes and refuses arguments of the wrong type with
:class:`InvalidInputError` naming them, so that the session below (compiled, with its types checked on
entry) only ever sees the types it declares. It stays plain Python in the compiled build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from metalnet.history.recorder import History
from metalnet.ipam.addresses import parse_address, parse_cidr
from metalnet.ipam.dump import dump_namespace, load_namespace
from metalnet.ipam.errors import InvalidInputError
from metalnet.ipam.model import IP, Prefix, ReservedRange, Usage
from metalnet.ipam.namespaces import ROOT_NAMESPACE, check_namespace_name, check_writable
from metalnet.ipam.runner import ChangeRunner, Describe
from metalnet.ipam.session import IpamSession, SessionCall
from metalnet.storage import deadlines
from metalnet.storage.base import Storage
from metalnet.storage.memory import MemoryStorage

T = TypeVar("T")


def _text(value: object, check: Callable[[object], object]) -> str:
    """``value`` when it is a string; otherwise ``check`` (the parser that owns the rule) refuses it."""
    if isinstance(value, str):
        return value
    check(value)
    raise InvalidInputError(f"invalid argument {value!r}: not a string")  # a check that let a non-string pass


def _cidr(value: object) -> str:
    return value if isinstance(value, str) else _text(value, parse_cidr)


def _ns(value: object) -> str:
    return _text(value, check_namespace_name)


def _address(value: object) -> str:
    return _text(value, parse_address)


def _description(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(f"invalid description {value!r}: not a string")
    return value


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInputError(f"invalid {name} {value!r}: not a boolean")
    return value


def _length(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInputError(f"invalid child prefix length {value!r}: not an integer")
    return value


class Ipamer:
    """IP address management over a storage backend (in memory unless ``storage`` is given).

    Every write to a protected namespace (the network layer's, see :mod:`metalnet.ipam.namespaces`) raises
    :class:`~metalnet.ipam.errors.ProtectedNamespaceError`; reading it is allowed.

    ``history``: records every change as an event in its transaction (docs/history.md); None: no history.
    """

    def __init__(self, storage: Storage | None = None, *, history: History | None = None) -> None:
        self.storage = storage if storage is not None else MemoryStorage()
        self.history = history
        # runs every change (compiled with the core); it holds the store and the history given here
        self._changes = ChangeRunner(self.storage, self, history)

    def _run(self, namespace: str, fn: Callable[[IpamSession], T], *, readonly: bool = False,
             deadline: float | None = None) -> T:
        namespace = _ns(namespace)
        if not readonly:
            check_writable(namespace)
        # prefixes handed out read their usage through this Ipamer (the store), not a finished transaction
        return self.storage.run(SessionCall(fn, namespace, self), readonly=readonly,
                                deadline=deadlines.resolve(deadline))

    def usage_of(self, prefix: Prefix) -> Usage:
        return self.prefix_usage(prefix.cidr, namespace=prefix.namespace)

    def new_prefix(self, cidr: str, *, namespace: str = ROOT_NAMESPACE) -> Prefix:
        cidr = _cidr(cidr)
        return self._changes.change(namespace, lambda s: s.new_prefix(cidr), _PREFIX_CREATED)

    def delete_prefix(self, cidr: str, *, namespace: str = ROOT_NAMESPACE) -> Prefix:
        cidr = _cidr(cidr)
        return self._changes.change(namespace, lambda s: s.delete_prefix(cidr), _PREFIX_DELETED)

    def prefix_from(self, cidr: str, *, namespace: str = ROOT_NAMESPACE) -> Prefix:
        cidr = _cidr(cidr)
        return self._run(namespace, lambda s: s.prefix_from(cidr), readonly=True)

    def prefix_usage(self, cidr: str, *, namespace: str = ROOT_NAMESPACE) -> Usage:
        cidr = _cidr(cidr)
        return self._run(namespace, lambda s: s.prefix_usage(cidr), readonly=True)

    def acquire_child_prefix(self, parent_cidr: str, length: int, *, namespace: str = ROOT_NAMESPACE) -> Prefix:
        parent_cidr, length = _cidr(parent_cidr), _length(length)
        return self._changes.change(namespace, lambda s: s.acquire_child_prefix(parent_cidr, length),
                            _PREFIX_ACQUIRED)

    def acquire_specific_child_prefix(
        self, parent_cidr: str, child_cidr: str, *, namespace: str = ROOT_NAMESPACE
    ) -> Prefix:
        parent_cidr, child_cidr = _cidr(parent_cidr), _cidr(child_cidr)
        return self._changes.change(namespace, lambda s: s.acquire_specific_child_prefix(parent_cidr, child_cidr),
                            _PREFIX_ACQUIRED)

    def release_child_prefix(self, child: Prefix | str, *, namespace: str | None = None) -> Prefix:
        cidr = _cidr(child.cidr if isinstance(child, Prefix) else child)
        ns = namespace or (child.namespace if isinstance(child, Prefix) else ROOT_NAMESPACE)
        return self._changes.change(ns, lambda s: s.release_child_prefix(cidr), _PREFIX_RELEASED)

    def acquire_ip(self, prefix_cidr: str, *, namespace: str = ROOT_NAMESPACE) -> IP:
        prefix_cidr = _cidr(prefix_cidr)
        return self._changes.change(namespace, lambda s: s.acquire_ip(prefix_cidr), _IP_ACQUIRED)

    def acquire_ips(self, prefix_cidr: str, count: int, *, namespace: str = ROOT_NAMESPACE) -> list[IP]:
        """The ``count`` lowest free addresses, all or nothing, in one transaction (metalnet's extension)."""
        return self._run(namespace, lambda s: s.acquire_ips(prefix_cidr, count))

    def acquire_specific_ip(self, prefix_cidr: str, ip: str, *, namespace: str = ROOT_NAMESPACE,
                            reserved: bool = False) -> IP:
        """Acquire ``ip``; an address inside a reserved range only with ``reserved=True``
        (:class:`~metalnet.ipam.errors.ReservedAddressError` otherwise)."""
        prefix_cidr, ip, wanted = _cidr(prefix_cidr), _text(ip, parse_address), _flag(reserved, "reserved")
        return self._changes.change(namespace, lambda s: s.acquire_specific_ip(prefix_cidr, ip, wanted),
                            _IP_ACQUIRED)

    def release_ip(self, ip: IP, *, namespace: str = ROOT_NAMESPACE) -> Prefix:
        if not isinstance(ip, IP):
            raise InvalidInputError(f"invalid ip {ip!r}: expected an IP returned by acquire_ip")
        return self._changes.change(namespace, lambda s: s.release_ip(ip),
                            lambda _: ("ipam-ip", str(ip), "release", {"ip": str(ip), "prefix": ip.parent_prefix}))

    def release_ip_from_prefix(self, prefix_cidr: str, ip: str, *, namespace: str = ROOT_NAMESPACE) -> IP:
        prefix_cidr, ip = _cidr(prefix_cidr), _text(ip, parse_address)
        return self._changes.change(namespace, lambda s: s.release_ip_from_prefix(prefix_cidr, ip), _IP_RELEASED)

    def reserve_range(self, prefix_cidr: str, first: str, last: str, *, description: str = "",
                      namespace: str = ROOT_NAMESPACE) -> ReservedRange:
        """Keep ``first``-``last`` of the prefix out of next-free allocation (see ``IpamSession.reserve_range``)."""
        prefix_cidr, first, last = _cidr(prefix_cidr), _address(first), _address(last)
        description = _description(description)
        return self._changes.change(namespace, lambda s: s.reserve_range(prefix_cidr, first, last, description),
                            _reserved_event(prefix_cidr, "create"))

    def unreserve_range(self, prefix_cidr: str, first: str, last: str, *,
                        namespace: str = ROOT_NAMESPACE) -> ReservedRange:
        """Remove the reserved range ``first``-``last``: its addresses not acquired become free."""
        prefix_cidr, first, last = _cidr(prefix_cidr), _address(first), _address(last)
        return self._changes.change(namespace, lambda s: s.unreserve_range(prefix_cidr, first, last),
                            _reserved_event(prefix_cidr, "delete"))

    def reserved_ranges(self, prefix_cidr: str, *, namespace: str = ROOT_NAMESPACE) -> list[ReservedRange]:
        """The reserved ranges of the prefix, lowest first."""
        prefix_cidr = _cidr(prefix_cidr)
        return self._run(namespace, lambda s: s.reserved_ranges(prefix_cidr), readonly=True)

    def read_all_prefix_cidrs(self, *, namespace: str = ROOT_NAMESPACE) -> list[str]:
        return self._run(namespace, lambda s: s.read_all_prefix_cidrs(), readonly=True)

    def list_prefixes(self, *, namespace: str = ROOT_NAMESPACE) -> list[Prefix]:
        return self._run(namespace, lambda s: s.prefixes(), readonly=True)

    def dump(self, *, namespace: str = ROOT_NAMESPACE) -> str:
        return self._run(namespace, dump_namespace, readonly=True)

    def load(self, dump: str, *, namespace: str = ROOT_NAMESPACE) -> None:
        self._changes.change(namespace, lambda s: load_namespace(s, dump),
                             lambda _: ("namespace", namespace, "update", {}))

    def create_namespace(self, name: str) -> None:
        name = _ns(name)
        check_writable(name)
        self._changes.change(ROOT_NAMESPACE, lambda s: s.create_namespace(name),
                     lambda _: ("namespace", name, "create", {"name": name}))

    def list_namespaces(self) -> list[str]:
        return self._run(ROOT_NAMESPACE, lambda s: s.list_namespaces(), readonly=True)

    def delete_namespace(self, name: str) -> None:
        name = _ns(name)
        check_writable(name)
        self._changes.change(ROOT_NAMESPACE, lambda s: s.delete_namespace(name),
                     lambda _: ("namespace", name, "delete", {"name": name}))


def _prefix_event(action: str) -> Describe[Prefix]:
    """A prefix's event: kind ``child-prefix`` for a child (acquired from, or given back to, its parent)."""

    def describe(prefix: Prefix) -> tuple[str, str, str, dict[str, str]]:
        state = {"cidr": prefix.cidr, "parent_cidr": prefix.parent_cidr}
        return ("child-prefix" if prefix.parent_cidr else "prefix"), prefix.cidr, action, state

    return describe


def _ip_event(action: str) -> Describe[IP]:
    def describe(ip: IP) -> tuple[str, str, str, dict[str, str]]:
        return "ipam-ip", str(ip), action, {"ip": str(ip), "prefix": ip.parent_prefix}

    return describe


# made once: the describing functions are passed on every call, history or not
_PREFIX_CREATED, _PREFIX_DELETED = _prefix_event("create"), _prefix_event("delete")
_PREFIX_ACQUIRED, _PREFIX_RELEASED = _prefix_event("acquire"), _prefix_event("release")
_IP_ACQUIRED, _IP_RELEASED = _ip_event("acquire"), _ip_event("release")


def _reserved_event(prefix_cidr: str, action: str) -> Describe[ReservedRange]:
    prefix = str(parse_cidr(prefix_cidr))  # as the core prints it

    def describe(reserved: ReservedRange) -> tuple[str, str, str, dict[str, str]]:
        state = {"prefix": prefix, "first": reserved.first, "last": reserved.last,
                 "description": reserved.description}
        return "ipam-reserved-range", f"{prefix} {reserved.first}-{reserved.last}", action, state

    return describe
