"""The per-store link proxy: relays while online, resets and refuses while cut, relays again after."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from sync.fleet.proxy import LinkProxy


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=_echo, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join(2)
    server.close()


def _echo(conn: socket.socket) -> None:
    with conn:
        while data := conn.recv(4096):
            conn.sendall(data)


def _roundtrip(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = sock.recv(4096)
        if not chunk:
            break
        got += chunk
    return got


def _closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(10) == b""
    except ConnectionResetError:
        return True


def test_cut_resets_and_refuses_then_restore_relays(echo_port: int) -> None:
    proxy = LinkProxy(echo_port, name="t").start()
    try:
        first = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        assert _roundtrip(first, b"hello" * 1000) == b"hello" * 1000
        proxy.cut()
        assert _closed(first)  # the open session is reset by the cut
        first.close()
        during = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        assert _closed(during)  # new sessions are closed at once while cut
        during.close()
        proxy.restore()
        again = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        assert _roundtrip(again, b"back") == b"back"
        again.close()
        assert proxy.connections == 2
    finally:
        proxy.stop()
