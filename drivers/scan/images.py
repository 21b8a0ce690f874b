"""Image files and frame geometry for the scanning pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from drivers.errors import DriverError
from drivers.scan.decoders.base import Image

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"})


class ImageError(DriverError):
    """An image file is missing or cannot be decoded."""


def load_image(path: Path, *, gray: bool = True) -> Image:
    """Read an image file as grayscale (default) or BGR uint8.

    OpenCV first; files OpenCV's codecs refuse (e.g. some 1-pixel WebP) are read with Pillow when it
    is installed.
    """
    import cv2

    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as err:
        raise ImageError(f"cannot read {path}: {err}") from err
    image = _quiet_imdecode(cv2, data, cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR)
    if image is not None:
        return np.asarray(image, dtype=np.uint8)
    try:
        from PIL import Image as PilImage
    except ImportError:
        raise ImageError(f"OpenCV cannot decode {path} (and Pillow is not installed)") from None
    try:
        with PilImage.open(path) as pil:
            converted = pil.convert("L") if gray else pil.convert("RGB")
            array = np.asarray(converted, dtype=np.uint8)
    except (OSError, ValueError) as err:
        raise ImageError(f"cannot decode {path}: {err}") from err
    return array if gray else np.ascontiguousarray(array[:, :, ::-1])


def _quiet_imdecode(cv2: Any, data: np.ndarray, flags: int) -> Any:
    """``cv2.imdecode`` without OpenCV's error log for files it cannot parse (the caller reports)."""
    logging = cv2.utils.logging
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        return cv2.imdecode(data, flags)
    finally:
        logging.setLogLevel(level)


def letterbox(image: Image, width: int, height: int, *, fill: int = 255) -> Image:
    """``image`` scaled to fit (never up by more than 2×) and centred on a ``width``×``height`` canvas.

    Models a camera frame in which the code occupies part of the field of view.
    """
    import cv2

    h, w = image.shape[:2]
    scale = min(width / w, height / h, 2.0)
    new_w, new_h = max(1, int(w * scale)), max(1, int(h * scale))
    resized = cv2.resize(
        image, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    shape = (height, width) if image.ndim == 2 else (height, width, image.shape[2])
    canvas = np.full(shape, fill, dtype=np.uint8)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = resized
    return canvas
