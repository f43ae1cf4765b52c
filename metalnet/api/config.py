"""The server's configuration: one loader for every entry point and every worker process.

:func:`load_config` merges, per setting, the first source that gives it — command-line flags, then the
``METALNET_*`` environment variables, then a YAML config file (``--config-file`` / ``METALNET_SERVER_CONFIG``),
then the defaults below — and validates the result once, with msgspec, into a frozen :class:`ServerConfig`.
``metalnet serve`` (click) and ``python -m metalnet.api`` (argparse) build their flags from the same table,
:data:`OPTIONS`, so the two cannot drift apart; worker processes receive the validated configuration itself
(:func:`encode_config` / :func:`config_from_env`), never a re-parse of some of its parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import yaml

from metalnet.api.settings import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_IDEMPOTENCY_TTL,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_REQUEST_DEADLINE,
    ApiToken,
    Settings,
)
from metalnet.history.retention import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_COUNT,
    DEFAULT_PRUNE_INTERVAL,
    HistorySettings,
    parse_duration,
)

#: the variable naming the YAML config file (``METALNET_CONFIG`` is the CLI client's file)
CONFIG_FILE_ENV = "METALNET_SERVER_CONFIG"
#: how ``serve`` hands the validated configuration to its worker processes
WORKER_CONFIG_ENV = "METALNET_WORKER_CONFIG"

Seconds = Annotated[float, msgspec.Meta(gt=0, le=3600)]
#: a duration of any length; the flags, variables and file may spell it ``30d``, ``12h``, ``90m``, ``45s``
Duration = Annotated[float, msgspec.Meta(gt=0)]
#: a switch's value as a variable or the file may spell it
_SWITCH_WORDS = {"1": True, "on": True, "true": True, "yes": True, "0": False, "off": False, "false": False,
                 "no": False}


class ConfigError(ValueError):
    """The configuration is unusable; the message is one line naming the setting and where it came from."""


class ServerConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything ``serve`` needs; field names are the config file's keys (see :data:`OPTIONS`)."""

    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8080
    #: storage URL; ``None`` is the SQLite file ``./metalnet.db``
    db: str | None = None
    workers: Annotated[int, msgspec.Meta(ge=1, le=64)] = 1
    hmac_view_key: str | None = None
    hmac_edit_key: str | None = None
    hmac_admin_key: str | None = None
    #: bearer tokens as ``ROLE[@PROJECT]:TOKEN`` specs
    tokens: tuple[str, ...] = ()
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    request_log: bool = True
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1)] = DEFAULT_MAX_BODY_BYTES
    #: a connection that has not sent a request's complete header block in time is closed
    header_timeout: Seconds = 10.0
    #: a request whose declared body has not arrived in time is answered 408 and its connection closed
    body_timeout: Seconds = DEFAULT_BODY_TIMEOUT
    #: an idle keep-alive connection is closed after this long
    keepalive_timeout: Seconds = 5.0
    #: open connections per worker process; a request beyond them is answered 503 at once
    max_connections: Annotated[int, msgspec.Meta(ge=1)] = 2048
    #: how long an Idempotency-Key and its answer are kept (up to 30 days)
    idempotency_ttl: Annotated[float, msgspec.Meta(gt=0, le=30 * 86400)] = DEFAULT_IDEMPOTENCY_TTL
    #: a request's storage work commits within this many seconds of its arrival, else it is rolled back (503)
    request_deadline: Seconds = DEFAULT_REQUEST_DEADLINE
    #: whether changes are recorded in the history (docs/history.md); off records nothing
    history: bool = True
    #: events older than this many seconds are pruned
    history_max_age: Duration = DEFAULT_MAX_AGE
    #: the most events kept; older ones are pruned
    history_max_count: Annotated[int, msgspec.Meta(ge=1)] = DEFAULT_MAX_COUNT
    #: seconds between two pruning rounds of each server process
    history_prune_interval: Annotated[float, msgspec.Meta(ge=0.01)] = DEFAULT_PRUNE_INTERVAL

    def __repr__(self) -> str:  # secrets never reach a log line or a traceback
        shown = {name: getattr(self, name) for name in self.__struct_fields__ if name not in SECRET_FIELDS}
        return f"ServerConfig({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    @property
    def history_settings(self) -> HistorySettings:
        return HistorySettings(enabled=self.history, max_age=self.history_max_age, max_count=self.history_max_count,
                               prune_interval=self.history_prune_interval)

    @property
    def hmac_keys(self) -> dict[str, str | None]:
        return {"view": self.hmac_view_key, "edit": self.hmac_edit_key, "admin": self.hmac_admin_key}

    def app_settings(self) -> Settings:
        """The app's settings (credentials, limits).

        Raises:
            ConfigError: an unknown role or a malformed token spec.
        """
        try:
            return Settings.build(self.hmac_keys, self.tokens, max_body_bytes=self.max_body_bytes,
                                  request_log=self.request_log, body_timeout=self.body_timeout,
                                  idempotency_ttl=self.idempotency_ttl, request_deadline=self.request_deadline,
                                  history=self.history_settings)
        except ValueError as exc:
            raise ConfigError(f"--api-token / METALNET_TOKENS: {exc}") from None


DEFAULTS: dict[str, Any] = msgspec.structs.asdict(ServerConfig())
SECRET_FIELDS = frozenset({"hmac_view_key", "hmac_edit_key", "hmac_admin_key", "tokens"})


@dataclass(frozen=True)
class Option:
    """One setting as the command line and the environment spell it."""

    field: str
    help: str
    metavar: str | None = None
    #: a ``--flag/--no-flag`` switch
    switch: bool = False
    #: repeatable flag; its variable is a comma-separated list
    multiple: bool = False
    #: accepted besides :attr:`flag` (kept so existing scripts work)
    aliases: tuple[str, ...] = ()
    #: the variable's name when it is not ``METALNET_<FIELD>``
    env_name: str | None = None
    #: the value takes a duration (``30d``, ``12h``, ``90m``, ``45s`` or seconds)
    duration: bool = False
    #: the default as the help shows it, when the stored value would read badly (seconds of a duration)
    shown_default: str | None = None

    @property
    def flag(self) -> str:
        return "--" + self.field.replace("_", "-") if self.field != "tokens" else "--api-token"

    @property
    def env(self) -> str:
        return self.env_name or f"METALNET_{self.field.upper()}"

    def describe(self) -> str:
        """The help text with the variable and the default (read from :class:`ServerConfig`, never restated)."""
        default = self.shown_default or DEFAULTS.get(self.field)
        shown = f"; default {'on' if default is True else default}" if default not in (None, (), False) else ""
        return f"{self.help} [env {self.env}{shown}]"


OPTIONS: tuple[Option, ...] = (
    Option("host", "Listen address; anything but loopback needs HMAC keys or tokens.",
           "HOST"),
    Option("port", "TCP port.", "PORT"),
    Option("db", "Storage URL: sqlite:///FILE, postgresql://…, rethinkdb://…, memory:// "
                 "(default: the SQLite file ./metalnet.db).", "URL"),
    Option("workers", "Server processes sharing the database.", "N"),
    Option("hmac_view_key", "HMAC key of the Metal-View user (reads).", "KEY"),
    Option("hmac_edit_key", "HMAC key of the Metal-Edit user (allocate, free, update).", "KEY"),
    Option("hmac_admin_key", "HMAC key of the Metal-Admin user (everything).", "KEY"),
    Option("tokens", "Accepted bearer token with its role (repeatable; the variable is comma-separated).",
           "ROLE[@PROJECT]:TOKEN", multiple=True, aliases=("--token",), env_name="METALNET_TOKENS"),
    Option("log_level", "debug, info, warning or error.", "LEVEL"),
    Option("request_log", "One JSON log line per request.", switch=True),
    Option("max_body_bytes", "Largest request body; a larger one is answered 413.", "BYTES"),
    Option("header_timeout", "Seconds a connection may take to send a request's headers.", "SECONDS"),
    Option("body_timeout", "Seconds a request may take to send its body; then 408.", "SECONDS"),
    Option("keepalive_timeout", "Seconds an idle keep-alive connection stays open.", "SECONDS"),
    Option("max_connections", "Open connections per worker; a request beyond them gets 503.", "N"),
    Option("idempotency_ttl", "Seconds an Idempotency-Key and its answer are kept.", "SECONDS"),
    Option("request_deadline", "Seconds from a request's arrival to commit its storage work; else 503.",
           "SECONDS"),
    Option("history", "Record the history of changes (/v1/events); off records nothing.", switch=True),
    Option("history_max_age", "Events older than this are pruned (30d, 12h, 90m, 45s or seconds).", "DURATION",
           duration=True, shown_default="30d"),
    Option("history_max_count", "The most events kept; the oldest beyond them are pruned.", "N",
           shown_default="10000000"),
    Option("history_prune_interval", "Time between two pruning rounds of each process (60, 5m, …).", "DURATION",
           duration=True, shown_default="60s"),
)
CONFIG_FILE_OPTION = Option("config_file", "YAML file with any of these settings (keys as the flags, with _).",
                            "FILE", env_name=CONFIG_FILE_ENV)


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for option in OPTIONS:
        value = environ.get(option.env)
        if value is None or value == "":
            continue
        found[option.field] = [v.strip() for v in value.split(",") if v.strip()] if option.multiple else value
    return found


def _from_file(path: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"the config file {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"the config file {path} must hold a mapping of settings, got {type(loaded).__name__}")
    return {str(key).replace("-", "_"): value for key, value in loaded.items()}


def load_config(flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None,
                config_file: str | None = None) -> ServerConfig:
    """The validated configuration: flags > ``METALNET_*`` variables > config file > defaults.

    Args:
        flags: values given on the command line by field name (``None`` or absent: not given).
        environ: the environment (``{}`` for none).
        config_file: a YAML file; ``None`` means ``$METALNET_SERVER_CONFIG`` if set.

    Raises:
        ConfigError: a value of the wrong type or out of range, an unknown key in the file, an unreadable
            file; the message names the setting and its source.
    """
    environ = {} if environ is None else environ
    path = config_file or environ.get(CONFIG_FILE_ENV) or None
    layers = [("config file " + path, _from_file(path))] if path else []
    layers.append(("environment", _from_env(environ)))
    layers.append(("flags", {k: v for k, v in (flags or {}).items() if v is not None and v != ()}))
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for source, values in layers:
        merged.update(values)
        origin.update(dict.fromkeys(values, source))
    if isinstance(merged.get("tokens"), str):  # a config file may give one token as a plain string
        merged["tokens"] = [merged["tokens"]]
    _read_words(merged, origin)
    try:
        config = msgspec.convert(merged, ServerConfig, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(_explain(str(exc), merged, origin)) from None
    config.app_settings()  # token specs and roles are part of what "validated once" covers
    return config


def _read_words(merged: dict[str, Any], origin: Mapping[str, str]) -> None:
    """Durations (``30d``) into seconds and switch words (``on``/``off``) into booleans, in place."""
    for option in OPTIONS:
        value = merged.get(option.field)
        if not isinstance(value, str):
            continue
        if option.duration:
            try:
                merged[option.field] = parse_duration(value)
            except ValueError as exc:
                raise ConfigError(f"{option.flag} / {option.env} (from the {origin.get(option.field, 'defaults')}): "
                                  f"{exc}") from None
        elif option.switch and value.strip().lower() in _SWITCH_WORDS:
            merged[option.field] = _SWITCH_WORDS[value.strip().lower()]


def _explain(message: str, merged: Mapping[str, Any], origin: Mapping[str, str]) -> str:
    """msgspec's message with the setting spelled as the operator typed it, its value and where it came from."""
    text, _, where = message.partition(" - at `$.")
    field = where.rstrip("`").split("[")[0].split(".")[0]
    option = next((o for o in OPTIONS if o.field == field), None)
    if option is None:
        unknown = text.removeprefix("Object contains unknown field ").strip("`")
        return f"unknown setting {unknown!r} in the {origin.get(unknown, 'configuration')}"
    head = f"{option.flag} / {option.env} (from the {origin.get(field, 'defaults')})"
    if field in SECRET_FIELDS:
        return f"invalid {head}: {text}"
    expected = text.removeprefix("Expected `").split("`")[0]
    if text.startswith("Expected `") and ", got `" in text:  # a wrong type, as argparse says it
        return f"{head}: invalid {expected} value: {merged.get(field)!r}"
    return f"{head}: invalid value {merged.get(field)!r}: {text.replace('`', '')}"


def encode_config(config: ServerConfig) -> str:
    """The configuration as one string, for a worker process's environment."""
    return msgspec.json.encode(config).decode()


def config_from_env(environ: Mapping[str, str]) -> ServerConfig:
    """A worker's configuration: what ``serve`` handed over, else loaded from the environment as ``serve`` does."""
    handed = environ.get(WORKER_CONFIG_ENV)
    if handed:
        return msgspec.json.decode(handed, type=ServerConfig)
    return load_config(environ=environ)


__all__ = ["CONFIG_FILE_ENV", "DEFAULT_MAX_BODY_BYTES", "OPTIONS", "ApiToken", "ConfigError", "Option",
           "ServerConfig", "config_from_env", "encode_config", "load_config"]
