"""Whole folders: :func:`quantize_folder` (:mod:`.folder`) finds the images
(``quantize.files.discover``), quantises them on local worker processes
(:mod:`.runner`) or a Dask cluster (:mod:`.cluster`), both behind :mod:`.pool`, each
file by :mod:`.work`, and records every outcome (:mod:`.report`, :mod:`.html`; written
by ``quantize.files.manifest``); :class:`BatchSettings` (:mod:`.settings`) holds its
options."""

from ..files.discover import find_images, plan_outputs
from .folder import quantize_folder
from .report import STATUSES, BatchReport, FileOutcome, Status
from .settings import BatchSettings

__all__ = [
    "STATUSES",
    "BatchReport",
    "BatchSettings",
    "FileOutcome",
    "Status",
    "find_images",
    "plan_outputs",
    "quantize_folder",
]
