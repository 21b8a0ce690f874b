"""The decoder chain: the fastest good decoder first, fallbacks only when it finds nothing.

Fallback steps are (decoder, transform) pairs tried in order until one finds a symbol. They are
time-bounded: a step starts only if the time spent on the frame plus the step's predicted cost (a
running average of its cost per megapixel, learnt while scanning) fits in ``budget_ms``; and they
work on the frame shrunk to at most ``fallback_max_pixels`` (steps that would enlarge it beyond that
are skipped). The budget keeps the worst-case latency per camera frame bounded — most frames contain
no code and would otherwise pay for every fallback.

Zero misreads: a symbol a fallback step finds is accepted only when it is confirmed — a step using
another decoder library reads the same content (:func:`drivers.scan.confirm.identity`), or, for a
product code of a symbology with a check digit, the injected ``known_product`` catalog predicate says
it names a product. Unconfirmed symbols are dropped (counted in :attr:`ChainResult.rejected`): at a
till a misread is worse than a no-read. The primary step's symbols are accepted as they are, except an
EAN/UPC (whose one mod-10 digit is the weakest check) the catalog does not know, which then needs the
same agreement. Agreement across
transforms of one library is not enough (zbar reads the same wrong UPC-E at several angles).

The budget counts the CPU time of the decoding thread (``time.thread_time``), not wall time: on a
dedicated scanner thread the two are the same, and on a machine shared with other work the chain
does the same work per frame (same decode rate) instead of silently giving up fallbacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from drivers.errors import ConfigError
from drivers.scan.confirm import KnownProduct, catalog_confirms, identity
from drivers.scan.decoders.base import Decoder, Image, to_gray
from drivers.scan.model import EAN_UPC, Decoded
from drivers.scan.transforms import SCALE_OF, TRANSFORMS, Transform


@dataclass(frozen=True, slots=True)
class Step:
    """One attempt: ``decoder`` (a name from :func:`decoder_factories`) on ``transform`` of the frame."""

    decoder: str
    transform: str = "identity"

    def __str__(self) -> str:
        return f"{self.decoder}@{self.transform}"

    @classmethod
    def parse(cls, spec: str) -> Step:
        """``"zbar@scale0.5"`` or ``"zxing"`` (identity)."""
        decoder, _, transform = spec.partition("@")
        return cls(decoder.strip(), transform.strip() or "identity")


# Chosen by bench/scan.py from the zxing-cpp corpus (greedy: images recovered per millisecond, on
# the images the primary step misses; none of these steps decodes anything on the false-positive
# sets). The benchmark re-derives this order and prints it next to this one.
DEFAULT_PRIMARY = Step("zxing")
DEFAULT_FALLBACKS: tuple[Step, ...] = (
    Step("zxing", "scale1.5"),
    Step("zxing", "sharpen"),
    Step("zxing", "rotate90"),
    Step("zxing", "adaptive"),
    Step("zxing", "blur"),
    Step("opencv-barcode", "sharpen"),
    Step("zbar", "rotate90"),
    Step("zxing", "scale2"),
    Step("zxing-full", "quiet_zone"),
    Step("zbar", "scale1.5"),
)
DEFAULT_BUDGET_MS = 25.0
DEFAULT_FALLBACK_MAX_PIXELS = 1_000_000
_INITIAL_MS_PER_MPX = 15.0
_EWMA = 0.2


def decoder_factories() -> dict[str, Callable[[], Decoder]]:
    """Decoder names usable in a :class:`Step`."""
    from drivers.scan.decoders import OpenCvBarcodeDecoder, OpenCvQrDecoder, ZbarDecoder, ZxingDecoder

    return {
        "zxing": lambda: ZxingDecoder(retail=True, fast=True, name="zxing"),
        "zxing-full": lambda: ZxingDecoder(retail=True, name="zxing-full"),
        "zxing-default": lambda: ZxingDecoder(name="zxing-default"),
        "zbar": ZbarDecoder,
        "opencv-qr": OpenCvQrDecoder,
        "opencv-barcode": OpenCvBarcodeDecoder,
    }


@dataclass(frozen=True, slots=True)
class ChainResult:
    symbols: list[Decoded]
    step: Step | None
    """The step that found ``symbols`` (None when nothing was found)."""
    skipped: int
    """Fallback steps not run because of the time budget or the pixel cap."""
    rejected: int = 0
    """Distinct symbols found but dropped for want of confirmation."""


class DecoderChain:
    """A :class:`~drivers.scan.decoders.base.Decoder` made of steps; see the module docstring."""

    name = "chain"

    def __init__(
        self,
        primary: Step,
        fallbacks: Sequence[Step],
        *,
        decoders: Mapping[str, Decoder] | None = None,
        budget_ms: float | None = DEFAULT_BUDGET_MS,
        fallback_max_pixels: int = DEFAULT_FALLBACK_MAX_PIXELS,
        clock: Callable[[], float] = time.thread_time,
        known_product: KnownProduct | None = None,
    ) -> None:
        steps = [primary, *fallbacks]
        factories = decoder_factories()
        self._decoders: dict[str, Decoder] = dict(decoders or {})
        for step in steps:
            if step.transform not in TRANSFORMS:
                raise ConfigError(f"unknown transform {step.transform!r} in step {step}")
            if step.decoder not in self._decoders:
                if step.decoder not in factories:
                    raise ConfigError(f"unknown decoder {step.decoder!r} (known: {sorted(factories)})")
                self._decoders[step.decoder] = factories[step.decoder]()
        self.primary = primary
        self.fallbacks = tuple(fallbacks)
        self.budget_ms = budget_ms
        self.fallback_max_pixels = fallback_max_pixels
        self._clock = clock
        self.known_product = known_product
        self._transforms: dict[str, Transform] = dict(TRANSFORMS)
        self._ms_per_mpx: dict[Step, float] = {}

    def decode(self, image: Image) -> list[Decoded]:
        return self.decode_traced(image).symbols

    def decode_traced(self, image: Image) -> ChainResult:
        """Like :meth:`decode`, also saying which step succeeded and how many were skipped."""
        gray = to_gray(image)
        start = self._clock()
        held: dict[tuple[str, str], type] = {}  # unconfirmed identity → library that read it
        accepted: list[Decoded] = []
        for symbol in self._run(self.primary, gray):
            if self._unknown_retail_code(symbol):
                held.setdefault(identity(symbol), self._library(self.primary))
            else:
                accepted.append(symbol)
        if accepted:
            return ChainResult(accepted, self.primary, 0, len(held))
        small = _shrink(gray, self.fallback_max_pixels)
        skipped = 0
        for position, step in enumerate(self.fallbacks):
            out_pixels = small.size * SCALE_OF.get(step.transform, 1.0) ** 2
            if out_pixels > self.fallback_max_pixels and step.transform in SCALE_OF:
                skipped += 1
                continue
            if self.budget_ms is not None:
                elapsed_ms = (self._clock() - start) * 1000
                predicted = self._ms_per_mpx.get(step, _INITIAL_MS_PER_MPX) * out_pixels / 1e6
                if elapsed_ms + predicted > self.budget_ms:
                    skipped += len(self.fallbacks) - position
                    break
            library = self._library(step)
            for symbol in self._run(step, small):
                key = identity(symbol)
                first = held.get(key)
                if (first is not None and first is not library) or catalog_confirms(
                    symbol, self.known_product
                ):
                    held.pop(key, None)
                    accepted.append(symbol)
                elif first is None:
                    held[key] = library
            if accepted:
                return ChainResult(accepted, step, skipped, len(held))
        return ChainResult([], None, skipped, len(held))

    def _library(self, step: Step) -> type:
        """The decoder's implementation (``zxing`` and ``zxing-full`` are one library): two steps
        agree only across libraries."""
        return type(self._decoders[step.decoder])

    def _unknown_retail_code(self, symbol: Decoded) -> bool:
        """An EAN/UPC (one mod-10 digit: the weakest check) naming no product of the catalog."""
        return (
            self.known_product is not None
            and symbol.symbology in EAN_UPC
            and not catalog_confirms(symbol, self.known_product)
        )

    def _run(self, step: Step, gray: Image) -> list[Decoded]:
        t0 = self._clock()
        transformed = self._transforms[step.transform](gray)
        found = self._decoders[step.decoder].decode(transformed)
        ms_per_mpx = (self._clock() - t0) * 1000 / max(transformed.size / 1e6, 1e-3)
        previous = self._ms_per_mpx.get(step)
        self._ms_per_mpx[step] = (
            ms_per_mpx if previous is None else previous + _EWMA * (ms_per_mpx - previous)
        )
        return _unique(found)


def _shrink(gray: Image, max_pixels: int) -> Image:
    if gray.size <= max_pixels:
        return gray
    import cv2

    factor = (max_pixels / gray.size) ** 0.5
    h, w = gray.shape
    size = (max(1, int(w * factor)), max(1, int(h * factor)))
    return np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _unique(found: list[Decoded]) -> list[Decoded]:
    return list(dict.fromkeys(found))


def default_chain(
    *,
    budget_ms: float | None = DEFAULT_BUDGET_MS,
    decoders: Mapping[str, Decoder] | None = None,
    known_product: KnownProduct | None = None,
) -> DecoderChain:
    """The shipped chain (``DEFAULT_PRIMARY`` + ``DEFAULT_FALLBACKS``). ``budget_ms=None`` runs every
    fallback whatever the time (deterministic, for accuracy measurements)."""
    return DecoderChain(
        DEFAULT_PRIMARY,
        DEFAULT_FALLBACKS,
        budget_ms=budget_ms,
        decoders=decoders,
        known_product=known_product,
    )


def chain_from_spec(
    spec: Sequence[str],
    *,
    budget_ms: float | None = DEFAULT_BUDGET_MS,
    known_product: KnownProduct | None = None,
) -> DecoderChain:
    """A chain from step strings, first = primary: ``["zxing", "zbar@scale0.5", ...]``."""
    if not spec:
        raise ConfigError("a decoder chain needs at least one step")
    steps = [Step.parse(s) for s in spec]
    return DecoderChain(steps[0], steps[1:], budget_ms=budget_ms, known_product=known_product)
