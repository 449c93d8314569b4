import numpy as np
import pytest
from PIL import Image

from quantize.errors import OutputError
from quantize.files.encode import output_format, save_quantized, to_pil_image

RGB = np.random.default_rng(0).integers(0, 256, (12, 16, 3), dtype=np.uint8)


LABELS = np.array([[0, 1, -1], [2, 1, 0]])


PALETTE = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], np.uint8)


def test_palette_png_with_transparent_entry(tmp_path):
    palette = np.column_stack([PALETTE, [255, 255, 255]]).astype(np.uint8)
    size = save_quantized(tmp_path / "out.png", LABELS, palette)
    image = Image.open(tmp_path / "out.png")
    assert size == (tmp_path / "out.png").stat().st_size
    assert image.mode == "P"
    assert len(image.getpalette()) // 3 == 4  # 3 colours + transparent
    rgba = np.asarray(image.convert("RGBA"))
    assert rgba[0, 2, 3] == 0 and rgba[0, 0].tolist() == [255, 0, 0, 255]


def test_partial_alpha_palette_png(tmp_path):
    palette = np.array([[10, 20, 30, 128], [40, 50, 60, 255]], np.uint8)
    save_quantized(tmp_path / "a.png", np.array([[0, 1, -1]]), palette)
    rgba = np.asarray(Image.open(tmp_path / "a.png").convert("RGBA"))
    assert rgba[0].tolist() == [[10, 20, 30, 128], [40, 50, 60, 255], [0, 0, 0, 0]]


def test_small_palettes_use_fewer_bits(tmp_path):
    labels = np.tile(np.arange(4), (64, 16))
    palette = np.array([[0, 0, 0], [80, 80, 80], [160, 160, 160], [240, 240, 240]], np.uint8)
    save_quantized(tmp_path / "four.png", labels, palette)
    data = (tmp_path / "four.png").read_bytes()
    assert data[24] == 2  # IHDR bit depth: 2 bits per index for 4 colours
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "four.png")), labels)


@pytest.mark.parametrize(
    "name, mode", [("o.gif", "P"), ("o.bmp", "P"), ("o.tif", "P"), ("o.webp", "RGB"), ("o.jpg", "RGB")]
)
def test_formats_by_extension(tmp_path, name, mode):
    labels = np.array([[0, 1], [2, 1]])
    save_quantized(tmp_path / name, labels, PALETTE)
    image = Image.open(tmp_path / name)
    assert image.mode == mode
    if name != "o.jpg":
        np.testing.assert_array_equal(np.asarray(image.convert("RGB")), PALETTE[labels])


@pytest.mark.parametrize(
    "name, palette, message",
    [
        ("o.jpg", PALETTE, "JPEG cannot store the image's transparency"),
        ("o.bmp", PALETTE, "BMP cannot store the image's transparency"),
        (
            "o.gif",
            np.column_stack([PALETTE, [9, 255, 255]]).astype(np.uint8),
            "GIF cannot store the image's partial transparency",
        ),
    ],
)
def test_formats_that_cannot_store_alpha(tmp_path, name, palette, message):
    with pytest.raises(OutputError, match=message):
        save_quantized(tmp_path / name, LABELS, palette)
    assert list(tmp_path.iterdir()) == []


def test_rgba_tiff_keeps_alpha(tmp_path):
    save_quantized(tmp_path / "o.tif", LABELS, PALETTE)
    image = Image.open(tmp_path / "o.tif")
    assert image.mode == "RGBA" and np.asarray(image)[0, 2, 3] == 0


def test_too_many_colours_for_a_palette_file(tmp_path):
    labels = np.arange(300).reshape(15, 20)
    palette = np.random.default_rng(0).integers(0, 256, (300, 3), dtype=np.uint8)
    with pytest.raises(OutputError, match="at most 256 colours; this one needs 300"):
        to_pil_image(labels, palette, "PNG")
    assert to_pil_image(labels, palette, "WEBP").mode == "RGB"


def test_unknown_extension():
    with pytest.raises(OutputError, match="cannot tell the image format from the extension '.xyz'"):
        output_format("out.xyz")
    with pytest.raises(OutputError, match=r"extension '\(none\)'"):
        output_format("out")


def test_png_keeps_the_smaller_of_its_encodings(tmp_path, monkeypatch):
    import quantize.files.encode as encode

    labels = np.tile(np.arange(4).repeat(16), (64, 4))  # long runs: run-length wins
    palette = np.array([[0, 0, 0], [80, 80, 80], [160, 160, 160], [240, 240, 240]], np.uint8)
    size = save_quantized(tmp_path / "best.png", labels, palette)
    sizes = []
    for options in encode._SAVE_OPTIONS["PNG"]:
        monkeypatch.setitem(encode._SAVE_OPTIONS, "PNG", [options])
        sizes.append(save_quantized(tmp_path / f"{len(sizes)}.png", labels, palette))
    assert size == min(sizes)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "best.png")), labels)


@pytest.mark.parametrize("big", [False, True])
def test_png_deflate_level_depends_on_size(tmp_path, monkeypatch, big):
    import io as stdio

    import quantize.files.encode as encode

    if big:
        monkeypatch.setattr(encode, "_PNG_LEVEL_9_MAX_PIXELS", 100)
    rng = np.random.default_rng(0)
    labels = np.tile(rng.integers(0, 200, (8, 64)), (16, 8))  # repeats far apart: deflate wins
    palette = rng.integers(0, 256, (200, 3), dtype=np.uint8)
    size = save_quantized(tmp_path / "best.png", labels, palette)
    image = encode.to_pil_image(labels, palette, "PNG")
    sizes = {}
    for level in (7, 9):
        buffer = stdio.BytesIO()
        image.save(buffer, format="PNG", compress_level=level)
        sizes[level] = len(buffer.getvalue())
    assert sizes[9] < sizes[7]
    assert size == (sizes[7] if big else sizes[9])
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "best.png")), labels)


def test_save_smallest_writes_the_smaller_losslessly(tmp_path, photo):
    from quantize.files.encode import encode_quantized, save_smallest
    from quantize.quantization.api import fit_palette

    palette, labels = fit_palette(photo, 32, random_state=0)
    path, sizes = save_smallest(tmp_path / "out.png", labels, palette)
    assert set(sizes) == {"PNG", "WEBP"}
    winner = min(sizes, key=sizes.get)
    assert path == tmp_path / ("out.png" if winner == "PNG" else "out.webp")
    assert path.stat().st_size == sizes[winner] == len(encode_quantized(labels, palette, winner))
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    np.testing.assert_array_equal(np.asarray(Image.open(path).convert("RGB")), palette[labels])
    with pytest.raises(OutputError, match="file exists"):
        save_smallest(tmp_path / "out.gif", labels, palette)  # the winner's name is taken
