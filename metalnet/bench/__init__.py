"""Benchmarks of the IPAM core: go-ipam's own loops and fill curves, against any storage URL."""
