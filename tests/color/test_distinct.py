import numpy as np
import pytest

from quantize.color.difference import ciede2000
from quantize.color.distinct import MAX_DISTINCT, contrasting_ink, distinct_colors
from quantize.color.spaces import srgb_to_lab
from quantize.errors import InvalidParameterError


def test_distinct_colors_are_far_apart_and_stable():
    table = distinct_colors(MAX_DISTINCT)
    assert table.shape == (MAX_DISTINCT, 3) and table.dtype == np.uint8
    assert len(np.unique(table, axis=0)) == MAX_DISTINCT
    for n in (4, 8, 16):
        colors = distinct_colors(n)
        assert np.array_equal(colors, table[:n])  # a cluster keeps its colour when k grows
        lab = srgb_to_lab(colors)
        i, j = np.triu_indices(n, 1)
        assert ciede2000(lab[i], lab[j]).min() > {4: 50, 8: 30, 16: 20}[n]
    assert distinct_colors(0).shape == (0, 3)


@pytest.mark.parametrize("n", [-1, MAX_DISTINCT + 1, 2.5])
def test_distinct_colors_bad_counts(n):
    with pytest.raises(InvalidParameterError, match="n="):
        distinct_colors(n)


def test_distinct_colors_are_copies():
    colors = distinct_colors(3)
    colors[:] = 0
    assert distinct_colors(3).any()


@pytest.mark.parametrize(
    "color, ink",
    [
        ((255, 255, 0), 0),
        ((250, 220, 20), 0),
        ((0, 0, 255), 255),
        ((128, 128, 128), 0),
        ((90, 90, 90), 255),
        ((0, 0, 0), 255),
    ],
)
def test_contrasting_ink_is_black_or_white_whichever_contrasts_more(color, ink):
    assert contrasting_ink(np.array([color], np.uint8)).tolist() == [[ink] * 3]
