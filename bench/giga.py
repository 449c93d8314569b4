"""Images larger than memory: a generated tiled BigTIFF, `compress` and `segment` on it
tile by tile, timed against one read of all its tiles, with the peak memory of each
run; the same palette and labels (and segmentation) as an in-memory run on a crop; one
Dask worker against two.

    python bench/giga.py [--size 40000] [--crop 10000] [--work /tmp/giga]

The scene is generated tile by tile (a slide-like field of smooth stain gradients,
round cells and sensor noise, deterministic per tile), written uncompressed with
512-px tiles.  Each measured command runs in its own process; its peak RSS is read
from getrusage.  Writes bench/results/giga.md.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from _child import run_quantize  # noqa: E402

TILE = 512


def scene_tile(top, left, height, width):
    """(height, width, 3) uint8 of the scene at (top, left): deterministic."""
    y, x = np.mgrid[top : top + height, left : left + width].astype(np.float32)
    stain = 0.5 + 0.5 * np.sin(x / 2900.0) * np.cos(y / 3700.0)  # tissue density, slowly varying
    cells = np.sin(x / 37.0) * np.sin(y / 41.0) > 0.6  # round nuclei on a lattice
    red = 230 - 70 * stain - 90 * cells
    green = 200 - 120 * stain - 60 * cells
    blue = 220 - 40 * stain - 20 * cells
    rng = np.random.default_rng(top * 1_000_003 + left)
    noise = rng.normal(0, 3.0, (height, width, 3)).astype(np.float32)
    return np.clip(np.dstack([red, green, blue]) + noise, 0, 255).astype(np.uint8)


def generate(path, size):
    import tifffile

    def tiles():
        for top in range(0, size, TILE):
            for left in range(0, size, TILE):
                tile = np.zeros((TILE, TILE, 3), np.uint8)
                h, w = min(TILE, size - top), min(TILE, size - left)
                tile[:h, :w] = scene_tile(top, left, h, w)
                yield tile

    tifffile.imwrite(path, tiles(), shape=(size, size, 3), dtype=np.uint8, tile=(TILE, TILE), bigtiff=True)


_PEAK = """
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print("VmHWM", int(line.split()[1]) * 1024, file=sys.stderr)
"""


def measured(code, *args):
    """(seconds, peak RSS in MB, stdout) of Python ``code`` run in its own process (its
    own VmHWM: getrusage would carry this process's high-water mark over)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code + _PEAK, *map(str, args)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"exit {done.returncode}\n{done.stderr}")
    peak = next(int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("VmHWM"))
    return seconds, peak / 1e6, done.stdout


def measured_quantize(*args):
    seconds, peak, stdout = run_quantize(args)
    return seconds, peak / 1e6, stdout


READ_ALL = """
import sys, numpy as np
from quantize.files.tiled import open_tiled
image = open_tiled(sys.argv[1])
total = 0
for window in image.windows():
    total += int(image.read(window)[0, 0, 0])
print(total)
"""

IN_MEMORY_SEGMENT = """
import sys, json, numpy as np, tifffile, quantize
crop = tifffile.imread(sys.argv[1])
result = quantize.segment_image(crop, 6, random_state=0)
np.save(sys.argv[2], result.clusters)
print(json.dumps(result.to_dict()))
"""

IN_MEMORY = """
import sys, json, numpy as np, tifffile, quantize
crop = tifffile.imread(sys.argv[1])
result = quantize.quantize_image(crop, 16, random_state=0)
np.save(sys.argv[2], result.labels)
print(json.dumps(result.palette.tolist()))
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=40000)
    parser.add_argument("--crop", type=int, default=10000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/giga"))
    parser.add_argument(
        "--cluster", choices=["big", "crop", "none"], default="crop", help="the file timed on local:1, local:2"
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    big = args.work / f"scene-{args.size}.tif"
    if not big.exists():
        start = time.perf_counter()
        generate(big, args.size)
        print(f"generated {big} in {time.perf_counter() - start:.0f} s", flush=True)
    rows = []
    read_s, read_mb, _ = measured(READ_ALL, big)
    rows.append(("one read of every tile", read_s, read_mb, "1.00x"))
    print(rows[-1], flush=True)
    out = args.work / "scene-q16.tif"
    out.unlink(missing_ok=True)
    s, mb, _ = measured_quantize("compress", big, "-k", "16", "--seed", "0", "-o", out, "--force")
    rows.append(("compress -k 16", s, mb, f"{s / read_s:.2f}x"))
    print(rows[-1], flush=True)
    segments = args.work / "scene-segments"
    s, mb, _ = measured_quantize("segment", big, "-k", "6", "--seed", "0", "-o", segments, "--force")
    rows.append(("segment -k 6", s, mb, f"{s / read_s:.2f}x"))
    print(rows[-1], flush=True)
    # the same palette and labels as in memory, on a crop
    import tifffile

    crop = args.work / f"crop-{args.crop}.tif"
    if not crop.exists():
        with tifffile.TiffFile(big) as tiff:
            import zarr

            array = zarr.open(tiff.aszarr(), mode="r")
            tifffile.imwrite(crop, array[: args.crop, : args.crop], tile=(TILE, TILE), bigtiff=True)
    crop_out = args.work / "crop-q16.tif"
    crop_out.unlink(missing_ok=True)
    measured_quantize("compress", crop, "-k", "16", "--seed", "0", "-o", crop_out, "--force")
    labels_file = args.work / "crop-labels.npy"
    s_mem, mb_mem, palette_json = measured(IN_MEMORY, crop, labels_file)
    expected_palette = np.array(json.loads(palette_json))
    with tifffile.TiffFile(crop_out) as tiff:
        page = tiff.pages.first
        tiled_labels, colormap = page.asarray(), page.colormap
    tiled_palette = colormap[:, : len(expected_palette)].T // 257
    same_palette = bool(np.array_equal(tiled_palette, expected_palette))
    same_labels = bool(np.array_equal(tiled_labels, np.load(labels_file)))
    # the segmentation of the crop, tile by tile and in memory
    crop_segments = args.work / "crop-segments"
    measured_quantize("segment", crop, "-k", "6", "--seed", "0", "-o", crop_segments, "--force")
    clusters_file = args.work / "crop-clusters.npy"
    s_seg, mb_seg, summary_json = measured(IN_MEMORY_SEGMENT, crop, clusters_file)
    expected_summary = json.loads(summary_json)
    tiled_summary = json.loads((crop_segments / "segments.json").read_text())
    for summary in (expected_summary, tiled_summary):
        for key in ("input", "seconds", "notes"):
            summary.pop(key)
        for cluster in summary["clusters"]:
            cluster.pop("mask")
    same_clusters = bool(np.array_equal(tifffile.imread(crop_segments / "labels.tif") - 1, np.load(clusters_file)))
    same_statistics = tiled_summary == expected_summary
    lines = [
        "# Images larger than memory (bench/giga.py)",
        "",
        f"`python bench/giga.py --size {args.size} --crop {args.crop}`: a generated {args.size} x {args.size} RGB "
        f"tiled BigTIFF ({args.size * args.size / 1e9:.2f} gigapixels, uncompressed, {TILE}-px tiles, "
        f"{big.stat().st_size / 1e9:.1f} GB), 2 cores.",
        "",
        "| run | seconds | peak RSS MB | time / one read |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {name} | {sec:.1f} | {peak:.0f} | {ratio} |" for name, sec, peak, ratio in rows]
    lines += [
        "",
        f"In memory on the {args.crop} x {args.crop} crop (`quantize_image`, {s_mem:.1f} s, {mb_mem:.0f} MB peak) "
        f"against `compress` of the crop as a tiled TIFF: same palette: {same_palette}; same labels: {same_labels}.",
        "",
        f"In memory on the crop (`segment_image -k 6`, {s_seg:.1f} s, {mb_seg:.0f} MB peak) against `segment` of "
        f"the crop as a tiled TIFF: same clusters (labels.tif): {same_clusters}; same segments.json (every region's "
        f"area, centroid, box; every cluster's colour, share, box): {same_statistics} "
        f"({expected_summary['n_regions']} regions).",
    ]
    if args.cluster != "none":  # one worker against two, on the same file
        source = big if args.cluster == "big" else crop
        for command, options in (("compress", ["-k", "16"]), ("segment", ["-k", "6"])):
            times = {}
            for workers in (1, 2):
                target = args.work / f"cluster-{command}-{workers}"
                target = target.with_suffix(".tif") if command == "compress" else target
                if target.is_file():
                    target.unlink()
                output = ["-o", target] + (["--force"] if command == "segment" else [])
                times[workers], peak, _ = measured_quantize(
                    command, source, *options, "--seed", "0", *output, "--scheduler", f"local:{workers}"
                )
            lines += [
                "",
                f"`{command} {' '.join(options)} --scheduler local:N` on {source.name}: local:1 {times[1]:.1f} s, "
                f"local:2 {times[2]:.1f} s (a {times[1] / times[2]:.2f}x speed-up; the cluster's start is in both).",
            ]
    (ROOT / "bench" / "results" / "giga.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
