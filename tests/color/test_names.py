import numpy as np
import pytest

from quantize.color.difference import ciede2000
from quantize.color.names import color_names, color_table
from quantize.color.spaces import srgb_to_lab
from quantize.errors import InvalidParameterError


def test_the_table_is_the_xkcd_survey():
    names, colors = color_table()
    assert len(names) == len(set(names)) == len(colors) == 949
    assert colors.dtype == np.uint8 and colors.shape == (949, 3)
    assert dict(zip(names, map(tuple, colors.tolist())))["dark brown"] == (0x34, 0x1C, 0x02)


@pytest.mark.parametrize(
    "color, name",
    [((0x3E, 0x28, 0x1A), "dark brown"), ((255, 255, 255), "white"), ((0, 0, 0), "black"), ((255, 255, 20), "yellow")],
)
def test_nearest_names(color, name):
    assert color_names(np.array([color], np.uint8)) == [name]


def test_nearest_is_by_ciede2000():
    rng = np.random.default_rng(0)
    colors = rng.integers(0, 256, (20, 3)).astype(np.uint8)
    names, table = color_table()
    lab, table_lab = srgb_to_lab(colors), srgb_to_lab(table)
    for color, name in zip(lab, color_names(colors)):
        differences = ciede2000(np.broadcast_to(color, table_lab.shape), table_lab)
        assert names[int(differences.argmin())] == name


def test_distinct_names_for_a_palette():
    greys = np.array([[v, v, v] for v in range(100, 140, 4)], np.uint8)  # ten near greys
    plain, distinct = color_names(greys), color_names(greys, distinct=True)
    assert len(set(plain)) < len(plain) and len(set(distinct)) == len(distinct)
    names, table = color_table()
    index = {n: i for i, n in enumerate(names)}
    lab = srgb_to_lab(greys)
    far = ciede2000(lab, srgb_to_lab(table[[index[n] for n in distinct]]))
    near = ciede2000(lab, srgb_to_lab(table[[index[n] for n in plain]]))
    assert (far >= near - 1e-9).all() and far.max() < 20  # still greys
    assert color_names(greys[:1], distinct=True) == plain[:1]


def test_too_many_colours_for_distinct_names():
    with pytest.raises(InvalidParameterError, match="950 colours cannot have distinct names: there are 949"):
        color_names(np.zeros((950, 3), np.uint8), distinct=True)
