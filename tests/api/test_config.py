"""The one configuration loader: sources, precedence, validation, and every documented setting's effect."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from metalnet.api.__main__ import parser
from metalnet.api.config import (
    CONFIG_FILE_ENV,
    OPTIONS,
    WORKER_CONFIG_ENV,
    ConfigError,
    ServerConfig,
    config_from_env,
    encode_config,
    load_config,
)
from metalnet.api.server import uvicorn_config
from metalnet.api.settings import Role
from metalnet.history.retention import HistorySettings
from tests.api.live import REPO
from tests.api.serving import metalnet_serve

#: a value different from the default for every setting, as the command line and the environment spell it
SAMPLES: dict[str, tuple[str, Any]] = {
    "host": ("127.0.0.2", "127.0.0.2"),
    "port": ("9091", 9091),
    "db": ("sqlite:///elsewhere.db", "sqlite:///elsewhere.db"),
    "workers": ("3", 3),
    "hmac_view_key": ("kv", "kv"),
    "hmac_edit_key": ("ke", "ke"),
    "hmac_admin_key": ("ka", "ka"),
    "tokens": ("admin:t1", ("admin:t1",)),
    "log_level": ("debug", "debug"),
    "request_log": ("false", False),
    "max_body_bytes": ("1000", 1000),
    "header_timeout": ("2.5", 2.5),
    "body_timeout": ("3.5", 3.5),
    "keepalive_timeout": ("1.5", 1.5),
    "max_connections": ("77", 77),
    "idempotency_ttl": ("600", 600.0),
    "request_deadline": ("2.5", 2.5),
    "history": ("off", False),
    "history_max_age": ("7d", 7 * 86400.0),
    "history_max_count": ("1000", 1000),
    "history_prune_interval": ("5m", 300.0),
}


def test_every_setting_has_a_sample() -> None:
    assert set(SAMPLES) == {o.field for o in OPTIONS} == set(ServerConfig.__struct_fields__)
    defaults = ServerConfig()
    for field, (_, value) in SAMPLES.items():
        assert getattr(defaults, field) != value, field


@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: o.field)
def test_each_source_sets_each_setting(option: Any, tmp_path: Path) -> None:
    text, value = SAMPLES[option.field]
    assert getattr(load_config(environ={option.env: text}), option.field) == value
    argv = [option.flag] if option.switch and value is True else [f"--no-{option.flag[2:]}"] if option.switch \
        else [option.flag, text]
    flags = vars(parser().parse_args(argv))
    flags.pop("config_file")
    assert getattr(load_config(flags, environ={}), option.field) == value
    file = tmp_path / "metalnet.yaml"
    file.write_text(f"{option.field}: {text}\n")
    assert getattr(load_config(environ={CONFIG_FILE_ENV: str(file)}), option.field) == value
    assert getattr(load_config(config_file=str(file)), option.field) == value


def test_precedence_flags_then_environment_then_file_then_defaults(tmp_path: Path) -> None:
    file = tmp_path / "serve.yaml"
    file.write_text("port: 7001\nworkers: 2\nlog_level: warning\n")
    env = {"METALNET_PORT": "7002", "METALNET_WORKERS": "3", CONFIG_FILE_ENV: str(file)}
    config = load_config({"port": 7003, "workers": None}, env)
    assert (config.port, config.workers, config.log_level, config.host) == (7003, 3, "warning", "127.0.0.1")


def test_tokens_from_every_source_and_the_old_flag_name(tmp_path: Path) -> None:
    assert load_config(environ={"METALNET_TOKENS": "view:a, admin@p:b,"}).tokens == ("view:a", "admin@p:b")
    flags = vars(parser().parse_args(["--api-token", "view:a", "--token", "edit:b"]))
    flags.pop("config_file")
    settings = load_config(flags, {}).app_settings()
    assert [(t.role, t.token) for t in settings.tokens] == [(Role.VIEW, "a"), (Role.EDIT, "b")]
    (tmp_path / "f.yaml").write_text("tokens: admin:c\n")
    assert load_config(config_file=str(tmp_path / "f.yaml")).tokens == ("admin:c",)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"METALNET_PORT": "eighty"}, "--port / METALNET_PORT (from the environment): invalid int value: 'eighty'"),
        ({"METALNET_WORKERS": "0"}, "--workers / METALNET_WORKERS (from the environment): invalid value '0'"),
        ({"METALNET_LOG_LEVEL": "loud"}, "invalid value 'loud'"),
        ({"METALNET_HEADER_TIMEOUT": "-1"}, "--header-timeout / METALNET_HEADER_TIMEOUT"),
        ({"METALNET_TOKENS": "nonsense"}, "ROLE[@PROJECT]:TOKEN"),
        ({"METALNET_HISTORY": "maybe"}, "--history / METALNET_HISTORY (from the environment): invalid bool value"),
        ({"METALNET_HISTORY_MAX_AGE": "a month"},
         "--history-max-age / METALNET_HISTORY_MAX_AGE (from the environment): invalid duration 'a month'"),
        ({"METALNET_HISTORY_MAX_COUNT": "0"}, "--history-max-count / METALNET_HISTORY_MAX_COUNT"),
        ({CONFIG_FILE_ENV: "/nonexistent/metalnet.yaml"}, "cannot read the config file /nonexistent/metalnet.yaml"),
    ],
)
def test_bad_values_are_one_line_naming_setting_value_and_source(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(environ=env)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_config_file_refuses_unknown_keys_and_secrets_never_show(tmp_path: Path) -> None:
    file = tmp_path / "serve.yaml"
    file.write_text("porte: 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'porte' in the config file"):
        load_config(config_file=str(file))
    config = load_config(environ={"METALNET_HMAC_ADMIN_KEY": "s3cret-key", "METALNET_TOKENS": "admin:s3cret-tok"})
    assert "s3cret" not in repr(config)
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"METALNET_TOKENS": "admin"})
    assert "admin" not in str(caught.value).split(":", 1)[1].replace("malformed token spec starting with 'admin'", "")


def test_workers_get_the_validated_configuration_itself() -> None:
    config = load_config(environ={"METALNET_MAX_BODY_BYTES": "1000", "METALNET_REQUEST_LOG": "0",
                                  "METALNET_TOKENS": "admin:a,view:b"}, flags={"workers": 2})
    handed = config_from_env({WORKER_CONFIG_ENV: encode_config(config), "METALNET_MAX_BODY_BYTES": "5"})
    assert handed == config
    assert config_from_env({"METALNET_MAX_BODY_BYTES": "5"}).max_body_bytes == 5


def test_each_setting_reaches_the_server_or_the_app() -> None:
    values = {field: value for field, (_, value) in SAMPLES.items()}
    config = msgspec.convert(values, ServerConfig)
    server = uvicorn_config(object(), config, {"version": 1, "disable_existing_loggers": False})
    assert (server.host, server.port, server.workers) == ("127.0.0.2", 9091, 1)
    assert (server.timeout_keep_alive, server.max_connections, server.header_timeout) == (1.5, 77, 2.5)
    assert server.log_level == "debug"
    settings = config.app_settings()
    assert settings.hmac_keys == {Role.VIEW: "kv", Role.EDIT: "ke", Role.ADMIN: "ka"}
    assert [(t.role, t.token) for t in settings.tokens] == [(Role.ADMIN, "t1")]
    assert (settings.max_body_bytes, settings.request_log, settings.body_timeout) == (1000, False, 3.5)
    assert settings.idempotency_ttl == 600.0
    assert settings.request_deadline == 2.5
    assert settings.history == HistorySettings(enabled=False, max_age=7 * 86400.0, max_count=1000, prune_interval=300.0)


def test_docs_name_every_flag_and_variable() -> None:
    text = (REPO / "docs" / "api.md").read_text()
    for option in OPTIONS:
        assert f"`{option.flag}`" in text, option.field
        assert f"`{option.env}`" in text, option.field
    assert f"`{CONFIG_FILE_ENV}`" in text
    section = text.partition("## Starting the server")[2].partition("\n## ")[0]  # the server's settings
    documented = set(re.findall(r"`(METALNET_[A-Z_]+)`", section)) - {CONFIG_FILE_ENV, WORKER_CONFIG_ENV}
    client_side = {"METALNET_URL", "METALNET_TOKEN", "METALNET_CONFIG"}  # the CLI client's (docs/cli.md)
    assert documented <= {o.env for o in OPTIONS} | client_side, "a variable nobody reads"
    deployed = set(re.findall(r"^#?(METALNET_[A-Z_]+)=", (REPO / "deploy" / "metalnet.env.example").read_text(),
                              flags=re.MULTILINE))
    assert deployed <= {o.env for o in OPTIONS}, "deploy/metalnet.env.example sets a variable nobody reads"


@pytest.mark.parametrize("workers", [1, 2])
def test_body_limit_and_request_log_hold_for_any_number_of_workers(workers: int, tmp_path: Path) -> None:
    """The variables ``metalnet serve`` documents take effect in every worker (they once did not)."""
    env = {"METALNET_MAX_BODY_BYTES": "1000", "METALNET_REQUEST_LOG": "false", "METALNET_WORKERS": str(workers)}
    with metalnet_serve(tmp_path, env=env) as server:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            statuses = {client.post("/v1/ip/find", content=b"{" + b" " * 1500 + b"}").status_code
                        for _ in range(8)}
            small = client.post("/v1/ip/find", json={}).status_code
        log = server.log.read_text()
    assert statuses == {413}
    assert small == 200
    assert '"event":"request"' not in log
    assert f"{workers} worker(s)" in log


def test_history_settings_take_effect_in_the_server_flags_over_variables(tmp_path: Path) -> None:
    """``--no-history`` beats ``METALNET_HISTORY=on``; ``--history-max-count`` beats its variable."""
    with metalnet_serve(tmp_path, "--no-history", env={"METALNET_HISTORY": "on"}) as server, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.put("/v1/partition", json={"id": "p1"}).status_code == 201
        assert client.get("/v1/events").json()["events"] == []  # nothing recorded
    env = {"METALNET_HISTORY": "off", "METALNET_HISTORY_MAX_COUNT": "1000", "METALNET_HISTORY_PRUNE_INTERVAL": "1h"}
    with metalnet_serve(tmp_path, "--history", "--history-max-count", "2", "--history-prune-interval", "0.1",
                        env=env) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        for name in ("p1", "p2", "p3", "p4"):
            assert client.put("/v1/partition", json={"id": name}).status_code == 201
        deadline = time.monotonic() + 10
        while len(client.get("/v1/events").json()["events"]) != 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the pruner runs every 0.1 s (the flag), not every hour (the variable)
        events = client.get("/v1/events").json()["events"]
    assert [event["seq"] for event in events] == [3, 4]
