"""An LLRP client session: the pure state machine that brings a network reader up and keeps it reading.

Sequence (the reader loop writes what the session returns and feeds it what the reader sends):

1. on connect: GET_READER_CAPABILITIES;
2. on its response: check the configured antennas against the reader's, map ``power_dbm`` to an
   index of the reader's transmit power table, then in one burst SET_READER_CONFIG (periodic
   keepalive), DELETE_ROSPEC (every stale one), ADD_ROSPEC, ENABLE_ROSPEC — the ROSpec has an
   immediate start trigger, so enabling it starts the inventory;
3. RO_ACCESS_REPORT → :class:`TagRead` (antenna, peak RSSI, first-seen UTC µs); every KEEPALIVE is
   answered with a KEEPALIVE_ACK carrying its message id;
4. on shutdown: DISABLE_ROSPEC, CLOSE_CONNECTION.

A failed setup response is surfaced as a :class:`CommandResponse` with ``ok=False`` (the reader
loop reports it); :attr:`LlrpSession.ready` says the ROSpec is enabled. No I/O here.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from drivers.errors import FrameError
from drivers.rfid import llrp
from drivers.rfid.events import CommandResponse, ReaderMessage, RfidEvent

DEFAULT_PORT = 5084
"""The IANA port of LLRP."""


@dataclass(frozen=True, slots=True)
class LlrpOptions:
    rospec_id: int = 1
    keepalive_ms: int = 5000
    report_every: int = 1
    """Tags per RO_ACCESS_REPORT (1: lowest latency; more: fewer messages at high read rates)."""


class LlrpSession:
    """The :class:`drivers.rfid.sessions.ProtocolSession` of an LLRP reader."""

    def __init__(
        self, antennas: Sequence[int], power_dbm: float | None = None, options: LlrpOptions | None = None
    ) -> None:
        self.antennas = tuple(antennas)
        self.power_dbm = power_dbm
        self.options = options or LlrpOptions()
        self.parser = llrp.LlrpParser()
        self.capabilities: llrp.Capabilities | None = None
        self.ready = False
        self.error: str | None = None
        self._ids = itertools.count(1)

    def startup(self) -> list[bytes]:
        self.parser = llrp.LlrpParser()
        self.capabilities = None
        self.ready = False
        self.error = None
        return [llrp.get_reader_capabilities(next(self._ids))]

    def on_events(self, events: Sequence[RfidEvent], now: float) -> list[bytes]:
        out: list[bytes] = []
        for event in events:
            kind = type(event)
            if kind is ReaderMessage:
                assert isinstance(event, ReaderMessage)
                if event.kind == llrp.Msg.KEEPALIVE:
                    out.append(llrp.keepalive_ack(event.message_id))
            elif kind is CommandResponse:
                assert isinstance(event, CommandResponse)
                out += self._on_response(event)
        return out

    def shutdown(self) -> list[bytes]:
        self.ready = False
        return [
            llrp.disable_rospec(self.options.rospec_id, next(self._ids)),
            llrp.close_connection(next(self._ids)),
        ]

    def _on_response(self, response: CommandResponse) -> list[bytes]:
        if not response.ok:
            self.error = f"LLRP message {response.opcode} failed with status {response.status}"
            return []
        if response.opcode == llrp.Msg.ENABLE_ROSPEC_RESPONSE:
            self.ready = True
        if response.opcode != llrp.Msg.GET_READER_CAPABILITIES_RESPONSE:
            return []
        try:
            self.capabilities = caps = llrp.parse_capabilities(response.data)
        except FrameError as err:
            self.error = f"unreadable reader capabilities: {err}"
            return []
        missing = [a for a in self.antennas if not 1 <= a <= caps.max_antennas]
        if missing:
            self.error = (
                f"antennas {missing} do not exist on this reader (it has {caps.max_antennas}): "
                "fix the reader profile's [antennas]"
            )
            return []
        power_index = caps.power_index(self.power_dbm) if self.power_dbm is not None else 0
        spec = llrp.RoSpec(self.options.rospec_id, self.antennas, power_index, self.options.report_every)
        return [
            llrp.set_keepalive(self.options.keepalive_ms, next(self._ids)),
            llrp.delete_rospec(0, next(self._ids)),
            llrp.add_rospec(spec, next(self._ids)),
            llrp.enable_rospec(spec.rospec_id, next(self._ids)),
        ]
