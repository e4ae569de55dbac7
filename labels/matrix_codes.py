"""2D symbol encoding: QR Code with the qrcode package, GS1 DataMatrix with zxing-cpp's zint-based writer.

QR: the qrcode package (pure Python) gives the module matrix; our own renderers draw it. Left to
itself it scores all eight masks (ISO/IEC 18004 7.8.3) by building the symbol eight times, five
times the cost of building it once, so we fix the mask: pattern 2 ((j mod 3) = 0) had the lowest
penalty score for 70 % of 151 parcel and enrollment payloads and the lowest mean score of the eight.
Decoders read every mask (the format information announces it); only the scoring step is skipped.
Measured side by side (scripts/bench_labels.py, CPU time): a 100×150 SVG label costs about 1.3 ms
with this QR against 0.6 ms with zxing-cpp's C++ writer, still several times the 200 labels/s target.
Text that is not ASCII goes in byte mode as UTF-8 without an ECI header (qrcode writes none);
zxing-cpp and phone cameras detect UTF-8, and without ECI the size estimate stays an upper bound.

DataMatrix: qrcode cannot make it. Since 3.0 zxing-cpp's writer is built on libzint, a maintained
encoder that implements ISO/IEC 16022 with FNC1 in first position (``gs1=True``) and checks the GS1
syntax; it ships as binary wheels for every platform from PyPI with no system library, and the same
package is the decoder the tests use. The alternatives were weaker: pylibdmtx needs the system
libdmtx and cannot emit FNC1; pyzint has not been released since 2022; zint-bindings is newer but
would be a second native package for the same job.
"""

from __future__ import annotations

import qrcode
import qrcode.constants
import qrcode.exceptions
import zxingcpp

from labels.errors import SymbolError

_DARK = bytes.maketrans(bytes(range(256)), b"1" * 128 + b"0" * 128)
_QR_DARK = bytes.maketrans(b"\x00\x01", b"01")  # qrcode's modules are booleans: bytes() of a row is 0/1
_QR_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}
QR_MASK = 2  # see the module docstring: fixed, chosen by penalty score over our payloads


def _rows(barcode: zxingcpp.Barcode) -> tuple[str, ...]:
    image = memoryview(barcode.to_image(scale=1, add_quiet_zones=False))
    height, width = image.shape
    pixels = image.tobytes().translate(_DARK)
    # zxing-cpp draws dark modules as 0 and light as 255, one pixel per module at scale 1.
    return tuple(pixels[y * width : (y + 1) * width].decode("ascii") for y in range(height))


def qr_rows(data: str, ec_level: str = "M") -> tuple[str, ...]:
    """Return the module rows of a QR Code (ISO/IEC 18004, level M by default) for ``data``."""
    # border=0: the quiet zone belongs to the Symbol (its renderers add it), not to the matrix.
    qr = qrcode.QRCode(error_correction=_QR_LEVELS[ec_level], border=0, mask_pattern=QR_MASK)
    try:
        qr.add_data(data)
        qr.make(fit=True)
    except (qrcode.exceptions.DataOverflowError, ValueError) as exc:  # 8.2 says "Invalid version (was 41…)"
        raise SymbolError("too_long", f"QR Code: {len(data.encode('utf-8'))} bytes do not fit a version 40 symbol") from exc
    return tuple(bytes(row).translate(_QR_DARK).decode("ascii") for row in qr.modules)


def datamatrix_rows(bracketed_elements: str) -> tuple[str, ...]:
    """Return the module rows of a GS1 DataMatrix (ECC 200, FNC1 first) for "[01]…[21]…" input."""
    try:
        # Square symbols only: GS1 GenSpecs 5.6.3 prefers them and Честный ЗНАК accepts no other.
        # Only pass options this version knows: an unknown value can abort the process in C++.
        barcode = zxingcpp.create_barcode(
            bracketed_elements, zxingcpp.BarcodeFormat.DataMatrix, gs1=True, force_square=True
        )
    except Exception as exc:  # zxing-cpp raises its own error types; callers see one of ours
        raise SymbolError("encode_failed", f"GS1 DataMatrix: {exc}") from exc
    return _rows(barcode)
