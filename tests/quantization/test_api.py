import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from quantize import (
    FewDistinctPointsWarning,
    InvalidParameterError,
    KMeans,
    load_image,
    quantize_image,
    save,
)
from quantize.color.histogram import ColorHistogram
from quantize.metrics import psnr
from quantize.quantization.report import JSON_KEYS

from ..conftest import IMAGES, blocks_image


def check_consistent(result, n_colors):
    """Invariants every result must satisfy."""
    palette, labels, image = result.palette, result.labels, result.image
    assert palette.dtype == np.uint8 and len(palette) <= n_colors
    assert labels.shape == image.shape[:2]
    assert labels.min() >= -1 and labels.max() < len(palette)
    visible = labels >= 0
    np.testing.assert_array_equal(image[visible], palette[labels[visible]])
    assert (image[~visible] == 0).all()
    assert len(np.unique(labels[visible])) == len(palette)  # every entry is used
    assert result.report.colors_used == len(palette)


@pytest.mark.parametrize("n_colors", [1, 2, 16, 64])
def test_photo(photo, n_colors):
    result = quantize_image(photo, n_colors, random_state=0)
    check_consistent(result, n_colors)
    assert len(result.palette) == n_colors
    report = result.report
    assert (report.width, report.height) == (451, 300)
    assert report.psnr == pytest.approx(psnr(photo, result.image))
    assert report.ssim is None  # opt-in
    assert (
        report.seed == 0
        and report.effort == "normal"
        and report.init == "wu"
        and report.input is None
        and report.input_bytes is None
    )
    assert report.output is None and report.compression_ratio is None
    if n_colors == 16:
        assert report.psnr > 27


def test_ssim_is_measured_when_asked(photo):
    from quantize.metrics import ssim

    result = quantize_image(photo, 16, random_state=0, ssim=True)
    assert 0 < result.report.ssim <= 1
    assert result.report.ssim == pytest.approx(ssim(photo, result.image))
    assert "SSIM" in result.report.to_text()
    assert "SSIM" not in quantize_image(photo, 16, random_state=0).report.to_text()


@pytest.mark.parametrize("algorithm", ["minibatch", "lloyd"])
@pytest.mark.parametrize("init", ["wu", "k-means++", "random", "sharding"])
@pytest.mark.parametrize("effort", ["fast", "normal", "thorough"])
def test_every_algorithm_init_and_effort(photo, algorithm, init, effort):
    result = quantize_image(photo, 8, algorithm=algorithm, init=init, effort=effort, random_state=1)
    check_consistent(result, 8)
    assert (result.report.algorithm, result.report.init, result.report.effort) == (algorithm, init, effort)
    assert result.report.psnr > 23
    again = quantize_image(photo, 8, algorithm=algorithm, init=init, effort=effort, random_state=1)
    np.testing.assert_array_equal(result.labels, again.labels)


@pytest.mark.slow
@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_thorough_is_never_worse_than_fast_or_normal(photo, rgba_photo, space):
    """The thorough search keeps the best of its candidates, the fast and normal
    results among them, by the objective in the clustering space."""
    from quantize.color.alpha import to_features
    from quantize.color.spaces import to_space
    from quantize.quantization.colors import image_colors

    for image in (photo, rgba_photo):
        colors = image_colors(image, space)

        def objective(result):
            entries = (
                to_features(result.palette, colors.premultiplied)
                if colors.space == "rgb"
                else to_space(result.palette, colors.space)
            )
            labels = result.labels.reshape(-1)
            shown = entries[labels[labels >= 0]]
            features = (
                to_features(image.reshape(-1, image.shape[2]), colors.premultiplied)
                if colors.space == "rgb"
                else to_space(image.reshape(-1, 3), colors.space)
            )
            features = features[labels >= 0]
            return float(((features - shown) ** 2).sum())

        for k in (4, 16):
            got = {
                effort: objective(quantize_image(image, k, effort=effort, random_state=3, colorspace=space))
                for effort in ("fast", "normal", "thorough")
            }
            assert got["thorough"] <= got["fast"] * (1 + 1e-6) and got["thorough"] <= got["normal"] * (1 + 1e-6)


def test_default_search_draws_nothing_random(photo):
    """Wu's start and Lloyd steps are deterministic: the seed changes nothing."""
    a = quantize_image(photo, 16, random_state=0)
    b = quantize_image(photo, 16, random_state=12345)
    np.testing.assert_array_equal(a.palette, b.palette)
    np.testing.assert_array_equal(a.labels, b.labels)


def test_bad_effort(photo):
    with pytest.raises(InvalidParameterError, match="effort='slow'"):
        quantize_image(photo, 8, effort="slow")


def test_default_space_is_din99o(photo):
    default = quantize_image(photo, 12, random_state=0)
    din = quantize_image(photo, 12, random_state=0, colorspace="din99o")
    assert default.report.colorspace == "din99o"
    np.testing.assert_array_equal(default.palette, din.palette)
    np.testing.assert_array_equal(default.labels, din.labels)
    # the space CIEDE2000 follows: a lower mean CIEDE2000 than CIELAB's on this photo
    assert default.report.delta_e < quantize_image(photo, 12, random_state=0, colorspace="lab").report.delta_e


def test_each_pixel_takes_its_nearest_palette_colour(photo):
    result = quantize_image(photo, 12, random_state=0, colorspace="rgb")
    pixels = photo.reshape(-1, 3).astype(int)
    d = ((pixels[:, None, :] - result.palette[None].astype(int)) ** 2).sum(axis=2)
    chosen = d[np.arange(len(pixels)), result.labels.ravel()]
    assert (chosen == d.min(axis=1)).all()


def test_coarse_to_fine_is_as_good_as_clustering_the_exact_histogram(photo):
    """The default search must not lose to plain Lloyd runs on the exact histogram
    (on average over seeds: single runs land in different local optima)."""
    hist = ColorHistogram(photo.reshape(-1, 3))
    assert len(hist) > 4096  # the photo exercises the coarse-to-fine path
    features = hist.colors.astype(np.float32)
    plain = np.mean(
        [
            KMeans(16, algorithm="lloyd", n_init=1, random_state=s).fit(features, sample_weight=hist.counts).inertia_
            for s in range(4)
        ]
    )
    plain_psnr = 10 * np.log10(255**2 / (plain / photo.size))
    ours = np.mean([quantize_image(photo, 16, random_state=s, colorspace="rgb").report.psnr for s in range(4)])
    assert ours >= plain_psnr - 0.02


def test_same_seed_same_result_and_recorded_seed(photo):
    a = quantize_image(photo, 8, random_state=3)
    b = quantize_image(photo, 8, random_state=3)
    np.testing.assert_array_equal(a.palette, b.palette)
    np.testing.assert_array_equal(a.labels, b.labels)
    fresh = quantize_image(photo, 8)
    assert isinstance(fresh.report.seed, int)
    again = quantize_image(photo, 8, random_state=fresh.report.seed)
    np.testing.assert_array_equal(fresh.palette, again.palette)
    assert quantize_image(photo, 8, random_state=np.random.default_rng(0)).report.seed is None


def test_input_array_is_not_modified(photo):
    before = photo.copy()
    quantize_image(photo, 4, random_state=0)
    np.testing.assert_array_equal(photo, before)


def test_fewer_colours_than_k_are_kept_exactly():
    colors = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [9, 9, 9], [200, 100, 50]]
    image = blocks_image(colors)
    with pytest.warns(FewDistinctPointsWarning, match="only 5 distinct colours"):
        result = quantize_image(image, 16, random_state=0)
    check_consistent(result, 16)
    assert result.report.colors_used == 5
    np.testing.assert_array_equal(result.image, image)
    assert result.report.psnr == float("inf")
    assert "only 5 distinct colours" in result.report.notes[0]
    assert result.report.to_dict()["psnr"] is None


def test_rgba_keeps_transparency(rgba_photo):
    result = quantize_image(rgba_photo, 32, random_state=0)
    check_consistent(result, 32)
    alpha = rgba_photo[..., 3]
    assert result.palette.shape[1] == 4
    np.testing.assert_array_equal(result.labels == -1, alpha == 0)
    np.testing.assert_array_equal(result.image[..., 3] == 0, alpha == 0)
    assert (result.palette[:, 3] > 0).all()
    # partly transparent pixels keep an alpha close to their own
    partial = (alpha > 0) & (alpha < 255)
    error = np.abs(result.image[..., 3].astype(int) - alpha)[partial]
    assert error.mean() < 12
    assert result.report.transparent


def test_binary_alpha_clusters_colour_only():
    image = np.dstack([blocks_image([[10, 20, 30], [200, 10, 10], [5, 250, 5]]), np.full((32, 32), 255, np.uint8)])
    image[:8, :8, 3] = 0
    with pytest.warns(FewDistinctPointsWarning):
        result = quantize_image(image, 4, random_state=0)
    assert (result.palette[:, 3] == 255).all()
    assert (result.labels[:8, :8] == -1).all() and (result.labels[8:] >= 0).all()


def test_transparency_with_256_colours_fits_the_palette(rgba_photo):
    result = quantize_image(rgba_photo, 256, random_state=0)
    assert len(result.palette) <= 255
    assert any("255 visible colours" in note for note in result.report.notes)


def test_fully_transparent_image():
    image = np.zeros((8, 8, 4), np.uint8)
    with pytest.warns(FewDistinctPointsWarning, match="only 0 distinct colours"):
        result = quantize_image(image, 4, random_state=0)
    assert len(result.palette) == 0 and (result.labels == -1).all()
    assert result.report.colors_used == 0 and result.report.psnr == float("inf")


@pytest.mark.parametrize(
    "image, channels",
    [
        (np.arange(64, dtype=np.uint8).reshape(8, 8), 3),
        (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000, 3),
        (np.linspace(0, 1, 192).reshape(8, 8, 3), 3),
        (np.dstack([np.arange(64, dtype=np.uint8).reshape(8, 8)] * 2), 4),
    ],
)
def test_array_inputs(image, channels):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewDistinctPointsWarning)
        result = quantize_image(image, 4, random_state=0)
    assert result.image.shape == (8, 8, channels)


def test_pil_and_loaded_inputs_agree_and_a_path_is_refused():
    path = IMAGES / "chelsea.png"
    from_pil = quantize_image(Image.open(path), 8, random_state=0)
    from_loaded = quantize_image(load_image(path), 8, random_state=0)
    np.testing.assert_array_equal(from_loaded.palette, from_pil.palette)
    assert from_loaded.report.input == str(path)
    assert from_loaded.report.input_bytes == path.stat().st_size
    for as_path in (path, str(path)):  # the library reads no file
        with pytest.raises(InvalidParameterError, match=r"image is a path .*quantize.load_image\(path\) first"):
            quantize_image(as_path, 8)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_colors": 0}, "n_colors=0 must be >= 1"),
        ({"n_colors": "8"}, "n_colors='8' must be an integer"),
        ({"algorithm": "kmedoids"}, "algorithm='kmedoids' must be one of"),
        ({"init": "magic"}, "init='magic' must be one of"),
    ],
)
def test_bad_parameters(photo, kwargs, message):
    kwargs = {"n_colors": 4, **kwargs}
    with pytest.raises(InvalidParameterError, match=message):
        quantize_image(photo, **kwargs)


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((4, 4, 5), np.uint8), r"must have shape \(H, W\), \(H, W, 3\) or \(H, W, 4\)"),
        (np.zeros((4,), np.uint8), "must have shape"),
        (np.zeros((0, 4, 3), np.uint8), "is empty"),
        (np.zeros((4, 4, 3), np.int64), "must be uint8, uint16 or float in"),
        (np.full((4, 4, 3), 2.0), r"finite values in \[0, 1\]"),
        (np.full((4, 4, 3), np.nan), r"finite values in \[0, 1\]"),
    ],
)
def test_bad_arrays(image, message):
    with pytest.raises(InvalidParameterError, match=message):
        quantize_image(image, 4)


def test_save_writes_a_palette_png_and_fills_the_report(tmp_path):
    source = IMAGES / "chelsea.png"
    result = quantize_image(load_image(source), 16, random_state=0)
    report = save(result, tmp_path / "out.png")
    assert report is result.report
    written = Image.open(tmp_path / "out.png")
    assert written.mode == "P" and written.size == (451, 300)
    assert len(written.getcolors()) <= 16
    np.testing.assert_array_equal(np.asarray(written.convert("RGB")), result.image)
    assert report.output_bytes == (tmp_path / "out.png").stat().st_size
    assert report.compression_ratio == pytest.approx(source.stat().st_size / report.output_bytes)
    assert report.bits_per_pixel == pytest.approx(8 * report.output_bytes / (451 * 300))
    assert report.raw_ratio == pytest.approx(24 / (4 + 16 * 24 / (451 * 300)))
    assert list(report.to_dict()) == list(JSON_KEYS)
    json.dumps(report.to_dict())


def test_save_rgba_round_trip(tmp_path):
    result = quantize_image(load_image(IMAGES / "rocket-vignette.png"), 16, random_state=0)
    save(result, tmp_path / "out.png")
    written = Image.open(tmp_path / "out.png")
    assert written.mode == "P"
    np.testing.assert_array_equal(np.asarray(written.convert("RGBA")), result.image)


def test_report_text_never_claims_a_false_gain(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "noise.jpg", quality=20)
    result = quantize_image(load_image(tmp_path / "noise.jpg"), 256, random_state=0)
    report = save(result, tmp_path / "big.png")
    assert report.output_bytes > report.input_bytes  # noise: PNG-8 beats no JPEG
    assert report.compression_ratio < 1
    assert "LARGER than the input (no gain)" in report.to_text()
    small = save(quantize_image(load_image(IMAGES / "chelsea.png"), 4, random_state=0), tmp_path / "s.png")
    assert "x smaller" in small.to_text()
    for output_bytes, claim in [
        (small.input_bytes, "the same size as the input (no gain)"),
        (small.input_bytes - 1, "1.00x smaller"),
        (small.input_bytes + 1, "1.00x LARGER than the input (no gain)"),
    ]:
        small.output_bytes = output_bytes
        assert claim in small.to_text()


@settings(max_examples=30, deadline=None)
@given(
    image=arrays(
        np.uint8,
        st.tuples(st.integers(1, 12), st.integers(1, 12), st.sampled_from([3, 4])),
        elements=st.sampled_from([0, 1, 100, 128, 200, 255]),
    ),
    n_colors=st.integers(1, 8),
    seed=st.integers(0, 1000),
)
def test_guarantees(image, n_colors, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewDistinctPointsWarning)
        result = quantize_image(image, n_colors, random_state=seed)
        again = quantize_image(image, n_colors, random_state=seed)
    check_consistent(result, n_colors)
    np.testing.assert_array_equal(result.labels, again.labels)
    if image.shape[2] == 4:
        np.testing.assert_array_equal(result.labels == -1, image[..., 3] == 0)


def test_fit_palette_is_the_quantisation_of_quantize_image(photo):
    from quantize import fit_palette

    palette, labels = fit_palette(photo, 8, random_state=4)
    result = quantize_image(photo, 8, random_state=4)
    np.testing.assert_array_equal(palette, result.palette)
    np.testing.assert_array_equal(labels, result.labels)
    with pytest.raises(InvalidParameterError, match="n_colors=0"):
        fit_palette(photo, 0)


def test_result_does_not_depend_on_the_number_of_threads(photo):
    from quantize import _parallel as parallel

    saved = parallel.get_num_threads()
    try:
        parallel.set_num_threads(1)
        one = quantize_image(photo, 16, random_state=5)
        parallel.set_num_threads(3)
        three = quantize_image(photo, 16, random_state=5)
    finally:
        parallel.set_num_threads(saved)
    np.testing.assert_array_equal(one.palette, three.palette)
    np.testing.assert_array_equal(one.labels, three.labels)


@pytest.mark.parametrize("space", ["rgb", "lab", "oklab"])
def test_apply_palette_keeps_every_entry_and_picks_the_nearest(photo, space):
    from quantize.color.spaces import to_space
    from quantize.quantization.api import apply_palette

    palette = np.array([[0, 0, 0], [255, 255, 255], [120, 90, 60], [1, 2, 250], [200, 120, 100]], np.uint8)
    result = apply_palette(photo, palette, colorspace=space)
    np.testing.assert_array_equal(result.palette, palette)  # unused blue kept
    pixels, entries = to_space(photo.reshape(-1, 3), space), to_space(palette, space)
    nearest = ((pixels[:, None, :] - entries[None]) ** 2).sum(-1).argmin(-1)
    np.testing.assert_array_equal(result.labels.reshape(-1), nearest)
    assert result.report.algorithm == "palette" and "given palette" in result.report.to_text()
    assert result.report.colorspace == space


def test_apply_palette_space_changes_the_choice(photo):
    """sRGB, CIELAB and DIN99o disagree on which entry is nearest for some colours: the
    option is used, and the default is DIN99o."""
    from quantize.quantization.api import apply_palette

    palette = quantize_image(photo, 6, random_state=0, colorspace="rgb").palette
    rgb, lab, din = (apply_palette(photo, palette, colorspace=space) for space in ("rgb", "lab", "din99o"))
    assert (rgb.labels != lab.labels).any() and (din.labels != lab.labels).any()
    np.testing.assert_array_equal(apply_palette(photo, palette).labels, din.labels)


def test_apply_palette_dithers(photo):
    from quantize.quantization.api import apply_palette

    palette = quantize_image(photo, 8, random_state=0).palette
    plain = apply_palette(photo, palette)
    dithered = apply_palette(photo, palette, dither="ordered")
    again = apply_palette(photo, palette, dither="ordered")
    assert (dithered.labels != plain.labels).mean() > 0.05
    np.testing.assert_array_equal(dithered.labels, again.labels)
    np.testing.assert_array_equal(dithered.palette, palette)
    assert any("ordered dithering" in note for note in dithered.report.notes)
    with pytest.raises(InvalidParameterError, match="dither_strength"):
        apply_palette(photo, palette, dither="ordered", dither_strength=2)
    with pytest.raises(InvalidParameterError, match="colorspace='hsv'"):
        apply_palette(photo, palette, colorspace="hsv")


def test_apply_palette_to_transparent_image(rgba_photo):
    from quantize.quantization.api import apply_palette

    result = apply_palette(rgba_photo, [[0, 0, 0], [200, 200, 255]])
    assert ((result.labels == -1) == (rgba_photo[..., 3] == 0)).all()
    assert result.report.transparent
    assert result.report.notes == ["partly transparent pixels were made opaque: the palette has no alpha"]


@pytest.mark.parametrize(
    "palette, message",
    [
        (np.zeros((0, 3)), "1 <= n <= 256"),
        (np.zeros((3, 4)), "1 <= n <= 256"),
        (np.zeros((257, 3), int), "1 <= n <= 256"),
        ([[0, 0, 256]], "integers in 0..255"),
        ([[0.5, 0, 0]], "integers in 0..255"),
    ],
)
def test_apply_palette_rejects_bad_palettes(photo, palette, message):
    from quantize.quantization.api import apply_palette

    with pytest.raises(InvalidParameterError, match=message):
        apply_palette(photo, palette)


@pytest.mark.parametrize("space", [None, "rgb", "oklab"])
def test_shared_palette_equals_the_palette_of_the_images_side_by_side(photo, gradient, space):
    """Merging histograms adds counts: one palette for two images is the palette of
    the two placed side by side (same colours, same weights), in every space."""
    from quantize.quantization.api import color_histogram, fit_palette, fit_shared_palette

    top = photo[:48, :64]
    given = {} if space is None else {"colorspace": space}  # None: both defaults
    shared = fit_shared_palette([color_histogram(top), color_histogram(gradient)], 8, random_state=3, **given)
    together, _ = fit_palette(np.concatenate([top, gradient], axis=1), 8, random_state=3, **given)
    np.testing.assert_array_equal(shared, np.unique(together, axis=0))
    with pytest.raises(InvalidParameterError, match="colorspace='hsv'"):
        fit_shared_palette([color_histogram(top)], 8, colorspace="hsv")
    with pytest.raises(InvalidParameterError, match="colorspace='hsv'"):
        fit_palette(top, 8, colorspace="hsv")
    assert len(fit_shared_palette([color_histogram(np.zeros((4, 4, 3), np.uint8))], 8)) == 1
    with pytest.raises(InvalidParameterError, match="no visible pixel"):
        fit_shared_palette([color_histogram(np.zeros((4, 4, 4), np.uint8))], 8)


@pytest.mark.parametrize("target", [{"quality": 31.0}, {"max_delta_e": 3.0}, {"quality": 30.0, "max_delta_e": 4.0}])
def test_quality_targets_choose_the_smallest_k_meeting_them(photo, target):
    from quantize.metrics import delta_e_2000

    result = quantize_image(photo, 256, random_state=0, **target)
    k = result.report.colors_used
    mean_delta_e = delta_e_2000(photo.reshape(-1, 3), result.image.reshape(-1, 3))[0]
    if "quality" in target:
        assert result.report.psnr >= target["quality"]
    if "max_delta_e" in target:
        assert mean_delta_e <= target["max_delta_e"] + 1e-9
    assert f"{k} colours, the smallest k meeting the target ({k - 1} do not" in result.report.notes[-1]
    same = quantize_image(photo, k, random_state=0)  # exactly what asking for k gives
    np.testing.assert_array_equal(result.palette, same.palette)
    np.testing.assert_array_equal(result.labels, same.labels)
    fewer = quantize_image(photo, k - 1, random_state=0)  # one colour fewer misses it here
    missed_quality = "quality" in target and fewer.report.psnr < target["quality"]
    missed_delta_e = (
        "max_delta_e" in target
        and delta_e_2000(photo.reshape(-1, 3), fewer.image.reshape(-1, 3))[0] > target["max_delta_e"]
    )
    assert missed_quality or missed_delta_e


@pytest.mark.parametrize("target", [{"quality": 30.0}, {"max_delta_e": 3.5}, {"quality": 26.0, "max_delta_e": 5.0}])
def test_quality_target_is_the_smallest_k_of_a_full_scan(target):
    """Against a brute-force scan of every k on a small image."""
    from quantize.metrics import delta_e_2000

    image = np.asarray(Image.open(IMAGES / "chelsea.png").convert("RGB"))[60:180:2, 100:340:2]

    def meets(result):
        return ("quality" not in target or result.report.psnr >= target["quality"]) and (
            "max_delta_e" not in target or result.report.delta_e <= target["max_delta_e"]
        )

    chosen = quantize_image(image, 64, random_state=0, **target)
    scan = next(k for k in range(1, 65) if meets(quantize_image(image, k, random_state=0)))
    assert chosen.report.colors_used == scan and meets(chosen)
    assert chosen.report.delta_e == pytest.approx(
        delta_e_2000(image.reshape(-1, 3), chosen.image.reshape(-1, 3))[0], rel=1e-6
    )


def test_quality_target_out_of_reach(photo):
    from quantize import TargetNotMetError

    with pytest.raises(TargetNotMetError, match="target not met: 8 colours reach PSNR 2") as caught:
        quantize_image(photo, 8, quality=45.0, random_state=0)
    assert 25 < caught.value.reached["psnr"] < 45
    with pytest.raises(InvalidParameterError, match="quality=-1"):
        quantize_image(photo, 8, quality=-1.0)
    with pytest.raises(InvalidParameterError, match="max_delta_e=nan"):
        quantize_image(photo, 8, max_delta_e=float("nan"))


def test_histogram_psnr_is_the_reports(rgba_photo):
    from quantize.quantization.colors import image_colors
    from quantize.quantization.exact import color_psnr
    from quantize.quantization.palette import palette_for
    from quantize.quantization.search import Search

    colors = image_colors(rgba_photo, "lab")  # partly transparent: clustered as premultiplied RGBA
    palette, color_labels = palette_for(
        colors, 12, Search("wu", "lloyd", "normal"), rng=np.random.default_rng(0), notes=[]
    )
    result = quantize_image(rgba_photo, 12, random_state=0)
    assert color_psnr(colors, palette, color_labels) == pytest.approx(result.report.psnr, abs=1e-9)


@pytest.mark.parametrize("space", ["rgb", "lab", "oklab"])
def test_colorspaces_cluster_in_the_space_and_report_delta_e(photo, space):
    from quantize.color.spaces import to_space
    from quantize.metrics import delta_e_2000

    result = quantize_image(photo, 12, random_state=0, colorspace=space)
    report = result.report
    assert report.colorspace == space and len(result.palette) <= 12
    mean, p95 = delta_e_2000(photo.reshape(-1, 3), result.image.reshape(-1, 3))
    # the report's CIELAB and CIEDE2000 are float32 (half the memory, twice the speed):
    # within 1e-6 of the float64 values
    assert report.delta_e == pytest.approx(mean, rel=1e-6) and report.delta_e_p95 == pytest.approx(p95, rel=1e-6)
    # every pixel takes the nearest palette entry *in the space it was clustered in*
    pixels = to_space(photo.reshape(-1, 3), space)
    entries = to_space(result.palette, space)
    nearest = ((pixels[:, None, :] - entries[None]) ** 2).sum(-1).argmin(1)
    chosen = result.labels.reshape(-1)
    gap = ((pixels - entries[chosen]) ** 2).sum(-1) - ((pixels - entries[nearest]) ** 2).sum(-1)
    assert (gap <= 1e-3).all()
    assert f"in {space}" in report.to_text() and "ΔE2000 mean" in report.to_text()


def test_partial_transparency_stays_premultiplied_rgba(rgba_photo):
    result = quantize_image(rgba_photo, 8, random_state=0, colorspace="oklab")
    assert result.report.colorspace == "rgb"
    assert result.report.notes == ["partly transparent: clustered as premultiplied RGBA, not in oklab"]
    with pytest.raises(InvalidParameterError, match="colorspace='hsv'"):
        quantize_image(rgba_photo, 8, colorspace="hsv")


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_locked_colours_are_kept_exactly(photo, space):
    lock = np.array([[255, 255, 255], [0, 0, 0], [10, 200, 30]], np.uint8)
    result = quantize_image(photo, 8, random_state=0, lock=lock, colorspace=space)
    np.testing.assert_array_equal(result.palette[:3], lock)  # even the green nobody uses
    assert len(result.palette) <= 8 and len(np.unique(result.palette, axis=0)) == len(result.palette)
    free = quantize_image(photo, 5, random_state=0, colorspace=space)
    # the 5 learnt centres do about as well as 5 free ones (the locked ones can only help)
    assert result.report.psnr >= free.report.psnr - 0.5


def test_lock_errors(photo, rgba_photo):
    with pytest.raises(InvalidParameterError, match="at most n_colors=2 distinct colours"):
        quantize_image(photo, 2, lock=[[0, 0, 0], [1, 1, 1], [2, 2, 2]])
    with pytest.raises(InvalidParameterError, match="at most n_colors=4 distinct colours"):
        quantize_image(photo, 4, lock=[[0, 0, 0], [0, 0, 0]])
    with pytest.raises(InvalidParameterError, match="cannot be combined with a quality target"):
        quantize_image(photo, 8, lock=[[0, 0, 0]], quality=30)
    with pytest.raises(InvalidParameterError, match="partly transparent"):
        quantize_image(rgba_photo, 8, lock=[[0, 0, 0]])
    with pytest.raises(InvalidParameterError, match="integers in 0..255"):
        quantize_image(photo, 8, lock=[[0, 0, 300]])


@pytest.mark.parametrize("size", [(0, 0), (0, 5), (5, 0)])
def test_empty_pillow_images_are_invalid(size):
    from quantize import InvalidParameterError, segment_image

    with pytest.raises(InvalidParameterError, match="image is empty"):
        quantize_image(Image.new("RGB", size), 4)
    with pytest.raises(InvalidParameterError, match="image is empty"):
        segment_image(Image.new("RGB", size), 2)


def test_premultiplied_la_pillow_image():
    grey_alpha = np.array([[[100, 255], [50, 128], [0, 0]]], dtype=np.uint8)  # straight; "La" premultiplies
    result = quantize_image(Image.fromarray(grey_alpha, mode="LA").convert("La"), 2)
    assert result.labels[0, 2] == -1  # alpha 0 stays transparent
    assert result.image[0, 0].tolist() == [100, 100, 100, 255]
    assert abs(int(result.image[0, 1, 0]) - 50) <= 1 and result.image[0, 1, 3] == 128  # back to straight grey


@pytest.mark.parametrize(
    "histogram, message",
    [
        (([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [1, 2]), r"colors are \(n, 3\) and its counts \(n,\)"),
        (([[1, 2, 3]], [-1]), "counts must be non-negative integers"),
        (([[1, 2, 3]], [1.5]), "counts must be non-negative integers"),
        (([[np.nan, 2, 3]], [1]), "colors must be integers in 0..255"),
        (([[1, 2, 300]], [1]), "colors must be integers in 0..255"),
        ((1, 2, 3), "a histogram is a \\(colors, counts\\) pair"),
        ((np.arange(15).reshape(5, 3), [0] * 5), "no visible pixel in any image"),  # once a sample_weight message
        ((np.arange(15).reshape(5, 3), [2**61] * 5), "add up to 2\\^62 pixels or more"),
    ],
)
def test_fit_shared_palette_checks_the_histograms(histogram, message):
    from quantize import InvalidParameterError, fit_shared_palette

    with pytest.raises(InvalidParameterError, match=message):
        fit_shared_palette([histogram], 2)


def test_apply_palette_is_exactly_nearest_in_cielab():
    """float32 CIELAB put (194, 108, 9) nearer (168, 102, 17); in float64 it is nearer
    (205, 134, 37) (squared distances 135.33932 vs 135.33914)."""
    from quantize.color.spaces import srgb_to_lab

    palette = np.array([[168, 102, 17], [205, 134, 37]], dtype=np.uint8)
    pixel = np.array([[[194, 108, 9]]], dtype=np.uint8)
    lab = srgb_to_lab(np.concatenate([pixel[0], palette]))
    distances = ((lab[0] - lab[1:]) ** 2).sum(axis=1)
    assert distances[1] < distances[0]
    from quantize import apply_palette

    assert apply_palette(pixel, palette, colorspace="lab").labels[0, 0] == 1


@pytest.mark.parametrize("how", [dict(effort="fast"), dict(init="k-means++"), dict(effort="thorough")])
def test_locked_colours_go_through_the_same_search(photo, how):
    """A lock fixes centres of the ordinary search: its effort, start and algorithm
    still apply."""
    lock = np.array([[255, 255, 255], [0, 0, 0]], np.uint8)
    result = quantize_image(photo, 8, random_state=0, lock=lock, **how)
    np.testing.assert_array_equal(result.palette[:2], lock)
    normal = quantize_image(photo, 8, random_state=0, lock=lock)
    assert not np.array_equal(result.palette, normal.palette)  # another search: another palette


def test_locked_colours_with_minibatch_run_lloyd_steps(photo):
    """Mini-batch k-means has no fixed centres: with a lock it runs the Lloyd steps."""
    lock = [[255, 255, 255]]
    minibatch = quantize_image(photo, 8, random_state=0, lock=lock, algorithm="minibatch")
    np.testing.assert_array_equal(minibatch.palette, quantize_image(photo, 8, random_state=0, lock=lock).palette)
