"""``simscanner://?code=<text>&code=<text>&terminator=crlf|cr|lf|tab&repeat=<n>``

A serial barcode-scanner simulator for pyserial: on open it queues each code (URL-decoded, so GS1
element strings can carry ``%1D``) followed by the terminator, ``repeat`` times, then behaves like
``loop://`` (bytes written are read back, so a test or the device hub can inject more scans).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import serial
from serial.urlhandler import protocol_loop

_TERMINATORS = {"crlf": b"\r\n", "cr": b"\r", "lf": b"\n", "tab": b"\t"}


class Serial(protocol_loop.Serial):
    """pyserial finds this class by the URL scheme (``simscanner`` → ``protocol_simscanner``)."""

    _scripted = b""

    def from_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "simscanner":
            raise serial.SerialException(f"expected a simscanner:// URL, got {url!r}")
        query = parse_qs(parts.query, keep_blank_values=True)
        terminator_name = query.get("terminator", ["crlf"])[0]
        if terminator_name not in _TERMINATORS:
            raise serial.SerialException(f"unknown terminator {terminator_name!r} (crlf, cr, lf, tab)")
        try:
            repeat = int(query.get("repeat", ["1"])[0])
        except ValueError as err:
            raise serial.SerialException(f"repeat must be an integer: {err}") from err
        terminator = _TERMINATORS[terminator_name]
        codes = query.get("code", [])
        self._scripted = b"".join(code.encode("utf-8") + terminator for _ in range(repeat) for code in codes)

    def open(self) -> None:
        super().open()
        if self._scripted:
            self.write(self._scripted)
