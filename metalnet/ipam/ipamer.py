"""``Ipamer``: the go-ipam API as plain synchronous calls, each one storage transaction.

It is the library's edge: it takes whatever a caller passes and refuses arguments of the wrong type with
:class:`InvalidInputError` naming them, so that the session below (compiled, with its types checked on
entry) only ever sees the types it declares. It stays plain Python in the compiled build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from metalnet.ipam.addresses import parse_address, parse_cidr
from metalnet.ipam.dump import dump_namespace, load_namespace
from metalnet.ipam.errors import InvalidInputError
from metalnet.ipam.model import IP, Prefix, Usage
from metalnet.ipam.namespaces import ROOT_NAMESPACE, check_namespace_name, check_writable
from metalnet.ipam.session import IpamSession
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
    return _text(value, parse_cidr)


def _ns(value: object) -> str:
    return _text(value, check_namespace_name)


def _length(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInputError(f"invalid child prefix length {value!r}: not an integer")
    return value


class Ipamer:
    """IP address management over a storage backend (in memory unless ``storage`` is given).

    Every write to a protected namespace (the network layer's, see :mod:`metalnet.ipam.namespaces`) raises
    :class:`~metalnet.ipam.errors.ProtectedNamespaceError`; reading it is allowed.
    """

    def __init__(self, storage: Storage | None = None) -> None:
        self.storage = storage if storage is not None else MemoryStorage()

    def _run(self, namespace: str, fn: Callable[[IpamSession], T], *, readonly: bool = False,
             deadline: float | None = None) -> T:
        namespace = _ns(namespace)
        if not readonly:
            check_writable(namespace)
        # prefixes handed out read their usage through this Ipamer (the store), not a finished transaction
        return self.storage.run(lambda tx: fn(IpamSession(tx, namespace, self)), readonly=readonly,
                                deadline=deadlines.resolve(deadline))

    def usage_of(self, prefix: Prefix) -> Usage:
        return self.prefix_usage(prefix.cidr, namespace=prefix.namespace)

    def new_prefix(self, cidr: str, *, namespace: str = ROOT_NAMESPACE) -> Prefix:
        cidr = _cidr(cidr)
        return self._run(namespace, lambda s: s.new_prefix(cidr))

    def delete_prefix(self, cidr: str, *, namespace: str = ROOT_NAMESPACE) -> Prefix:
        cidr = _cidr(cidr)
        return self._run(namespace, lambda s: s.delete_prefix(cidr))

    def prefix_from(self, cidr: str, *, namespace: str = ROOT_NAMESPACE) -> Prefix:
        cidr = _cidr(cidr)
        return self._run(namespace, lambda s: s.prefix_from(cidr), readonly=True)

    def prefix_usage(self, cidr: str, *, namespace: str = ROOT_NAMESPACE) -> Usage:
        cidr = _cidr(cidr)
        return self._run(namespace, lambda s: s.prefix_usage(cidr), readonly=True)

    def acquire_child_prefix(self, parent_cidr: str, length: int, *, namespace: str = ROOT_NAMESPACE) -> Prefix:
        parent_cidr, length, namespace = _cidr(parent_cidr), _length(length), _ns(namespace)
        check_writable(namespace)
        return self.storage.run(
            lambda tx: IpamSession(tx, namespace, self).acquire_child_prefix(parent_cidr, length),
            deadline=deadlines.current(),
        )

    def acquire_specific_child_prefix(
        self, parent_cidr: str, child_cidr: str, *, namespace: str = ROOT_NAMESPACE
    ) -> Prefix:
        parent_cidr, child_cidr = _cidr(parent_cidr), _cidr(child_cidr)
        return self._run(namespace, lambda s: s.acquire_specific_child_prefix(parent_cidr, child_cidr))

    def release_child_prefix(self, child: Prefix | str, *, namespace: str | None = None) -> Prefix:
        cidr = _cidr(child.cidr if isinstance(child, Prefix) else child)
        ns = _ns(namespace or (child.namespace if isinstance(child, Prefix) else ROOT_NAMESPACE))
        check_writable(ns)
        return self.storage.run(
            lambda tx: IpamSession(tx, ns, self).release_child_prefix(cidr), deadline=deadlines.current())

    def acquire_ip(self, prefix_cidr: str, *, namespace: str = ROOT_NAMESPACE) -> IP:
        # the hottest calls skip _run's extra closure
        prefix_cidr, namespace = _cidr(prefix_cidr), _ns(namespace)
        check_writable(namespace)
        return self.storage.run(
            lambda tx: IpamSession(tx, namespace, self).acquire_ip(prefix_cidr), deadline=deadlines.current())

    def acquire_specific_ip(self, prefix_cidr: str, ip: str, *, namespace: str = ROOT_NAMESPACE) -> IP:
        prefix_cidr, ip = _cidr(prefix_cidr), _text(ip, parse_address)
        return self._run(namespace, lambda s: s.acquire_specific_ip(prefix_cidr, ip))

    def release_ip(self, ip: IP, *, namespace: str = ROOT_NAMESPACE) -> Prefix:
        if not isinstance(ip, IP):
            raise InvalidInputError(f"invalid ip {ip!r}: expected an IP returned by acquire_ip")
        namespace = _ns(namespace)
        check_writable(namespace)
        return self.storage.run(
            lambda tx: IpamSession(tx, namespace, self).release_ip(ip), deadline=deadlines.current())

    def release_ip_from_prefix(self, prefix_cidr: str, ip: str, *, namespace: str = ROOT_NAMESPACE) -> IP:
        prefix_cidr, ip = _cidr(prefix_cidr), _text(ip, parse_address)
        return self._run(namespace, lambda s: s.release_ip_from_prefix(prefix_cidr, ip))

    def read_all_prefix_cidrs(self, *, namespace: str = ROOT_NAMESPACE) -> list[str]:
        return self._run(namespace, lambda s: s.read_all_prefix_cidrs(), readonly=True)

    def list_prefixes(self, *, namespace: str = ROOT_NAMESPACE) -> list[Prefix]:
        return self._run(namespace, lambda s: s.prefixes(), readonly=True)

    def dump(self, *, namespace: str = ROOT_NAMESPACE) -> str:
        return self._run(namespace, dump_namespace, readonly=True)

    def load(self, dump: str, *, namespace: str = ROOT_NAMESPACE) -> None:
        self._run(namespace, lambda s: load_namespace(s, dump))

    def create_namespace(self, name: str) -> None:
        name = _ns(name)
        check_writable(name)
        self._run(ROOT_NAMESPACE, lambda s: s.create_namespace(name))

    def list_namespaces(self) -> list[str]:
        return self._run(ROOT_NAMESPACE, lambda s: s.list_namespaces(), readonly=True)

    def delete_namespace(self, name: str) -> None:
        name = _ns(name)
        check_writable(name)
        self._run(ROOT_NAMESPACE, lambda s: s.delete_namespace(name))
