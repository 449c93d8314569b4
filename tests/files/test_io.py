import os
import re

import numpy as np
import pytest
from PIL import Image

from quantize.errors import ImageError, ImageTooLargeError, OutputError
from quantize.files.encode import output_format, save_quantized, to_pil_image
from quantize.files.read import load_image
from quantize.files.write import atomic_write, check_output_path
from quantize.image import image_to_array

from ..conftest import sha256, write_png16

RGB = np.random.default_rng(0).integers(0, 256, (12, 16, 3), dtype=np.uint8)


def save(tmp_path, name, image, **options):
    path = tmp_path / name
    image.save(path, **options)
    return path


@pytest.mark.parametrize(
    "mode, channels",
    [("RGB", 3), ("L", 3), ("CMYK", 3), ("1", 3), ("LA", 4), ("RGBA", 4), ("P", 3), ("I;16", 3)],
)
def test_modes_become_rgb_or_rgba(tmp_path, mode, channels):
    image = Image.fromarray(RGB).convert("RGBA")
    if "A" in mode:
        alpha = np.full(RGB.shape[:2], 255, np.uint8)
        alpha[0, 0] = 0
        alpha[1, 1] = 100
        image.putalpha(Image.fromarray(alpha))
    if mode == "I;16":
        image = Image.fromarray(RGB[..., 0].astype(np.uint16) * 257)
    else:
        image = image.convert(mode)
    extension = ".jpg" if mode == "CMYK" else ".tif" if mode == "I;16" else ".png"
    path = save(tmp_path, "in" + extension, image)
    before = sha256(path)
    loaded = load_image(path)
    assert loaded.pixels.dtype == np.uint8
    assert loaded.pixels.shape == (12, 16, channels)
    assert loaded.mode == mode
    assert loaded.file_bytes == path.stat().st_size
    assert sha256(path) == before  # inputs are only read
    if mode == "I;16":
        np.testing.assert_array_equal(loaded.pixels[..., 0], RGB[..., 0])
        assert any("16-bit" in note for note in loaded.notes)
    if mode == "RGB":
        np.testing.assert_array_equal(loaded.pixels, RGB)


def test_opaque_alpha_is_dropped(tmp_path):
    path = save(tmp_path, "opaque.png", Image.fromarray(RGB).convert("RGBA"))
    assert load_image(path).pixels.shape[2] == 3


def test_palette_with_transparency(tmp_path):
    image = Image.fromarray(RGB).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    index = np.asarray(image)
    image.info["transparency"] = int(index[0, 0])
    path = save(tmp_path, "p.png", image, transparency=int(index[0, 0]))
    pixels = load_image(path).pixels
    assert pixels.shape[2] == 4
    np.testing.assert_array_equal(pixels[..., 3] == 0, index == index[0, 0])


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_16_bit_png_is_reduced_to_8_bits(tmp_path, channels):
    values = np.random.default_rng(1).integers(0, 65536, (5, 7, channels), dtype=np.uint16)
    if channels in (2, 4):
        values[..., -1] = 65535
        values[0, 0, -1] = 0
    write_png16(tmp_path / "deep.png", values)
    pixels = load_image(tmp_path / "deep.png").pixels
    assert pixels.dtype == np.uint8 and pixels.shape[:2] == (5, 7)
    # Pillow reduces colour to the high byte; we round greyscale: both within one level
    assert np.abs(pixels[..., 0].astype(int) - values[..., 0] / 257).max() <= 1


def test_16_bit_rgb_tiff(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    values = np.random.default_rng(2).integers(0, 65536, (6, 5, 3), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "deep.tif", values)
    pixels = load_image(tmp_path / "deep.tif").pixels
    assert pixels.shape == (6, 5, 3)
    assert np.abs(pixels.astype(int) - values / 257).max() <= 1


def test_float_greyscale(tmp_path):
    image = Image.fromarray(np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8))
    loaded = load_image(save(tmp_path, "f.tif", image))
    assert loaded.pixels[..., 0].max() == 255 and loaded.pixels[..., 0].min() == 0


def test_animated_gif_uses_first_frame(tmp_path):
    frames = [Image.new("RGB", (8, 8), color) for color in ("red", "green", "blue")]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    loaded = load_image(path)
    assert loaded.frames == 3
    assert "first of 3 frames" in loaded.notes[0]
    np.testing.assert_array_equal(loaded.pixels[0, 0], [255, 0, 0])


def test_exif_orientation_is_applied(tmp_path):
    pixels = np.zeros((10, 20, 3), np.uint8)
    pixels[:, :5] = 255  # a white band on the left of the stored image
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    path = save(tmp_path, "rotated.jpg", image, exif=exif, quality=100)
    before = sha256(path)
    loaded = load_image(path).pixels
    assert loaded.shape == (20, 10, 3)
    assert loaded[:5].mean() > 200 and loaded[-5:].mean() < 50  # the band is now on top
    assert sha256(path) == before


def test_image_to_array_of_rgba_pillow_image():
    pixels, notes = image_to_array(Image.new("RGBA", (3, 2), (1, 2, 3, 4)))
    assert pixels.shape == (2, 3, 4) and notes == []


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p, "no such file"),
        (lambda p: (p.mkdir(), p)[1], "is a folder, not an image file"),
        (lambda p: (p.write_bytes(b""), p)[1], r"file is empty \(0 bytes\)"),
        (lambda p: (p.write_text("hello, not a picture"), p)[1], "not an image file that Pillow can read"),
    ],
)
def test_bad_files(tmp_path, make, message):
    path = make(tmp_path / "bad.png")
    with pytest.raises(ImageError, match=message) as info:
        load_image(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("extension", [".png", ".jpg"])
def test_truncated_image(tmp_path, photo, extension):
    path = save(tmp_path, "whole" + extension, Image.fromarray(photo))
    data = path.read_bytes()
    cut = tmp_path / ("cut" + extension)
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="truncated or corrupt"):
        load_image(cut)


def test_corrupt_png_data(tmp_path, photo):
    data = bytearray(save(tmp_path, "ok.png", Image.fromarray(photo)).read_bytes())
    data[200:400] = bytes(200)
    (tmp_path / "corrupt.png").write_bytes(bytes(data))
    with pytest.raises(ImageError, match="truncated or corrupt"):
        load_image(tmp_path / "corrupt.png")


def test_pixel_limit(tmp_path):
    path = save(tmp_path, "big.png", Image.fromarray(RGB))
    with pytest.raises(ImageTooLargeError, match="16x12 = 192 pixels, over the limit of 100"):
        load_image(path, max_pixels=100)
    assert load_image(path, max_pixels=192).pixels.shape == (12, 16, 3)
    assert load_image(path, max_pixels=None).pixels.shape == (12, 16, 3)


def test_pillow_global_limit_is_restored(tmp_path):
    before = Image.MAX_IMAGE_PIXELS
    load_image(save(tmp_path, "x.png", Image.fromarray(RGB)))
    assert Image.MAX_IMAGE_PIXELS == before


# ---- writing -------------------------------------------------------------------------

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


def test_refuses_to_overwrite_without_flag(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="file exists"):
        save_quantized(target, LABELS[:, :2], PALETTE)
    assert target.read_bytes() == b"keep me"
    save_quantized(target, LABELS[:, :2], PALETTE, overwrite=True)
    assert Image.open(target).mode == "P"


def test_never_overwrites_the_protected_input(tmp_path):
    target = tmp_path / "in.png"
    target.write_bytes(b"original")
    with pytest.raises(OutputError, match="would overwrite the input"):
        save_quantized(target, LABELS[:, :2], PALETTE, overwrite=True, protect=target)
    assert target.read_bytes() == b"original"


def test_unwritable_destinations(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="cannot write in folder|does not exist"):
        save_quantized(tmp_path / "file" / "out.png", LABELS[:, :2], PALETTE)
    with pytest.raises(OutputError, match="folder .* does not exist"):
        save_quantized(tmp_path / "missing" / "out.png", LABELS[:, :2], PALETTE)
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        check_output_path(tmp_path / "dir.png", overwrite=True)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    def explode(handle):
        handle.write(b"half")
        raise RuntimeError("crash mid-write")

    with pytest.raises(RuntimeError):
        atomic_write(tmp_path / "out.bin", explode)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_respects_umask(tmp_path):
    atomic_write(tmp_path / "out.bin", lambda handle: handle.write(b"data"))
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "out.bin").stat().st_mode & 0o777 == 0o666 & ~umask
    assert (tmp_path / "out.bin").read_bytes() == b"data"


@pytest.mark.parametrize(
    "head, name",
    [
        (b"\x89PNG\r\n\x1a\n\0\0\0\0", "PNG"),
        (b"\xff\xd8\xff\xe0" + bytes(8), "JPEG"),
        (b"GIF89a" + bytes(6), "GIF"),
        (b"II*\x00" + bytes(8), "TIFF"),
        (b"MM\x00*" + bytes(8), "TIFF"),
        (b"BM" + bytes(10), "BMP"),
        (b"RIFF\0\0\0\0WEBP", "WEBP"),
        (b"hello, world", None),
    ],
)
def test_sniff_format(head, name):
    from quantize.files.read import sniff_format

    assert sniff_format(head) == name


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


def test_describe_sorts_by_share_and_names_colours():
    from quantize.files.palette_formats import describe

    entries = describe(np.array([[250, 250, 250], [255, 0, 0], [0, 0, 128]], np.uint8), [0.2, 0.5, 0.3])
    assert [e["hex"] for e in entries] == ["#ff0000", "#000080", "#fafafa"]
    assert [e["name"] for e in entries] == ["fire engine red", "deep blue", "pale grey"]  # the xkcd survey's
    assert entries[0]["lab"] == [53.24, 80.09, 67.2] and entries[0]["share"] == 0.5


def test_png_without_a_palette_chunk_is_refused(tmp_path):
    from quantize import PaletteError
    from quantize.files.palettes import load_palette

    Image.new("RGB", (4, 4)).save(tmp_path / "plain.png")
    with pytest.raises(PaletteError, match="not a quantize palette swatch"):
        load_palette(tmp_path / "plain.png")


def _with_profile(tmp_path, photo, profile):
    path = tmp_path / "icc.png"
    Image.fromarray(photo).save(path, icc_profile=profile)
    return path


def test_embedded_icc_profile_is_converted_to_srgb(tmp_path, photo):
    from ..iccgen import SWAPPED

    loaded = load_image(_with_profile(tmp_path, photo, SWAPPED))
    assert loaded.notes == ("converted from the embedded ICC profile 'swapped red and green' to sRGB",)
    # the profile says the stored red is green: after conversion the channels trade places
    assert np.abs(loaded.pixels[..., 1].astype(int) - photo[..., 0]).mean() < 3
    assert np.abs(loaded.pixels[..., 0].astype(int) - photo[..., 1]).mean() < 3
    kept = load_image(tmp_path / "icc.png", keep_icc=True)
    assert kept.icc_profile == SWAPPED and np.array_equal(kept.pixels, photo)
    assert "the embedded ICC profile is kept in the output" in kept.notes[0]


def test_srgb_profiles_need_no_conversion(tmp_path, photo):
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    loaded = load_image(_with_profile(tmp_path, photo, srgb))
    assert loaded.notes == () and np.array_equal(loaded.pixels, photo)


def test_unusable_icc_profile_is_noted_not_fatal(tmp_path, photo):
    loaded = load_image(_with_profile(tmp_path, photo, b"not a profile"))
    assert loaded.notes[0].startswith("embedded ICC profile not usable (")
    assert np.array_equal(loaded.pixels, photo)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: (os.mkfifo(p), p)[1], "is a FIFO (named pipe), not a regular file"),
        (lambda p: (p.symlink_to("/dev/zero"), p)[1], "is a device, not a regular file"),
        (lambda p: (p.symlink_to(p), p)[1], "symbolic link loop"),
        (lambda p: (p.symlink_to(p.with_name("gone")), p)[1], "broken symbolic link"),
        (lambda p: (p.mkdir(), p)[1], "is a folder, not {what} file"),
    ],
)
@pytest.mark.parametrize("what", ["image", "palette"])
def test_only_regular_files_are_read(tmp_path, make, message, what):
    """FIFOs and devices would block or never end; each refusal says what the path is."""
    from quantize import ImageError, PaletteError
    from quantize.files.palettes import load_palette
    from quantize.files.read import load_image

    path = make(tmp_path / ("in.png" if what == "image" else "in.json"))
    expected = message.format(what="a palette" if what == "palette" else "an image")
    error, load = (ImageError, load_image) if what == "image" else (PaletteError, load_palette)
    with pytest.raises(error, match=re.escape(expected)) as caught:
        load(path)
    assert caught.value.path == path


def test_palette_file_size_is_bounded(tmp_path, monkeypatch):
    import quantize.files as qio
    from quantize import PaletteError

    monkeypatch.setattr(qio.palettes, "MAX_PALETTE_BYTES", 100)
    path = tmp_path / "big.hex"
    path.write_text("#000000\n" * 20)
    with pytest.raises(PaletteError, match="160 bytes, over the limit of 100 for a palette file"):
        qio.load_palette(path)


def test_decoder_messages_become_notes_not_stderr(tmp_path, capfd):
    """Pillow's warnings (corrupt EXIF, say) and libtiff's own lines on file descriptor
    2 are the file's notes; nothing reaches stderr."""
    import warnings as stdwarnings

    import quantize.files as qio

    path = tmp_path / "a.png"
    Image.new("RGB", (4, 4), (1, 2, 3)).save(path)
    real_open = Image.open

    def noisy_open(*args, **kwargs):
        stdwarnings.warn("Corrupt EXIF data", UserWarning, stacklevel=2)
        os.write(2, b"tempfile.tif: Using code not yet in table.\n")
        return real_open(*args, **kwargs)

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(qio.read.Image, "open", noisy_open)
    try:
        loaded = qio.load_image(path)
    finally:
        monkeypatch.undo()
    assert "decoder: Corrupt EXIF data" in loaded.notes
    assert "decoder: tempfile.tif: Using code not yet in table." in loaded.notes
    assert capfd.readouterr().err == ""


def test_any_decoder_exception_is_an_image_error(tmp_path, monkeypatch):
    import quantize.files as qio
    from quantize import ImageError

    path = tmp_path / "a.tif"
    Image.new("RGB", (4, 4)).save(path)

    def broken(*args, **kwargs):
        raise TypeError("Missing dimensions")

    monkeypatch.setattr(qio.read.Image, "open", broken)
    with pytest.raises(ImageError, match=re.escape("truncated or corrupt image (Missing dimensions)")):
        qio.load_image(path)


@pytest.mark.parametrize("fill, message", [(np.nan, "no finite pixel value"), (np.inf, "no finite pixel value")])
def test_float_tiff_without_finite_pixels(tmp_path, fill, message, recwarn):
    from quantize import ImageError
    from quantize.files.read import load_image

    path = tmp_path / "f.tif"
    Image.fromarray(np.full((3, 4), fill, dtype=np.float32)).save(path)
    with pytest.raises(ImageError, match=message):
        load_image(path)
    assert not recwarn.list


def test_float_tiff_with_some_nan_and_huge_values(tmp_path, recwarn):
    from quantize.files.read import load_image

    values = np.array([[np.nan, 3e38, 0.0, 100.0]], dtype=np.float32)
    path = tmp_path / "f.tif"
    Image.fromarray(values).save(path)
    loaded = load_image(path)
    assert loaded.pixels[0, :, 0].tolist() == [0, 255, 0, 100]
    assert any("NaN and infinite pixels taken as 0" in n for n in loaded.notes)
    assert not recwarn.list


def test_palette_format_errors_are_palette_errors():
    from quantize import InvalidParameterError, PaletteError
    from quantize.files.palette_formats import parse, render

    for data, kind, message in (
        (b"[[1, 2]]", "json", "is not an \\[r, g, b\\] triple"),
        (b"[[1, 2, 300]]", "json", "300 is not an integer in 0..255"),
        (b"Name: x\n", "gpl", "starts with the line 'GIMP Palette'"),
        (b"red\n", "hex", "no #rrggbb colour found"),
    ):
        with pytest.raises(PaletteError, match=message) as caught:
            parse(data, kind)
        assert caught.value.path is None and str(caught.value) == caught.value.reason
    with pytest.raises(InvalidParameterError, match="unknown palette format 'act'"):
        render([], "act")


def test_file_errors_share_one_path_mixin():
    from quantize.errors import ImageError, OutputError, PaletteError, PathMixin

    for error in (ImageError("bad", "a.png"), PaletteError("bad", "p.json"), OutputError("bad", "o.png")):
        assert isinstance(error, PathMixin) and error.reason == "bad" and str(error) == f"{error.path}: bad"
    assert str(OutputError("bad")) == "bad" and isinstance(OutputError("x"), OSError)
