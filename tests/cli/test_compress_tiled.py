"""``quantize compress`` of tiled TIFFs and Zarr stores, generated here with small
tiles: the same palette and labels as the in-memory run, written tile by tile."""

import json

import numpy as np
import pytest
from PIL import Image

from ..conftest import IMAGES, sha256
from .helpers import listing, run

tifffile = pytest.importorskip("tifffile")
zarr = pytest.importorskip("zarr")


@pytest.fixture(scope="module")
def photo():
    return np.asarray(Image.open(IMAGES / "chelsea.png").convert("RGB"))


@pytest.fixture
def tiled(tmp_path, photo):
    """The photo as a tiled BigTIFF (64-px tiles), a Zarr store and a PNG."""
    tifffile.imwrite(tmp_path / "cat.tif", photo, tile=(64, 64), bigtiff=True, compression="zlib")
    array = zarr.open_array(str(tmp_path / "cat.zarr"), mode="w", shape=photo.shape, chunks=(96, 80, 3), dtype="u1")
    array[:] = photo
    Image.fromarray(photo).save(tmp_path / "cat.png")
    return tmp_path


def _png_labels(path):
    image = Image.open(path)
    return np.asarray(image), np.array(image.getpalette()[: 3 * len(image.getcolors())]).reshape(-1, 3)


@pytest.mark.parametrize("source", ["cat.tif", "cat.zarr"])
@pytest.mark.parametrize("output", ["out.tif", "out.zarr"])
def test_a_tiled_input_gives_the_in_memory_palette_and_labels(tiled, source, output):
    before = sha256(tiled / "cat.tif")
    reference = run("compress", tiled / "cat.png", "-k", 12, "--seed", 0, "-o", tiled / "ref.png", "--json")
    result = run("compress", tiled / source, "-k", 12, "--seed", 0, "-o", tiled / output, "--json")
    assert result.exit_code == 0, result.output
    report, expected = json.loads(result.stdout), json.loads(reference.stdout)
    for key in ("psnr", "delta_e", "delta_e_p95", "colors_used", "width", "height"):
        assert report[key] == pytest.approx(expected[key]), key
    labels, palette = _png_labels(tiled / "ref.png")
    if output.endswith(".tif"):
        with tifffile.TiffFile(tiled / output) as tiff:
            page = tiff.pages.first
            assert page.is_tiled and tiff.is_bigtiff and page.photometric == tifffile.PHOTOMETRIC.PALETTE
            got, colormap = page.asarray(), page.colormap
        assert np.array_equal(colormap[:, : len(palette)].T // 257, palette)
    else:
        store = zarr.open_array(str(tiled / output), mode="r")
        got = store[:]
        assert np.array_equal(np.array(store.attrs["palette"]), palette)
    assert np.array_equal(got, labels)
    assert report["output_bytes"] > 0 and "tile by tile" in report["notes"][-1]
    assert sha256(tiled / "cat.tif") == before  # the input untouched


def test_a_tiled_input_is_written_beside_it_as_tiff_by_default(tiled):
    result = run("compress", tiled / "cat.tif", "-k", 4)
    assert result.exit_code == 0, result.output
    assert (tiled / "cat-q4.tif").exists() and "cat.tif -> " in result.stdout
    again = run("compress", tiled / "cat.tif", "-k", 4)
    assert again.exit_code == 1 and "file exists" in again.stderr
    assert not [name for name in listing(tiled) if name.endswith(".part")]  # nothing left half-written


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--quality", "30"], "without a quality target"),
        (["--skip-if-larger"], "without --skip-if-larger"),
        (["-o", "x.jpg"], "written as .tif, .tiff or .zarr (or .png, .gif, .webp whole)"),
        (["-o", "x.png", "--max-pixels", "1000"], "over --max-pixels 1,000 for a .png written whole"),
        (["-o", "-"], "not stdout"),
        (["-k", "300"], "256 colours at most"),
    ],
)
def test_what_a_tiled_input_cannot_do_is_one_line(tiled, options, message):
    result = run("compress", tiled / "cat.tif", *options)
    assert result.exit_code in (1, 2) and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_transparent_tiled_image_is_refused_naming_the_file(tmp_path, photo):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 128, np.uint8)])
    tifffile.imwrite(tmp_path / "glass.tif", rgba, tile=(64, 64), extrasamples=["unassalpha"])
    result = run("compress", tmp_path / "glass.tif", "-k", 4)
    assert result.exit_code == 1 and f"{tmp_path / 'glass.tif'}:" in result.stderr and "transparent" in result.stderr


@pytest.mark.slow
def test_the_tiles_run_on_a_local_dask_cluster_with_the_same_result(tiled):
    pytest.importorskip("distributed", reason="--scheduler needs dask's distributed")
    reference = run("compress", tiled / "cat.png", "-k", 12, "--seed", 0, "-o", tiled / "ref.png")
    assert reference.exit_code == 0
    result = run("compress", tiled / "cat.tif", "-k", 12, "--seed", 0, "--scheduler", "local:2", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["notes"][-1].endswith("on 2 Dask workers")
    labels, palette = _png_labels(tiled / "ref.png")
    with tifffile.TiffFile(tiled / "cat-q12.tif") as tiff:
        got, colormap = tiff.pages.first.asarray(), tiff.pages.first.colormap
    assert np.array_equal(got, labels) and np.array_equal(colormap[:, : len(palette)].T // 257, palette)


def test_scheduler_is_for_tiled_inputs_and_checked(tiled):
    result = run("compress", tiled / "cat.png", "--scheduler", "local:2")
    assert result.exit_code == 2 and "no input is one" in result.stderr
    bad = run("compress", tiled / "cat.tif", "--scheduler", "local:0")
    assert bad.exit_code == 2 and "--scheduler" in bad.stderr and bad.stderr.count("\n") == 1


@pytest.mark.parametrize("ext", [".png", ".gif", ".webp"])
def test_a_tiled_input_written_whole_is_the_in_memory_file(tiled, ext):
    reference = run("compress", tiled / "cat.png", "-k", 8, "--seed", 0, "-o", tiled / f"ref{ext}")
    result = run("compress", tiled / "cat.zarr", "-k", 8, "--seed", 0, "-o", tiled / f"out{ext}")
    assert reference.exit_code == result.exit_code == 0, result.output
    assert (tiled / f"out{ext}").read_bytes() == (tiled / f"ref{ext}").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code", "word"), [(2, 130, "interrupted"), (15, 143, "terminated")])
def test_a_stopped_tiled_compress_leaves_no_output(tmp_path, signum, code, word):
    import os
    import signal
    import subprocess
    import sys
    import time

    rng = np.random.default_rng(0)
    big = rng.integers(0, 256, (3000, 3000, 3), dtype=np.uint8)  # noisy: seconds of work on two threads
    tifffile.imwrite(tmp_path / "big.tif", big, tile=(256, 256), bigtiff=True)
    command = [sys.executable, "-m", "quantize", "compress", str(tmp_path / "big.tif"), "-k", "64"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    time.sleep(1.5)
    assert process.poll() is None, process.communicate()
    os.killpg(process.pid, signum) if signum == signal.SIGINT else process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code and err.decode().strip() == f"quantize: {word}", err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.tif"]  # no output, no temporary folder


@pytest.mark.parametrize("method", ["floyd-steinberg", "ordered"])
def test_a_dithered_tiled_input_is_the_in_memory_file(tmp_path, photo, method):
    tall = np.vstack([photo, photo[::-1], photo])  # 900 rows: two bands, the error carried between them
    tifffile.imwrite(tmp_path / "tall.tif", tall, tile=(64, 64), bigtiff=True)
    Image.fromarray(tall).save(tmp_path / "tall.png")
    options = ["-k", 12, "--seed", 0, "--dither", method, "--json"]
    reference = run("compress", tmp_path / "tall.png", *options, "-o", tmp_path / "ref.png")
    result = run("compress", tmp_path / "tall.tif", *options, "-o", tmp_path / "out.png")
    assert reference.exit_code == result.exit_code == 0, result.output
    assert (tmp_path / "out.png").read_bytes() == (tmp_path / "ref.png").read_bytes()
    got, expected = json.loads(result.stdout), json.loads(reference.stdout)
    for key in ("psnr", "delta_e", "delta_e_p95"):
        assert got[key] == expected[key], key
    assert "carrying the error across the tiles" in " ".join(got["notes"])


@pytest.mark.slow
def test_dithered_bands_on_a_dask_cluster_are_the_in_memory_file(tmp_path, photo):
    pytest.importorskip("distributed", reason="--scheduler needs dask's distributed")
    tall = np.vstack([photo, photo[::-1], photo, photo[::-1]])  # 1200 rows: three bands, dithered at once
    tifffile.imwrite(tmp_path / "tall.tif", tall, tile=(64, 64), bigtiff=True)
    Image.fromarray(tall).save(tmp_path / "tall.png")
    options = ["-k", 12, "--seed", 0, "--dither", "floyd-steinberg", "--json"]
    reference = run("compress", tmp_path / "tall.png", *options, "-o", tmp_path / "ref.png")
    result = run("compress", tmp_path / "tall.tif", *options, "-o", tmp_path / "out.tif", "--scheduler", "local:2")
    whole = run("compress", tmp_path / "tall.tif", *options, "-o", tmp_path / "out.png", "--scheduler", "local:2")
    assert reference.exit_code == result.exit_code == whole.exit_code == 0, result.output
    assert (tmp_path / "out.png").read_bytes() == (tmp_path / "ref.png").read_bytes()
    labels, _ = _png_labels(tmp_path / "ref.png")
    assert np.array_equal(tifffile.imread(tmp_path / "out.tif"), labels)
    got, expected = json.loads(result.stdout), json.loads(reference.stdout)
    for key in ("psnr", "delta_e", "delta_e_p95"):
        assert got[key] == expected[key], key
    assert got["notes"][-1].endswith("on 2 Dask workers")


def test_a_full_disk_is_named_and_leaves_no_output(tiled, monkeypatch):
    import errno

    def imwrite(target, data, **kwargs):
        next(iter(data))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tifffile, "imwrite", imwrite)
    result = run("compress", tiled / "cat.tif", "-k", 4, "-o", tiled / "out.tif")
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {tiled / 'out.tif'}: cannot write: no space left on device\n"
    assert listing(tiled) == ["cat.png", "cat.tif", "cat.zarr"]
