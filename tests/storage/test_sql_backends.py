"""What the SQL backends promise beyond the KV contract: schema versions, migrations, clear errors.

Each test runs on sqlite and postgres; the ``sql_store`` fixture knows, per backend, how to reach behind
the storage interface (to fake a store written by a newer metalnet).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from metalnet.storage import (
    SchemaVersionError,
    StorageError,
    StorageUnavailableError,
    Transaction,
    migrations,
    open_storage,
    redact_url,
)
from tests.servers.postgres import PASSWORD, PASSWORD_USER, PostgresServer


@dataclass
class SqlStore:
    url: str
    #: read the schema version the store records, behind the storage's back
    read_version: Callable[[], int]
    #: overwrite the recorded schema version, behind the storage's back
    write_version: Callable[[int], None]
    latest: int


def _sqlite_store(tmp_path: Path) -> SqlStore:
    path = tmp_path / "metalnet.db"

    def read_version() -> int:
        with sqlite3.connect(path) as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def write_version(version: int) -> None:
        conn = sqlite3.connect(path)
        conn.execute(f"PRAGMA user_version = {version}")
        conn.close()

    return SqlStore(f"sqlite:///{path}", read_version, write_version, migrations.latest("sqlite"))


def _postgres_store(url: str) -> SqlStore:
    def read_version() -> int:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT version FROM metalnet_schema").fetchone()
            assert row is not None
            return int(row[0])

    def write_version(version: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE metalnet_schema SET version = %s", (version,))

    return SqlStore(url, read_version, write_version, migrations.latest("postgres"))


@pytest.fixture(params=[pytest.param("sqlite", marks=pytest.mark.sqlite),
                        pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> SqlStore:
    if request.param == "sqlite":
        return _sqlite_store(tmp_path)
    return _postgres_store(str(request.getfixturevalue("postgres_url")))


def test_opening_applies_every_migration_and_records_the_version(sql_store: SqlStore) -> None:
    with open_storage(sql_store.url) as store:
        store.run(lambda tx: tx.put(("k",), 1))
    assert sql_store.read_version() == sql_store.latest >= 1


def test_reopening_keeps_data_and_version(sql_store: SqlStore) -> None:
    with open_storage(sql_store.url) as store:
        store.run(lambda tx: tx.put(("k",), "kept"))
    with open_storage(sql_store.url) as store:
        assert store.run(lambda tx: tx.get(("k",))) == "kept"
    assert sql_store.read_version() == sql_store.latest


def test_a_newer_schema_is_refused_with_a_clear_message(sql_store: SqlStore) -> None:
    open_storage(sql_store.url).close()
    sql_store.write_version(sql_store.latest + 7)
    with pytest.raises(SchemaVersionError) as raised:
        open_storage(sql_store.url)
    message = str(raised.value)
    assert f"schema version {sql_store.latest + 7}" in message
    assert f"up to {sql_store.latest}" in message
    assert "upgrade metalnet" in message


def test_migration_files_are_numbered_alike_for_both_dialects() -> None:
    sqlite_steps = migrations.load("sqlite")
    postgres_steps = migrations.load("postgres")
    assert [step.version for step in sqlite_steps] == list(range(1, len(sqlite_steps) + 1))
    assert [(s.version, s.name) for s in sqlite_steps] == [(s.version, s.name) for s in postgres_steps]
    assert all(step.statements for step in sqlite_steps + postgres_steps)


def test_split_statements_drops_comments_and_empty_parts() -> None:
    script = "-- a comment;\nCREATE TABLE a (x int);\n\nCREATE INDEX b ON a (x);\n"
    assert migrations.split_statements(script) == ("CREATE TABLE a (x int)", "CREATE INDEX b ON a (x)")


# -- SQLite: URLs and unusable files -------------------------------------------------------------


@pytest.mark.sqlite
def test_sqlite_relative_url_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with open_storage("sqlite:///relative.db") as store:
        store.run(lambda tx: tx.put(("k",), 1))
    assert (tmp_path / "relative.db").is_file()


@pytest.mark.sqlite
@pytest.mark.parametrize("option", ["synchronous=full", "synchronous=normal", "timeout=2.5"])
def test_sqlite_url_options_are_accepted(tmp_path: Path, option: str) -> None:
    with open_storage(f"sqlite:///{tmp_path / 'x.db'}?{option}") as store:
        store.run(lambda tx: tx.put(("k",), 1))
        assert store.run(lambda tx: tx.get(("k",))) == 1


@pytest.mark.sqlite
@pytest.mark.parametrize(
    "url",
    ["sqlite://host/x.db", "sqlite:///", "sqlite:///x.db?synchronous=sometimes", "sqlite:///x.db?cache=big",
     "sqlite:///x.db?timeout=soon"],
)
def test_sqlite_bad_urls_are_refused_naming_the_url(url: str) -> None:
    with pytest.raises(StorageUnavailableError) as raised:
        open_storage(url)
    assert url in str(raised.value)


@pytest.mark.sqlite
def test_sqlite_unopenable_paths_raise_unavailable_naming_the_url(tmp_path: Path) -> None:
    for path in (tmp_path / "missing-dir" / "x.db", tmp_path):
        url = f"sqlite:///{path}"
        with pytest.raises(StorageUnavailableError) as raised:
            open_storage(url)
        assert url in str(raised.value)


@pytest.mark.sqlite
def test_sqlite_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not an SQLite file" * 100)
    with pytest.raises(StorageUnavailableError, match="not a database"):
        open_storage(f"sqlite:///{path}")


# -- PostgreSQL: unreachable servers and credentials ---------------------------------------------


def _refused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.postgres
def test_postgres_down_raises_unavailable_without_the_password() -> None:
    url = f"postgresql://{PASSWORD_USER}:{PASSWORD}@127.0.0.1:{_refused_port()}/metalnet"
    with pytest.raises(StorageUnavailableError) as raised:
        open_storage(url)
    message = str(raised.value)
    assert PASSWORD not in message
    assert f"{PASSWORD_USER}:***@127.0.0.1" in message


@pytest.mark.postgres
def test_postgres_bad_credentials_raise_unavailable_without_the_password(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    url = postgres_server.url("metalnet_test", PASSWORD_USER, "wrong-password")
    with pytest.raises(StorageUnavailableError) as raised:
        open_storage(url)
    message = str(raised.value)
    assert "wrong-password" not in message
    assert "password authentication failed" in message
    assert f"{PASSWORD_USER}:***@" in message


@pytest.mark.postgres
def test_postgres_right_credentials_work(postgres_server: PostgresServer, postgres_url: str) -> None:
    options = postgres_url.split("?", 1)[1]
    url = postgres_server.url("metalnet_test", PASSWORD_USER, PASSWORD) + "?" + options
    with open_storage(url) as store:
        store.run(lambda tx: tx.put(("k",), 1))
        assert store.run(lambda tx: tx.get(("k",))) == 1


@pytest.mark.postgres
def test_postgres_unknown_database_raises_unavailable(postgres_server: PostgresServer) -> None:
    with pytest.raises(StorageUnavailableError, match="no_such_db"):
        open_storage(postgres_server.url("no_such_db"))


@pytest.mark.postgres
def test_postgres_bad_pool_option_is_refused() -> None:
    with pytest.raises(StorageUnavailableError, match="pool_size"):
        open_storage("postgresql://u:pw@127.0.0.1:1/db?pool_size=many")


@pytest.mark.sqlite
def test_sqlite_store_opened_before_fork_works_in_the_child(tmp_path: Path) -> None:
    import os

    with open_storage(f"sqlite:///{tmp_path / 'fork.db'}") as store:
        store.run(lambda tx: tx.put(("parent",), 1))
        pid = os.fork()
        if pid == 0:  # the child: use the inherited store, report through the exit code
            try:
                store.run(lambda tx: tx.put(("child",), int(tx.get(("parent",)) == 1)))  # type: ignore[arg-type]
                os._exit(0)
            except BaseException:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert store.run(lambda tx: tx.get(("child",))) == 1


def test_a_nested_run_is_refused_and_leaves_the_outer_transaction_intact(sql_store: SqlStore) -> None:
    with open_storage(sql_store.url) as store:

        def outer(tx: Transaction) -> str:
            tx.put(("outer", 1), 1)
            with pytest.raises(StorageError, match="inside a transaction") as raised:
                store.run(lambda inner: inner.put(("inner",), 1))
            tx.put(("outer", 2), 2)
            return str(raised.value)

        message = store.run(outer)
        assert "pass the outer transaction down" in message
        assert store.run(lambda tx: tx.scan(("outer",))) == [(("outer", 1), 1), (("outer", 2), 2)]
        assert store.run(lambda tx: tx.get(("inner",))) is None


@pytest.mark.postgres
def test_postgres_password_in_the_query_is_redacted_too() -> None:
    url = f"postgresql://{PASSWORD_USER}@127.0.0.1:{_refused_port()}/metalnet?password={PASSWORD}&sslmode=disable"
    with pytest.raises(StorageUnavailableError) as raised:
        open_storage(url)
    assert PASSWORD not in str(raised.value)
    assert "password=***&sslmode=disable" in str(raised.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u@h/db?sslmode=require&password=pw", "postgresql://u@h/db?sslmode=require&password=***"),
        ("sqlite:///relative.db", "sqlite:///relative.db"),
        ("sqlite:////abs/x.db?synchronous=full", "sqlite:////abs/x.db?synchronous=full"),
    ],
)
def test_redact_url_hides_every_password_and_keeps_the_rest(url: str, shown: str) -> None:
    assert redact_url(url) == shown
