"""Loopback helpers shared by the Python tests and benches: every server they start listens on
127.0.0.0/8 on a port picked here, never on a fixed one."""
import socket


def free_port(host="127.0.0.1"):
    """A TCP port that was free on `host` a moment ago (the kernel's choice for port 0)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]

