"""Run a throw-away PostgreSQL cluster on loopback (tests, benchmarks, demo).

Uses Debian's ``postgresql`` binaries. ``initdb`` refuses to run as root, so when we are root the
cluster is created and run as the ``postgres`` system user in a directory it owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


class LocalPostgresError(RuntimeError):
    """The local PostgreSQL cluster could not be started."""


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise LocalPostgresError(f"{name} not found: install Debian's postgresql (scripts/setup.sh)")
    return candidates[-1]


@dataclass
class LocalPostgres:
    datadir: Path
    port: int
    user: str = "vitrine"
    password: str = "vitrine-test"  # noqa: S105 - throw-away loopback cluster
    database: str = "vitrine"
    _as_postgres: bool = field(default=False, init=False)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} password={self.password} dbname={self.database}"

    def _run(self, args: list[str], **kw: object) -> subprocess.CompletedProcess[bytes]:
        if self._as_postgres:
            args = ["runuser", "-u", "postgres", "--", *args]
        return subprocess.run(args, check=True, capture_output=True, **kw)  # type: ignore[call-overload]

    def start(self) -> None:
        self._as_postgres = os.geteuid() == 0
        self.datadir.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            shutil.chown(self.datadir, "postgres", "postgres")
            shutil.chown(self.datadir.parent, "postgres", "postgres")
        pwfile = self.datadir.parent / "pgpass.txt"
        pwfile.write_text(self.password + "\n")
        if self._as_postgres:
            shutil.chown(pwfile, "postgres", "postgres")
        try:
            if not (self.datadir / "PG_VERSION").exists():
                self._run(
                    [
                        _bin("initdb"),
                        "-D",
                        str(self.datadir),
                        "-U",
                        self.user,
                        "--pwfile",
                        str(pwfile),
                        "-A",
                        "scram-sha-256",
                        "-E",
                        "UTF8",
                        "--no-sync",
                    ]
                )
            opts = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.datadir} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            self._run(
                [
                    _bin("pg_ctl"),
                    "-D",
                    str(self.datadir),
                    "-o",
                    opts,
                    "-l",
                    str(self.datadir / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            )
            self._wait_ready()
            self.create_database(self.database)
        except subprocess.CalledProcessError as err:
            raise LocalPostgresError(err.stderr.decode(errors="replace")) from err

    def create_database(self, name: str) -> str:
        """Create database ``name`` if missing; returns its SQLAlchemy URL."""
        res = subprocess.run(
            [_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name],
            env={**os.environ, "PGPASSWORD": self.password},
            capture_output=True,
            check=False,
        )
        if res.returncode != 0 and b"already exists" not in res.stderr:
            raise LocalPostgresError(res.stderr.decode(errors="replace"))
        return self.url.rsplit("/", 1)[0] + "/" + name

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            res = subprocess.run(
                [_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if res.returncode == 0:
                return
            time.sleep(0.2)
        raise LocalPostgresError("PostgreSQL did not become ready")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run([_bin("pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"])
