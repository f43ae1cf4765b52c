"""The history part of the storage contract (``append_event``, ``read_events``, ``event_bounds``,
``prune_events``), run against every backend through the ``storage`` fixture of tests/conftest.py."""

from __future__ import annotations

import threading
import time

import pytest

from metalnet.storage import Storage, StorageError, Transaction, open_storage
from metalnet.storage.event_log import EventBounds, EventFilter, EventRecord


def event(ident: str, *, kind: str = "ip", project: str = "", at: float | None = None, body: str = "{}") -> EventRecord:
    return EventRecord(time.time() if at is None else at, kind, ident, project, body)


def append(storage: Storage, *events: EventRecord) -> None:
    def write(tx: Transaction) -> None:
        for item in events:
            tx.append_event(item)

    storage.run(write)


@pytest.mark.parametrize("text", ['{"a":"plain \\"quoted\\" \\\\ back\'slash"}', '{"a":"$mn$ tag $$ and $"}',
                                  '{"a":"ünïcode"}', "x$mn", "'; DROP TABLE kv; --"])
def test_any_text_round_trips(storage: Storage, text: str) -> None:
    append(storage, EventRecord(1.0, "k$mn$", text, text, text))
    (found,) = storage.read_events(0, 10)
    assert (found.kind, found.ident, found.project, found.body) == ("k$mn$", text, text, text)
    assert storage.run(lambda tx: tx.get(("kv-still-there",)), readonly=True) is None


def test_an_empty_history(storage: Storage) -> None:
    assert storage.event_bounds() == EventBounds(1, 0)
    assert storage.read_events(0, 10) == []


def test_events_are_numbered_from_one_in_commit_order(storage: Storage) -> None:
    append(storage, event("a", body='{"n":1}'))
    append(storage, event("b", body='{"n":2}'), event("c", body='{"n":3}'))
    found = storage.read_events(0, 10)
    assert [(e.seq, e.ident, e.body) for e in found] == [(1, "a", '{"n":1}'), (2, "b", '{"n":2}'), (3, "c", '{"n":3}')]
    assert storage.event_bounds() == EventBounds(1, 3)
    assert [e.seq for e in storage.read_events(1, 1)] == [2]
    assert storage.read_events(3, 10) == []


def test_a_rolled_back_transaction_leaves_no_event_and_no_gap(storage: Storage) -> None:
    append(storage, event("a"))

    def fail(tx: Transaction) -> None:
        tx.append_event(event("lost"))
        tx.put(("x", 1), "written")
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        storage.run(fail)
    assert storage.run(lambda tx: tx.get(("x", 1)), readonly=True) is None
    append(storage, event("b"))
    assert [(e.seq, e.ident) for e in storage.read_events(0, 10)] == [(1, "a"), (2, "b")]


def test_a_read_only_transaction_refuses_an_event(storage: Storage) -> None:
    with pytest.raises(StorageError):
        storage.run(lambda tx: tx.append_event(event("a")), readonly=True)
    assert storage.event_bounds().newest == 0


def test_fields_round_trip_and_filters(storage: Storage) -> None:
    body = '{"text":"ünïcode \\n and \'quotes\'"}'
    append(storage, event("10.0.0.1", project="p1", at=100.5, body=body),
           event("n1", kind="network", project="p1", at=200.0), event("10.0.0.1", project="p2", at=300.0),
           event("2001:db8::1", at=400.0))
    first = storage.read_events(0, 1)[0]
    assert (first.at, first.kind, first.ident, first.project, first.body) == (100.5, "ip", "10.0.0.1", "p1", body)
    seqs = lambda where: [e.seq for e in storage.read_events(0, 10, where)]  # noqa: E731
    assert seqs(EventFilter(kind="ip")) == [1, 3, 4]
    assert seqs(EventFilter(kind="ip", ident="10.0.0.1")) == [1, 3]
    assert seqs(EventFilter(kind="network", ident="10.0.0.1")) == []
    assert seqs(EventFilter(project="p1")) == [1, 2]
    assert seqs(EventFilter(since=200.0)) == [2, 3, 4]
    assert [e.seq for e in storage.read_events(1, 1, EventFilter(kind="ip", ident="10.0.0.1"))] == [3]


def test_prune_by_count_keeps_the_newest_and_reports_the_oldest(storage: Storage) -> None:
    for index in range(7):
        append(storage, event(f"e{index}"))
    assert storage.prune_events(older_than=0.0, keep=3) == 4
    assert storage.event_bounds() == EventBounds(5, 7)
    assert [e.seq for e in storage.read_events(0, 10)] == [5, 6, 7]
    assert [e.seq for e in storage.read_events(0, 10, EventFilter(kind="ip", ident="e2"))] == []
    append(storage, event("next"))
    assert storage.event_bounds() == EventBounds(5, 8)


def test_prune_by_age_stops_at_the_first_young_event(storage: Storage) -> None:
    append(storage, event("old1", at=10.0), event("old2", at=20.0), event("young", at=1000.0))
    assert storage.prune_events(older_than=500.0, keep=100) == 2
    assert [e.ident for e in storage.read_events(0, 10)] == ["young"]
    assert storage.prune_events(older_than=500.0, keep=100) == 0
    assert storage.prune_events(older_than=2000.0, keep=100) == 1
    assert storage.event_bounds() == EventBounds(4, 3)
    append(storage, event("after"))  # numbering goes on after the history was pruned empty
    assert [e.seq for e in storage.read_events(0, 10)] == [4]


def test_concurrent_writers_get_distinct_gapless_numbers(storage: Storage) -> None:
    per_thread, threads = 25, 4
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            for index in range(per_thread):
                append(storage, event(f"{name}-{index}"))
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert not errors
    found = storage.read_events(0, 1000)
    assert [e.seq for e in found] == list(range(1, per_thread * threads + 1))
    assert len({e.ident for e in found}) == per_thread * threads
    for name in (f"t{n}" for n in range(threads)):  # each writer's own events stay in its order
        mine = [e.ident for e in found if e.ident.startswith(f"{name}-")]
        assert mine == [f"{name}-{index}" for index in range(per_thread)]


def test_events_survive_a_reopen(storage: Storage, storage_url: str) -> None:
    if not storage.persistent:
        pytest.skip(f"{storage.name} storage keeps nothing across a reopen")
    append(storage, event("a"), event("b"))
    storage.close()
    with open_storage(storage_url) as again:
        assert [e.ident for e in again.read_events(0, 10)] == ["a", "b"]
        append(again, event("c"))
        assert again.event_bounds() == EventBounds(1, 3)
