"""A port is busy only when something accepts on it: a socket left closing (TIME_WAIT)
by a server that just stopped does not make `stack.up` refuse the port."""

from __future__ import annotations

import socket

from hotpass.infra.net.state import pick_port, port_free


def closing_port() -> int:
    """A loopback port whose only trace is a server-side socket in TIME_WAIT."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
        accepted.close()  # the server side closes first: its end goes to TIME_WAIT
        client.recv(1)
        client.close()
    return port


def test_a_closing_socket_leaves_the_port_free():
    port = closing_port()
    with socket.socket() as probe:  # the old bind probe: refused while TIME_WAIT lasts
        try:
            probe.bind(("127.0.0.1", port))
            bound = True
        except OSError:
            bound = False
    assert not bound, "no TIME_WAIT left: the test proves nothing on this kernel"
    assert port_free(port)
    assert pick_port(port) == port


def test_a_listening_port_is_busy():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_free(port)
        assert pick_port(port) != port
