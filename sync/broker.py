"""Run a local Mosquitto broker as a child process (demo, tests, benchmarks).

Production brokers are deployed from ``firmware-config/mosquitto``; this runner writes a
config for one loopback listener, optionally with a password file, an ACL and TLS.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from sync.errors import SyncError


class BrokerError(SyncError):
    """The local broker could not be started or stopped."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise BrokerError(f"nothing listening on {host}:{port} after {timeout}s")


@dataclass
class MosquittoProcess:
    """A Mosquitto broker on 127.0.0.1. ``start``/``stop``/``restart`` keep the same port."""

    workdir: Path
    port: int = 0
    password_file: Path | None = None
    acl_file: Path | None = None
    tls: dict[str, Path] | None = None  # keys: cafile, certfile, keyfile
    extra_config: str = ""
    host: str = "127.0.0.1"
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_port(self.host)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def config_text(self) -> str:
        lines = [
            f"listener {self.port} {self.host}",
            "persistence true",
            f"persistence_location {self.workdir}/",
            "autosave_interval 1",
            # Deliberate settings, see firmware-config/mosquitto/README.md
            "set_tcp_nodelay true",
            "max_inflight_messages 1000",
            "max_queued_messages 0",
            "max_queued_bytes 0",
            "message_size_limit 4194304",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
        ]
        if self.password_file:
            lines += ["allow_anonymous false", f"password_file {self.password_file}"]
        else:
            lines.append("allow_anonymous true")
        if self.acl_file:
            lines.append(f"acl_file {self.acl_file}")
        if self.tls:
            lines += [
                f"cafile {self.tls['cafile']}",
                f"certfile {self.tls['certfile']}",
                f"keyfile {self.tls['keyfile']}",
                "tls_version tlsv1.2",
            ]
        if self.extra_config:
            lines.append(self.extra_config)
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 10.0) -> None:
        if self.running:
            return
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            raise BrokerError("mosquitto is not installed (scripts/setup.sh installs it)")
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(self.config_text())
        # The child keeps its own copy of the descriptor; ours is closed at once.
        with (self.workdir / "mosquitto.log").open("ab") as log:
            self._proc = subprocess.Popen([exe, "-c", str(conf)], stdout=log, stderr=log)
        try:
            wait_for_port(self.host, self.port, timeout)
        except BrokerError:
            self.stop()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)

    def kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> MosquittoProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
