"""The settings of a batch, validated once: :class:`BatchSettings` (the folder, the
outputs and the pool), beside each image's :class:`~quantize.QuantizeSettings`."""

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._validation import SettingsMixin, check_int, settings_for_call
from ..files.read import DEFAULT_MAX_PIXELS
from ..quantization.settings import QuantizeSettings, check_palette
from ..segmentation.settings import MAX_SEGMENTS


@dataclass(frozen=True)
class BatchSettings(SettingsMixin):
    """How :func:`quantize.batch.quantize_folder` treats a folder; the fields are
    documented there.  ``jobs`` None means the number of cores."""

    recursive: bool = False
    include: tuple = ()
    exclude: tuple = ()
    jobs: int | None = None
    skip_existing: bool = False
    skip_if_larger: bool = False
    overwrite: bool = False
    suffix: str = ""
    shared_palette: bool = False
    palette: np.ndarray | None = field(default=None, compare=False)
    segment: bool = False
    n_segments: int = 4
    thumbnails: bool = False
    html_report: Path | None = None
    max_pixels: int | None = DEFAULT_MAX_PIXELS

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        put("include", tuple(self.include))
        put("exclude", tuple(self.exclude))
        if self.palette is not None:
            put("palette", check_palette(self.palette))
        put("jobs", check_int(self.jobs if self.jobs is not None else os.cpu_count() or 1, "jobs", low=1))
        put("n_segments", check_int(self.n_segments, "n_segments", low=1, high=MAX_SEGMENTS))
        if self.max_pixels is not None:
            put("max_pixels", check_int(self.max_pixels, "max_pixels", low=1))
        if self.html_report is not None:
            put("html_report", Path(self.html_report))
            put("thumbnails", True)  # the page shows them


#: A batch's seed when none is given: 0, not a fresh one (the manifest records it either way).
BATCH_SEED = 0


def batch_settings(settings, batch, arguments):
    """The (QuantizeSettings, BatchSettings) of a call of ``quantize_folder``, from its
    ``arguments`` by name: ``settings`` and ``batch`` (or the defaults) with the
    keywords of each that differ from their defaults replacing their fields;
    ``random_state`` is :data:`BATCH_SEED` unless given or in ``settings``."""
    seed = arguments["random_state"]
    image = settings_for_call(QuantizeSettings, settings, {**arguments, "random_state": None})
    if settings is None or seed != BATCH_SEED:
        image = image.replace(random_state=seed)
    return image, settings_for_call(BatchSettings, batch, arguments)
