"""A real server process on a free loopback port (``python -m metalnet.api``), for end-to-end tests."""

from scripts.servers import REPO, Running, free_port, live_server

__all__ = ["REPO", "Running", "free_port", "live_server"]
