"""The one interface every decoder implements."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from drivers.scan.model import Decoded

Image = npt.NDArray[np.uint8]
"""A grayscale (H×W) or BGR (H×W×3) uint8 image."""


class Decoder(Protocol):
    """Finds symbols in one image. Never raises for an image without a code: returns ``[]``."""

    name: str

    def decode(self, image: Image) -> list[Decoded]:
        """All symbols found in ``image`` (grayscale or BGR uint8)."""
        ...


def to_gray(image: Image) -> Image:
    """A contiguous grayscale view of ``image`` (BGR is converted, grayscale passed through)."""
    import cv2

    if image.ndim == 3:
        if image.shape[2] == 1:
            return np.ascontiguousarray(image[:, :, 0])
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    return np.ascontiguousarray(image)
