"""One HTTP/1.1 keep-alive connection to a served app, with a check that the server kept it open.

A server that fails while answering (a plain 500 from an exception) closes or resets the connection;
``KeepAlive.send`` then raises or :meth:`KeepAlive.still_open` is False, so a test can tell.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str

    def json(self) -> Any:
        return json.loads(self.body)


class KeepAlive:
    def __init__(self, base_url: str, headers: dict[str, str] | None = None, timeout: float = 30) -> None:
        parts = urlsplit(base_url)
        self._conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
        self._headers = headers or {}
        self._sock: object | None = None

    def send(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        """One request on the connection; raises if the server dropped the connection it had kept."""
        if self._sock is not None and self._conn.sock is not self._sock:
            raise ConnectionError("the server closed the keep-alive connection after the last answer")
        self._conn.request(method, path, body=body, headers={**self._headers, **(headers or {})})
        response = self._conn.getresponse()
        answer = Answer(response.status, response.read(), response.getheader("content-type") or "")
        self._sock = self._conn.sock
        return answer

    def still_open(self) -> bool:
        """True when the last answer left the connection open (no ``Connection: close``, no reset)."""
        return self._sock is not None and self._conn.sock is self._sock

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> KeepAlive:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
