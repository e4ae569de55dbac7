"""2D symbol encoding: QR Code and GS1 DataMatrix, both with zxing-cpp's zint-based writer.

Why not the qrcode package for QR: its mask selection (ISO/IEC 18004 7.8.3, eight trial masks scored
in Python) takes about 2.8 ms per symbol, more than half the 5 ms a label may take at 200 labels/s;
zxing-cpp does the same work in C++ in about 0.1 ms and picks smaller versions (mode optimization).

Why zxing-cpp for DataMatrix: since 3.0 its writer is built on libzint, a maintained encoder that
implements ISO/IEC 16022 with FNC1 in first position (``gs1=True``) and checks the GS1 syntax; it
ships as binary wheels for every platform from PyPI with no system library, and the same package is
the decoder the tests use, so we add one dependency, not two. The alternatives were weaker: pylibdmtx
needs the system libdmtx and cannot emit FNC1; pyzint has not been released since 2022; zint-bindings
is newer but would be a second native package for the same job.
"""

from __future__ import annotations

import zxingcpp

from labels.errors import SymbolError

_DARK = bytes.maketrans(bytes(range(256)), b"1" * 128 + b"0" * 128)


def _rows(barcode: zxingcpp.Barcode) -> tuple[str, ...]:
    image = memoryview(barcode.to_image(scale=1, add_quiet_zones=False))
    height, width = image.shape
    pixels = image.tobytes().translate(_DARK)
    # zxing-cpp draws dark modules as 0 and light as 255, one pixel per module at scale 1.
    return tuple(pixels[y * width : (y + 1) * width].decode("ascii") for y in range(height))


def qr_rows(data: str, ec_level: str = "M") -> tuple[str, ...]:
    """Return the module rows of a QR Code (ISO/IEC 18004, level M by default) for ``data``."""
    try:
        if data.isascii():
            barcode = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level=ec_level)
        else:
            # ISO/IEC 18004 6.4.2: the default character set is ISO 8859-1, so other text announces
            # UTF-8 with ECI 26; left alone, zint may pick Kanji mode, which phones misread.
            barcode = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level=ec_level, eci=26)
    except Exception as exc:  # zxing-cpp raises its own error types; callers see one of ours
        raise SymbolError("encode_failed", f"QR Code: {exc}") from exc
    return _rows(barcode)


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
