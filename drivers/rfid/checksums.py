"""Frame checksums of the serial RFID protocols (see SERIAL_PROTOCOLS.md in the shared data)."""

from __future__ import annotations

import binascii


def mercury_crc(message: bytes | memoryview) -> int:
    """ThingMagic ``tm_crc``: nibble-wise CRC, poly 0x1021, register init 0xFFFF, over Len..Data.

    The message is shifted into the register without augmentation, which makes it equal to the
    direct-form CCITT CRC (init 0x1D0F) of all but the last two bytes, XORed with those two bytes.
    ``binascii.crc_hqx`` computes the direct form in C. Messages are always ≥ 2 bytes (Len, Opcode).
    """
    if len(message) < 2:
        raise ValueError("a Mercury message has at least Len and Opcode")
    return binascii.crc_hqx(message[:-2], 0x1D0F) ^ (message[-2] << 8 | message[-1])


def lrc8(message: bytes | memoryview) -> int:
    """Impinj R2000 check byte: two's complement of the 8-bit sum (Head..last Data byte)."""
    return -sum(message) & 0xFF


def sum8(message: bytes | memoryview) -> int:
    """R200/MagicRF checksum: low byte of the sum (Type..last parameter)."""
    return sum(message) & 0xFF


def _mcrf4xx_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_MCRF4XX = _mcrf4xx_table()


def crc16_mcrf4xx(message: bytes | memoryview) -> int:
    """Chafon CRC-16/MCRF4XX: reflected poly 0x8408, preset 0xFFFF, no final XOR (sent LSB first)."""
    crc = 0xFFFF
    table = _MCRF4XX
    for byte in message:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def crc16_genibus(message: bytes | memoryview) -> int:
    """Gen2 tag CRC-16 (CRC-16/GENIBUS: CCITT poly, init 0xFFFF, final XOR 0xFFFF) over PC+EPC."""
    return binascii.crc_hqx(message, 0xFFFF) ^ 0xFFFF
