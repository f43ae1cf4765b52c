"""metal-stack's v2 API (``metalstack.api.v2``, ``metalstack.admin.v2``) over Connect, served beside v1.

A protocol package only: requests are decoded into network-layer requests, the network layer
(:class:`~metalnet.network.NetworkService`) decides, and its records and errors are encoded as metal-stack's
messages and Connect codes. See docs/v2.md.
"""

from metalnet.api.v2.mount import V2Router

__all__ = ["V2Router"]
