import numpy as np
import pytest
from skimage.filters import gaussian

from quantize import InvalidParameterError, quantize_image
from quantize.color.spaces import DEFAULT_SPACE
from quantize.metrics import delta_e_2000
from quantize.quantization.dither import bayer_matrix, dither


def blurred_delta_e(image, reference):
    def blur(a):
        return np.rint(gaussian(a, sigma=2, channel_axis=-1, preserve_range=True)).astype(np.uint8).reshape(-1, 3)

    return delta_e_2000(blur(reference), blur(image))[0]


def test_bayer_matrix():
    assert ((bayer_matrix(1) + 0.5) * 4 - 0.5).tolist() == [[0, 2], [3, 1]]
    matrix = bayer_matrix()
    assert matrix.shape == (8, 8) and len(np.unique(matrix)) == 64 and matrix.mean() == pytest.approx(0)


@pytest.mark.parametrize("method", ["floyd-steinberg", "ordered"])
def test_dithering_helps_the_eye(photo, method):
    """Seen through a blur (as the eye averages), the dithered image is closer in
    CIEDE2000 to the blurred input than the undithered one, at k = 16."""
    plain = quantize_image(photo, 16, random_state=0)
    dithered = quantize_image(photo, 16, random_state=0, dither=method)
    np.testing.assert_array_equal(dithered.palette, plain.palette)
    assert blurred_delta_e(dithered.image, photo) < blurred_delta_e(plain.image, photo)
    assert dithered.report.psnr < plain.report.psnr  # each pixel is further off on its own
    assert f"{method} dithering at strength 1" in dithered.report.notes[-1]
    mean = delta_e_2000(photo.reshape(-1, 3), dithered.image.reshape(-1, 3))[0]
    # the sample is every pixel here; float32 CIELAB of the colours, as undithered reports have
    assert dithered.report.delta_e == pytest.approx(mean, rel=1e-6)


def _colors_and_labels(photo, palette, space=DEFAULT_SPACE):
    from quantize.color.spaces import to_space
    from quantize.quantization.colors import image_colors
    from quantize.quantization.labels import color_index, pixel_labels

    colors = image_colors(photo, space)
    color_labels = colors.nearest(to_space(palette, space))
    return colors, color_labels, color_index(colors), pixel_labels(colors, palette, color_labels)[1]


@pytest.mark.parametrize("method", ["floyd-steinberg", "ordered"])
def test_strength(photo, method):
    plain = quantize_image(photo, 8, random_state=0)
    colors, color_labels, index, labels = _colors_and_labels(photo, plain.palette)
    np.testing.assert_array_equal(labels, plain.labels)
    np.testing.assert_array_equal(color_labels[index], plain.labels)
    none = dither(colors, plain.palette, color_labels, index, labels, method=method, strength=0.0)
    np.testing.assert_array_equal(none, plain.labels)
    half = dither(colors, plain.palette, color_labels, index, labels, method=method, strength=0.5)
    full = dither(colors, plain.palette, color_labels, index, labels, method=method, strength=1.0)
    changed_half, changed_full = (half != plain.labels).mean(), (full != plain.labels).mean()
    assert 0 < changed_half < changed_full


# -- the kernels against textbook oracles ------------------------------------------


def _nearest_oracle(target, entries):
    distances = np.zeros(len(entries))
    for j in range(entries.shape[1]):
        distances += (target[j] - entries[:, j]) ** 2
    return int(distances.argmin())


def textbook_floyd_steinberg(index, features, entries):
    """Serpentine Floyd–Steinberg with nothing limited, in float64, pixel by pixel."""
    height, width = index.shape
    d = features.shape[1]
    out = np.empty((height, width), np.int16)
    this, below = np.zeros((width + 2, d)), np.zeros((width + 2, d))
    for y in range(height):
        below[:] = 0
        forward = y % 2 == 0
        for x in range(width) if forward else range(width - 1, -1, -1):
            target = features[index[y, x]].astype(np.float64) + 1.0 * this[x + 1] * 1.0
            entry = _nearest_oracle(target, entries.astype(np.float64))
            out[y, x] = entry
            error = target - entries[entry].astype(np.float64)
            ahead, behind = (x + 2, x) if forward else (x, x + 2)
            this[ahead] += error * (7.0 / 16.0)
            below[behind] += error * (3.0 / 16.0)
            below[x + 1] += error * (5.0 / 16.0)
            below[ahead] += error * (1.0 / 16.0)
        this, below = below, this
    return out


@pytest.mark.parametrize("k", [2, 5, 16])
def test_floyd_steinberg_kernel_unlimited_is_the_textbook_one(k):
    from quantize._compiled import kernel

    rng = np.random.default_rng(k)
    y, x = np.mgrid[:21, :34]
    features = np.stack([x * 3.0, y * 4.0 + x, (x * y) % 17], axis=-1).reshape(-1, 3).astype(np.float32)
    features += rng.normal(size=features.shape).astype(np.float32)
    index = np.arange(21 * 34, dtype=np.int32).reshape(21, 34)
    entries = features[rng.choice(len(features), k, replace=False)].astype(np.float64)
    labels = np.zeros((21, 34), np.int16)
    unlimited = kernel("quantization._dither").floyd_steinberg(
        index,
        features,
        kernel("cluster._nearest").SortedCentres(entries),
        labels,
        np.full((21, 34), 255, np.uint8),
        np.full(3, -np.inf),
        np.full(3, np.inf),
        np.full(len(features), np.inf),
        1.0,
        0.0,
        np.inf,
        2,
    )
    np.testing.assert_array_equal(unlimited, textbook_floyd_steinberg(index, features, entries))


@pytest.mark.parametrize("k", [1, 3, 16, 256])
def test_ordered_kernel_is_the_nearest_entry_of_the_shifted_colour(k):
    from quantize._compiled import kernel

    rng = np.random.default_rng(k)
    features = rng.uniform(0, 100, (600, 3)).astype(np.float32)
    index = rng.integers(-1, 600, (19, 23)).astype(np.int32)  # -1: transparent
    entries = rng.uniform(0, 100, (k, 3))
    threshold = np.ascontiguousarray(10 * bayer_matrix())
    got = kernel("quantization._dither").ordered(
        index, features, kernel("cluster._nearest").SortedCentres(entries), threshold, np.array([1.0, 0.0, 0.0]), 2
    )
    for (y, x), c in np.ndenumerate(index):
        if c < 0:
            assert got[y, x] == -1
            continue
        shifted = features[c].astype(np.float64) + threshold[y % 8, x % 8] * np.array([1.0, 0.0, 0.0])
        assert got[y, x] == _nearest_oracle(shifted, entries)


def test_floyd_steinberg_puts_no_far_dots_in_a_flat_sky():
    """A smooth cyan sky above a dark navy ground, 16 colours: the navy entries are
    never used in the sky, and no sky pixel is more than 60 RGB units off (Pillow's
    unlimited diffusion put navy dots there)."""
    rng = np.random.default_rng(0)
    height, width = 160, 240
    t = np.linspace(0, 1, width)[None, :, None]
    sky = (np.array([120, 200, 230]) * (1 - t) + np.array([150, 220, 245]) * t) * np.ones((height // 2, 1, 1))
    ground = np.array([20, 30, 80]) + rng.normal(0, 12, (height // 2, width, 3))
    photo = np.clip(np.concatenate([sky + rng.normal(0, 1.5, sky.shape), ground]), 0, 255).astype(np.uint8)
    result = quantize_image(photo, 16, random_state=0, dither="floyd-steinberg")
    rebuilt = result.image.astype(int)[: height // 2]
    assert np.abs(rebuilt - photo[: height // 2].astype(int)).max() <= 60
    assert rebuilt[..., 2].min() > 150  # no navy in the sky


def test_transparency_is_kept_and_partial_alpha_not_dithered(rgba_photo):
    result = quantize_image(rgba_photo, 8, random_state=0, dither="ordered")
    assert ((result.labels == -1) == (rgba_photo[..., 3] == 0)).all()
    assert "not dithered: the image has partly transparent pixels" in result.report.notes
    opaque_or_clear = rgba_photo.copy()
    opaque_or_clear[..., 3] = np.where(rgba_photo[..., 3] > 0, 255, 0)
    clear = quantize_image(opaque_or_clear, 8, random_state=0, dither="floyd-steinberg")
    assert ((clear.labels == -1) == (opaque_or_clear[..., 3] == 0)).all()


def test_bad_dither_parameters(photo):
    with pytest.raises(InvalidParameterError, match="dither='blue-noise'"):
        quantize_image(photo, 8, dither="blue-noise")
    with pytest.raises(InvalidParameterError, match="dither_strength=1.5"):
        quantize_image(photo, 8, dither="ordered", dither_strength=1.5)
    with pytest.raises(InvalidParameterError, match="dither_strength=-0.1"):
        quantize_image(photo, 8, dither="ordered", dither_strength=-0.1)
