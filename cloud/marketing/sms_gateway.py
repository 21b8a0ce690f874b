"""An SMS gateway simulator on 127.0.0.1 (the library's own, for tests and the demo): it takes what
:class:`cloud.marketing.sms.SmsGatewaySender` posts, checks the bearer token, and keeps the messages
instead of sending them to phones."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class SmsGatewaySimulator(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, token: str = "", port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.token = token
        self.messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sms"

    def accept(self, message: dict[str, Any]) -> None:
        with self._lock:
            self.messages.append(message)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server: SmsGatewaySimulator = self.server  # type: ignore[assignment]
        if server.token and self.headers.get("Authorization") != f"Bearer {server.token}":
            return self._answer(401, {"error": "bad token"})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        except ValueError:
            return self._answer(400, {"error": "not JSON"})
        if not (isinstance(body, dict) and str(body.get("to", "")).startswith("+") and body.get("text")):
            return self._answer(422, {"error": "need to (E.164) and text"})
        server.accept({"to": body["to"], "from": body.get("from", ""), "text": body["text"]})
        self._answer(202, {"queued": True})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def running_gateway(token: str = "", port: int = 0) -> Iterator[SmsGatewaySimulator]:
    gateway = SmsGatewaySimulator(token, port)
    thread = threading.Thread(target=gateway.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        gateway.shutdown()
        gateway.server_close()
        thread.join(timeout=5)
