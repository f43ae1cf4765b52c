"""Length options are read by the server's own parser: canonical ASCII decimal only, refused before sending."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import FakeApi, Invoke


@pytest.mark.parametrize(("args", "fragment"), [
    (["network", "allocate", "--partition", "p", "--project", "x", "--ipv4-prefix-length", "٢٤"],
     "'٢٤' is not a decimal number of ASCII digits"),
    (["network", "allocate", "--partition", "p", "--project", "x", "--ipv6-prefix-length", "064"],
     "'064' has a leading zero; write 64"),
    (["network", "allocate", "--partition", "p", "--project", "x", "--ipv4-prefix-length", "+24"], "'+24'"),
    (["network", "allocate", "--partition", "p", "--project", "x", "--ipv4-prefix-length", "33"], "1 to 32"),
    (["prefix", "acquire-child", "10.0.0.0/8", "--length", "2_4"], "'2_4'"),
    (["network", "create", "--prefixes", "10.0.0.0/16", "--privatesuper",
      "--default-ipv4-child-prefix-length", "022"], "'022' has a leading zero"),
])
def test_non_canonical_lengths_are_refused(invoke: Invoke, fake_api: FakeApi, args: list[str],
                                           fragment: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr
    assert not fake_api.requests


def test_canonical_lengths_are_sent_as_numbers(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("POST", "/api.v1.IpamService/AcquireChildPrefix", {"prefix": {"cidr": "10.0.0.0/24"}})
    result = invoke("prefix", "acquire-child", "10.0.0.0/8", "--length", "24")
    assert result.exit_code == 0, result.output
    assert fake_api.last_json()["length"] == 24


@pytest.mark.parametrize("written", ["022", "0x16", "2_2", "0b10110", "1:30"])
def test_yaml_numbers_are_canonical_decimal(invoke: Invoke, fake_api: FakeApi, tmp_path: Path, written: str) -> None:
    """YAML 1.1 reads each of these as a number (022 as octal 18); a length so written is refused, not sent."""
    spec = tmp_path / "super.yaml"
    spec.write_text("id: s\nprefixes: [10.0.0.0/16]\nprivatesuper: true\n"
                    f"defaultchildprefixlength:\n  IPv4: {written}\n")
    result = invoke("network", "create", "-f", str(spec))
    assert result.exit_code != 0, result.output
    assert f"{written} is not a plain decimal number" in result.stderr
    assert "line 5" in result.stderr
    assert not fake_api.requests


def test_yaml_decimal_numbers_still_read(invoke: Invoke, fake_api: FakeApi, tmp_path: Path) -> None:
    fake_api.answer("PUT", "/v1/network", {"id": "s"}, 201)
    spec = tmp_path / "super.yaml"
    spec.write_text("id: s\nprefixes: [10.0.0.0/16]\nprivatesuper: true\nvrf: 0\n"
                    "defaultchildprefixlength:\n  IPv4: 22\n")
    result = invoke("network", "create", "-f", str(spec), "-o", "json")
    assert result.exit_code == 0, result.output
    assert fake_api.last_json()["defaultchildprefixlength"] == {"IPv4": 22}
