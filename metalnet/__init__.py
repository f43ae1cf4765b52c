"""metalnet: a dual-stack network manager — IPAM core, network resources, REST API and CLI."""

from metalnet import build as _build

_build.install()  # before any module of the compiled build is imported (METALNET_PURE=1: the pure ones)

__version__ = "0.1.0"
