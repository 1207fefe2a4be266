"""Arrow string arrays as bytes: what a writer puts in a file, and what a check reads.

Outputs built column-wise in Arrow end as one string array per part of a file; its values'
UTF-8 text lies back to back in the array's data buffer, so it is written from there as is.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def text_bytes(texts: pa.Array) -> memoryview:
    """The UTF-8 bytes of a string array's values (no nulls), one after another, without a
    copy. Large strings (64-bit offsets) too, so a part over 2 GB fits."""
    offsets = np.frombuffer(
        texts.buffers()[1], dtype=np.int64 if pa.types.is_large_string(texts.type) else np.int32
    )
    start, stop = offsets[texts.offset], offsets[texts.offset + len(texts)]
    return memoryview(texts.buffers()[2])[start:stop]


def first_bytes(texts: pa.Array) -> np.ndarray:
    """The first byte of each value (0 where the value is empty or missing)."""
    kind = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    offsets = np.frombuffer(texts.buffers()[1], dtype=kind)[texts.offset :][: len(texts) + 1]
    starts, lengths = offsets[:-1], np.diff(offsets)
    first = np.zeros(len(texts), dtype=np.uint8)
    present = lengths > 0
    if texts.null_count:
        present &= np.asarray(texts.is_valid(), dtype=bool)
    if present.any():
        first[present] = np.frombuffer(texts.buffers()[2], dtype=np.uint8)[starts[present]]
    return first
