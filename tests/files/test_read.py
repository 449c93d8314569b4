"""files/read.py: files whose data do not cover what their header claims."""

import io
import struct

import numpy as np
import pytest
from PIL import Image

from quantize.errors import ImageError
from quantize.files.read import load_image, load_image_bytes


def _tall_tiff(height):
    """A raw RGBA TIFF of 96x24 pixels whose header then claims ``height`` rows."""
    pixels = np.random.default_rng(0).integers(0, 255, (24, 96, 4)).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="TIFF")
    data = bytearray(buffer.getvalue())
    (ifd,) = struct.unpack("<I", data[4:8])
    (entries,) = struct.unpack("<H", data[ifd : ifd + 2])
    for entry in range(ifd + 2, ifd + 2 + 12 * entries, 12):
        if struct.unpack("<H", data[entry : entry + 2])[0] == 257:  # ImageLength, a LONG
            data[entry + 8 : entry + 12] = struct.pack("<I", height)
    return bytes(data)


def test_a_tiff_whose_strips_do_not_cover_the_image_is_refused(tmp_path):
    """Pillow decodes the strips the file lists and leaves the rest blank: a 9 KB
    file claiming 96x131072 pixels was accepted as a whole image."""
    path = tmp_path / "tall.tif"
    path.write_bytes(_tall_tiff(131072))
    assert path.stat().st_size < 10_000
    with pytest.raises(
        ImageError,
        match=r"truncated or corrupt image \(its data covers 2,304 of its 12,582,912 "
        r"pixels\)",
    ) as caught:
        load_image(path)
    assert caught.value.path == path
    assert load_image_bytes(_tall_tiff(24)).pixels.shape == (24, 96, 4)
