"""``metalnet events``: the history of changes, listed or followed as it happens (docs/history.md).

Following reads the server-sent events of ``GET /v1/events/stream`` and, when the connection drops (a server
restart, a proxy timeout), reconnects with ``Last-Event-ID``, so no event is missed or printed twice.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any

import click
import httpx
import msgspec

from cli.client import Api, error_message
from cli.errors import ApiError, ConnectionFailed
from cli.options import output_option
from cli.output import render_table, to_json, to_yaml
from cli.state import state

PAGE = 1000
#: consecutive failed connection attempts of ``--follow`` before it gives up (about a minute)
MAX_RECONNECTS = 60
RECONNECT_SECONDS = 1.0
#: the server sends a keepalive comment every 15 s; twice that without a byte means the connection is dead
READ_TIMEOUT = 35.0
KINDS = ("network", "ip", "partition", "project", "prefix", "child-prefix", "ipam-ip", "namespace")
HEADERS = ("SEQ", "TIME", "ACTION", "KIND", "ID", "PROJECT", "BY", "ROUTE")


def fetch_events(api: Api, query: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    """Every retained event matching ``query`` (paged), and the newest sequence number of the store."""
    found: list[dict[str, Any]] = []
    after = int(query.pop("after", "0"))
    while True:
        page = api.call("GET", "/v1/events", params={**query, "after": str(after), "limit": str(PAGE)})
        found.extend(page["events"])
        if len(page["events"]) < PAGE:
            return found, int(page["newest"])
        after = int(page["events"][-1]["seq"])


def by(event: dict[str, Any]) -> str:
    principal = event.get("principal") or {}
    return str(principal.get("name", ""))


def event_row(event: dict[str, Any]) -> list[str]:
    return [str(event["seq"]), str(event["at"]), event["action"], event["kind"], event["id"],
            event.get("project") or "", by(event), event.get("route") or ""]


def events_table(events: list[dict[str, Any]], wide: bool = False) -> str:
    return render_table(HEADERS, [event_row(event) for event in events])


def ip_history_table(events: list[dict[str, Any]], wide: bool = False) -> str:
    """One line per change of an address: when, what, and the project and network that held it."""
    rows = []
    for event in events:
        state = event.get("after") or event.get("before") or {}
        rows.append([str(event["at"]), event["action"], state.get("projectid", ""), state.get("networkid", ""),
                     state.get("name", ""), by(event)])
    return render_table(("TIME", "ACTION", "PROJECT", "NETWORK", "NAME", "BY"), rows)


def _print_one(event: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        click.echo(msgspec.json.encode(event).decode())  # one object per line (JSON lines)
    elif fmt == "yaml":
        click.echo("---\n" + to_yaml(event), nl=False)
    else:
        click.echo("  ".join(event_row(event)))


def sse_messages(lines: Iterator[str]) -> Iterator[tuple[str, str, str]]:
    """(event type, id, data) of each message in a ``text/event-stream`` (comments and retry lines skipped)."""
    kind, ident, data = "message", "", list[str]()
    for line in lines:
        if not line:
            if data:
                yield kind, ident, "\n".join(data)
            kind, ident, data = "message", "", []
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            data.append(value)
        elif field == "id":
            ident = value
        elif field == "event":
            kind = value


def follow_stream(api: Api, query: dict[str, str], after: int, fmt: str) -> None:
    """Print each new event after ``after`` as it commits; reconnects with ``Last-Event-ID``."""
    failures = 0
    while True:
        headers = {"Accept": "text/event-stream", "Last-Event-ID": str(after)}
        try:
            with api.http.stream("GET", "/v1/events/stream", params=query, headers=headers,
                                 timeout=httpx.Timeout(10.0, read=READ_TIMEOUT)) as response:
                if response.status_code >= 400:
                    response.read()
                    raise ApiError("GET", "/v1/events/stream", response.status_code, error_message(response))
                failures = 0
                for kind, ident, data in sse_messages(response.iter_lines()):
                    if kind == "gap":
                        gap = msgspec.json.decode(data)
                        click.echo(f"warning: events {after + 1}..{gap['oldest'] - 1} were pruned before they "
                                   "could be read", err=True)
                        continue
                    _print_one(msgspec.json.decode(data), fmt)
                    sys.stdout.flush()
                    after = int(ident)
        except httpx.HTTPError as exc:
            failures += 1
            if failures > MAX_RECONNECTS:
                raise ConnectionFailed(f"lost the event stream of {api.url} and could not reconnect: {exc}") from None
        time.sleep(RECONNECT_SECONDS if failures else 0.0)


@click.command("events")
@click.option("--since", metavar="DURATION", help="Only events of the last DURATION (15m, 2h, 7d) or since a time "
                                                   "(2026-12-04T16:00:00Z).")
@click.option("--kind", type=click.Choice(KINDS), help="Only events of this kind of object.")
@click.option("--id", "ident", help="Only events of the object with this id (with --kind).")
@click.option("--project", help="Only events of objects of this project.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new events as they happen (Ctrl-C stops).")
@output_option
@click.pass_context
def events(ctx: click.Context, since: str | None, kind: str | None, ident: str | None, project: str | None,
           follow: bool) -> None:
    """The history of changes: who changed what, and when."""
    st = state(ctx)
    query = {name: value for name, value in (("kind", kind), ("id", ident), ("project", project)) if value}
    if not follow:
        found, _ = fetch_events(st.api, {**query, **({"since": since} if since else {})})
        if st.output == "json":
            click.echo(to_json(found))
        elif st.output == "yaml":
            click.echo(to_yaml(found), nl=False)
        else:
            click.echo(events_table(found))
        return
    # the past first (with --since), then the stream from the newest number the store had when it was read
    if since:
        found, newest = fetch_events(st.api, {**query, "since": since})
    else:
        found, newest = [], int(st.api.call("GET", "/v1/events", params={**query, "limit": "1"})["newest"])
    if st.output in ("table", "wide"):
        click.echo("  ".join(HEADERS))
    for event in found:
        _print_one(event, st.output)
    try:
        follow_stream(st.api, query, newest, st.output)
    except KeyboardInterrupt:
        return
