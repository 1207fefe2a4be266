"""Arrow string arrays as the bytes a writer puts in a file.

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
