"""Simple image transforms the decoder chain retries with. Each is ``Image -> Image`` and pure."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from drivers.scan.decoders.base import Image

Transform = Callable[[Image], Image]


def identity(image: Image) -> Image:
    return image


def rotate90(image: Image) -> Image:
    return np.ascontiguousarray(np.rot90(image, 1))


def rotate180(image: Image) -> Image:
    return np.ascontiguousarray(np.rot90(image, 2))


def rotate270(image: Image) -> Image:
    return np.ascontiguousarray(np.rot90(image, 3))


def scaled(factor: float) -> Transform:
    """Resize by ``factor`` (area interpolation down, cubic up)."""
    import cv2

    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC

    def scale(image: Image) -> Image:
        h, w = image.shape[:2]
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        return np.asarray(cv2.resize(image, size, interpolation=interpolation), dtype=np.uint8)

    scale.__name__ = f"scale{factor:g}"
    return scale


def otsu_threshold(image: Image) -> Image:
    import cv2

    return np.asarray(cv2.threshold(image, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1], dtype=np.uint8)


def adaptive_threshold(image: Image) -> Image:
    import cv2

    return np.asarray(
        cv2.adaptiveThreshold(image, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 10),
        dtype=np.uint8,
    )


def invert(image: Image) -> Image:
    return np.asarray(255 - image, dtype=np.uint8)


def blur(image: Image) -> Image:
    import cv2

    return np.asarray(cv2.GaussianBlur(image, (3, 3), 0), dtype=np.uint8)


def sharpen(image: Image) -> Image:
    """Unsharp mask (1.5 × image − 0.5 × Gaussian σ=2)."""
    import cv2

    return np.asarray(
        cv2.addWeighted(image, 1.5, cv2.GaussianBlur(image, (0, 0), 2), -0.5, 0), dtype=np.uint8
    )


def equalize(image: Image) -> Image:
    import cv2

    return np.asarray(cv2.equalizeHist(image), dtype=np.uint8)


def quiet_zone(image: Image) -> Image:
    """A 20-pixel white border, for symbols printed without their quiet zone."""
    import cv2

    return np.asarray(
        cv2.copyMakeBorder(image, 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=255), dtype=np.uint8
    )


TRANSFORMS: dict[str, Transform] = {
    "identity": identity,
    "rotate90": rotate90,
    "rotate180": rotate180,
    "rotate270": rotate270,
    "scale0.5": scaled(0.5),
    "scale1.5": scaled(1.5),
    "scale2": scaled(2.0),
    "otsu": otsu_threshold,
    "adaptive": adaptive_threshold,
    "invert": invert,
    "blur": blur,
    "sharpen": sharpen,
    "equalize": equalize,
    "quiet_zone": quiet_zone,
}
"""Every transform by name (names are used in chain specs and in the benchmark's report)."""

SCALE_OF = {"scale0.5": 0.5, "scale1.5": 1.5, "scale2": 2.0, "quiet_zone": 1.0}
