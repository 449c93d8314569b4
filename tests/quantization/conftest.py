import pytest

from quantize.color.histogram import ColorHistogram
from quantize.color.spaces import to_space
from quantize.quantization.levels import Levels


@pytest.fixture
def levels(photo):
    """The shared photo's colours in CIELAB at the search's resolutions."""
    hist = ColorHistogram(photo.reshape(-1, 3))
    return Levels(to_space(hist.colors, "lab"), hist.counts, hist.colors)
