"""``python -m metalnet.bench [--storage URL] [--quick] [--reserved N]``: go-ipam's benchmark loops and fill curves.

It measures the build that runs: the compiled one where ``pip install`` could compile it, the pure-Python one
with ``METALNET_PURE=1`` (the first line says which).

Prints a Markdown table. The figures to compare with go-ipam's published ones are the *pairs* per
second (each go-ipam loop iteration is an acquire plus a release, or a create plus a delete).
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import tempfile

from metalnet import build
from metalnet.bench import loops
from metalnet.ipam import Ipamer
from metalnet.storage import open_storage, redact_url

BUILDS = {"compiled": "compiled (mypyc)", "pure": "pure Python"}
CHILD_CASES = [(8, 14), (8, 24), (16, 18), (16, 26)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m metalnet.bench", description=__doc__)
    parser.add_argument("--storage", default="memory://", help="storage URL (default: memory://)")
    parser.add_argument("--pairs", type=int, default=None, help="iterations per loop")
    parser.add_argument("--fill", type=int, default=None, help="allocations per fill curve (default 60000)")
    parser.add_argument("--window", type=int, default=2000, help="ops timed at each end of a fill curve")
    parser.add_argument("--reserved", type=int, default=100,
                        help="reserved ranges in the extra IP fill curve (default 100; 0: no such curve)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that the benchmark runs")
    parser.add_argument("--wall", action="store_true",
                        help="time memory:// by wall time (default there: this process's CPU time)")
    args = parser.parse_args(argv)
    persistent = not args.storage.startswith("memory")
    pairs = args.pairs or (50 if args.quick else (2_000 if persistent else 50_000))
    fill = args.fill or (300 if args.quick else 60_000)
    window = 100 if args.quick else args.window
    cpu_time = not persistent and not args.wall
    loops.use_cpu_time(cpu_time)

    with tempfile.TemporaryDirectory() as scratch:
        url = args.storage.replace("{tmp}", scratch)
        print(f"storage: {redact_url(url)}  build: {BUILDS[build.active()]}  "
              f"timed by: {'CPU time' if cpu_time else 'wall time'}  python {platform.python_version()}  "
              f"cpus {os.cpu_count()}\n")
        print("| loop (go-ipam's) | per second |\n|---|---:|")
        with open_storage(url) as store:
            ipam = Ipamer(storage=store)
            print(f"| NewPrefix: create+delete a /24 | {loops.new_prefix_pairs(ipam, pairs):,.0f} |")
            print(f"| AcquireIP: acquire+release in a /16 | {loops.acquire_ip_pairs(ipam, pairs):,.0f} |")
            for parent, child in CHILD_CASES:
                per_second = loops.acquire_child_pairs(ipam, pairs, parent, child)
                print(f"| AcquireChildPrefix /{parent} → /{child}: acquire+release | {per_second:,.0f} |")
            print(f"| PrefixesOverlapping 2×2 | {loops.overlapping_calls(pairs * 4):,.0f} |")
        print(f"\nfill curves: µs per op for the first {window}, the last {window} of {fill:,} taken, "
              f"and {window} more after releasing every other one\n")
        print("| curve | early µs | late µs | late/early | fragmented µs | fragmented/early |")
        print("|---|---:|---:|---:|---:|---:|")
        curves: list[loops.FillCurve] = []
        fill_curves = [loops.ip_fill_curve, loops.child_fill_curve]
        if args.reserved:
            fill_curves.insert(1, functools.partial(loops.ip_fill_curve, reserved=args.reserved))
        for fill_curve in fill_curves:
            # each curve on a store of its own (memory:// opens an empty one), so that what one curve left
            # behind does not decide where the next one's dictionary resizes fall
            with open_storage(url) as store:
                curve = fill_curve(Ipamer(storage=store), fill, window)
            curves.append(curve)
            print(f"| {curve.name} | {curve.early_us:.1f} | {curve.late_us:.1f} | {curve.late_ratio:.2f} | "
                  f"{curve.fragmented_us:.1f} | {curve.fragmented_ratio:.2f} |")
        if args.reserved:
            plain, reserved = curves[0], curves[1]
            print(f"\nper IP with {args.reserved} reserved ranges / without: early "
                  f"{reserved.early_us / plain.early_us:.2f}, late {reserved.late_us / plain.late_us:.2f}, "
                  f"fragmented {reserved.fragmented_us / plain.fragmented_us:.2f}")
        if not persistent:
            filled, fragmented = loops.store_memory(url, fill)
            print(f"\nstore memory for {fill:,} IPs in a /16: {filled:.2f} MiB as taken, {fragmented:.2f} MiB after "
                  "releasing every other one")


if __name__ == "__main__":
    main()
