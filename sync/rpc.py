"""Request/response over MQTT with a timeout (e.g. online loyalty authorisation).

Requests go to ``vitrine/v1/{store}/rpc/req`` as ``{"id", "method", "params"}``; the hub answers on
``.../rpc/res`` with ``{"id", "result"}`` or ``{"id", "error", "code"}`` (code: a handler's
:class:`RpcRefusal` code, else the error's kind). A call that gets no answer within its timeout
raises :class:`RpcTimeout`, so the caller falls back to its offline rule (the allowance).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from sync.errors import MalformedOp, SyncError
from sync.topics import StoreTopics, store_of
from sync.wire import decode_json, encode_json

log = logging.getLogger(__name__)


class RpcError(SyncError):
    """The remote side answered with an error; ``code`` names its kind (a handler's refusal code such
    as ``out_of_stock``, else the hub's exception class, e.g. ``InvalidInput``) so that a store can
    tell a person why without parsing the text; ``reason`` is the message without the method."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = message.split(": ", 1)[1] if ": " in message else message


class RpcRefusal(SyncError):
    """Raised by a handler to refuse with a machine-readable ``code`` (e.g. ``out_of_stock``)
    besides the message for the person; the caller gets it as :attr:`RpcError.code`."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class RpcTimeout(RpcError):
    """No answer in time (offline, or the hub is slow): use the offline rule."""


class RpcClient:
    """Store side. Subscribe :meth:`on_response` to ``StoreTopics(store).rpc_res``."""

    def __init__(self, topics: StoreTopics, publish: Callable[[str, bytes], bool]) -> None:
        self.topics = topics
        self.publish = publish
        self._pending: dict[str, tuple[threading.Event, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def call(self, method: str, params: dict[str, Any], timeout: float = 2.0) -> Any:
        call_id = uuid.uuid4().hex
        done = threading.Event()
        slot: list[dict[str, Any]] = []
        with self._lock:
            self._pending[call_id] = (done, slot)
        try:
            if not self.publish(
                self.topics.rpc_req, encode_json({"id": call_id, "method": method, "params": params})
            ):
                raise RpcTimeout(f"{method}: not connected")
            if not done.wait(timeout):
                raise RpcTimeout(f"{method}: no answer within {timeout}s")
        finally:
            with self._lock:
                self._pending.pop(call_id, None)
        if not slot:
            raise RpcTimeout(f"{method}: the link dropped before the answer")
        answer = slot[0]
        if "error" in answer:
            code = answer.get("code")
            raise RpcError(f"{method}: {answer['error']}", code=code if isinstance(code, str) else None)
        return answer.get("result")

    def on_connection(self, up: bool) -> None:
        """Connection listener: when the link drops, calls in flight fail now (their answers are
        lost) instead of waiting for their timeout."""
        if up:
            return
        with self._lock:
            waiting = list(self._pending.values())
        for done, _slot in waiting:
            done.set()

    def on_response(self, _topic: str, payload: bytes) -> None:
        try:
            doc = decode_json(payload, "rpc response")
        except MalformedOp as err:
            log.warning("ignoring malformed rpc response: %s", err)
            return
        with self._lock:
            waiting = self._pending.get(str(doc.get("id")))
        if waiting is not None:
            waiting[1].append(doc)
            waiting[0].set()


RpcHandler = Callable[[str, dict[str, Any]], Any]  # (store, params) -> JSON-able result


class RpcServer:
    """Hub side. Subscribe :meth:`on_request` to ``shared(all_stores("rpc/req"))``. Handlers run on
    the transport thread and must be quick; an exception becomes an ``error`` answer."""

    def __init__(self, handlers: dict[str, RpcHandler], publish: Callable[[str, bytes], bool]) -> None:
        self.handlers = handlers
        self.publish = publish

    def on_request(self, topic: str, payload: bytes) -> None:
        try:
            store = store_of(topic)
            doc = decode_json(payload, "rpc request")
        except SyncError as err:
            log.warning("ignoring malformed rpc request on %s: %s", topic, err)
            return
        call_id, method, params = doc.get("id"), doc.get("method"), doc.get("params")
        if not isinstance(call_id, str) or not isinstance(params, dict):
            return
        handler = self.handlers.get(str(method))
        answer: dict[str, Any] = {"id": call_id}
        if handler is None:
            answer["error"] = f"unknown method {method!r}"
        else:
            try:
                answer["result"] = handler(store, params)
            except RpcRefusal as err:
                answer["error"], answer["code"] = str(err), err.code
            except Exception as err:  # the caller gets a clear error, the hub keeps serving
                answer["error"] = str(err) or type(err).__name__
                answer["code"] = type(err).__name__
        self.publish(StoreTopics(store).rpc_res, encode_json(answer))
