"""QR codes as inline SVG, generated on the edge (no internet, no image files)."""

from __future__ import annotations

import io

import segno

MAX_QR_TEXT = 512


def qr_svg(text: str, *, scale: int = 8, title: str = "QR code") -> str:
    """An ``<svg>`` element (no XML declaration) encoding ``text`` with error correction level M.

    Raises ValueError for empty text or text longer than :data:`MAX_QR_TEXT` characters.
    """
    if not text or len(text) > MAX_QR_TEXT:
        raise ValueError(f"QR text must be 1 to {MAX_QR_TEXT} characters")
    code = segno.make_qr(text, error="m")
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        scale=scale,
        border=4,
        xmldecl=False,
        svgns=True,
        title=title,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
        dark="#000",
        light="#fff",
    )
    return out.getvalue().decode()
