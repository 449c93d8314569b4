import numpy as np
import pytest

from quantize import InvalidParameterError
from quantize.datasets import REGION_COLORS, make_regions


@pytest.mark.parametrize("n_regions", range(2, 9))
def test_make_regions_has_every_region(n_regions):
    image, truth = make_regions((96, 128), n_regions, random_state=0)
    assert image.shape == (96, 128, 3) and image.dtype == np.uint8
    assert truth.shape == (96, 128)
    assert np.array_equal(np.unique(truth), np.arange(n_regions))


def test_noise_and_blur():
    clean, truth = make_regions((64, 64), 4, noise=0.0, blur=0.0)
    assert np.array_equal(clean, REGION_COLORS[truth])
    noisy, _ = make_regions((64, 64), 4, blur=0.0, random_state=1)
    residual = noisy.astype(float) - clean
    assert 20 < residual.std() < 26  # sigma 25, a little clipped
    assert np.array_equal(noisy, make_regions((64, 64), 4, blur=0.0, random_state=1)[0])


def test_bad_arguments():
    with pytest.raises(InvalidParameterError, match="n_regions=9"):
        make_regions((64, 64), 9)
    with pytest.raises(InvalidParameterError, match="height=8"):
        make_regions((8, 64), 3)
    with pytest.raises(InvalidParameterError, match="colors must be"):
        make_regions((64, 64), 3, colors=[(0, 0, 0)])


def test_make_shapes_every_region_visible_and_colours_apart():
    from quantize.datasets import SHAPE_COLOR_GAP, make_shapes

    for seed in range(3):
        image, truth = make_shapes((120, 160), 8, noise=0.0, random_state=seed)
        assert image.shape == (120, 160, 3) and truth.dtype == np.int32
        areas = np.bincount(truth.ravel(), minlength=8)
        assert len(areas) == 8 and areas.min() >= 0.01 * 120 * 160
        colors = np.array([image[truth == label][0] for label in range(8)], float)
        gaps = np.linalg.norm(colors[:, None] - colors[None], axis=2)[np.triu_indices(8, 1)]
        assert gaps.min() >= SHAPE_COLOR_GAP
    a, _ = make_shapes(random_state=4)
    b, _ = make_shapes(random_state=4)
    assert np.array_equal(a, b)


@pytest.mark.parametrize(
    "options, message",
    [({"shape": (8, 40)}, "height=8"), ({"n_regions": 9}, "n_regions=9"), ({"noise": -1.0}, "noise=-1.0")],
)
def test_make_shapes_bad_options(options, message):
    from quantize.datasets import make_shapes

    with pytest.raises(InvalidParameterError, match=message):
        make_shapes(**options)


@pytest.mark.parametrize("colors", ["random", "close hues", "dark", "pastel"])
@pytest.mark.parametrize("layout", ["even", "dominant", "varied"])
def test_make_scene_families(colors, layout):
    from quantize.datasets import SCENE_COLOR_GAP, make_scene

    image, truth = make_scene((96, 128), 10, colors=colors, layout=layout, noise=0.0, random_state=3)
    assert image.shape == (96, 128, 3) and image.dtype == np.uint8 and truth.dtype == np.int32
    areas = np.bincount(truth.ravel(), minlength=10)
    assert len(areas) == 10 and areas.min() >= 0.005 * 96 * 128
    palette = np.array([image[truth == label][0] for label in range(10)], float)
    gaps = np.linalg.norm(palette[:, None] - palette[None], axis=2)[np.triu_indices(10, 1)]
    assert gaps.min() >= SCENE_COLOR_GAP - 1  # the colours are rounded to 8 bits
    if colors == "dark":
        assert palette.max() <= 130
    if colors == "pastel":
        assert palette.min() >= 120
    if layout == "dominant":
        assert areas[0] > 0.5 * truth.size
    again, _ = make_scene((96, 128), 10, colors=colors, layout=layout, noise=0.0, random_state=3)
    assert np.array_equal(image, again)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"colors": "neon"}, "colors='neon'"),
        ({"layout": "grid"}, "layout='grid'"),
        ({"n_regions": 13}, "n_regions=13"),
        ({"shape": (8, 40)}, "height=8"),
        ({"noise": -1.0}, "noise=-1"),
    ],
)
def test_make_scene_bad_arguments(options, message):
    from quantize.datasets import make_scene

    with pytest.raises(InvalidParameterError, match=message):
        make_scene(**options)


@pytest.mark.slow
def test_make_scene_colours_that_do_not_fit():
    from quantize.datasets import _distinct_colors

    with pytest.raises(InvalidParameterError, match="cannot draw 3 colours 100 apart"):
        _distinct_colors(np.random.default_rng(0), 3, 100.0, lambda rng: rng.uniform(0, 10, 3))
