"""Who may act on what: a caller bound to one project acts on that project's resources only.

The protocols authenticate the caller and pass the project it is bound to (``acting_for``; ``None`` for a
caller bound to none, who may act on every project). The network layer decides, inside the operation's
transaction and before any other rule of it, from the owner of the record it read: so no change of owner can
slip in between check and change, and no rule's refusal (a project mismatch naming the owner, an IP still in
use) tells a caller anything about another project's resources. A refusal is of kind FORBIDDEN and names
only the caller's own project; when it is about a record the caller named (a network or IP of another
project), it carries :attr:`~metalnet.network.errors.Reason.OTHER_PROJECT` and the record's kind and id, so a
protocol may answer as if the record did not exist (metal-stack v2 does; ``/v1`` answers 403). Reads follow
the same rule: a bound caller gets FORBIDDEN for another project's network or IP, and lists and finds hold its
own project's only.
"""

from __future__ import annotations

from metalnet.network.errors import NetworkError, Reason, forbidden
from metalnet.network.model import IP, Network


def _refusal(acting_for: str, record: IP | Network | None = None) -> NetworkError:
    message = f'the caller may act on resources of project "{acting_for}" only'
    if isinstance(record, Network):
        return forbidden(message, Reason.OTHER_PROJECT, kind="Network", id=record.id)
    if isinstance(record, IP):
        return forbidden(message, Reason.OTHER_PROJECT, kind="IP", id=record.ipaddress)
    return forbidden(message)


def visible(acting_for: str | None, owner: str | None) -> bool:
    """Whether a caller acting for ``acting_for`` may see or change a resource of ``owner``.

    A resource without a project is no bound caller's (to change, or to list among its own).
    """
    return acting_for is None or owner == acting_for


def check_owner(acting_for: str | None, owner: str | None, record: IP | Network | None = None) -> None:
    """Refuse a bound caller whose project is not ``owner`` (the project of ``record``, when one is given)."""
    if acting_for is not None and owner != acting_for:
        raise _refusal(acting_for, record)


def check_network_use(acting_for: str | None, network: Network) -> None:
    """Refuse a bound caller allocating from a network of another project that is not shared.

    A network without a project (the internet, an underlay) serves every project, and a shared one is open to
    other projects by its owner's choice (metal-api's ``shared``); any other network is its project's alone,
    whether it has a parent or not.
    """
    if acting_for is not None and network.projectid not in ("", acting_for) and not network.shared:
        raise forbidden(f'the caller may act on resources of project "{acting_for}" only',
                        Reason.NETWORK_OF_OTHER_PROJECT, network=network.id)
