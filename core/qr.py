"""QR codes: PNG for download, SVG (one scalable path) for posters, slips and letters.

Nothing is cached on disk: a code takes a few milliseconds to draw and is only drawn when
someone prints or downloads it.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_Q

# Level Q survives about 25 % damage: posters get scratched, taped over and photographed at
# an angle. The quiet zone of 4 modules is the minimum the standard asks for.
ERROR_CORRECTION = ERROR_CORRECT_Q
BORDER = 4
# 16 px per module: a 37-module code (version 3, a typical /k/ URL) is 592 px wide, sharp at
# 300 dpi up to 5 cm and still fine on a 10 cm poster QR.
PNG_BOX_SIZE = 16
# For SVG the box size is in tenths of a millimetre: 10 makes one module 1 mm, so the viewBox
# counts modules (0 0 N N with N = modules + 2 × border) and CSS scales it to any size.
SVG_BOX_SIZE = 10


def build_qr(url: str, box_size: int = PNG_BOX_SIZE, image_factory=None) -> qrcode.QRCode:
    """The QRCode object every image here is drawn from (tests check its settings)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=BORDER, box_size=box_size,
                         image_factory=image_factory)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    build_qr(url).make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(url: str) -> str:
    image = build_qr(url, SVG_BOX_SIZE, qrcode.image.svg.SvgPathImage).make_image()
    # The path is many touching squares: without crisp edges some renderers leave hairline
    # seams between modules when scaling.
    image.get_image().set("shape-rendering", "crispEdges")
    return image.to_string(encoding="unicode")
