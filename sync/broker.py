"""Run a local Mosquitto broker as a child process (demo, tests, benchmarks).

Production brokers are deployed from ``firmware-config/mosquitto``; this runner writes a
config for one loopback listener, optionally with the dynamic-security plugin (per-store users, see
:mod:`sync.credentials`), a password file, an ACL and TLS; or runs the shipped configuration itself,
localised to a loopback port and a directory (:func:`shipped_config`).
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


SHIPPED_CONFIG = Path(__file__).resolve().parents[1] / "firmware-config" / "mosquitto" / "mosquitto.conf"
SHIPPED_FILES_DIR = "/etc/mosquitto/vitrine/"
DYNSEC_PLUGIN_PATHS = (
    "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
    "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
    "/usr/lib/mosquitto_dynamic_security.so",
    "/usr/local/lib/mosquitto_dynamic_security.so",
)


def dynsec_plugin() -> str:
    """Where Mosquitto's dynamic-security plugin is installed here."""
    for candidate in DYNSEC_PLUGIN_PATHS:
        if Path(candidate).is_file():
            return candidate
    raise BrokerError(
        "Mosquitto's dynamic-security plugin is not installed (looked in "
        + ", ".join(DYNSEC_PLUGIN_PATHS)
        + "); install the mosquitto package of Mosquitto 2.0 or later"
    )


def shipped_config(port: int, files_dir: Path, workdir: Path, host: str = "127.0.0.1") -> str:
    """``firmware-config/mosquitto/mosquitto.conf`` as shipped, but listening on ``host:port``, reading
    its certificates and ``dynamic-security.json`` from ``files_dir``, persisting into ``workdir``,
    logging to stderr and loading the plugin from where it is installed on this machine."""
    replaced = {
        "listener": f"listener {port} {host}",
        "plugin": f"plugin {dynsec_plugin()}",
        "persistence_location": f"persistence_location {workdir}/",
        "log_dest": "log_dest stderr",
    }
    lines = [
        replaced.get(line.split(" ", 1)[0], line).replace(SHIPPED_FILES_DIR, f"{files_dir}/")
        for line in SHIPPED_CONFIG.read_text().splitlines()
    ]
    return "\n".join(lines) + "\n"


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
    dynsec_file: Path | None = None  # dynamic-security.json (sync.credentials): users, client ids, rules
    tls: dict[str, Path] | None = None  # keys: cafile, certfile, keyfile
    extra_config: str = ""
    config: str | None = None  # a whole configuration (e.g. shipped_config()) instead of the above
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
        if self.config is not None:
            return self.config
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
        if self.dynsec_file:
            lines += [
                "allow_anonymous false",
                f"plugin {dynsec_plugin()}",
                f"plugin_opt_config_file {self.dynsec_file}",
            ]
        elif self.password_file:
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
