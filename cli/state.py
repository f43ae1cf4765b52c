"""What the root group hands to every command in ``ctx.obj``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import click
import httpx

from cli.client import Api

OUTPUT_FORMATS = ("table", "wide", "yaml", "json")


@dataclass
class CliState:
    """The HTTP client (built on first use) and the chosen output format.

    Attributes:
        http: an injected client (tests pass a ``litestar.testing.TestClient``); built by ``connect`` otherwise.
        connect: builds the client from flags, environment and config file; only called when a command talks
            to the API, so ``serve`` and ``--help`` work without a usable config.
        output: table, wide, yaml or json.
    """

    http: httpx.Client | None = None
    connect: Callable[[], httpx.Client] | None = None
    output: str = "table"
    _api: Api | None = field(default=None, repr=False)
    _owns_http: bool = field(default=False, repr=False)

    @property
    def api(self) -> Api:
        """The API client."""
        if self._api is None:
            if self.http is None:
                if self.connect is None:
                    raise click.UsageError("no API client configured")
                self.http = self.connect()
                self._owns_http = True
            self._api = Api(self.http)
        return self._api

    def close(self) -> None:
        """Close the client if this state built it (an injected client belongs to the caller)."""
        if self._owns_http and self.http is not None:
            self.http.close()


def state(ctx: click.Context) -> CliState:
    """The :class:`CliState` of the command's context."""
    return ctx.ensure_object(CliState)
