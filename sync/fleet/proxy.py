"""A loopback TCP proxy per store: the store's "internet link", which the simulator can cut.

``LinkProxy(upstream_port).start()`` listens on a free 127.0.0.1 port and relays every connection
to the broker. :meth:`cut` closes every open connection and, until :meth:`restore`, accepts and
immediately closes new ones (what an edge sees when its uplink dies: resets, then refused
sessions). One selector thread per proxy; every socket is non-blocking.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading

from sync.broker import free_port

CHUNK = 65536


class LinkProxy:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1", name: str = "link") -> None:
        self.host = host
        self.upstream_port = upstream_port
        self.port = free_port(host)
        self.name = name
        self._online = True
        self._lock = threading.Lock()
        self._sel = selectors.DefaultSelector()
        self._pairs: dict[socket.socket, socket.socket] = {}
        self._pending: dict[socket.socket, bytearray] = {}
        self._stop = threading.Event()
        self._cut_request = threading.Event()
        self._listener = socket.create_server((host, self.port), reuse_port=False)
        self._listener.setblocking(False)
        self._thread = threading.Thread(target=self._run, name=f"proxy-{name}", daemon=True)
        self.connections = 0  # accepted while online, for the figures
        self.bytes_relayed = 0  # both directions, MQTT framing included (bench/bootstrap.py)

    @property
    def online(self) -> bool:
        return self._online

    def start(self) -> LinkProxy:
        self._sel.register(self._listener, selectors.EVENT_READ, "accept")
        self._thread.start()
        return self

    def cut(self) -> None:
        with self._lock:
            self._online = False
        self._cut_request.set()

    def restore(self) -> None:
        with self._lock:
            self._online = True

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in list(self._pairs):
            self._close(sock)
        with contextlib.suppress(OSError):
            self._listener.close()
        self._sel.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._cut_request.is_set():
                self._cut_request.clear()
                for sock in list(self._pairs):
                    self._close(sock)
            for key, _events in self._sel.select(timeout=0.05):
                if key.data == "accept":
                    self._accept()
                elif isinstance(key.fileobj, socket.socket) and key.fileobj in self._pairs:
                    self._relay(key.fileobj)

    def _accept(self) -> None:
        try:
            client, _addr = self._listener.accept()
        except OSError:
            return
        if not self._online:
            client.close()
            return
        try:
            upstream = socket.create_connection((self.host, self.upstream_port), timeout=2)
        except OSError:
            client.close()  # broker down: the store sees a refused session, as through a real link
            return
        self.connections += 1
        for sock in (client, upstream):
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sel.register(sock, selectors.EVENT_READ, "relay")
        self._pairs[client], self._pairs[upstream] = upstream, client

    def _relay(self, sock: socket.socket) -> None:
        peer = self._pairs[sock]
        try:
            data = sock.recv(CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close(sock)
            return
        self.bytes_relayed += len(data)
        try:
            peer.setblocking(True)
            peer.settimeout(5)
            peer.sendall(data)
            peer.setblocking(False)
        except OSError:
            self._close(sock)

    def _close(self, sock: socket.socket) -> None:
        peer = self._pairs.pop(sock, None)
        for s in (sock, peer):
            if s is None:
                continue
            self._pairs.pop(s, None)
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._sel.unregister(s)
            with contextlib.suppress(OSError):
                s.close()
