"""The bootstrap agent: a thread that pages the hub's snapshot into the replica.

It runs while the sync link is up, asks ``bootstrap.open`` once (the header is saved with the
cursor), then ``bootstrap.page`` section by section, applying each page and saving the cursor in
one transaction. A timeout or a dropped link waits for the link and asks the same page again; an
error the hub answers (e.g. the store is not provisioned) is shown in the status and retried
slowly. Progress goes to the log and to :meth:`BootstrapAgent.status` (health and sync panel).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge.bootstrap import progress, writer
from edge.replica.database import Replica
from sync.bootstrap import OPEN, PAGE, Cursor, decode_page
from sync.errors import MalformedOp
from sync.rpc import RpcError, RpcTimeout

log = logging.getLogger(__name__)

Call = Callable[[str, dict[str, Any], float], Any]  # (method, params, timeout) -> result


@dataclass(frozen=True)
class AgentConfig:
    page_rows: int = 5_000
    call_timeout_s: float = 30.0
    retry_s: float = 1.0
    error_retry_s: float = 10.0


class BootstrapAgent:
    def __init__(
        self,
        replica: Replica,
        call: Call,
        connected: Callable[[], bool],
        config: AgentConfig | None = None,
    ) -> None:
        self.replica = replica
        self.call = call
        self.connected = connected
        self.config = config or AgentConfig()
        progress.ensure_table(replica)
        self.cursor = progress.load(replica.reader()) or Cursor()
        self.state = "complete" if self.cursor.complete else "waiting for the sync link"
        self.error: str | None = None
        self.pages = 0
        self.page_bytes = 0
        self.started_at = time.time()
        self.selling_at: float | None = None
        self.completed_at: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> BootstrapAgent:
        if not self.cursor.complete and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="bootstrap", daemon=True)
            self._thread.start()
        return self

    def request_stop(self) -> None:
        """Stop after the current step (a call in flight ends when the link stops)."""
        self._stop.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def status(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "error": self.error,
            "pages": self.pages,
            "page_bytes": self.page_bytes,
            "selling_after_s": None
            if self.selling_at is None
            else round(self.selling_at - self.started_at, 2),
            "complete_after_s": None
            if self.completed_at is None
            else round(self.completed_at - self.started_at, 2),
            **self.cursor.progress(),
        }

    # -- the loop -----------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set() and not self.cursor.complete:
            if not self.connected():
                self.state = "waiting for the sync link"
                self._stop.wait(self.config.retry_s / 2)
                continue
            try:
                self._step()
                self.error = None
            except RpcTimeout as err:
                self.state = "waiting for the hub"
                log.info("bootstrap: no answer from the hub (%s); asking again", err)
                self._stop.wait(self.config.retry_s)
            except (RpcError, MalformedOp, KeyError, TypeError, ValueError) as err:
                self.state, self.error = "error", f"{type(err).__name__}: {err}"
                log.warning("bootstrap: %s; retrying in %.0fs", self.error, self.config.error_retry_s)
                self._stop.wait(self.config.error_retry_s)

    def _step(self) -> None:
        self.state = "running"
        if not self.cursor.started:
            header = self.call(OPEN, {}, self.config.call_timeout_s)
            if not isinstance(header, dict):
                raise MalformedOp("bootstrap.open answered no header")
            fresh = Cursor.opened(header)
            with self.replica.write() as tx:
                writer.apply_header(tx, header)
                progress.save(tx, fresh)
            self.cursor = fresh
            totals = ", ".join(f"{n} {k}" for k, n in header["totals"].items())
            log.info("bootstrap: snapshot opened at the hub (%s)", totals)
            return
        request = self.cursor.request(self.config.page_rows)
        if request is None:
            return
        answer = self.call(PAGE, request, self.config.call_timeout_s)
        if not isinstance(answer, dict) or not isinstance(answer.get("rows"), str):
            raise MalformedOp("bootstrap.page answered no rows")
        rows = decode_page(answer["rows"])
        section, next_key = str(request["section"]), answer.get("next")
        first = self.cursor.sections[section].done
        after = Cursor.from_json(self.cursor.to_json())
        after.advance(section, len(rows), None if next_key is None else str(next_key))
        with self.replica.write() as tx:
            writer.apply_page(tx, section, rows, after.header, self.replica.store_id, first=first)
            if after.sections[section].complete:
                writer.finish_section(tx, section, after.header)
            progress.save(tx, after)
        was_selling, self.cursor = self.cursor.selling, after
        self.pages += 1
        self.page_bytes += len(answer["rows"])
        cur = after.sections[section]
        log.info(
            "bootstrap: %s %d/%d%s (%.0f%% overall)",
            section, cur.done, cur.total, " done" if cur.complete else "", after.progress()["percent"],
        )  # fmt: skip
        if after.selling and not was_selling:
            self.selling_at = time.time()
            log.info(
                "bootstrap: catalog and prices in after %.1fs: the store sells",
                self.selling_at - self.started_at,
            )
        if after.complete:
            self.completed_at = time.time()
            self.state = "complete"
            log.info(
                "bootstrap: complete after %.1fs (%d pages)", self.completed_at - self.started_at, self.pages
            )
