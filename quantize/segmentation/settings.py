"""The settings of a segmentation, validated once: :class:`SegmentSettings`."""

from dataclasses import dataclass

import numpy as np

from .._validation import RandomState, SettingsMixin, check_choice, check_float, check_int, check_random_state
from ..color.spaces import CLUSTER_SPACES, DEFAULT_SPACE
from ..errors import InvalidParameterError
from ..quantization.search import DEFAULT_EFFORT, EFFORTS

#: Most clusters: each is a mask file, and beyond a palette's 256 colours a segmentation
#: is no longer a handful of regions a person looks at.
MAX_SEGMENTS = 256
#: Widest Gaussian smoothing, in pixels: its cost grows with sigma (8 sigma + 1 taps per
#: pixel and axis), and smoothing meant for noise (SLIC's sigma) is 1 to 5.
MAX_SIGMA = 16.0
#: The largest ``spatial``: past it position alone decides (SLIC's compactness is
#: 0.01 to 100), and larger weights overflow the float32 distances.
MAX_SPATIAL = 1e4
#: The value of ``sigma`` and ``min_region`` that lets the image decide them.
AUTO = "auto"


def _is_auto(value, name):
    """Whether ``value`` is AUTO; another string is an error naming both choices."""
    if isinstance(value, str):
        if value != AUTO:
            raise InvalidParameterError(f"{name}={value!r} must be a number or {AUTO!r}")
        return True
    return False


@dataclass(frozen=True)
class SegmentSettings(SettingsMixin):
    """Every option of :func:`quantize.segment_image` but the image, checked when the
    object is made; the fields are documented there."""

    n_segments: int = 4
    spatial: float = 0.0
    min_region: int | str = AUTO
    sigma: float | str = AUTO
    colorspace: str = DEFAULT_SPACE
    effort: str = DEFAULT_EFFORT
    random_state: RandomState = None

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        put("n_segments", check_int(self.n_segments, "n_segments", low=1, high=MAX_SEGMENTS))
        put("spatial", check_float(self.spatial, "spatial", low=0.0, high=MAX_SPATIAL))
        if not _is_auto(self.min_region, "min_region"):
            put("min_region", check_int(self.min_region, "min_region", low=0))
        if not _is_auto(self.sigma, "sigma"):
            put("sigma", check_float(self.sigma, "sigma", low=0.0))
        if not _is_auto(self.sigma, "sigma") and self.sigma > MAX_SIGMA:
            raise InvalidParameterError(
                f"sigma={self.sigma} must be <= {MAX_SIGMA:g} pixels (smooth a downscaled image for a wider blur)"
            )
        check_choice(self.colorspace, "colorspace", CLUSTER_SPACES)
        check_choice(self.effort, "effort", EFFORTS)
        if not isinstance(self.random_state, np.random.Generator):
            check_random_state(self.random_state)
