"""``quantize segment`` of tiled TIFFs and Zarr stores, generated here: tile by tile,
the same clusters, regions, pictures and statistics as the in-memory segmentation,
written as tiled BigTIFFs."""

import errno
import json

import numpy as np
import pytest
from PIL import Image

import quantize
from quantize.files import tiff_tiles
from quantize.segmentation import tiled as tiled_segmentation

from ..conftest import IMAGES, sha256
from .helpers import listing, run

tifffile = pytest.importorskip("tifffile")
zarr = pytest.importorskip("zarr")


@pytest.fixture(autouse=True)
def small_tiles(monkeypatch):
    """128-px tiles (TIFF asks for multiples of 16): the photo spans 3 x 4 of them."""
    monkeypatch.setattr(tiled_segmentation, "TILE", 128)
    monkeypatch.setattr(tiff_tiles, "OUTPUT_TILE", 128)


@pytest.fixture(scope="module")
def photo():
    return np.asarray(Image.open(IMAGES / "chelsea.png").convert("RGB"))


@pytest.fixture
def tiled(tmp_path, photo):
    tifffile.imwrite(tmp_path / "cat.tif", photo, tile=(64, 64), bigtiff=True, compression="zlib")
    array = zarr.open_array(str(tmp_path / "cat.zarr"), mode="w", shape=photo.shape, chunks=(96, 80, 3), dtype="u1")
    array[:] = photo
    return tmp_path


def tiff(path):
    with tifffile.TiffFile(path) as file:
        page = file.pages.first
        return page.asarray(), page.colormap


def tiled_listing(k):
    names = ["labels.tif", "labels-color.tif", "overlay.tif", "palette.png", "segments.json"]
    return sorted(names + [f"mask_{i}.tif" for i in range(k)])


@pytest.mark.parametrize("source", ["cat.tif", "cat.zarr"])
@pytest.mark.parametrize("overlay", ["clusters", "mean"])
def test_a_tiled_input_segments_as_in_memory(tiled, photo, source, overlay):
    before = sha256(tiled / "cat.tif")
    out = tiled / "out"
    result = run("segment", tiled / source, "-k", 5, "--seed", 0, "-o", out, "--overlay", overlay, "--json")
    assert result.exit_code == 0, result.output
    expected = quantize.segment_image(photo, 5, random_state=0)
    assert listing(out) == tiled_listing(len(expected.colors))
    labels, _ = tiff(out / "labels.tif")
    assert np.array_equal(labels, expected.label_image())
    index, colormap = tiff(out / "labels-color.tif")
    assert np.array_equal(index, expected.clusters)
    assert np.array_equal(colormap[:, : len(expected.colors)].T // 257, expected.colors)
    pixels, palette = expected.overlay_picture(overlay)
    painted, overlay_colormap = tiff(out / "overlay.tif")
    assert np.array_equal(painted, pixels)  # boundaries across the tiles' edges included
    if palette is None:
        assert overlay_colormap is None and painted.shape == photo.shape
    else:
        assert np.array_equal(overlay_colormap[:, : len(palette)].T // 257, palette)
    for i in range(len(expected.colors)):
        mask, _ = tiff(out / f"mask_{i}.tif")
        assert mask.dtype == bool and np.array_equal(mask, expected.mask(i))
    assert np.array_equal(np.asarray(Image.open(out / "palette.png")), expected.swatch())
    written = json.loads((out / "segments.json").read_text())
    assert json.loads(result.stdout) == written
    reference = expected.to_dict()
    for key in ("input", "seconds", "notes"):
        written.pop(key), reference.pop(key)
    for cluster in reference["clusters"]:
        cluster["mask"] = cluster["mask"].replace(".png", ".tif")
    assert written == reference
    assert sha256(tiled / "cat.tif") == before


def test_the_summary_names_the_tiles(tiled):
    result = run("segment", tiled / "cat.tif", "-k", 3, "--seed", 1)
    assert result.exit_code == 0, result.output
    assert f"{tiled / 'cat.tif'} -> {tiled / 'cat-segments'}/: 3 clusters" in result.stdout
    assert "note: segmented tile by tile (12 tiles of 128 x 128 px" in result.stdout
    assert listing(tiled / "cat-segments") == tiled_listing(3)


def test_spatial_is_refused_in_one_line(tiled):
    result = run("segment", tiled / "cat.tif", "--spatial", 5)
    assert result.exit_code == 1 and "by colour alone" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and not (tiled / "cat-segments").exists()


def test_existing_outputs_are_kept_without_force(tiled):
    out = tiled / "out"
    out.mkdir()
    (out / "overlay.tif").write_bytes(b"mine")
    result = run("segment", tiled / "cat.zarr", "-k", 3, "-o", out)
    assert result.exit_code == 1 and "overlay.tif: file exists" in result.stderr
    assert listing(out) == ["overlay.tif"] and (out / "overlay.tif").read_bytes() == b"mine"
    forced = run("segment", tiled / "cat.zarr", "-k", 3, "-o", out, "--force")
    assert forced.exit_code == 0 and listing(out) == tiled_listing(3)
    assert tiff(out / "overlay.tif")[0].shape == (300, 451)


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_leaves_no_file_and_no_temporary(tiled, monkeypatch):
    real = tifffile.imwrite

    def imwrite(target, data, **kwargs):  # one of the files' writers fails after a tile
        if "mask_1" in str(target):
            next(data)
            _full_disk()
        return real(target, data, **kwargs)

    monkeypatch.setattr(tifffile, "imwrite", imwrite)
    result = run("segment", tiled / "cat.tif", "-k", 3, "-o", tiled / "out")
    assert result.exit_code == 1, result.stderr
    assert result.stderr == f"quantize: error: {tiled / 'out' / 'mask_1.tif'}: cannot write: no space left on device\n"
    assert not (tiled / "out").exists() and listing(tiled) == ["cat.tif", "cat.zarr"]


def test_an_interrupted_write_leaves_what_was_there(tiled, monkeypatch):
    out = tiled / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    calls = []
    real = tiff_tiles.TiledTiffs.put

    def put(self, tiles):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(self, tiles)

    monkeypatch.setattr(tiff_tiles.TiledTiffs, "put", put)
    result = run("segment", tiled / "cat.tif", "-k", 3, "-o", out)
    assert result.exit_code == 130 and result.stderr.strip() == "quantize: interrupted"
    assert listing(out) == ["notes.txt"]


@pytest.mark.slow
def test_the_tiles_run_on_a_local_dask_cluster_with_the_same_files(tmp_path, photo, monkeypatch):
    pytest.importorskip("distributed", reason="--scheduler needs dask's distributed")
    # the workers are processes of their own, with the real 512-px tiles: an image of 2 x 3 of them
    monkeypatch.setattr(tiled_segmentation, "TILE", 512)
    monkeypatch.setattr(tiff_tiles, "OUTPUT_TILE", 512)
    wide = np.vstack([np.hstack([photo, photo[:, ::-1], photo])] * 2)
    tifffile.imwrite(tmp_path / "cats.tif", wide, tile=(256, 256), bigtiff=True)
    tiled = tmp_path
    here = run("segment", tiled / "cats.tif", "-k", 4, "--seed", 2, "-o", tiled / "here")
    there = run("segment", tiled / "cats.tif", "-k", 4, "--seed", 2, "-o", tiled / "there", "--scheduler", "local:2")
    assert here.exit_code == there.exit_code == 0, there.output
    assert "(6 tiles of 512 x 512 px" in there.stdout and "on 2 Dask workers" in there.stdout
    assert there.stderr == ""
    for name in tiled_listing(4):
        if name != "segments.json":
            assert (tiled / "here" / name).read_bytes() == (tiled / "there" / name).read_bytes(), name
    summaries = [json.loads((tiled / folder / "segments.json").read_text()) for folder in ("here", "there")]
    for summary in summaries:
        summary.pop("seconds"), summary.pop("notes")
    assert summaries[0] == summaries[1]


def test_scheduler_is_for_a_tiled_input(tiled, photo):
    Image.fromarray(photo).save(tiled / "cat.png")
    result = run("segment", tiled / "cat.png", "--scheduler", "local:2")
    assert result.exit_code == 2 and "not one" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.slow
def test_a_failing_tile_on_the_cluster_is_one_clustererror(tiled):
    distributed = pytest.importorskip("distributed")
    from quantize.batch.tiles import ClusterRunner
    from quantize.errors import ClusterError
    from quantize.segmentation.tiled import TilePlan

    class Broken:
        def work(self, read, window, index):
            raise ValueError(f"tile {index} is broken")

    plan = TilePlan((300, 451), 0.0, 0, False)
    with distributed.Client(processes=False, n_workers=1, dashboard_address=None) as client:
        runner = ClusterRunner(client, str(tiled / "cat.tif"))
        with pytest.raises(ClusterError, match="cat.tif on the cluster failed: ValueError: tile 0 is broken"):
            list(runner.map(Broken(), "work", plan, 0))
        read = list(runner.map(plan, "histogram", plan, 0))  # and the same runner works
        assert len(read) == len(plan.windows()) == 12
