"""``metalnet serve``: run the API server (the one command that is not an API client)."""

from __future__ import annotations

import click

from cli.errors import ConfigError


@click.command("serve")
@click.option("--host", envvar="METALNET_HOST", default="127.0.0.1", show_default=True, show_envvar=True,
              help="Listen address; anything but loopback needs HMAC keys or tokens.")
@click.option("--port", envvar="METALNET_PORT", type=click.IntRange(1, 65535), default=8080, show_default=True,
              show_envvar=True, help="TCP port.")
@click.option("--db", "db_url", envvar="METALNET_DB", show_envvar=True, metavar="URL",
              help="Storage URL: sqlite:///FILE, postgresql://…, rethinkdb://…, memory:// "
                   "(default: the SQLite file ./metalnet.db).")
@click.option("--workers", envvar="METALNET_WORKERS", type=click.IntRange(min=1), default=1, show_default=True,
              show_envvar=True, help="Server processes sharing the database.")
@click.option("--hmac-view-key", envvar="METALNET_HMAC_VIEW_KEY", show_envvar=True, metavar="KEY",
              help="HMAC key of the Metal-View user (reads).")
@click.option("--hmac-edit-key", envvar="METALNET_HMAC_EDIT_KEY", show_envvar=True, metavar="KEY",
              help="HMAC key of the Metal-Edit user (allocate, free, update).")
@click.option("--hmac-admin-key", envvar="METALNET_HMAC_ADMIN_KEY", show_envvar=True, metavar="KEY",
              help="HMAC key of the Metal-Admin user (everything).")
@click.option("--api-token", "tokens", multiple=True, envvar="METALNET_TOKENS", show_envvar=True,
              metavar="ROLE[@PROJECT]:TOKEN",
              help="Accepted bearer token with its role (repeatable; the variable is comma-separated).")
@click.option("--log-level", envvar="METALNET_LOG_LEVEL", default="info", show_default=True, show_envvar=True,
              type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False), help="Log level.")
def serve(host: str, port: int, db_url: str | None, workers: int, hmac_view_key: str | None,
          hmac_edit_key: str | None, hmac_admin_key: str | None, tokens: tuple[str, ...], log_level: str) -> None:
    """Run the metalnet API server (until SIGTERM or Ctrl-C)."""
    # imported here: every other command is a light HTTP client and must not load the server stack
    from metalnet.api.server import serve as run_server
    from metalnet.storage import StorageError

    specs = [spec.strip() for value in tokens for spec in value.split(",") if spec.strip()]
    try:
        run_server(host=host, port=port, db_url=db_url, workers=workers,
                   hmac_keys={"view": hmac_view_key, "edit": hmac_edit_key, "admin": hmac_admin_key},
                   tokens=specs, log_level=log_level.lower())
    except (ValueError, StorageError) as exc:  # ServeConfigError is a ValueError; a bad --db a StorageError
        raise ConfigError(str(exc)) from None
    except SystemExit as exc:
        # uvicorn exits (code 3) when it cannot bind; it has logged why on the line above
        if exc.code not in (0, None):
            raise click.ClickException(f"the server could not start on {host}:{port} (see the log above)") from None
