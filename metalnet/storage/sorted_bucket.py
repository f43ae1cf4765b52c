"""A large bucket of the memory backend: a SortedList that answers "next at or above x" without positions.

SortedList answers that as ``bucket[bucket.bisect_left(x)]``, which goes through global positions: the first
such call builds a positional index, and from then on every ``add`` and ``remove`` keeps it up to date,
about 3 µs per look-up and more per change in a bucket of 30,000 keys. The storage only ever needs the
neighbouring *value*, which the sublists give directly (about 0.8 µs), so no index is ever built.

This reads two attributes that sortedcontainers documents as its implementation (``_lists``: the sorted
sublists, ``_maxes``: the largest item of each), stable since version 2.0; ``pyproject.toml`` bounds the
version, and the storage contract tests exercise both methods on buckets of this kind.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

from sortedcontainers import SortedList


class SortedBucket(SortedList[Any]):
    """Sorted last key items of one bucket; ``ceiling``/``floor`` never build a positional index."""

    # SortedList's own attributes (not in its type stubs)
    _maxes: list[Any]
    _lists: list[list[Any]]

    def ceiling(self, item: Any) -> Any | None:
        """The smallest item ``>= item``, or ``None``."""
        maxes = self._maxes
        at = bisect_left(maxes, item)
        if at == len(maxes):
            return None
        sublist = self._lists[at]
        return sublist[bisect_left(sublist, item)]

    def floor(self, item: Any) -> Any | None:
        """The largest item ``<= item``, or ``None``."""
        maxes = self._maxes
        at = bisect_right(maxes, item)
        if at == len(maxes):
            return maxes[-1] if maxes else None
        sublist = self._lists[at]
        index = bisect_right(sublist, item)
        if index:
            return sublist[index - 1]
        return maxes[at - 1] if at else None
