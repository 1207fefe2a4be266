"""PNG files written by impact itself: any reader gets back the pixels and resolution."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

import impact.png
from impact.png import SOFTWARE, png_file

images = st.tuples(st.integers(1, 40), st.integers(1, 40)).flatmap(
    lambda shape: arrays(np.uint8, (*shape, 4))
)


@settings(max_examples=60, deadline=None)
@given(rgba=images, dpi=st.sampled_from([72, 100, 200, 300]))
def test_a_png_reads_back_as_the_pixels_and_resolution_it_was_given(rgba, dpi):
    with Image.open(io.BytesIO(png_file(rgba, dpi))) as image:
        image.load()
        assert image.mode == "RGBA"
        assert np.array_equal(np.asarray(image), rgba)
        assert [round(value) for value in image.info["dpi"]] == [dpi, dpi]
        assert image.info["Software"] == SOFTWARE


def test_the_same_pixels_make_the_same_bytes():
    rgba = np.random.default_rng(7).integers(0, 256, (90, 120, 4), dtype=np.uint8)
    assert png_file(rgba, 200) == png_file(rgba.copy(), 200)


def test_a_flat_chart_is_compressed():
    """Mostly white with a few shapes, as a chart is: far smaller than its raw pixels."""
    rgba = np.full((800, 1200, 4), 255, dtype=np.uint8)
    rgba[200:400, 100:900, :3] = (31, 119, 180)
    assert len(png_file(rgba, 200)) < rgba.nbytes / 100


def test_zlib_stands_in_where_isal_is_missing(monkeypatch):
    monkeypatch.setattr(impact.png, "deflate", zlib)
    monkeypatch.setattr(impact.png, "LEVEL", 6)
    rgba = np.random.default_rng(3).integers(0, 256, (30, 50, 4), dtype=np.uint8)
    with Image.open(io.BytesIO(png_file(rgba, 200))) as image:
        assert np.array_equal(np.asarray(image), rgba)


def test_anything_but_rgba_bytes_is_refused():
    with pytest.raises(ValueError, match="height × width × 4 bytes"):
        png_file(np.zeros((4, 4, 4), dtype=np.float64), 200)
    with pytest.raises(ValueError, match="height × width × 4 bytes"):
        png_file(np.zeros((4, 4, 3), dtype=np.uint8), 200)
