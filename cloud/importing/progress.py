"""A terminal progress bar (tqdm, on stderr) for the import's ``(phase, done, total)`` callback."""

from __future__ import annotations

from typing import Never

from tqdm import tqdm


class Bars:
    """One bar per phase (a file being read, in bytes); a new phase closes the previous bar."""

    def __init__(self, disable: bool = False) -> None:
        self.disable = disable
        self._phase = ""
        self._bar: tqdm[Never] | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self._phase:
            self.close()
            self._phase = phase
            self._bar = tqdm(
                total=total or None,
                desc=phase,
                unit="B",
                unit_scale=True,
                leave=False,
                delay=0.5,
                disable=self.disable,
            )
        if self._bar is not None:
            self._bar.update(max(0, done - self._bar.n))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
