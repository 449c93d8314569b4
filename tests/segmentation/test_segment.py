import json

import numpy as np
import pytest
from PIL import Image
from skimage import measure

from quantize import FewDistinctPointsWarning, InvalidParameterError, OutputError, load_image
from quantize.datasets import make_regions, make_shapes
from quantize.files.results import save_segments
from quantize.metrics import adjusted_rand_index
from quantize.segmentation import segment_image
from quantize.segmentation.regions import merge_small_regions

from ..conftest import DATA, IMAGES, blocks_image


def check_invariants(result, n_segments):
    """The guarantees of segment_image, on any result."""
    clusters, regions = result.clusters, result.regions
    visible = clusters >= 0
    assert ((regions >= 0) == visible).all()
    k = len(result.colors)
    assert 0 < k <= n_segments
    assert np.array_equal(np.unique(clusters[visible]), np.arange(k))  # none empty
    assert np.array_equal(np.bincount(clusters[visible], minlength=k), result.cluster_pixels)
    assert (np.diff(result.cluster_pixels) <= 0).all()  # numbered by decreasing size
    assert result.shares.sum() == pytest.approx(1.0)
    # masks add up to the visible pixels exactly, without overlap
    assert np.array_equal(sum(result.mask(i).astype(int) for i in range(k)), visible.astype(int))
    # every region lies in one cluster and is one 4-connected component
    assert np.array_equal(result.region_cluster[regions[visible]], clusters[visible])
    assert np.array_equal(np.bincount(regions[visible]), result.region_area)
    relabelled = measure.label(regions + 1, background=0, connectivity=1)
    assert relabelled.max() == len(result.region_area)
    assert np.array_equal(np.bincount(result.region_cluster, minlength=k), result.cluster_regions)


def test_photo_invariants(photo):
    result = segment_image(photo, 5, random_state=0)
    check_invariants(result, 5)
    assert len(result.colors) == 5
    assert result.parameters == {  # the values the defaults chose: a clean photo is not smoothed
        "n_segments": 5,
        "colorspace": "din99o",
        "effort": "normal",
        "spatial": 0.0,
        "min_region": 68,
        "sigma": 0.0,
        "noise": 1.07,
        "cluster_space": "din99o",
        "seed": 0,
    }
    assert result.region_area.min() >= 68 and 10 <= len(result.region_area) <= 300


def test_transparent_pixels_belong_to_no_segment(rgba_photo):
    result = segment_image(rgba_photo, 4, min_region=20, random_state=0)
    check_invariants(result, 4)
    transparent = rgba_photo[..., 3] == 0
    assert transparent.any()
    assert (result.clusters[transparent] == -1).all() and (result.regions[transparent] == -1).all()
    assert (result.clusters[~transparent] >= 0).all()
    assert result.cluster_pixels.sum() == np.count_nonzero(~transparent)


def test_statistics_of_a_known_image():
    image = np.zeros((20, 30, 3), np.uint8)
    image[:, :] = (200, 0, 0)
    image[5:10, 10:25] = (0, 0, 200)  # one blue rectangle: 5 x 15
    image[15:20, 0:4] = (0, 0, 200)  # and a 5 x 4 one
    result = segment_image(image, 2, random_state=0)
    check_invariants(result, 2)
    assert result.colors.tolist() == [[200, 0, 0], [0, 0, 200]]
    assert result.cluster_pixels.tolist() == [600 - 95, 95]
    assert result.cluster_regions.tolist() == [1, 2]
    assert result.cluster_bboxes.tolist() == [[0, 0, 20, 30], [5, 0, 20, 25]]
    blue = {tuple(result.region_bboxes[r]): r for r in np.flatnonzero(result.region_cluster == 1)}
    big = blue[(5, 10, 10, 25)]
    assert result.region_area[big] == 75
    assert result.region_centroids[big].tolist() == [7.0, 17.0]
    assert result.region_colors[big].tolist() == [0, 0, 200]
    data = result.to_dict()
    assert data["n_clusters"] == 2 and data["n_regions"] == 3
    assert data["clusters"][1] == {
        "id": 1,
        "hex": "#0000c8",
        "rgb": [0, 0, 200],
        "pixels": 95,
        "share": 95 / 600,
        "regions": 2,
        "bbox": [5, 0, 20, 25],
        "mask": "mask_1.png",
    }
    assert sorted(r["area"] for r in data["regions"]) == [20, 75, 505]
    json.dumps(data)  # plain JSON types only


def test_beats_colour_only_on_noisy_regions():
    """The quality bar of bench/segment.py, on a small image with a margin (ours scores
    about 0.987 here, the threshold is 0.95)."""
    image, truth = make_regions((128, 160), 4, random_state=3)
    ours = segment_image(image, 4, sigma=1.0, min_region=32, colorspace="rgb", random_state=0)
    check_invariants(ours, 4)
    ari_ours = adjusted_rand_index(truth.ravel(), ours.clusters.ravel())
    assert ari_ours >= 0.95
    for colorspace in ("lab", "rgb"):  # noisy: clustered in sRGB either way
        colour_only = segment_image(image, 4, colorspace=colorspace, sigma=0, min_region=0, random_state=0)
        assert colour_only.parameters["cluster_space"] == "rgb"
        assert adjusted_rand_index(truth.ravel(), colour_only.clusters.ravel()) < ari_ours - 0.02
        assert len(ours.region_area) < len(colour_only.region_area) / 10


@pytest.mark.parametrize("generate", [make_shapes, make_regions])
def test_defaults_find_the_regions_of_noisy_scenes(generate):
    """bench/segment.py's bar (ARI >= 0.95 with default flags, in CIELAB and sRGB), on
    small scenes; without the smoothing and the smallest region, colour alone misses it."""
    image, truth = generate((240, 320), 6, noise=25.0, random_state=0)
    for colorspace in ("lab", "rgb"):
        result = segment_image(image, 6, colorspace=colorspace, random_state=0)
        check_invariants(result, 6)
        assert result.parameters["sigma"] > 0 and result.parameters["min_region"] == 38
        assert adjusted_rand_index(truth.ravel(), result.clusters.ravel()) >= 0.95
    colour_only = segment_image(image, 6, sigma=0, min_region=0, random_state=0)
    assert adjusted_rand_index(truth.ravel(), colour_only.clusters.ravel()) < 0.95


@pytest.mark.parametrize(
    "name, image, k, options",
    [
        ("chelsea-k5-lab", "chelsea.png", 5, {"colorspace": "lab"}),
        ("chelsea-k4-rgb", "chelsea.png", 4, {"colorspace": "rgb"}),
        ("rocket-vignette-k3-lab", "rocket-vignette.png", 3, {"colorspace": "lab"}),
    ],
)
def test_no_smoothing_and_no_cleanup_reproduce_the_colour_only_output(name, image, k, options):
    """The label maps in tests/data were written by segment_image before the defaults
    (commit 13c925c) with its defaults of then (CIELAB)."""
    pixels = np.asarray(Image.open(IMAGES / image))
    result = segment_image(pixels, k, sigma=0, min_region=0, random_state=0, **options)
    golden = np.asarray(Image.open(DATA / f"segment-{name}.png")).astype(int) - 1
    np.testing.assert_array_equal(result.clusters, golden)


def test_smoothed_edges_split_in_the_middle_of_the_srgb_mix():
    """Smoothing mixes the two sides of an edge in sRGB; labelling the mix in CIELAB
    would move the split a pixel towards the dark side."""
    image = np.zeros((20, 60, 3), np.uint8)
    image[:, 30:] = 255
    result = segment_image(image, 2, sigma=6, min_region=0, random_state=0)
    assert (result.clusters[:, :30] == result.clusters[0, 0]).all()
    assert (result.clusters[:, 30:] != result.clusters[0, 0]).all()


def test_region_map_in_small_strips_equals_one_pass(monkeypatch, photo):
    from quantize.segmentation import regions

    whole = segment_image(photo, 5, min_region=40, random_state=0)
    monkeypatch.setattr(regions, "STRIP", 997)  # many strips, not a divisor of the width
    strips = segment_image(photo, 5, min_region=40, random_state=0)
    for name in ("clusters", "regions", "region_area", "region_cluster", "region_colors", "region_bboxes"):
        np.testing.assert_array_equal(getattr(strips, name), getattr(whole, name))
    np.testing.assert_allclose(strips.region_centroids, whole.region_centroids)


def test_min_region_leaves_no_small_region(photo):
    speckled = segment_image(photo, 6, min_region=0, random_state=0)
    assert speckled.region_area.min() < 50
    cleaned = segment_image(photo, 6, min_region=50, random_state=0)
    check_invariants(cleaned, 6)
    assert cleaned.region_area.min() >= 50
    assert len(cleaned.region_area) < len(speckled.region_area)


def test_small_region_merges_into_the_longest_border():
    clusters = np.zeros((6, 6), np.int32)
    clusters[:, 4:] = 1
    clusters[2:4, 2:4] = 2  # 2x2: borders cluster 0 on 6 edges, cluster 1 on 2
    merged = merge_small_regions(clusters, 5, np.eye(3, dtype=np.float32))
    assert (merged[2:4, 2:4] == 0).all()
    assert np.array_equal(merged[:, 4:], clusters[:, 4:])


def test_border_ties_go_to_the_nearest_colour():
    clusters = np.zeros((4, 6), np.int32)
    clusters[:, 3:] = 1
    clusters[1:3, 2:4] = 2  # borders 0 and 1 on 4 edges each
    centers = np.array([[0, 0, 0], [10, 0, 0], [9, 0, 0]], np.float32)  # 2 is nearer 1
    merged = merge_small_regions(clusters, 5, centers)
    assert (merged[1:3, 2:4] == 1).all()


def test_chains_and_pairs_of_small_regions_merge():
    clusters = np.zeros((1, 12), np.int32)
    clusters[0, 6:] = [1, 2, 3, 1, 2, 3]  # a run of one-pixel regions
    merged = merge_small_regions(clusters, 3, np.arange(12, dtype=np.float32).reshape(4, 3))
    regions = measure.label(merged + 1, background=0, connectivity=1)
    assert np.bincount(regions.ravel())[1:].min() >= 3


def test_small_region_without_neighbour_stays():
    image = np.zeros((10, 10, 4), np.uint8)
    image[..., :3] = (0, 200, 0)
    image[..., 3][:6] = 255
    image[..., 3][:, :6] = 255  # the 4x4 corner is transparent...
    image[7, 7] = (200, 0, 0, 255)  # ...but for one red pixel
    result = segment_image(image, 2, min_region=5, random_state=0)
    check_invariants(result, 2)
    assert result.clusters[7, 7] != result.clusters[0, 0]
    assert sorted(result.region_area.tolist()) == [1, 100 - 16]


def test_spatial_weight_makes_compact_regions():
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    colour_only = segment_image(noise, 4, sigma=0, min_region=0, random_state=0)
    compact = segment_image(noise, 4, spatial=200.0, sigma=0, min_region=0, random_state=0)
    check_invariants(compact, 4)
    assert len(compact.region_area) < len(colour_only.region_area) / 20


def test_sigma_smooths_before_clustering_but_statistics_use_the_pixels():
    image, _ = make_regions((64, 64), 3, noise=40.0, random_state=0)
    rough = segment_image(image, 3, sigma=0, min_region=0, random_state=0)
    smooth = segment_image(image, 3, sigma=2.0, min_region=0, random_state=0)
    check_invariants(smooth, 3)
    assert len(smooth.region_area) < len(rough.region_area) / 5
    mask = smooth.mask(0)
    assert smooth.colors[0].tolist() == np.rint(image[mask].mean(axis=0)).astype(int).tolist()


@pytest.mark.parametrize("colorspace", ["lab", "rgb"])
def test_colorspaces_find_well_separated_colours(colorspace):
    colors = [(250, 10, 10), (10, 250, 10), (10, 10, 250), (240, 240, 240)]
    image = blocks_image(colors, block=6, repeat=(5, 5))
    result = segment_image(image, 4, colorspace=colorspace, random_state=0)
    check_invariants(result, 4)
    assert sorted(map(tuple, result.colors.tolist())) == sorted(colors)


def test_same_seed_same_result(photo):
    for options in ({}, {"spatial": 5.0, "min_region": 20}):
        a = segment_image(photo, 4, random_state=7, **options)
        b = segment_image(photo, 4, random_state=7, **options)
        assert np.array_equal(a.clusters, b.clusters) and np.array_equal(a.colors, b.colors)


def test_few_colours_warn_and_note():
    image = blocks_image([(0, 0, 0), (255, 255, 255)])
    with pytest.warns(FewDistinctPointsWarning, match="only 2 distinct colours"):
        result = segment_image(image, 4, random_state=0)
    check_invariants(result, 4)
    assert len(result.colors) == 2
    assert result.notes == ["only 2 clusters: the image has too few distinct colours for 4"]


def test_fully_transparent_image():
    result = segment_image(np.zeros((8, 8, 4), np.uint8), 3, random_state=0)
    assert (result.clusters == -1).all() and len(result.colors) == 0
    data = result.to_dict()
    assert data["clusters"] == [] and data["regions"] == []


def test_path_input_is_recorded(tmp_path, photo):
    path = tmp_path / "photo.png"
    Image.fromarray(photo).save(path)
    result = segment_image(load_image(path), 3, random_state=0)
    assert result.input == str(path) and result.to_dict()["input"] == str(path)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"n_segments": 0}, "n_segments=0"),
        ({"n_segments": 2.5}, "must be an integer"),
        ({"spatial": -1.0}, "spatial=-1.0"),
        ({"spatial": 1e308}, "spatial=1e\\+308 must be <= 10000"),
        ({"min_region": -3}, "min_region=-3"),
        ({"min_region": "big"}, "min_region='big' must be a number or 'auto'"),
        ({"min_region": 2.5}, "must be an integer"),
        ({"sigma": "auto-ish"}, "sigma='auto-ish' must be a number or 'auto'"),
        ({"sigma": True}, "must be a real number"),
        ({"sigma": float("nan")}, "sigma=nan"),
        ({"colorspace": "hsv"}, "colorspace='hsv'"),
    ],
)
def test_invalid_parameters(photo, options, message):
    options = {"n_segments": 3, **options}
    with pytest.raises(InvalidParameterError, match=message.replace("(", r"\(")):
        segment_image(photo, **options)


def test_save_writes_every_output(tmp_path, rgba_photo):
    result = segment_image(rgba_photo, 3, random_state=0)
    written = save_segments(result, tmp_path / "out")
    folder = tmp_path / "out"
    names = [
        "labels.png",
        "labels-color.png",
        "mask_0.png",
        "mask_1.png",
        "mask_2.png",
        "overlay.png",
        "palette.png",
        "segments.json",
    ]
    assert sorted(written) == sorted(names) == sorted(p.name for p in folder.iterdir())
    assert all(written[name] == (folder / name).stat().st_size for name in names)
    height, width = rgba_photo.shape[:2]
    labels = Image.open(folder / "labels.png")
    assert labels.mode == "L" and labels.size == (width, height)
    assert np.array_equal(np.asarray(labels).astype(int) - 1, result.clusters)
    visible = rgba_photo[..., 3] != 0
    total = np.zeros((height, width), int)
    for i in range(3):
        mask = Image.open(folder / f"mask_{i}.png")
        assert mask.mode == "1" and mask.size == (width, height)
        total += np.asarray(mask)
    assert np.array_equal(total, visible.astype(int))
    overlay = Image.open(folder / "overlay.png")
    assert overlay.mode == "RGBA" and overlay.size == (width, height)
    assert np.array_equal(np.asarray(overlay)[..., 3], rgba_photo[..., 3])
    labels_color = Image.open(folder / "labels-color.png")
    assert labels_color.mode == "P" and labels_color.size == (width, height)
    pixels = np.asarray(labels_color.convert("RGBA"))
    assert np.array_equal(pixels[visible][:, :3], result.colors[result.clusters[visible]])
    assert (pixels[visible][:, 3] == 255).all() and (pixels[~visible][:, 3] == 0).all()
    assert np.array_equal(pixels, result.color_labels())
    assert Image.open(folder / "palette.png").mode == "RGB"
    data = json.loads((folder / "segments.json").read_text())
    assert data == json.loads(json.dumps(result.to_dict()))
    assert sum(c["share"] for c in data["clusters"]) == pytest.approx(1.0)


def test_save_refuses_existing_files_unless_overwrite(tmp_path, photo):
    result = segment_image(photo, 2, random_state=0)
    save_segments(result, tmp_path)
    (tmp_path / "segments.json").write_text("mine")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(OutputError, match="file exists"):
        save_segments(result, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    save_segments(result, tmp_path, overwrite=True)
    assert json.loads((tmp_path / "segments.json").read_text())["n_clusters"] == 2


def test_save_into_a_file_fails(tmp_path, photo):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        save_segments(segment_image(photo, 2, random_state=0), tmp_path / "taken")


def test_labels_png_is_16_bit_above_255_clusters(tmp_path):
    colors = [(i % 16 * 16, i // 16 * 16, 100) for i in range(256)]
    image = blocks_image(colors, block=2, repeat=(16, 16))
    result = segment_image(image, 256, colorspace="rgb", sigma=0, min_region=0, random_state=0)
    assert len(result.colors) == 256
    save_segments(result, tmp_path)
    labels = Image.open(tmp_path / "labels.png")
    assert labels.mode == "I;16"
    labels_color = Image.open(tmp_path / "labels-color.png")
    assert labels_color.mode == "P"  # 256 colours and no transparency still fit a palette
    assert np.array_equal(np.asarray(labels_color.convert("RGB")), result.colors[result.clusters])
    assert Image.open(tmp_path / "palette.png").height == 64 * 28  # 63 colours and "193 more"
    assert np.array_equal(np.asarray(labels).astype(int) - 1, result.clusters)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_segments": 257}, "n_segments=257 must be <= 256"),
        ({"sigma": 16.5}, "sigma=16.5 must be <= 16 pixels"),
    ],
)
def test_segment_bounds(kwargs, message):
    from quantize import InvalidParameterError

    image = np.zeros((4, 4, 3), np.uint8)
    options = {"n_segments": 2, **kwargs}
    with pytest.raises(InvalidParameterError, match=message):
        segment_image(image, options.pop("n_segments"), **options)


def test_a_failed_save_removes_what_it_wrote(tmp_path, photo, monkeypatch):
    from quantize import OutputError

    from ..conftest import disk_full_after

    result = segment_image(photo, 3, random_state=0)
    calls = disk_full_after(monkeypatch, 2)  # the third file fails
    with pytest.raises(OutputError, match="no space left on device"):
        save_segments(result, tmp_path / "seg")
    assert not (tmp_path / "seg").exists()
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "notes.txt").write_text("mine")
    calls.clear()
    with pytest.raises(OutputError):
        save_segments(result, tmp_path / "kept")
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["notes.txt"]


def test_segment_settings_are_checked_once_and_taken_whole():
    from quantize import SegmentSettings

    with pytest.raises(InvalidParameterError, match="n_segments=300 must be <= 256"):
        SegmentSettings(n_segments=300)
    with pytest.raises(InvalidParameterError, match="sigma=20.0 must be <= 16"):
        SegmentSettings(sigma=20)
    with pytest.raises(TypeError, match="unexpected keyword argument 'k'"):
        segment_image(np.zeros((4, 4, 3), np.uint8), k=2)
    image = blocks_image([(255, 0, 0), (0, 255, 0), (0, 0, 255)])
    settings = SegmentSettings(n_segments=3, random_state=0)
    by_settings, by_keywords = segment_image(image, settings=settings), segment_image(image, 3, random_state=0)
    np.testing.assert_array_equal(by_settings.clusters, by_keywords.clusters)
    assert by_settings.parameters == by_keywords.parameters
    assert segment_image(image, 2, settings=settings).parameters["n_segments"] == 2


def test_overlay_modes_and_the_file_they_write(tmp_path, photo):
    from quantize.color.distinct import distinct_colors

    result = segment_image(photo, 4, random_state=0)
    clusters = result.overlay()
    assert clusters.shape == photo.shape and clusters.dtype == np.uint8
    save_segments(result, tmp_path / "c")
    written = Image.open(tmp_path / "c" / "overlay.png")
    assert written.mode == "P"  # 4 colours over 63 greys and 2 inks
    np.testing.assert_array_equal(np.asarray(written.convert("RGB")), clusters)
    # away from boundaries a pixel is its cluster's colour over the grey of the photo
    inner = (
        (result.regions == np.roll(result.regions, 1, 0))
        & (result.regions == np.roll(result.regions, -1, 0))
        & (result.regions == np.roll(result.regions, 1, 1))
        & (result.regions == np.roll(result.regions, -1, 1))
    )
    luma = photo.astype(float) @ [0.299, 0.587, 0.114]
    expected = 0.55 * distinct_colors(4)[result.clusters] + 0.45 * luma[..., None]
    assert np.abs(clusters[inner] - expected[inner]).max() <= 4  # the grey in 63 steps

    mean = result.overlay("mean")
    save_segments(result, tmp_path / "m", overlay="mean")
    written = Image.open(tmp_path / "m" / "overlay.png")
    assert written.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(written), mean)
    expected = 0.6 * result.region_colors[result.regions] + 0.4 * photo
    assert np.abs(mean[inner] - expected[inner]).max() <= 1
    for bad in (lambda: result.overlay("solid"), lambda: save_segments(result, tmp_path / "x", overlay="solid")):
        with pytest.raises(InvalidParameterError, match="'solid' must be one of 'clusters', 'mean'"):
            bad()
    assert not (tmp_path / "x").exists()


def test_overlay_without_a_palette_when_it_cannot_fit(tmp_path, photo, rgba_photo):
    many = segment_image(photo, 40, min_region=0, random_state=0)  # 40 x 8 greys > 256 entries
    assert len(many.colors) == 40
    save_segments(many, tmp_path / "many")
    assert Image.open(tmp_path / "many" / "overlay.png").mode == "RGB"
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "many" / "overlay.png")), many.overlay())
    seethrough = segment_image(rgba_photo, 3, random_state=0)  # alpha is kept: RGBA
    overlay = seethrough.overlay()
    assert overlay.shape == rgba_photo.shape
    np.testing.assert_array_equal(overlay[..., 3], rgba_photo[..., 3])
    outside = seethrough.clusters < 0
    np.testing.assert_array_equal(overlay[outside], rgba_photo[outside])


@pytest.mark.parametrize("sigma", [0.6, 2.0, 5.0])
def test_smoothing_by_strips_equals_one_filter_of_the_image(monkeypatch, sigma):
    from scipy import ndimage

    from quantize.segmentation import clustering

    image, _ = make_shapes((90, 70), 5, noise=30.0, random_state=0)
    whole = np.stack(
        [
            np.clip(np.rint(ndimage.gaussian_filter(image[..., c].astype(np.float32), sigma, mode="nearest")), 0, 255)
            for c in range(3)
        ],
        -1,
    )
    monkeypatch.setattr(clustering, "STRIP", 7 * 70)  # strips of 7 rows (or 4 halos)
    np.testing.assert_array_equal(clustering.smooth(image, sigma), whole.astype(np.uint8))
