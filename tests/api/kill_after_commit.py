"""``metalnet serve`` that dies by SIGKILL right after the first keyed change commits, before it answers.

    python -m tests.api.kill_after_commit serve --port N --db sqlite:///FILE

The fault injection of tests/api/test_idempotency_crash.py: the change and its Idempotency-Key row are
committed, the client gets no answer (the connection drops), and a restarted server must answer the retry
from the stored key instead of allocating again.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from cli.main import cli
from metalnet.idempotency import IdempotentStorage, _active

_guarded_run = IdempotentStorage.run


def _run_then_die(self: IdempotentStorage, fn: Any, *, readonly: bool = False, deadline: float | None = None) -> Any:
    keyed = not readonly and getattr(_active, "guard", None) is not None
    result = _guarded_run(self, fn, readonly=readonly, deadline=deadline)
    if keyed:
        os.kill(os.getpid(), signal.SIGKILL)  # committed; the answer is never sent
    return result


IdempotentStorage.run = _run_then_die  # type: ignore[method-assign]

if __name__ == "__main__":
    cli()
