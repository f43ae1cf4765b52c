"""PostgreSQL backend (psycopg 3 with psycopg-pool): the production store for many API processes.

URL: anything libpq accepts as a URI, e.g. ``postgresql://user:password@host:5432/metalnet`` or
``postgresql://user@/metalnet?host=/run/postgresql`` (unix socket), plus the options of :mod:`.options`
(``pool_size``, ``timeout``, ``row_cache``), which are removed before the URL reaches libpq.

Concurrency: transactions run at READ COMMITTED. ``Transaction.lock(name)`` takes a transaction-scoped
advisory lock on a 64-bit hash of ``name``; it is held until commit or rollback, so read-then-write sequences
on one prefix run one after the other while different prefixes proceed in parallel, and every statement after
the lock sees what the previous holder committed. Read-only transactions run at REPEATABLE READ READ ONLY:
one snapshot, no locks, and writing in them is refused. A deadlock or serialisation failure re-runs the whole
transaction (bounded, with jittered backoff).

The modules, one concern each:

- :mod:`.options`: the URL options;
- :mod:`.schema`: migrations;
- :mod:`.statements`: the SQL text and parameters rendered as literals;
- :mod:`.transaction`: statements batched into as few messages as the reads allow;
- :mod:`.ledger`: the row-cache bookkeeping of a transaction (:mod:`metalnet.storage.row_cache`);
- :mod:`.liveness`: the look at an idle connection's socket before a one-message transaction;
- :mod:`.outage`: failing at once while the server is down, and a fresh pool when it is back;
- :mod:`.in_doubt`: a COMMIT whose answer was lost, settled by asking the server about the transaction's id;
- :mod:`.errors` and :mod:`.store`: the retries of ``run`` and the translation into storage errors;
- :mod:`.events`: the history of changes (the statement that numbers a transaction's events before COMMIT).

An IPAM acquisition on a cached prefix row costs one message (``BEGIN; lock; check; announce; write; COMMIT``).
"""

from metalnet.storage.postgres.statements import lock_id
from metalnet.storage.postgres.store import PostgresStorage
from metalnet.storage.postgres.transaction import PostgresTransaction

__all__ = ["PostgresStorage", "PostgresTransaction", "lock_id"]
