"""A coupon's code as pictures for the counter: QR code (segno) and Code 128 barcode (python-barcode), as SVG."""

from __future__ import annotations

import io
import logging
import re

import segno

# python-barcode announces at import, at INFO, that it has no Pillow; SVG output needs none.
logging.getLogger("pyBarcode").setLevel(logging.WARNING)

from barcode import Code128  # noqa: E402
from barcode.writer import SVGWriter  # noqa: E402

_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)


def qr_svg(text: str, *, standalone: bool = False) -> str:
    """The QR code as SVG: inline in a page, or `standalone` as an image file of its own."""
    qr = segno.make(text, error="m")
    if not standalone:
        return qr.svg_inline(border=2, dark="#111", light="#fff", omitsize=True)
    out = io.BytesIO()
    qr.save(out, kind="svg", border=2, dark="#111", light="#fff", scale=4)
    return out.getvalue().decode()


def barcode_svg(text: str) -> str:
    """Code 128 of the code; the XML prologue is dropped so the SVG can sit inside the page."""
    out = io.BytesIO()
    Code128(text, writer=SVGWriter()).write(out, options={
        "write_text": False, "module_height": 12.0, "module_width": 0.3, "quiet_zone": 2.0, "compress": False})
    return _PROLOGUE.sub("", out.getvalue().decode())
