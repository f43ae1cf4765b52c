"""``IdempotentStorage`` on every backend: key and change in one transaction, replays, reuse, refusals."""

from __future__ import annotations

import threading

import pytest

from metalnet.idempotency import Guard, IdempotentStorage, KeyReused, guarded
from metalnet.storage import Storage, Transaction


def _guard(fingerprint: str = "f", key: str = "k") -> Guard:
    return Guard("tenant", key, fingerprint, encode=str, decode=lambda answer: f"replayed {answer}",
                 encode_error=lambda exc: f"error {exc}" if isinstance(exc, ValueError) else None)


def _count(tx: Transaction) -> str:
    found = tx.get(("counter",))
    value = (int(found) if found is not None else 0) + 1  # type: ignore[arg-type]
    tx.put(("counter",), value)
    return str(value)


def test_the_change_runs_once_and_a_repeat_gets_its_answer(storage: Storage) -> None:
    keyed = IdempotentStorage(storage)
    with guarded(_guard()):
        assert keyed.run(_count) == "1"
    with guarded(_guard()):
        assert keyed.run(_count) == "replayed 1"
    with guarded(_guard(key="other")):
        assert keyed.run(_count) == "2"
    assert storage.run(lambda tx: tx.get(("counter",)), readonly=True) == 2
    with guarded(_guard(fingerprint="g")), pytest.raises(KeyReused):
        keyed.run(_count)
    assert keyed.run(_count) == "3"  # no guard: a plain run


def test_a_refusal_is_stored_without_the_change_and_a_server_error_is_not(storage: Storage) -> None:
    keyed = IdempotentStorage(storage)

    def refuse(tx: Transaction) -> str:
        _count(tx)
        raise ValueError("no")

    with guarded(_guard(key="r")), pytest.raises(ValueError, match="no"):
        keyed.run(refuse)
    with guarded(_guard(key="r")):
        assert keyed.run(_count) == "replayed error no"
    assert storage.run(lambda tx: tx.get(("counter",)), readonly=True) is None

    def crash(tx: Transaction) -> str:
        raise RuntimeError("bug")

    with guarded(_guard(key="s")), pytest.raises(RuntimeError):
        keyed.run(crash)
    with guarded(_guard(key="s")):
        assert keyed.run(_count) == "1"  # not stored: the retry ran


def test_concurrent_repeats_of_one_key_change_once(storage: Storage) -> None:
    keyed = IdempotentStorage(storage)
    answers: list[str] = []
    errors: list[BaseException] = []

    def repeat() -> None:
        try:
            with guarded(_guard(key="c")):
                answers.append(keyed.run(_count))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=repeat) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sorted(answers) == ["1"] + ["replayed 1"] * 5
    assert storage.run(lambda tx: tx.get(("counter",)), readonly=True) == 1
