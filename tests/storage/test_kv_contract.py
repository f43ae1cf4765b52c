"""The storage primitive contract (metalnet/storage/base.py), run against every backend.

Tests see only the :class:`~metalnet.storage.base.Storage` interface; the ``storage`` fixture from
tests/conftest.py supplies memory, sqlite, postgres and rethinkdb in turn.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import msgspec
import pytest

from metalnet.storage import Key, KeyExistsError, Storage, StorageError, Transaction, open_storage
from metalnet.storage.rows import Row, Value, decode_value, encode_value, register_row
from tests.storage.rows import NameRow, WideRow

BIG = 2**128 - 1


def put_all(storage: Storage, entries: dict[Key, Value]) -> None:
    def write(tx: Transaction) -> None:
        for key, value in entries.items():
            tx.put(key, value)

    storage.run(write)


def read(storage: Storage, key: Key) -> Value | None:
    return storage.run(lambda tx: tx.get(key), readonly=True)


@pytest.fixture
def persistent_url(storage: Storage, storage_url: str) -> str:
    """The URL of the store, for backends whose data outlives the process (a capability of the store)."""
    if not storage.persistent:
        pytest.skip(f"{storage.name} storage keeps nothing across a reopen")
    return storage_url


# -- single keys ---------------------------------------------------------------------------------


def test_get_of_missing_key_is_none(storage: Storage) -> None:
    assert read(storage, ("nothing", 1)) is None


def test_put_then_get_and_replace(storage: Storage) -> None:
    storage.run(lambda tx: tx.put(("k", 1), "first"))
    assert read(storage, ("k", 1)) == "first"
    storage.run(lambda tx: tx.put(("k", 1), "second"))
    assert read(storage, ("k", 1)) == "second"


def test_delete_removes_and_missing_delete_is_a_noop(storage: Storage) -> None:
    put_all(storage, {("k", 1): 1, ("k", 2): 2})
    storage.run(lambda tx: tx.delete(("k", 1)))
    storage.run(lambda tx: tx.delete(("k", 99)))
    assert read(storage, ("k", 1)) is None
    assert read(storage, ("k", 2)) == 2


def test_reads_inside_a_transaction_see_its_own_writes(storage: Storage) -> None:
    def work(tx: Transaction) -> tuple[Value | None, Value | None, list[tuple[Key, Value]]]:
        tx.put(("w", 1), "a")
        tx.put(("w", 2), "b")
        tx.delete(("w", 1))
        return tx.get(("w", 1)), tx.get(("w", 2)), tx.scan(("w",))

    assert storage.run(work) == (None, "b", [(("w", 2), "b")])


def test_insert_of_existing_key_raises_and_keeps_the_transaction_usable(storage: Storage) -> None:
    storage.run(lambda tx: tx.insert(("i", 1), "original"))

    def work(tx: Transaction) -> Key | None:
        # run may call work more than once: what counts is what the committed run saw
        try:
            tx.insert(("i", 1), "duplicate")
            seen = None
        except KeyExistsError as exc:
            seen = exc.key
        tx.insert(("i", 2), "new")
        return seen

    assert storage.run(work) == ("i", 1)
    assert read(storage, ("i", 1)) == "original"
    assert read(storage, ("i", 2)) == "new"


def test_key_exists_error_escaping_run_rolls_back(storage: Storage) -> None:
    storage.run(lambda tx: tx.insert(("i", 1), 1))

    def work(tx: Transaction) -> None:
        tx.put(("i", 2), 2)
        tx.insert(("i", 1), 3)

    with pytest.raises(KeyExistsError):
        storage.run(work)
    assert read(storage, ("i", 2)) is None
    assert read(storage, ("i", 1)) == 1


# -- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        WideRow(name="root", first=0x20010DB8 << 96, count=BIG, parent="2001:db8::/32", flag=True),
        WideRow(name="tenant-ä", first=10 << 24, count=0),
        NameRow("tenant-ü"),
        "",
        "text with ünïcode and \"quotes\"",
        0,
        -1,
        2**127 + 3,
    ],
    ids=["row-128bit", "row-small", "row-name", "empty-str", "str", "zero", "negative", "big-int"],
)
def test_values_round_trip(storage: Storage, value: Value) -> None:
    storage.run(lambda tx: tx.put(("v",), value))
    stored = read(storage, ("v",))
    assert stored == value
    assert type(stored) is type(value)


# -- ordered access ------------------------------------------------------------------------------

# Keys of one table (first item) have one length, and ordered look-ups ask within a bucket (a key without
# its last item), as the contract in base.py allows. "ab" next to "a" and "xy" next to "x" catch a backend
# that compares strings as raw prefixes.
ORDERED: dict[Key, Value] = {
    ("a", 0): "a0",
    ("a", 1): "a1",
    ("a", 7): "a7",
    ("a", 2**64): "a64",
    ("a", BIG - 1): "a-big-1",
    ("a", BIG): "a-big",
    ("ab", 0): "ab0",
    ("ab", 1): "ab1",
    ("t", "x", 1): "tx1",
    ("t", "x", 2): "tx2",
    ("t", "xy", 0): "txy0",
    ("t", "y", 5): "ty5",
}


@pytest.fixture
def ordered(storage: Storage) -> Storage:
    put_all(storage, ORDERED)
    return storage


def scan_keys(storage: Storage, within: Key) -> list[Key]:
    return [key for key, _ in storage.run(lambda tx: tx.scan(within), readonly=True)]


def test_scan_returns_the_bucket_in_key_order(ordered: Storage) -> None:
    found = ordered.run(lambda tx: tx.scan(("a",)), readonly=True)
    expected = [("a", 0), ("a", 1), ("a", 7), ("a", 2**64), ("a", BIG - 1), ("a", BIG)]
    assert found == [(key, ORDERED[key]) for key in expected]


def test_scan_does_not_confuse_string_prefixes(ordered: Storage) -> None:
    assert scan_keys(ordered, ("ab",)) == [("ab", 0), ("ab", 1)]
    assert scan_keys(ordered, ("t", "x")) == [("t", "x", 1), ("t", "x", 2)]
    assert scan_keys(ordered, ("t", "xy")) == [("t", "xy", 0)]
    assert scan_keys(ordered, ("t", "z")) == []
    assert scan_keys(ordered, ("c",)) == []


def test_first_finds_the_smallest_key_at_or_above_low(ordered: Storage) -> None:
    def first(low: Key, within: Key) -> tuple[Key, Value] | None:
        return ordered.run(lambda tx: tx.first(low, within), readonly=True)

    assert first(("a",), ("a",)) == (("a", 0), "a0")
    assert first(("a", 1), ("a",)) == (("a", 1), "a1")
    assert first(("a", 2), ("a",)) == (("a", 7), "a7")
    assert first(("a", 8), ("a",)) == (("a", 2**64), "a64")
    assert first(("a", 2**64 + 1), ("a",)) == (("a", BIG - 1), "a-big-1")
    assert first(("a", BIG), ("a",)) == (("a", BIG), "a-big")
    assert first(("t", "x", 2), ("t", "x")) == (("t", "x", 2), "tx2")


def test_first_stays_within_the_bucket(ordered: Storage) -> None:
    # in each case the next key overall exists but lies in a neighbouring bucket
    assert ordered.run(lambda tx: tx.first(("ab", 2), ("ab",))) is None
    assert ordered.run(lambda tx: tx.first(("t", "x", 3), ("t", "x"))) is None
    assert ordered.run(lambda tx: tx.first(("c", 0), ("c",))) is None


def test_last_finds_the_largest_key_at_or_below_high(ordered: Storage) -> None:
    def last(high: Key, within: Key) -> tuple[Key, Value] | None:
        return ordered.run(lambda tx: tx.last(high, within), readonly=True)

    assert last(("a", BIG), ("a",)) == (("a", BIG), "a-big")
    assert last(("a", BIG - 2), ("a",)) == (("a", 2**64), "a64")
    assert last(("a", 2**64 - 1), ("a",)) == (("a", 7), "a7")
    assert last(("a", 6), ("a",)) == (("a", 1), "a1")
    assert last(("a", 0), ("a",)) == (("a", 0), "a0")
    assert last(("ab", 5), ("ab",)) == (("ab", 1), "ab1")
    assert last(("t", "xy", 9), ("t", "xy")) == (("t", "xy", 0), "txy0")


def test_last_stays_within_the_bucket(ordered: Storage) -> None:
    # below each bound lie keys of a neighbouring bucket that must not leak in
    assert ordered.run(lambda tx: tx.last(("ab", 0), ("ab",))) == (("ab", 0), "ab0")
    assert ordered.run(lambda tx: tx.last(("t", "y", 4), ("t", "y"))) is None
    assert ordered.run(lambda tx: tx.last(("t", "xy", 0), ("t", "xy"))) == (("t", "xy", 0), "txy0")


# -- transactions --------------------------------------------------------------------------------


class BoomError(Exception):
    pass


def test_exception_rolls_back_every_write_and_propagates(storage: Storage) -> None:
    put_all(storage, {("r", 1): "keep", ("r", 2): "keep"})
    boom = BoomError()

    def work(tx: Transaction) -> None:
        tx.put(("r", 1), "changed")
        tx.delete(("r", 2))
        tx.insert(("r", 3), "new")
        raise boom

    with pytest.raises(BoomError) as raised:
        storage.run(work)
    assert raised.value is boom
    assert storage.run(lambda tx: tx.scan(("r",))) == [(("r", 1), "keep"), (("r", 2), "keep")]


def test_a_large_transaction_commits_whole_or_rolls_back_whole(storage: Storage) -> None:
    count = 2_500

    def fill(tx: Transaction, fail: bool) -> None:
        for number in range(count):
            tx.put(("bulk", number), number)
        if fail:
            raise BoomError

    with pytest.raises(BoomError):
        storage.run(lambda tx: fill(tx, True))
    assert storage.run(lambda tx: tx.first(("bulk",), ("bulk",))) is None
    storage.run(lambda tx: fill(tx, False))
    assert storage.run(lambda tx: tx.scan(("bulk",))) == [(("bulk", n), n) for n in range(count)]


def test_run_returns_the_result_of_fn(storage: Storage) -> None:
    assert storage.run(lambda tx: (tx.put(("x",), 1), "done")[1]) == "done"
    assert storage.run(lambda tx: tx.get(("x",)), readonly=True) == 1


def test_ping_answers(storage: Storage) -> None:
    storage.ping()


def test_threads_incrementing_under_a_lock_lose_no_update(storage: Storage) -> None:
    storage.run(lambda tx: tx.put(("counter",), 0))
    threads, rounds = 4, 40

    def increment(tx: Transaction) -> None:
        tx.lock("counter")
        value = tx.get(("counter",))
        assert isinstance(value, int)
        tx.put(("counter",), value + 1)

    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(rounds):
                storage.run(increment)
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    assert read(storage, ("counter",)) == threads * rounds


def test_concurrent_inserts_of_one_key_admit_exactly_one(storage: Storage) -> None:
    winners: list[int] = []
    losers: list[int] = []
    barrier = threading.Barrier(4)

    def worker(number: int) -> None:
        barrier.wait()
        try:
            storage.run(lambda tx: tx.insert(("claim",), number))
            winners.append(number)
        except KeyExistsError:
            losers.append(number)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert len(winners) == 1
    assert sorted(winners + losers) == [0, 1, 2, 3]
    assert read(storage, ("claim",)) == winners[0]


# -- persistence ---------------------------------------------------------------------------------


def test_state_survives_close_and_reopen(storage: Storage, persistent_url: str) -> None:
    row = WideRow("root", 1 << 127, 2**126)
    put_all(storage, {("p", 1): row, ("p", 2): "two", ("p", BIG): BIG})
    storage.run(lambda tx: tx.delete(("p", 2)))
    storage.close()
    with open_storage(persistent_url) as reopened:
        assert reopened.run(lambda tx: tx.scan(("p",))) == [(("p", 1), row), (("p", BIG), BIG)]
        reopened.run(lambda tx: tx.put(("p", 3), 3))
    with open_storage(persistent_url) as again:
        assert read(again, ("p", 3)) == 3


def test_nested_run_is_refused_and_the_outer_one_rolls_back(storage: Storage) -> None:
    def outer(tx: Transaction) -> None:
        tx.put(("nest", "outer"), 1)
        storage.run(lambda inner: inner.put(("nest", "inner"), 2))

    with pytest.raises(StorageError, match=r"inside a transaction"):
        storage.run(outer)
    assert read(storage, ("nest", "outer")) is None
    assert read(storage, ("nest", "inner")) is None


@pytest.mark.parametrize("size", [3, 100], ids=["small-bucket", "large-bucket"])
def test_pop_first_removes_the_smallest_key_of_the_bucket(storage: Storage, size: int) -> None:
    put_all(storage, {**{("q", n * 2): n for n in range(size)}, ("qa", 0): "other", ("q0",): "sibling"})

    def pop(tx: Transaction, count: int) -> list[tuple[Key, Value] | None]:
        return [tx.pop_first(("q",)) for _ in range(count)]

    assert storage.run(lambda tx: pop(tx, 2)) == [(("q", 0), 0), (("q", 2), 1)]
    assert storage.run(lambda tx: tx.first(("q",), ("q",))) == (("q", 4), 2)

    def pop_then_fail(tx: Transaction) -> None:
        pop(tx, size - 2)
        raise BoomError

    with pytest.raises(BoomError):
        storage.run(pop_then_fail)
    assert len(scan_keys(storage, ("q",))) == size - 2  # rolled back whole
    popped = storage.run(lambda tx: pop(tx, size - 1))
    assert popped[-1] is None
    assert [entry[1] for entry in popped[:-1] if entry is not None] == list(range(2, size))
    assert scan_keys(storage, ("q",)) == []
    assert scan_keys(storage, ("qa",)) == [("qa", 0)]
    assert storage.run(lambda tx: tx.get(("q0",))) == "sibling"
    storage.run(lambda tx: tx.put(("q", 7), 7))  # an emptied bucket fills again
    assert storage.run(lambda tx: tx.pop_first(("q",))) == (("q", 7), 7)


@pytest.mark.parametrize("write", ["put", "insert", "delete", "pop_first"])
def test_a_write_in_a_readonly_transaction_is_refused(storage: Storage, write: str) -> None:
    put_all(storage, {("ro", 1): "one"})
    calls: dict[str, Callable[[Transaction], object]] = {
        "put": lambda tx: tx.put(("ro", 2), "two"),
        "insert": lambda tx: tx.insert(("ro", 3), "three"),
        "delete": lambda tx: tx.delete(("ro", 1)),
        "pop_first": lambda tx: tx.pop_first(("ro",)),
    }
    with pytest.raises(StorageError):
        storage.run(calls[write], readonly=True)
    assert storage.run(lambda tx: tx.scan(("ro",))) == [(("ro", 1), "one")]  # nothing changed
    assert storage.run(lambda tx: tx.get(("ro", 1)), readonly=True) == "one"  # and reads still work


# -- row registry ---------------------------------------------------------------------------------


def test_a_row_type_no_layer_registered_is_refused_on_decode() -> None:
    class Stray(Row, frozen=True, tag="test-stray"):
        name: str

    with pytest.raises(msgspec.ValidationError, match="test-stray"):
        decode_value(encode_value(Stray("x")))


def test_a_tag_belongs_to_one_row_type() -> None:
    class Twin(Row, frozen=True, tag="test-wide"):
        name: str

    assert register_row(WideRow) is WideRow  # again: a no-op
    with pytest.raises(TypeError, match="test-wide"):
        register_row(Twin)
    with pytest.raises(TypeError, match="string tag"):
        register_row(Row)
