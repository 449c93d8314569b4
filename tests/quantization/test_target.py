import pytest

from quantize import TargetNotMetError
from quantize.quantization.api import quantize_image


@pytest.mark.parametrize("target", [{"quality": 30.0}, {"max_delta_e": 3.0}])
def test_quality_search_reports_each_fit_and_ends_complete(photo, target):
    seen = []
    result = quantize_image(photo, 128, random_state=0, progress=lambda done, most: seen.append((done, most)), **target)
    most = seen[0][1]
    assert all(m == most for _, m in seen) and seen[-1] == (most, most)
    assert [d for d, _ in seen[:-1]] == sorted(d for d, _ in seen[:-1]) and seen[-2][0] < most
    fits = int(next(n for n in result.report.notes if "fits)" in n).split(" fits)")[0].rsplit(" ", 1)[1])
    assert len(seen) == fits + 1  # one call per fit, and the last


def test_quality_search_that_misses_also_ends_complete(photo):
    seen = []
    with pytest.raises(TargetNotMetError):
        quantize_image(photo, 4, quality=60.0, random_state=0, progress=lambda done, most: seen.append((done, most)))
    assert seen and seen[-1][0] == seen[-1][1]


def test_no_target_no_progress(photo):
    seen = []
    quantize_image(photo, 8, random_state=0, progress=lambda *a: seen.append(a))
    assert seen == []
