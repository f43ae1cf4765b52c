"""Where the CLI finds the API and its credentials: flags > environment > config file > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.config import DEFAULT_URL, Source, resolve
from cli.errors import ConfigError

CONFIG = """\
current: lab
contexts:
  lab:
    url: http://lab.example:8080/
    hmac: lab-key
    hmac_user: Metal-Edit
  prod:
    url: https://prod.example
    token: prod-token
"""


@pytest.fixture
def config_file(isolated_env: Path) -> Path:
    path = isolated_env / ".metalnet" / "config.yaml"
    path.parent.mkdir()
    path.write_text(CONFIG)
    return path


def test_defaults_without_any_source() -> None:
    conn = resolve(Source(), {})
    assert (conn.url, conn.token, conn.hmac, conn.hmac_user, conn.context) == (
        DEFAULT_URL, None, None, "Metal-Admin", None)


def test_current_context_of_the_home_config_file(config_file: Path) -> None:
    conn = resolve(Source(), {})
    assert (conn.url, conn.hmac, conn.hmac_user, conn.context) == (
        "http://lab.example:8080", "lab-key", "Metal-Edit", "lab")


def test_named_context_by_flag_and_by_env(config_file: Path) -> None:
    assert resolve(Source(), {}, context="prod").token == "prod-token"
    assert resolve(Source(), {"METALNET_CONTEXT": "prod"}).url == "https://prod.example"


def test_env_beats_file_and_flags_beat_env(config_file: Path) -> None:
    env = {"METALNET_URL": "http://env.example", "METALNET_TOKEN": "env-token"}
    from_env = resolve(Source(), env)
    assert (from_env.url, from_env.token, from_env.hmac) == ("http://env.example", "env-token", None)
    from_flags = resolve(Source(url="http://flag.example", hmac="flag-key"), env)
    assert (from_flags.url, from_flags.token, from_flags.hmac) == ("http://flag.example", None, "flag-key")
    # the user is resolved on its own: the flag source gave none, the file context did
    assert from_flags.hmac_user == "Metal-Edit"


def test_hmac_wins_over_a_token_of_the_same_source() -> None:
    conn = resolve(Source(token="t", hmac="k"), {})
    assert (conn.token, conn.hmac) == (None, "k")


def test_unknown_context_names_the_known_ones(config_file: Path) -> None:
    with pytest.raises(ConfigError, match=r"context 'staging' is not defined in .*config.yaml \(defined: lab, prod\)"):
        resolve(Source(), {}, context="staging")


def test_unknown_field_in_the_config_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("contexts:\n  a:\n    url: http://x\n    hamc: oops\n")
    with pytest.raises(ConfigError, match=r"c.yaml: Object contains unknown field `hamc` - at `\$.contexts\[...\]`"):
        resolve(Source(), {}, config_path=path)


def test_explicit_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        resolve(Source(), {}, config_path=tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="does not exist"):
        resolve(Source(), {"METALNET_CONFIG": str(tmp_path / "missing.yaml")})


def test_missing_home_config_is_fine() -> None:
    assert resolve(Source(), {}).url == DEFAULT_URL


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "ftp://x"])
def test_url_must_be_http(url: str) -> None:
    with pytest.raises(ConfigError, match="must start with http:// or https://"):
        resolve(Source(url=url), {})


def test_hmac_user_must_be_a_metal_user() -> None:
    with pytest.raises(ConfigError, match="'Metal-Root' is not one of Metal-View, Metal-Edit, Metal-Admin"):
        resolve(Source(), {"METALNET_HMAC_USER": "Metal-Root"})
