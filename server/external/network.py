"""This machine's address on the local network: the one a phone on the same Wi-Fi uses.

QR codes and printed server URLs must name an address a phone can reach. The host name
often resolves only to 127.0.1.1 (Debian's default), so it is not asked first: the
kernel is asked which address it would send from towards a private network (a UDP
socket is connected, nothing is sent), then every interface's IPv4 address is read, and
only then the host name. None means no address but loopback was found.
"""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct

# Private ranges' far ends: "connecting" a UDP socket there only picks a route.
_PROBES = ("10.255.255.254", "192.168.255.254", "172.31.255.254")
_SIOCGIFADDR = 0x8915


def lan_address() -> str | None:
    """The best IPv4 address of this machine for phones on its network, or None."""
    for found in (_routed_address(), *_interface_addresses(), *_hostname_addresses()):
        if found is not None and usable(found):
            return found
    return None


def usable(address: str) -> bool:
    """Not loopback, unspecified or link-local: an address another device can reach."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (parsed.is_loopback or parsed.is_unspecified or parsed.is_link_local)


def is_loopback_host(host: str) -> bool:
    """Whether a URL's host names this machine only to itself (localhost, 127.x, ::1)."""
    host = host.strip("[]").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _routed_address() -> str | None:
    for probe in _PROBES:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect((probe, 9))
                address: str = sock.getsockname()[0]
            except OSError:
                continue
        if usable(address):
            return address
    return None


def _interface_addresses() -> list[str]:
    found = []
    try:
        interfaces = socket.if_nameindex()
    except OSError:
        return []
    for _index, name in interfaces:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                packed = fcntl.ioctl(
                    sock.fileno(), _SIOCGIFADDR, struct.pack("256s", name.encode()[:15])
                )
            except OSError:
                continue
        found.append(socket.inet_ntoa(packed[20:24]))
    return found


def _hostname_addresses() -> list[str]:
    try:
        return socket.gethostbyname_ex(socket.gethostname())[2]
    except OSError:
        return []
