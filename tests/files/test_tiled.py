"""Tiled images on disk (quantize.files.tiled): what is read tile by tile, what is
refused, and outputs that appear whole or not at all."""

import numpy as np
import pytest

from quantize.errors import ImageError, OutputError
from quantize.files.tiled import OUTPUT_TILE, grid, is_tiled, open_tiled, output_tiles, tile_encoder, write_tiled

tifffile = pytest.importorskip("tifffile")
zarr = pytest.importorskip("zarr")

RGB = np.random.default_rng(0).integers(0, 256, (300, 500, 3), dtype=np.uint8)


def test_tiled_tiff_and_zarr_are_recognised_and_read_window_by_window(tmp_path):
    tifffile.imwrite(tmp_path / "a.tif", RGB, tile=(128, 128), bigtiff=True)
    tifffile.imwrite(tmp_path / "strips.tif", RGB)  # not tiled: read whole, as any image
    zarr.open_array(str(tmp_path / "a.zarr"), mode="w", shape=RGB.shape, chunks=(100, 200, 3), dtype="u1")[:] = RGB
    group = zarr.open_group(str(tmp_path / "ome.zarr"), mode="w")  # OME-Zarr: level 0 is "0"
    group.create_array("0", shape=RGB.shape, chunks=(64, 64, 3), dtype="u1")[:] = RGB
    group.create_array("1", shape=(150, 250, 3), chunks=(64, 64, 3), dtype="u1")
    (tmp_path / "plain").mkdir()
    assert [is_tiled(tmp_path / name) for name in ("a.tif", "strips.tif", "a.zarr", "ome.zarr", "plain")] == [
        True,
        False,
        True,
        True,
        False,
    ]
    for name, tile in (("a.tif", (128, 128)), ("a.zarr", (100, 200)), ("ome.zarr", (64, 64))):
        image = open_tiled(tmp_path / name)
        assert image.shape == RGB.shape and image.tile == tile and image.file_bytes > 0
        rebuilt = np.zeros_like(RGB)
        for window in image.windows():
            rebuilt[window] = image.read(window)
        image.close()
        assert np.array_equal(rebuilt, RGB), name


def test_grid_covers_the_image_once():
    windows = grid((300, 500), (128, 128))
    covered = np.zeros((300, 500), int)
    for rows, columns in windows:
        covered[rows, columns] += 1
    assert (covered == 1).all() and len(windows) == 3 * 4 and len(output_tiles((300, 500))) == 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: zarr.open_group(str(p), mode="w"), "holds no array"),
        (lambda p: zarr.open_array(str(p), mode="w", shape=(10, 10), dtype="u1"), "single-channel"),
        (lambda p: zarr.open_array(str(p), mode="w", shape=(10, 10, 5), dtype="u1"), "3 or 4"),
    ],
)
def test_what_cannot_be_quantised_is_one_error_naming_the_store(tmp_path, make, message):
    make(tmp_path / "x.zarr")
    with pytest.raises(ImageError, match=message) as refused:
        open_tiled(tmp_path / "x.zarr")
    assert refused.value.path == tmp_path / "x.zarr"


def _tiles(labels, path):
    encode = tile_encoder(path)
    return (encode(labels[window]) for window in output_tiles(labels.shape))


@pytest.mark.parametrize("name", ["out.tif", "out.zarr"])
def test_outputs_hold_the_labels_and_palette(tmp_path, name):
    labels = np.random.default_rng(1).integers(0, 7, (OUTPUT_TILE + 100, 2 * OUTPUT_TILE + 3), dtype=np.uint8)
    palette = np.arange(21, dtype=np.uint8).reshape(7, 3) * 10
    size = write_tiled(tmp_path / name, labels.shape, palette, _tiles(labels, tmp_path / name))
    if name.endswith(".tif"):
        with tifffile.TiffFile(tmp_path / name) as tiff:
            page = tiff.pages.first
            assert np.array_equal(page.asarray(), labels) and np.array_equal(page.colormap[:, :7].T // 257, palette)
            assert size == (tmp_path / name).stat().st_size
    else:
        array = zarr.open_array(str(tmp_path / name), mode="r")
        assert np.array_equal(array[:], labels) and array.attrs["palette"] == palette.tolist()
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary left


def test_an_interrupted_write_leaves_nothing_and_existing_files_stay(tmp_path):
    labels = np.zeros((600, 600), np.uint8)

    def failing():
        yield from list(_tiles(labels, tmp_path / "out.tif"))[:2]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_tiled(tmp_path / "out.tif", labels.shape, np.zeros((2, 3), np.uint8), failing())
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "out.tif").write_bytes(b"mine")
    with pytest.raises(OutputError, match="file exists"):
        write_tiled(
            tmp_path / "out.tif", labels.shape, np.zeros((2, 3), np.uint8), _tiles(labels, tmp_path / "out.tif")
        )
    assert (tmp_path / "out.tif").read_bytes() == b"mine"


@pytest.mark.parametrize(
    ("name", "colours", "message"),
    [("out.jpg", 4, "written as .tif, .tiff or .zarr"), ("out.tif", 300, "256 at most")],
)
def test_outputs_it_cannot_write_are_refused(tmp_path, name, colours, message):
    with pytest.raises(OutputError, match=message):
        write_tiled(tmp_path / name, (10, 10), np.zeros((colours, 3), np.uint8), iter([]))


def test_commands_that_read_whole_images_say_where_a_tiled_one_goes(tmp_path):
    from quantize.errors import ImageTooLargeError
    from quantize.files.read import check_input_file, load_image

    tifffile.imwrite(tmp_path / "a.tif", RGB, tile=(128, 128))
    with pytest.raises(ImageTooLargeError, match="it is tiled: `quantize compress` reads it tile by tile"):
        load_image(tmp_path / "a.tif", max_pixels=1000)
    zarr.open_array(str(tmp_path / "a.zarr"), mode="w", shape=RGB.shape, dtype="u1")
    with pytest.raises(ImageError, match="is a Zarr store: `quantize compress` and `quantize segment` read it"):
        check_input_file(tmp_path / "a.zarr")


def test_tiles_are_zlib_streams_with_or_without_libdeflate(monkeypatch):
    import sys
    import zlib

    from quantize.files import tiff_tiles

    labels = np.random.default_rng(2).integers(0, 5, (OUTPUT_TILE, OUTPUT_TILE), dtype=np.uint8)
    assert zlib.decompress(tiff_tiles.deflated(labels)) == labels.tobytes()  # libdeflate's, when installed
    monkeypatch.setitem(sys.modules, "imagecodecs", None)  # not installed: zlib's own
    assert tiff_tiles._compressor() is zlib.compress


def test_an_existing_zarr_store_is_never_replaced(tmp_path):
    labels = np.zeros((40, 40), np.uint8)
    (tmp_path / "out.zarr").mkdir()
    (tmp_path / "out.zarr" / "mine.txt").write_text("kept")
    for overwrite in (False, True):
        with pytest.raises(OutputError, match="never replaced even with --force"):
            write_tiled(tmp_path / "out.zarr", labels.shape, np.zeros((1, 3), np.uint8), iter([]), overwrite=overwrite)
    assert (tmp_path / "out.zarr" / "mine.txt").read_text() == "kept"
