import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, lab2rgb, rgb2lab

from quantize.color.difference import ciede2000
from quantize.color.spaces import from_space, lab_to_srgb, srgb_to_lab, to_space


@pytest.mark.parametrize("space", ["rgb", "lab", "oklab", "din99o"])
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


@pytest.mark.parametrize(
    "lab1, lab2, expected",
    [
        # Sharma, Wu & Dalal (2005), test data pairs 1, 7 and 17
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ],
)
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
        assert (
            np.abs(shown - centres[:, :3]) <= np.abs(premultiply(other.astype(np.uint8))[:, :3] - centres[:, :3]) + 1e-6
        ).all()


def test_oklab_equals_the_plain_formula_on_every_sampled_colour():
    """The compiled conversion (its own cube root) against NumPy's cbrt, black included."""
    from quantize.color.spaces import _LINEAR, _OKLAB_M1, _OKLAB_M2

    colors = np.random.default_rng(1).integers(0, 256, (50_000, 3), dtype=np.uint8)
    colors[:4] = [[0, 0, 0], [255, 255, 255], [1, 0, 0], [0, 0, 1]]
    want = 100.0 * np.cbrt(_LINEAR[colors] @ _OKLAB_M1.T) @ _OKLAB_M2.T
    np.testing.assert_allclose(to_space(colors, "oklab", np.float64), want, atol=1e-9)
    assert to_space(colors, "oklab").dtype == np.float32


def test_din99o_equals_the_polar_formula_of_din_6176():
    """DIN99o in the standard's own steps (hue angle, chroma, then back to a and b)."""
    from quantize.color.spaces import din99o_to_lab, lab_to_din99o

    lab = srgb_to_lab(np.random.default_rng(1).integers(0, 256, (20_000, 3), dtype=np.uint8))
    L, a, b = lab.T
    turn = np.radians(26)
    e, f = a * np.cos(turn) + b * np.sin(turn), 0.83 * (-a * np.sin(turn) + b * np.cos(turn))
    chroma, hue = np.log(1 + 0.075 * np.hypot(e, f)) / 0.0435, np.arctan2(f, e) + turn
    expected = np.column_stack([303.67 * np.log(1 + 0.0039 * L), chroma * np.cos(hue), chroma * np.sin(hue)])
    np.testing.assert_allclose(lab_to_din99o(lab), expected, atol=1e-9)
    np.testing.assert_allclose(din99o_to_lab(expected), lab, atol=1e-9)
    # white is L99o 100 (to the rounding of 303.67); greys keep the trace of chroma
    # CIELAB gives them (1e-3, from the sRGB matrix)
    white = lab_to_din99o(srgb_to_lab(np.array([[255, 255, 255], [128, 128, 128]], np.uint8)))
    assert white[0, 0] == pytest.approx(100, abs=0.02) and np.abs(white[:, 1:]).max() < 0.01


def test_din99o_distances_follow_ciede2000_better_than_cielab():
    """What it is for: over random pairs of nearby colours, Euclidean DIN99o distance
    is closer to proportional to CIEDE2000 than CIELAB's ΔE76."""
    rng = np.random.default_rng(2)
    first = rng.integers(0, 256, (5_000, 3))
    second = np.clip(first + rng.integers(-12, 13, first.shape), 0, 255)
    pairs = [np.asarray(c, np.uint8) for c in (first, second)]
    reference = ciede2000(*(srgb_to_lab(c) for c in pairs))
    spread = {}
    for space in ("lab", "din99o"):
        distance = np.linalg.norm(to_space(pairs[0], space, np.float64) - to_space(pairs[1], space, np.float64), axis=1)
        keep = reference > 0.5
        ratio = distance[keep] / reference[keep]
        spread[space] = ratio.std() / ratio.mean()
    assert spread["din99o"] < 0.8 * spread["lab"]
