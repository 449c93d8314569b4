import numpy as np
import pytest

from quantize import InvalidParameterError
from quantize.datasets import make_regions
from quantize.quantization.choose_k import COLUMNS, knee, suggest_k


@pytest.mark.parametrize("colorspace", ["lab", "rgb"])
@pytest.mark.parametrize("m", range(3, 9))
def test_elbow_and_silhouette_find_the_number_of_blobs(m, colorspace):
    """make_regions' colours are far apart in CIELAB and sRGB.  (In DIN99o, which
    stretches near-greys as CIEDE2000 does, the grey background's noise counts more:
    from m = 6 the elbow is m + 1 and the silhouette m - 1.)"""
    image, _ = make_regions((96, 128), m, noise=4.0, blur=0.0, random_state=m)
    suggestion = suggest_k(image, k_min=2, k_max=10, random_state=0, colorspace=colorspace)
    assert suggestion.elbow == m
    assert suggestion.best_silhouette == m


def test_table_columns_and_monotone_quality(photo):
    suggestion = suggest_k(photo, k_min=2, k_max=12, random_state=1)
    table = suggestion.table
    assert list(table) == list(COLUMNS) and table["k"].tolist() == list(range(2, 13))
    assert (np.diff(table["inertia"]) < 0).all() and (np.diff(table["psnr"]) > 0).all()
    assert ((-1 <= table["silhouette"]) & (table["silhouette"] <= 1)).all() and (table["davies_bouldin"] > 0).all()
    data = suggestion.to_dict()
    assert [row["k"] for row in data["table"]] == list(range(2, 13))
    assert data["elbow"] == suggestion.elbow and "<- elbow" in suggestion.to_text()
    again = suggest_k(photo, k_min=5, k_max=7, random_state=1)  # a row does not depend on the range
    np.testing.assert_allclose(again.table["inertia"], table["inertia"][3:6])


@pytest.mark.slow
@pytest.mark.parametrize(
    "options", [{}, {"colorspace": "rgb", "effort": "fast"}, {"init": "k-means++", "effort": "thorough"}]
)
def test_rows_are_what_compress_gives(photo, options):
    """The row for k is the result of asking for k colours with the same options:
    the same PSNR and mean CIEDE2000, to the last bit."""
    from quantize import quantize_image

    suggestion = suggest_k(photo, k_min=2, k_max=14, random_state=2, **options)
    for k, psnr, delta_e in zip(suggestion.table["k"], suggestion.table["psnr"], suggestion.table["delta_e"]):
        report = quantize_image(photo, int(k), random_state=2, **options).report
        assert (psnr, delta_e) == (report.psnr, report.delta_e)


def test_elbow_can_recommend_two_regions():
    image, _ = make_regions((96, 128), 2, noise=6.0, blur=0.0, random_state=1)
    suggestion = suggest_k(image, k_min=2, k_max=10, random_state=0)
    assert suggestion.elbow == 2
    assert knee([2, 3, 4, 5], [1.0, 0.9, 0.8, 0.7], reference=(1, 10.0)) == 2
    assert knee([2, 3, 4, 5], [1.0, 0.9, 0.8, 0.7]) == 2  # without the reference: the first x, never a knee


def test_progress_is_reported_per_k(photo):
    calls = []
    suggest_k(photo, k_min=3, k_max=6, random_state=0, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]


def test_knee():
    x = np.arange(1, 11)
    # scaled: 1 - y = 0, .521, .833, .938, .948 ...; x = 0, .111, .222, .333, .444 ...
    # differences 0, .410, .611, .604, .504 ...: the knee is at x = 3
    assert knee(x, [100, 50, 20, 10, 9, 8, 7, 6, 5, 4]) == 3
    assert knee(x, np.ones(10)) == 1  # flat: no knee, the first x
    assert knee([1, 2], [5, 1]) == 1


def test_bad_ranges(photo):
    with pytest.raises(InvalidParameterError, match="k_min=1"):
        suggest_k(photo, k_min=1)
    with pytest.raises(InvalidParameterError, match="k_max=3"):
        suggest_k(photo, k_min=5, k_max=3)
    two = np.zeros((8, 8, 3), np.uint8)
    two[:4] = 255
    with pytest.raises(InvalidParameterError, match="2 distinct colours: no k in 3..5"):
        suggest_k(two, k_min=3, k_max=5)
    with pytest.raises(InvalidParameterError, match="colorspace='hsv'"):
        suggest_k(photo, colorspace="hsv")


def test_recommends_the_fewest_colours_under_the_delta_e(photo):
    suggestion = suggest_k(photo, k_min=2, k_max=24, random_state=0, max_delta_e=4.0)
    delta_e = suggestion.table["delta_e"]
    first = int(np.flatnonzero(delta_e <= 4.0)[0])
    assert suggestion.under_delta_e == suggestion.recommended == suggestion.table["k"][first]
    assert first == 0 or delta_e[first - 1] > 4.0
    assert suggestion.delta_e_knee == knee(suggestion.table["k"], delta_e)
    data = suggestion.to_dict()
    assert (data["recommended"], data["under_delta_e"], data["max_delta_e"]) == (
        suggestion.recommended,
        suggestion.recommended,
        4.0,
    )
    assert "<- recommended" in suggestion.to_text() and "the fewest colours with mean ΔE00 <= 4" in suggestion.to_text()


def test_without_a_k_under_the_delta_e_the_knee_is_recommended(photo):
    suggestion = suggest_k(photo, k_min=2, k_max=6, random_state=0)  # 6 colours: far above ΔE00 1
    assert suggestion.max_delta_e == 1.0 and suggestion.table["delta_e"].min() > 1.0
    assert suggestion.under_delta_e is None and suggestion.recommended == suggestion.delta_e_knee
    assert 2 < suggestion.recommended <= 6
    assert "no k up to 6 has mean ΔE00 <= 1" in suggestion.to_text()
    assert suggestion.to_dict()["under_delta_e"] is None


def test_the_silhouette_is_information_not_the_recommendation(photo):
    """On colour data the silhouette peaks at the smallest k; the recommendation does not."""
    suggestion = suggest_k(photo, k_min=2, k_max=16, random_state=0)
    assert suggestion.best_silhouette == 2 and suggestion.recommended > 2


def test_bad_max_delta_e(photo):
    with pytest.raises(InvalidParameterError, match="max_delta_e=-1"):
        suggest_k(photo, k_max=4, max_delta_e=-1.0)
