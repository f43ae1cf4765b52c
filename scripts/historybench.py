"""What the history costs: the load benchmark with the history off and on, in alternating rounds of one run,
and how soon a stream delivers an event after its commit.

Each round starts a fresh server (``python -m metalnet.api``, SQLite file unless ``--postgres``/``--db``) and
runs :mod:`loadbench`'s closed-loop ``POST /v1/ip/allocate`` load. Rounds alternate ``METALNET_HISTORY=off``
and ``on`` so that the machine's changing load falls on both sides; the ratio is of the summed rates.
A last round (history on) keeps a follower on ``GET /v1/events/stream`` in a separate process and reports
the delay from each event's time (taken inside its transaction, so the delay includes the commit) to its
arrival at the follower.

    .venv/bin/python scripts/historybench.py --rounds 4 --duration 8
    .venv/bin/python scripts/historybench.py --rounds 0 --follower-connections 4   # delivery at moderate load
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadbench import _nothing, live_server, percentile, postgres_cluster, run

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cli.commands.events import sse_messages  # noqa: E402


def follow(url: str, stop_at: float, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """Follow the stream until ``stop_at``; send back the delays (seconds) and the sequence numbers seen."""
    delays: list[float] = []
    seqs: list[int] = []
    with httpx.stream("GET", f"{url}/v1/events/stream", timeout=httpx.Timeout(5.0, read=2.0)) as response:
        try:
            for _, ident, data in sse_messages(response.iter_lines()):
                now = time.time()
                at = data[data.index('"at":"') + 6:]
                delays.append(now - datetime.fromisoformat(at[:at.index('"')].replace("Z", "+00:00")).timestamp())
                seqs.append(int(ident))
                if now > stop_at:
                    break
        except httpx.ReadTimeout:
            pass
    results.put((delays, seqs))


def round_(args: argparse.Namespace, history: bool, with_follower: bool) -> dict[str, object]:
    os.environ["METALNET_HISTORY"] = "on" if history else "off"
    with tempfile.TemporaryDirectory(prefix="metalnet-hbench-") as tmp:
        workdir = Path(tmp)
        store = postgres_cluster(workdir) if args.postgres else _nothing(f"sqlite:///{workdir / 'bench.db'}")
        with store as db, live_server(["--db", args.db or db, "--workers", str(args.workers), "--log-level",
                                       args.log_level], cwd=workdir, startup_seconds=60) as running:
            follower = None
            if with_follower:
                results: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
                follower = multiprocessing.Process(target=follow, args=(running.url, time.time() + args.duration
                                                                        + 3, results))
                follower.start()
                time.sleep(0.5)
            result = run(args, running.url, running.pid)
            if follower is not None:
                delays, seqs = results.get(timeout=60)
                follower.join(10)
                delays.sort()
                result.update(events_streamed=len(seqs), in_order=seqs == sorted(set(seqs)),
                              delivery_p50_ms=round(percentile(delays, 0.5) * 1000, 1),
                              delivery_p99_ms=round(percentile(delays, 0.99) * 1000, 1),
                              delivery_max_ms=round(delays[-1] * 1000, 1) if delays else None)
    result["history"] = history
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="pairs of off/on rounds (default 3)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of load per round (default 8)")
    parser.add_argument("--procs", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--follower-connections", type=int, default=0,
                        help="connections of the load during the follower round (default: --connections)")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--db")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    args.route = "ip-allocate"  # the load benchmark's route (scripts/loadbench.py --route)
    rates: dict[bool, list[int]] = {False: [], True: []}
    for index in range(args.rounds):
        for history in ((False, True) if index % 2 == 0 else (True, False)):
            result = round_(args, history, with_follower=False)
            rates[history].append(int(result["req_per_s"]))  # type: ignore[call-overload]
            print(json.dumps(result), flush=True)
    args.connections = args.follower_connections or args.connections
    streamed = round_(args, True, with_follower=True)
    print(json.dumps(streamed), flush=True)
    summary = {"rate_off": rates[False], "rate_on": rates[True],
               "ratio_on_over_off": round(sum(rates[True]) / max(1, sum(rates[False])), 3),
               "rate_on_with_follower": streamed["req_per_s"],
               "delivery_p99_ms": streamed.get("delivery_p99_ms")}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
