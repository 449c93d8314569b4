import re

import numpy as np
import pytest
from PIL import Image

from quantize.errors import OutputError


@pytest.mark.parametrize("extension", [".json", ".gpl", ".css", ".hex", ".txt", ".png"])
def test_palette_files_round_trip(tmp_path, extension):
    from quantize.files.palettes import load_palette, save_palette

    palette = np.array([[0, 0, 0], [255, 128, 7], [12, 34, 56]], np.uint8)
    path = tmp_path / f"p{extension}"
    assert save_palette(path, palette) == path.stat().st_size
    np.testing.assert_array_equal(load_palette(path), palette)


def test_gimp_palette_with_comments_and_a_plain_json_list(tmp_path):
    from quantize.files.palettes import load_palette

    (tmp_path / "g.gpl").write_text(
        "GIMP Palette\nName: x\nColumns: 4\n# a comment\n 10  20  30\tdark\n\n255 255 255\n"
    )
    np.testing.assert_array_equal(load_palette(tmp_path / "g.gpl"), [[10, 20, 30], [255, 255, 255]])
    (tmp_path / "l.json").write_text("[[1, 2, 3]]")
    np.testing.assert_array_equal(load_palette(tmp_path / "l.json"), [[1, 2, 3]])


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("p.pal", "x", "palette files are .css, .gpl, .hex, .json, .png, .txt"),
        ("p.txt", "x", "not a valid hex palette (no #rrggbb colour found)"),
        ("p.png", None, "no such file"),
        ("missing.json", None, "no such file"),
        ("bad.json", "{not json", "not a valid json palette"),
        ("keys.json", '{"colours": []}', "not a valid json palette"),
        ("empty.json", "[]", "non-empty list of [r, g, b] triples"),
        ("pairs.json", "[[1, 2]]", "not a valid json palette ([1, 2] is not an [r, g, b] triple)"),
        ("range.json", "[[1, 2, 300]]", "300 is not an integer in 0..255"),
        ("huge.json", "[[1, 2, 1" + "0" * 400 + "]]", "is not an integer in 0..255"),
        ("float.json", "[[1, 2, 1e300]]", "1e+300 is not an integer in 0..255"),
        ("inf.json", "[[1, 2, Infinity]]", "inf is not an integer in 0..255"),
        ("half.json", "[[0.5, 2, 3]]", "0.5 is not an integer in 0..255"),
        ("almost.json", "[[254.9, 2, 3]]", "254.9 is not an integer in 0..255"),
        ("bool.json", "[[true, 2, 3]]", "True is not an integer in 0..255"),
        ("string.json", '[["7", 2, 3]]', "'7' is not an integer in 0..255"),
        ("nested.json", "[" * 5000 + "]" * 5000, "not a valid json palette (nested too deeply)"),
        ("negative.gpl", "GIMP Palette\n-1 20 30\n", "'-1' is not an integer in 0..255"),
        ("big.gpl", "GIMP Palette\n1000 20 30\n", "'1000' is not an integer in 0..255"),
        ("many.json", str([[1, 2, 3]] * 257), "at most 256"),
        ("nogimp.gpl", "10 20 30\n", "starts with the line 'GIMP Palette'"),
        ("word.gpl", "GIMP Palette\nten 20 30\n", "not a valid gpl palette"),
    ],
)
def test_bad_palette_files(tmp_path, name, content, message):
    from quantize import PaletteError
    from quantize.files.palettes import load_palette

    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(PaletteError, match=re.escape(message)) as caught:
        load_palette(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_save_palette_refuses_other_extensions(tmp_path):
    from quantize.files.palettes import save_palette

    with pytest.raises(OutputError, match="palette files are .css, .gpl"):
        save_palette(tmp_path / "p.pal", np.zeros((1, 3), np.uint8))


def test_png_without_a_palette_chunk_is_refused(tmp_path):
    from quantize import PaletteError
    from quantize.files.palettes import load_palette

    Image.new("RGB", (4, 4)).save(tmp_path / "plain.png")
    with pytest.raises(PaletteError, match="not a quantize palette swatch"):
        load_palette(tmp_path / "plain.png")


def test_palette_file_size_is_bounded(tmp_path, monkeypatch):
    import quantize.files as qio
    from quantize import PaletteError

    monkeypatch.setattr(qio.palettes, "MAX_PALETTE_BYTES", 100)
    path = tmp_path / "big.hex"
    path.write_text("#000000\n" * 20)
    with pytest.raises(PaletteError, match="160 bytes, over the limit of 100 for a palette file"):
        qio.load_palette(path)
