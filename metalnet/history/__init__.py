"""The history of changes: every change of a network, IP, partition, project, IPAM prefix, child prefix or
namespace appends one event in the transaction of the change (see docs/history.md).

- :mod:`metalnet.history.actor`: who is acting and through which route (a context variable the API sets).
- :mod:`metalnet.history.model`: the event as it is stored and served.
- :class:`metalnet.history.recorder.History`: builds an event and hands it to the transaction
  (``Transaction.append_event``); imported from its module, so that importing this package loads no storage
  code (the CLI imports the server's settings, which name the history's).
"""

from metalnet.history.actor import LOCAL, Actor, Principal, acting_as, current_actor
from metalnet.history.model import Event

__all__ = ["LOCAL", "Actor", "Event", "Principal", "acting_as", "current_actor"]
