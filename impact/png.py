"""PNG files from the pixels of a drawn chart.

Saving through matplotlib, PIL chooses a filter for every row and deflates at zlib's level 6:
a fifth of the charts' drawing time. A chart is mostly flat colour, which deflates about as well
unfiltered, and zlib's level 1 does that in a third of the time (the map: 25 ms against 75),
about as small as ISA-L makes it. Not ISA-L: at levels 1 and 2 it sometimes deflated the same
pixels to other (equally valid) bytes in another process, so a report run again had other
chart files, manifest hashes and HTML. The pixels, the resolution and the Software note are
those matplotlib writes.
"""

from __future__ import annotations

import struct
import zlib

import matplotlib
import numpy as np

from impact.compression import deflate

SIGNATURE = b"\x89PNG\r\n\x1a\n"
LEVEL = 1
RGBA_8BIT = (8, 6)  # bit depth, colour type
UNFILTERED = 0
METRES_PER_INCH = 0.0254
SOFTWARE = f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/"


def png_file(rgba: np.ndarray, dpi: float) -> bytes:
    """The PNG of an RGBA image (height × width × 4 bytes, top row first) at `dpi`."""
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"expected height × width × 4 bytes, got {rgba.dtype} {rgba.shape}")
    height, width, _ = rgba.shape
    rows = np.empty((height, 1 + 4 * width), dtype=np.uint8)
    rows[:, 0] = UNFILTERED
    rows[:, 1:] = rgba.reshape(height, 4 * width)
    per_metre = round(dpi / METRES_PER_INCH)
    return b"".join(
        [
            SIGNATURE,
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, *RGBA_8BIT, 0, 0, 0)),
            _chunk(b"tEXt", b"Software\0" + SOFTWARE.encode("latin-1")),
            _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            _chunk(b"IDAT", zlib.compress(rows, LEVEL)),
            _chunk(b"IEND", b""),
        ]
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    checked = kind + data
    return struct.pack(">I", len(data)) + checked + struct.pack(">I", deflate.crc32(checked))
