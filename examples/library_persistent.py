"""The IPAM core on the embedded SQLite store: allocations survive closing and reopening the file."""

import sys
import tempfile
from pathlib import Path

from metalnet.ipam import Ipamer
from metalnet.storage import open_storage

path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "metalnet.db"
url = f"sqlite:///{path}"

with open_storage(url) as store:
    ipam = Ipamer(storage=store)
    ipam.new_prefix("10.0.0.0/16")
    print(f"first run : {ipam.acquire_ip('10.0.0.0/16').ip}")

with open_storage(url) as store:
    ipam = Ipamer(storage=store)
    print(f"second run: {ipam.acquire_ip('10.0.0.0/16').ip}")
    print(f"usage     : {ipam.prefix_usage('10.0.0.0/16')}")
