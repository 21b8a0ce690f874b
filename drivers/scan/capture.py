"""Camera frame sources: OpenCV capture (device index, video file, RTSP/HTTP URL) and simulators.

Every source has ``read() -> Image | None`` (None: no frame now, or the end of a file/simulation —
see ``exhausted``) and ``close()``. OpenCV objects stay inside; frames are plain numpy arrays.

URLs understood by :func:`open_camera`:

- ``0``, ``1``… — a local camera by device index;
- a file path or ``rtsp://``, ``http(s)://``, ``file://`` URL — through ``cv2.VideoCapture``;
- ``sim-images://<dir>[?loop=1&size=WxH]`` — plays the image files of ``<dir>`` in name order,
  optionally letterboxed into W×H frames;
- ``sim-codes://?code=<text>&format=EAN13[&size=WxH&blank=N&loop=1]`` — renders each code with the
  zxing-cpp writer (``blank`` empty frames between codes), so no image files are needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs

import numpy as np

from drivers.errors import ConfigError, TransportError
from drivers.scan.decoders.base import Image
from drivers.scan.images import IMAGE_SUFFIXES, load_image


class FrameSource(Protocol):
    exhausted: bool

    def read(self) -> Image | None: ...

    def close(self) -> None: ...


class OpenCvCapture:
    """``cv2.VideoCapture`` on a device index, file or stream URL.

    A live source that stops delivering frames (camera unplugged, stream dropped) raises
    :class:`TransportError` once; later reads reopen it, at most every ``retry_s`` seconds, so a
    camera plugged back in is recovered without restarting anything.
    """

    def __init__(
        self,
        source: int | str,
        *,
        width: int | None = None,
        height: int | None = None,
        retry_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import cv2

        self._cv2 = cv2
        self.source = source
        self.exhausted = False
        self._is_file = isinstance(source, str) and Path(source).is_file()
        self._size = (width, height)
        self._retry_s = retry_s
        self._clock = clock
        self._retry_at = 0.0
        self._capture: Any = self._open()

    def _open(self) -> Any:
        capture: Any = self._cv2.VideoCapture(self.source)
        if not capture.isOpened():
            capture.release()
            raise TransportError(f"cannot open camera source {self.source!r}")
        width, height = self._size
        if width and height:
            capture.set(self._cv2.CAP_PROP_FRAME_WIDTH, width)
            capture.set(self._cv2.CAP_PROP_FRAME_HEIGHT, height)
        return capture

    def read(self) -> Image | None:
        if self.exhausted:
            return None
        if self._capture is None:
            if self._clock() < self._retry_at:
                return None
            self._retry_at = self._clock() + self._retry_s
            self._capture = self._open()
        try:
            ok, frame = self._capture.read()
        except self._cv2.error as err:
            self._drop()
            raise TransportError(f"camera {self.source!r} failed: {err}") from err
        if not ok or frame is None:
            if self._is_file:
                self.exhausted = True
                return None
            self._drop()
            raise TransportError(f"camera {self.source!r} delivered no frame (unplugged or stream lost)")
        return np.asarray(frame, dtype=np.uint8)

    def _drop(self) -> None:
        if self._capture is not None:
            self._capture.release()
        self._capture = None
        self._retry_at = self._clock() + self._retry_s

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None
        self.exhausted = True


class _FrameList:
    """Plays a list of frames (produced lazily), once or in a loop."""

    def __init__(self, frames: list[Image], *, loop: bool) -> None:
        if not frames:
            raise ConfigError("the camera simulator has no frames to play")
        self._frames = frames
        self._loop = loop
        self._position = 0
        self.exhausted = False

    def read(self) -> Image | None:
        if self._position >= len(self._frames):
            if not self._loop:
                self.exhausted = True
                return None
            self._position = 0
        frame = self._frames[self._position]
        self._position += 1
        return frame

    def close(self) -> None:
        self.exhausted = True


class ImageFolderCamera(_FrameList):
    """Simulator: the image files of a folder as camera frames."""

    def __init__(self, folder: Path, *, loop: bool = False, size: tuple[int, int] | None = None) -> None:
        if not folder.is_dir():
            raise ConfigError(f"camera simulator folder {folder} does not exist")
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        super().__init__([_fit(load_image(p, gray=False), size) for p in paths], loop=loop)


class RenderedCodesCamera(_FrameList):
    """Simulator: codes rendered by zxing-cpp's writer, with ``blank`` empty frames after each."""

    def __init__(
        self,
        codes: list[tuple[str, str]],
        *,
        loop: bool = False,
        size: tuple[int, int] | None = None,
        blank: int = 0,
    ) -> None:
        frames: list[Image] = []
        for text, fmt in codes:
            frames.append(_fit(_render(text, fmt), size))
            frames.extend(np.full_like(frames[-1], 255) for _ in range(blank))
        super().__init__(frames, loop=loop)


def _render(text: str, fmt: str) -> Image:
    import zxingcpp

    try:
        barcode_format = zxingcpp.barcode_format_from_str(fmt)
        symbol = zxingcpp.create_barcode(text, barcode_format)
        gray = np.asarray(symbol.to_image(scale=3, add_quiet_zones=True), dtype=np.uint8)
    except (ValueError, RuntimeError, TypeError) as err:
        raise ConfigError(f"cannot render {text!r} as {fmt}: {err}") from err
    import cv2

    return np.asarray(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), dtype=np.uint8)


def _fit(image: Image, size: tuple[int, int] | None) -> Image:
    if size is None:
        return image
    from drivers.scan.images import letterbox

    return letterbox(image, *size)


def _size(values: list[str] | None) -> tuple[int, int] | None:
    if not values:
        return None
    try:
        w, h = values[0].lower().split("x")
        return int(w), int(h)
    except ValueError as err:
        raise ConfigError(f"size must be WxH, got {values[0]!r}") from err


def open_camera(url: str, *, base_dir: Path | None = None) -> FrameSource:
    """A frame source for ``url`` (see the module docstring); relative simulator folders resolve
    against ``base_dir`` (default: the working directory)."""
    for scheme in ("sim-images://", "sim-codes://"):
        if url.startswith(scheme):
            location, _, query_text = url[len(scheme) :].partition("?")
            query = parse_qs(query_text, keep_blank_values=True)
            loop = query.get("loop", ["0"])[0] in ("1", "true", "yes")
            size = _size(query.get("size"))
            if scheme == "sim-images://":
                folder = Path(location)
                if not folder.is_absolute() and base_dir is not None:
                    folder = base_dir / folder
                return ImageFolderCamera(folder, loop=loop, size=size)
            fmt = query.get("format", ["QRCode"])[0]
            codes = [(code, fmt) for code in query.get("code", [])]
            if not codes:
                raise ConfigError("sim-codes:// needs at least one code=<text>")
            try:
                blank = int(query.get("blank", ["0"])[0])
            except ValueError as err:
                raise ConfigError(f"blank must be an integer: {err}") from err
            return RenderedCodesCamera(codes, loop=loop, size=size, blank=blank)
    if url.isdigit():
        return OpenCvCapture(int(url))
    return OpenCvCapture(url)


def frames(source: FrameSource, limit: int | None = None) -> Iterator[Image]:
    """Iterate a source's frames until it is exhausted (or ``limit`` frames)."""
    count = 0
    while not source.exhausted and (limit is None or count < limit):
        frame = source.read()
        if frame is None:
            continue
        count += 1
        yield frame
