"""files/read.py: files whose data do not cover what their header claims."""

import io
import os
import re
import struct

import numpy as np
import pytest
from PIL import Image

from quantize.errors import ImageError, ImageTooLargeError
from quantize.files.read import load_image, load_image_bytes

from ..conftest import sha256, write_png16


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
    with pytest.raises(ImageTooLargeError, match="16x12 = 192 pixels, over the limit of 100") as refused:
        load_image(path, max_pixels=100)
    assert "tiled TIFF or a Zarr store" in str(refused.value)  # where an image larger than memory goes
    assert load_image(path, max_pixels=192).pixels.shape == (12, 16, 3)
    assert load_image(path, max_pixels=None).pixels.shape == (12, 16, 3)


def test_pillow_global_limit_is_restored(tmp_path):
    before = Image.MAX_IMAGE_PIXELS
    load_image(save(tmp_path, "x.png", Image.fromarray(RGB)))
    assert Image.MAX_IMAGE_PIXELS == before


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
