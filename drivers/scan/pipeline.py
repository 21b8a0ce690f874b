"""The pure scanning pipeline: frames or scanner lines in, classified, de-duplicated scan events out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drivers.scan.decoders.base import Decoder, Image
from drivers.scan.dedup import Deduplicator
from drivers.scan.model import Symbology
from drivers.scan.payloads import Payload, classify, payload_as_dict
from drivers.tokens import Keyring


@dataclass(frozen=True, slots=True)
class ScanEvent:
    """One scan as services see it: who scanned, when (epoch s), the raw text and what it means."""

    device_id: str
    at: float
    text: str
    symbology: Symbology | None
    payload: Payload

    def as_dict(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "at": self.at,
            "text": self.text,
            "symbology": self.symbology.value if self.symbology else None,
            "payload": payload_as_dict(self.payload),
        }


class ScanPipeline:
    """Decode (frames) → de-duplicate → classify. No I/O: callers pass frames, lines and the time.

    ``decoder`` is needed only for :meth:`on_frame` (usually :func:`~drivers.scan.chain.default_chain`).
    """

    def __init__(
        self,
        device_id: str,
        *,
        decoder: Decoder | None = None,
        dedup_window_s: float = 2.0,
        keyring: Keyring | None = None,
    ) -> None:
        self.device_id = device_id
        self.decoder = decoder
        self.dedup = Deduplicator(dedup_window_s)
        self.keyring = keyring
        self.frames = 0
        self.decodes = 0

    def on_frame(self, image: Image, now: float) -> list[ScanEvent]:
        if self.decoder is None:
            raise ValueError("this pipeline has no decoder; it only accepts text (on_text)")
        self.frames += 1
        events: list[ScanEvent] = []
        for symbol in self.decoder.decode(image):
            events.extend(self.on_text(symbol.text, now, symbology=symbol.symbology))
        return events

    def on_text(self, text: str, now: float, *, symbology: Symbology | None = None) -> list[ScanEvent]:
        self.decodes += 1
        if not self.dedup.accept(text, now):
            return []
        payload = classify(text, symbology=symbology, keyring=self.keyring, now=now)
        return [ScanEvent(self.device_id, now, text, symbology, payload)]
