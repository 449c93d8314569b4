import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, lab2rgb, rgb2lab

from quantize.color.difference import ciede2000

from quantize.color.spaces import from_space, lab_to_srgb, srgb_to_lab, to_space


@pytest.mark.parametrize("space", ["rgb", "lab", "oklab"])
def test_colour_spaces_round_trip_every_sampled_colour(space):
    colors = np.random.default_rng(0).integers(0, 256, (50_000, 3), dtype=np.uint8)
    np.testing.assert_array_equal(from_space(to_space(colors, space), space), colors)


def test_oklab_published_values():
    """Ottosson's reference: sRGB red is OKLab (0.62796, 0.22486, 0.12585), white (1, 0, 0)."""
    values = to_space(np.array([[255, 0, 0], [255, 255, 255]], np.uint8), "oklab") / 100
    np.testing.assert_allclose(values, [[0.62796, 0.22486, 0.12585], [1, 0, 0]], atol=2e-5)


def test_cielab_and_ciede2000_equal_scikit_images():
    rng = np.random.default_rng(0)
    a, b = (rng.integers(0, 256, (20000, 3), dtype=np.uint8) for _ in range(2))
    np.testing.assert_allclose(srgb_to_lab(a), rgb2lab(a[None] / 255.0)[0], atol=1e-9)
    near = np.clip(a.astype(int) + rng.integers(-2, 3, a.shape), 0, 255).astype(np.uint8)
    for other in (b, near, a):
        expected = deltaE_ciede2000(srgb_to_lab(a), srgb_to_lab(other))
        np.testing.assert_allclose(ciede2000(srgb_to_lab(a), srgb_to_lab(other)), expected, atol=1e-9)
        fast = ciede2000(srgb_to_lab(a, np.float32), srgb_to_lab(other, np.float32), dtype=np.float32)
        assert fast.dtype == np.float32
        np.testing.assert_allclose(fast, expected, atol=1e-4)


@pytest.mark.parametrize("lab1, lab2, expected", [
    # Sharma, Wu & Dalal (2005), test data pairs 1, 7 and 17
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
])
def test_ciede2000_published_pairs(lab1, lab2, expected):
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)


def test_lab_to_srgb_equals_scikit_image_in_and_out_of_gamut():
    rng = np.random.default_rng(1)
    lab = np.column_stack([rng.uniform(0, 100, 20000), rng.uniform(-128, 128, (20000, 2))])
    with pytest.warns(UserWarning):  # skimage warns of the negative Z it clips, as we do silently
        expected = lab2rgb(lab[None])[0]
    np.testing.assert_allclose(lab_to_srgb(lab), expected, atol=1e-9)
    assert lab_to_srgb(lab).min() >= 0 and lab_to_srgb(lab).max() <= 1


def test_premultiplied_centres_keep_their_own_straight_colour():
    """At alpha 3, straight 230 and 255 both premultiply to 3: the palette keeps the
    cluster's own colour (white), not the quotient by the rounded alpha (230)."""
    from quantize.color.alpha import premultiply, to_palette

    white = np.array([[255, 255, 255, a] for a in (2, 3, 3, 3)], np.uint8)
    centre = premultiply(white).astype(np.float64).mean(axis=0, keepdims=True)  # (2.75, ..., 2.75)
    entry = to_palette(centre, True)
    np.testing.assert_array_equal(entry, [[255, 255, 255, 3]])
    # the premultiplied value still comes first: the nearest one wins over the straight colour
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, (2000, 4)).astype(np.uint8)
    rgba[:, 3] = np.maximum(rgba[:, 3], 1)
    centres = premultiply(rgba).astype(np.float64) + rng.uniform(-0.4, 0.4, (2000, 4))
    entries = to_palette(centres, True)
    shown = premultiply(entries).astype(np.float64)[:, :3]
    for offset in (-1, 1):  # no neighbouring straight value premultiplies nearer
        other = entries.astype(int)
        other[:, :3] = np.clip(other[:, :3] + offset, 0, 255)
        assert (np.abs(shown - centres[:, :3]) <= np.abs(premultiply(other.astype(np.uint8))[:, :3] - centres[:, :3])
                + 1e-6).all()


def test_oklab_equals_the_plain_formula_on_every_sampled_colour():
    """The compiled conversion (its own cube root) against NumPy's cbrt, black included."""
    from quantize.color.spaces import _LINEAR, _OKLAB_M1, _OKLAB_M2

    colors = np.random.default_rng(1).integers(0, 256, (50_000, 3), dtype=np.uint8)
    colors[:4] = [[0, 0, 0], [255, 255, 255], [1, 0, 0], [0, 0, 1]]
    want = 100.0 * np.cbrt(_LINEAR[colors] @ _OKLAB_M1.T) @ _OKLAB_M2.T
    np.testing.assert_allclose(to_space(colors, "oklab", np.float64), want, atol=1e-9)
    assert to_space(colors, "oklab").dtype == np.float32
