"""Keeps a server that has no host option on this machine: put this folder on PYTHONPATH
of that process only, and every bind to a wildcard address becomes a bind to loopback.

localstripe (a separate GPL process, never imported) binds '::' on a dual-stack socket, so
anyone who can reach this machine could create and refund charges in it. An IPv6 socket
bound to ::ffff:127.0.0.1 accepts IPv4 connections to 127.0.0.1 only.
"""
import socket

_WILDCARDS = {socket.AF_INET: ("", "0.0.0.0"), socket.AF_INET6: ("", "::", "::0")}
_LOOPBACK = {socket.AF_INET: "127.0.0.1", socket.AF_INET6: "::ffff:127.0.0.1"}
_bind = socket.socket.bind


def _loopback_bind(sock, address):
    if isinstance(address, tuple) and address and address[0] in _WILDCARDS.get(sock.family, ()):
        address = (_LOOPBACK[sock.family], *address[1:])
    return _bind(sock, address)


socket.socket.bind = _loopback_bind
