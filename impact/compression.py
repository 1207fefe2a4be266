"""Deflate and CRC-32 for the files impact writes itself: the workbook's parts are deflated
here, and the workbook, the charts' PNG chunks and the package cache take their checksums here.

Intel's ISA-L deflate is several times zlib's speed for output about as small; zlib stands in
on platforms without an `isal` wheel. The charts' PNGs are deflated by zlib itself (see
`impact.png`: ISA-L's one-shot deflate did not always give the same bytes from run to run).
"""

from __future__ import annotations

import zlib

try:
    from isal import isal_zlib as deflate
except ImportError:  # pragma: no cover - platforms without an isal wheel
    deflate = zlib

__all__ = ["deflate"]
