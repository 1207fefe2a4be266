"""Deflate for the files impact compresses itself, the workbook's parts and the charts' PNGs.

Intel's ISA-L deflate is several times zlib's speed for output about as small; zlib stands in
on platforms without an `isal` wheel.
"""

from __future__ import annotations

import zlib

try:
    from isal import isal_zlib as deflate
except ImportError:  # pragma: no cover - platforms without an isal wheel
    deflate = zlib

WITH_ISAL = deflate is not zlib

__all__ = ["WITH_ISAL", "deflate"]
