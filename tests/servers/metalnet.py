"""A real metalnet server process on a free loopback port, for end-to-end tests (see scripts/servers.py)."""

from scripts.servers import Running, free_port, server_process

__all__ = ["Running", "free_port", "server_process"]
