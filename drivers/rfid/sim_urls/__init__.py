"""pyserial URL handlers for the in-repo simulators (``vitrinesim://``).

pyserial finds ``protocol_<scheme>`` modules in the packages listed in
``serial.protocol_handler_packages``; :func:`register` adds this package (idempotent). Nothing is
registered at import time.
"""

from __future__ import annotations

import serial

PACKAGE = __name__


def register() -> None:
    if PACKAGE not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(PACKAGE)
