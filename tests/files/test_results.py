"""Results written by quantize.files.results: the computing packages hold values only."""

import numpy as np
import pytest
from PIL import Image

from quantize import InvalidParameterError, encode, quantize_animation, quantize_image, save, segment_image
from quantize.files.results import save_segments

from ..conftest import animation_frames


def test_encode_and_save_write_the_same_bytes(photo, tmp_path):
    result = quantize_image(photo, 8, random_state=0)
    encoded = encode(result, "PNG", name="x.png")
    report = save(result, tmp_path / "x.png")
    assert (tmp_path / "x.png").read_bytes() == encoded.data
    assert report.output_bytes == len(encoded.data) and report is result.report
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "x.png").convert("RGB")), result.image)


def test_encode_refuses_what_it_cannot_write(photo):
    animation = quantize_animation(animation_frames(2), 4)
    with pytest.raises(InvalidParameterError, match="smallest is for a still image"):
        encode(animation, smallest=True)
    with pytest.raises(InvalidParameterError, match="cannot encode a SegmentResult"):
        encode(segment_image(photo, 2, random_state=0))
    assert encode(animation).image_format == "GIF"  # frames given as arrays: GIF


def test_save_segments_writes_the_folder(photo, tmp_path):
    result = segment_image(photo, 2, random_state=0)
    written = save_segments(result, tmp_path / "seg")
    assert sorted(written) == sorted(result.file_names())
    assert all((tmp_path / "seg" / name).stat().st_size == size for name, size in written.items())


def test_computing_packages_import_no_file_code():
    """No module of the computing layers imports files/, batch/, cli/ or preview/
    (import-linter states the same contract for CI; this is its quick local twin)."""
    import ast
    from pathlib import Path

    import quantize

    root = Path(quantize.__file__).parent
    computing = [
        *root.glob("cluster/*.py"),
        *root.glob("color/*.py"),
        *root.glob("metrics/*.py"),
        *root.glob("quantization/*.py"),
        *root.glob("segmentation/*.py"),
        root / "image.py",
        root / "drawing.py",
    ]
    offending = []
    for path in computing:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.split(".")[0] in {"files", "batch", "cli", "preview"}
            ):
                offending.append(f"{path.relative_to(root)}: {node.module}")
    assert offending == []
