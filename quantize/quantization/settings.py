"""The settings of a quantisation, validated once: :class:`QuantizeSettings`, and the
checks of the other inputs of the public functions (palettes, histograms)."""

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .._validation import RandomState, SettingsMixin, check_choice, check_float, check_int, check_random_state
from ..cluster.kmeans import ALGORITHMS, INITS
from ..color.spaces import CLUSTER_SPACES, DEFAULT_SPACE
from ..errors import InvalidParameterError
from .dither import METHODS as DITHER_METHODS
from .search import DEFAULT_EFFORT, EFFORTS, Search

#: The mean CIEDE2000 that suggest-k's recommended palette stays under by default: 1 is
#: the formula's just-noticeable difference between two flat colours side by side.
JND_DELTA_E = 1.0

#: PNG-8 and GIF hold 256 palette entries, transparency included.
MAX_PALETTE = 256


def check_dither(dither, dither_strength):
    """Validate the dithering options; the strength as a float in [0, 1]."""
    check_choice(dither, "dither", DITHER_METHODS)
    dither_strength = check_float(dither_strength, "dither_strength", low=0.0)
    if dither_strength > 1:
        raise InvalidParameterError(f"dither_strength={dither_strength!r} must be in [0, 1]")
    return dither_strength


def check_histogram(histogram):
    """A (colors, counts) pair as (n, 3) uint8 and (n,) int64: colours integers in
    0..255, counts non-negative integers, one per colour."""
    try:
        colors, counts = histogram
        colors, counts = np.asarray(colors), np.asarray(counts)
    except (TypeError, ValueError) as e:
        raise InvalidParameterError(f"a histogram is a (colors, counts) pair: {e}") from e
    if colors.ndim != 2 or colors.shape[1] != 3 or counts.shape != (len(colors),):
        raise InvalidParameterError(
            f"a histogram's colors are (n, 3) and its counts (n,); got {colors.shape} and {counts.shape}"
        )
    for values, name, high in ((colors, "colors", 255), (counts, "counts", None)):
        if (
            len(values)
            and not np.issubdtype(values.dtype, np.integer)
            or (len(values) and (values.min() < 0 or (high is not None and values.max() > high)))
        ):
            bounds = "integers in 0..255" if high else "non-negative integers"
            raise InvalidParameterError(f"a histogram's {name} must be {bounds}")
    return colors.astype(np.uint8), counts.astype(np.int64)


def check_palette(palette: ArrayLike) -> np.ndarray:
    """Validate an RGB palette and return it as (n, 3) uint8, 1 <= n <= 256."""
    palette = np.asarray(palette)
    if palette.ndim != 2 or palette.shape[1] != 3 or not 1 <= len(palette) <= MAX_PALETTE:
        raise InvalidParameterError(f"palette must be an (n, 3) array with 1 <= n <= {MAX_PALETTE}")
    if palette.dtype != np.uint8:
        if not np.issubdtype(palette.dtype, np.integer) or palette.min() < 0 or palette.max() > 255:
            raise InvalidParameterError("palette values must be integers in 0..255")
        palette = palette.astype(np.uint8)
    return palette


def check_search(algorithm, init, effort):
    """Validate the options of the palette search (every public entry point calls it)."""
    check_choice(algorithm, "algorithm", ALGORITHMS)
    check_choice(init, "init", INITS)
    check_choice(effort, "effort", EFFORTS)


@dataclass(frozen=True)
class QuantizeSettings(SettingsMixin):
    """Every option of :func:`quantize.quantize_image` but the image, checked when the
    object is made (a bad value raises InvalidParameterError there, once, not per image).

    Build it with keywords, change it with :meth:`replace`; the public functions take it
    as ``settings=`` or take its fields as keywords (as black's ``Mode``).  The fields
    are documented in :func:`quantize.quantize_image`.
    """

    n_colors: int = 16
    algorithm: str = "lloyd"
    init: str = "wu"
    effort: str = DEFAULT_EFFORT
    random_state: RandomState = None
    quality: float | None = None
    max_delta_e: float | None = None
    colorspace: str = DEFAULT_SPACE
    dither: str = "none"
    dither_strength: float = 1.0
    lock: np.ndarray | None = field(default=None, compare=False)
    ssim: bool = False

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        put("n_colors", check_int(self.n_colors, "n_colors", low=1))
        check_search(self.algorithm, self.init, self.effort)
        for name in ("quality", "max_delta_e"):
            if getattr(self, name) is not None:
                put(name, check_float(getattr(self, name), name, low=0.0))
        check_choice(self.colorspace, "colorspace", CLUSTER_SPACES)
        if self.lock is not None:
            lock = check_palette(self.lock)
            if len(lock) > self.n_colors or len(np.unique(lock, axis=0)) < len(lock):
                raise InvalidParameterError(f"lock must hold at most n_colors={self.n_colors} distinct colours")
            if self.targeted:
                raise InvalidParameterError("lock cannot be combined with a quality target")
            put("lock", lock)
        put("dither_strength", check_dither(self.dither, self.dither_strength))
        if not isinstance(self.random_state, np.random.Generator):
            check_random_state(self.random_state)
        put("ssim", bool(self.ssim))

    @property
    def search(self):
        """The palette search these settings ask for."""
        return Search(self.init, self.algorithm, self.effort)

    @property
    def targeted(self):
        """Whether a quality target (``quality`` or ``max_delta_e``) chooses the colours."""
        return self.quality is not None or self.max_delta_e is not None
