"""Optimistic locking and label changes: the rules metal-stack's v2 API puts on every update.

- :class:`Freshness`: the caller's view of the record. ``changed`` must equal the stored ``changed`` time
  (metal-stack's client-side locking); a caller that asks for server-side locking skips the check. A stale
  view is refused with :data:`~metalnet.network.errors.ErrorKind.STALE` and nothing is written.
- :class:`LabelChange`: replace all labels, or remove some keys and then set others (a patch).
- every successful update increases the record's ``generation`` by one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from metalnet.network.errors import stale

#: what a missing ``updated_at`` means (metal-stack reads it as the zero time, which never matches)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Freshness(msgspec.Struct, frozen=True, kw_only=True):
    """The caller's view of a record for an update; ``server_side`` skips the comparison."""

    changed: datetime | None = None
    server_side: bool = False


class LabelChange(msgspec.Struct, frozen=True, kw_only=True):
    """``replace`` sets the labels to exactly these; otherwise ``remove`` keys, then set ``update``."""

    replace: dict[str, str] | None = None
    update: dict[str, str] | None = None
    remove: list[str] | None = None


def check_fresh(what: str, ident: str, stored: datetime, fresh: Freshness | None) -> None:
    """Refuse (STALE) an update whose caller saw another version than the stored one."""
    if fresh is None or fresh.server_side:
        return
    seen = fresh.changed or EPOCH
    if seen != stored:
        raise stale(f"cannot update {what} ({ident}): the entity was already modified, please retry")


def changed_labels(current: dict[str, str], change: LabelChange | None) -> dict[str, str]:
    """The labels after ``change`` (a new dict; ``current`` is left alone)."""
    if change is None:
        return dict(current)
    if change.replace is not None:
        return dict(change.replace)
    result = {key: value for key, value in current.items() if key not in set(change.remove or ())}
    result.update(change.update or {})
    return result


def labels_of_tags(tags: list[str]) -> dict[str, str]:
    """An IP's ``k=v`` tags as labels (a tag without ``=`` is a key with an empty value)."""
    labels = {}
    for tag in tags:
        key, _, value = tag.partition("=")
        labels[key] = value
    return labels


def tags_of_labels(labels: dict[str, str]) -> list[str]:
    return sorted(f"{key}={value}" for key, value in labels.items())
