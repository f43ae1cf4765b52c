"""The go-ipam blog's first snippet: a prefix, one IP acquired and released, the prefix deleted."""

from metalnet.ipam import Ipamer

ipamer = Ipamer()
prefix = ipamer.new_prefix("192.168.0.0/24")
ip1 = ipamer.acquire_ip(prefix.cidr)
print(f"Super Prefix  : {prefix}")
print(f"Super Prefix IP1 : {ip1.ip}")
print(f"Super Prefix IP1 Parent : {ip1.parent_prefix}")
ipamer.release_ip(ip1)
ipamer.delete_prefix(prefix.cidr)
