"""Namespace names: ``root`` always exists; other names are created explicitly.

Some namespaces belong to a layer above the core: ``metalnet.networks`` holds the prefixes of the network
layer's networks, each of which the network layer pairs with records (IPs, VRFs, children) in the same
transaction. A prefix changed there by anyone else would leave those records wrong, so :class:`Ipamer`
(what library users and the IPAM service call) refuses every write to a protected namespace
(:func:`check_writable`); reads stay open. The owning layer writes through an
:class:`~metalnet.ipam.session.IpamSession` inside its own transactions.
"""

from __future__ import annotations

from metalnet.ipam.errors import InvalidInputError, ProtectedNamespaceError

ROOT_NAMESPACE = "root"
MAX_NAMESPACE_LENGTH = 128
#: the namespace of the network layer's prefixes; kept apart from ``root``, which belongs to users of the core
NETWORK_NAMESPACE = "metalnet.networks"
#: protected namespace -> what owns (and alone writes) it
PROTECTED_NAMESPACES = {NETWORK_NAMESPACE: "the network layer"}


def check_writable(name: str) -> None:
    """Raise :class:`ProtectedNamespaceError` when ``name`` is protected (see the module docstring)."""
    owner = PROTECTED_NAMESPACES.get(name)
    if owner is not None:
        raise ProtectedNamespaceError(
            f"namespace {name} holds the prefixes of networks and is written by {owner} alone: "
            "change them through their networks"
        )


def check_namespace_name(name: object) -> None:
    if name == ROOT_NAMESPACE:
        return
    if (
        not isinstance(name, str)
        or not name
        or len(name) > MAX_NAMESPACE_LENGTH
        or not name.isprintable()
    ):
        raise InvalidInputError(
            f"invalid namespace {name!r}: 1 to {MAX_NAMESPACE_LENGTH} printable characters expected"
        )
