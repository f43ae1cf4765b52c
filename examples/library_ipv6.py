"""The go-ipam IPv6 blog snippet: child prefixes of variable length out of an IPv6 /48."""

from metalnet.ipam import Ipamer

ipamer = Ipamer()
prefix = ipamer.new_prefix("2001:aabb::/48")
cp1 = ipamer.acquire_child_prefix(prefix.cidr, 64)
cp2 = ipamer.acquire_child_prefix(prefix.cidr, 72)
ip21 = ipamer.acquire_ip(cp2.cidr)
prefix = ipamer.prefix_from(prefix.cidr)
print(f"Super Prefix  : {prefix}")
print(f"Child Prefix 1: {cp1}")
print(f"Child Prefix 2: {cp2}")
print(f"Child Prefix 2 IP1: {ip21.ip}")
