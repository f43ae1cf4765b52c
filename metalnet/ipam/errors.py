"""Errors of the IPAM core.

::

    IpamError
    ├── InvalidInputError      (also a ValueError) unparsable CIDR/address, bad length or name
    ├── NotFoundError          unknown prefix, namespace, or an address that is not acquired
    ├── AlreadyAllocatedError  the specific address or child prefix is taken
    ├── ReservedAddressError   the specific address lies in a reserved range and was not asked for as such
    ├── ConflictError          overlap, or the prefix's state forbids the operation (has IPs, has children)
    ├── ProtectedNamespaceError  a write to a namespace another layer owns (see ``namespaces``)
    └── ExhaustedError         nothing left of the requested kind
        ├── NoIPAvailableError
        └── NoPrefixAvailableError

Every message names the offending CIDR or address.
"""

from __future__ import annotations


class IpamError(Exception):
    """Base class of every error the IPAM core raises."""


class InvalidInputError(IpamError, ValueError):
    """Input that cannot be parsed or is out of range."""


class NotFoundError(IpamError):
    """The prefix, namespace or acquired address does not exist."""


class AlreadyAllocatedError(IpamError):
    """The specific address or child prefix is already taken."""


class ReservedAddressError(IpamError):
    """A specific address inside a reserved range, asked for without ``reserved`` (the message names the range)."""


class ConflictError(IpamError):
    """Overlapping prefixes, or a refusal due to the prefix's current state."""


class ProtectedNamespaceError(IpamError):
    """A write to a namespace that belongs to a layer above the core (:mod:`metalnet.ipam.namespaces`)."""


class ExhaustedError(IpamError):
    """The prefix has nothing left of the requested kind."""


class NoIPAvailableError(ExhaustedError):
    """No free address is left in the prefix."""


class NoPrefixAvailableError(ExhaustedError):
    """No free block of the requested length is left in the parent prefix."""
