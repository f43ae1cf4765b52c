"""metalnet: a dual-stack network manager — IPAM core, network resources, REST API and CLI."""

__version__ = "0.1.0"
