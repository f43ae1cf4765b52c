"""Random kill points that a failure can replay: each test draws them from a seed it prints.

``METALNET_KILL_SEED=N pytest …`` replays the kill points of a failed run (pytest shows the printed seed
in the failure's captured output). Without it every run draws a fresh seed, so that the kill lands at
ever new moments.
"""

from __future__ import annotations

import os
import random
import secrets

ENV = "METALNET_KILL_SEED"


def kill_points(test: str) -> random.Random:
    """The random source of ``test``'s kill points, seeded from :data:`ENV` or afresh; prints the seed."""
    chosen = os.environ.get(ENV, "")
    seed = int(chosen) if chosen else secrets.randbits(32)
    print(f"kill points of {test}: seed {seed} (replay: {ENV}={seed})")
    return random.Random(seed)
