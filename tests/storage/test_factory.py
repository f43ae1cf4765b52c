"""open_storage without a driver: the error names the extra that installs it (the drivers are extras)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from metalnet.storage import StorageUnavailableError, open_storage


def _without(monkeypatch: pytest.MonkeyPatch, driver: str, backend: str) -> None:
    """As if ``driver`` were not installed and ``backend`` never imported (restored after the test)."""
    monkeypatch.setitem(sys.modules, driver, None)  # None in sys.modules: the import fails as "not found"
    for name in [name for name in sys.modules if name == backend or name.startswith(f"{backend}.")]:
        monkeypatch.delitem(sys.modules, name)


@pytest.mark.parametrize(
    ("url", "driver", "backend", "extra"),
    [
        ("postgresql://metalnet:hunter2@127.0.0.1:1/metalnet", "psycopg", "metalnet.storage.postgres", "postgres"),
        ("postgresql://metalnet@127.0.0.1:1/metalnet", "psycopg_pool", "metalnet.storage.postgres", "postgres"),
        ("rethinkdb://127.0.0.1:1/metalnet", "rethinkdb", "metalnet.storage.rethinkdb", "rethinkdb"),
    ],
)
def test_a_missing_driver_names_the_extra_that_installs_it(
    monkeypatch: pytest.MonkeyPatch, url: str, driver: str, backend: str, extra: str
) -> None:
    _without(monkeypatch, driver, backend)
    with pytest.raises(StorageUnavailableError) as caught:
        open_storage(url)
    message = str(caught.value)
    assert f"pip install 'metalnet[{extra}]'" in message
    assert driver in message
    assert "hunter2" not in message  # the URL is shown without its password


def test_the_storage_package_imports_no_driver() -> None:
    # memory:// and sqlite:// work without any extra installed
    code = (
        "import sys; import metalnet.storage, metalnet.storage.factory; "
        "from metalnet.storage import open_storage; open_storage('memory://'); "
        "bad = [m for m in ('psycopg', 'psycopg_pool', 'rethinkdb') if m in sys.modules]; "
        "assert not bad, bad"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
