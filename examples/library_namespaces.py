"""go-ipam's README example: a namespace, an IP acquired and released, an IPv6 super prefix with children."""

from metalnet.ipam import Ipamer

ipam = Ipamer()
namespace = "tenant-a"
ipam.create_namespace(namespace)

prefix = ipam.new_prefix("192.168.0.0/24", namespace=namespace)
ip = ipam.acquire_ip(prefix.cidr, namespace=namespace)
print(f"got IP: {ip.ip}")
prefix = ipam.release_ip(ip, namespace=namespace)
print(f"IP: {ip.ip} released.")

prefix = ipam.new_prefix("2001:aabb::/48", namespace=namespace)
cp1 = ipam.acquire_child_prefix(prefix.cidr, 64, namespace=namespace)
print(f"got Prefix: {cp1}")
cp2 = ipam.acquire_child_prefix(prefix.cidr, 72, namespace=namespace)
print(f"got Prefix: {cp2}")
ip21 = ipam.acquire_ip(cp2.cidr, namespace=namespace)
print(f"got IP: {ip21.ip}")
