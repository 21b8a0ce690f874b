"""Child processes in their own process groups, stopped in order and never left behind.

Each service runs in a new session (``start_new_session``) so the terminal's Ctrl-C reaches only the
fleet process, which then stops services in reverse start order: SIGTERM to the group, a grace
period, then SIGKILL. Output goes to ``<logs>/<name>.log``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from sync.fleet.errors import FleetError


@dataclass
class Service:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    cwd: Path | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        if self.running:
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def kill9(self) -> None:
        """SIGKILL the whole group at once (a crash: no shutdown code runs)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, grace_s: float = 8.0) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        # the group may hold stragglers (a child of the service): make sure none survive
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise FleetError(
                f"{self.name} exited with {self.proc.returncode}; last log lines:\n{self.tail()}"
            )


def run_cli(
    argv: list[str],
    env: dict[str, str],
    timeout_s: float,
    what: str,
    cwd: Path | None = None,
    *,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a one-shot command (``stdin``: its input); raises :class:`FleetError` with its stderr when
    it fails or hangs."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv,
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            input=stdin,
        )
    except subprocess.TimeoutExpired as err:
        raise FleetError(f"{what}: no answer after {timeout_s:.0f}s") from err
    if done.returncode != 0:
        raise FleetError(
            f"{what} failed ({done.returncode}) after {time.monotonic() - started:.1f}s: "
            f"{done.stderr.strip()[-2000:]}"
        )
    return done
