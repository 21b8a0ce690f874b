"""A real, small file system for disk-full tests: a tmpfs of a few MiB mounted for one test.

Mounting needs root (or CAP_SYS_ADMIN); where that is refused the test is skipped with the reason.
Filling it writes a ballast file until the kernel answers ENOSPC; deleting the ballast gives the
space back, exactly as an operator freeing disk space would.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BALLAST = "ballast.bin"


@contextmanager
def small_filesystem(mountpoint: Path, size_kib: int) -> Iterator[Path]:
    mountpoint.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0700", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        # The storage-fault tests run as root on Linux (CI, the dev box): failing says what is missing.
        pytest.fail(
            f"cannot mount a tmpfs for the disk-full test (run the tests as root): {result.stderr.strip()}"
        )
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False, capture_output=True)


def fill(directory: Path, chunk: int = 16 * 1024) -> int:
    """Write a ballast file until the file system is full; returns the bytes written."""
    written = 0
    block = b"\0" * chunk
    with (directory / BALLAST).open("wb", buffering=0) as ballast:
        while chunk >= 512:
            try:
                written += ballast.write(block[:chunk])
            except OSError as err:
                if err.errno != errno.ENOSPC:
                    raise
                chunk //= 2
        os.fsync(ballast.fileno())
    return written


def free_space(directory: Path) -> None:
    (directory / BALLAST).unlink()
