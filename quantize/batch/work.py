"""What a worker process does with one file: quantise it (and segment it) and return
its outcome, or compute its colour histogram for a shared palette.  Every failure
becomes an outcome with its reason: a bad file never sinks the batch."""

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputFileError, OutputError, QuantizeError
from ..files.read import DEFAULT_MAX_PIXELS
from ..files.remote import RemotePath, load_image_at
from ..files.results import check_output_at, save_at, save_segments_at
from ..quantization.api import apply_palette, color_histogram, quantize_image
from ..quantization.settings import QuantizeSettings
from .pictures import pictures
from .report import FileOutcome, Status


@dataclass
class Task:
    """One file's work, sent to a worker process."""

    input: Path | RemotePath
    output: Path | RemotePath
    settings: QuantizeSettings
    overwrite: bool = False
    palette: np.ndarray | None = None
    segment_dir: Path | RemotePath | None = None
    n_segments: int = 4
    thumbnails: bool = False
    #: The output (and segments folder) did not exist when the batch began, so one
    #: found now was left by an earlier attempt of this task (a retried task).
    outputs_are_ours: bool = False
    max_pixels: int | None = DEFAULT_MAX_PIXELS
    skip_if_larger: bool = False


def failed(task, reason):
    """The outcome of a task that failed, with its reason."""
    return FileOutcome(str(task.input), str(task.output), Status.FAILED, reason)


def not_run(task, reason):
    """The outcome of a task that was not run (the batch was stopped), with the reason."""
    return FileOutcome(str(task.input), str(task.output), Status.NOT_RUN, reason)


def quantize_file(task):
    """Worker: quantise one file; every failure becomes an outcome with its reason."""
    s = task.settings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the report's notes say what matters
            loaded = load_image_at(task.input, max_pixels=task.max_pixels)
            earlier = check_output_at(
                task.output, overwrite=task.overwrite, protect=task.input, ours=task.outputs_are_ours
            )
            if task.palette is None:
                result = quantize_image(loaded, settings=s)
            else:
                result = apply_palette(
                    loaded,
                    task.palette,
                    colorspace=s.colorspace,
                    dither=s.dither,
                    dither_strength=s.dither_strength,
                    ssim=s.ssim,
                )
            report = save_at(
                result, task.output, overwrite=task.overwrite, earlier=earlier, skip_if_larger=task.skip_if_larger
            )
            report.input = str(task.input)  # a URL stays a URL
            if report.output is None:  # not smaller than the input: nothing written, nor segmented
                why = report.notes[-1]
                if task.output.exists():  # only a file that is written replaces it
                    why += f"; {task.output} is an earlier file, left as it was"
                return FileOutcome(str(task.input), str(task.output), Status.SKIPPED, why, report.to_dict())
            if task.segment_dir is not None:
                from ..segmentation import segment_image  # scipy and skimage: only when asked

                segments = segment_image(
                    loaded, task.n_segments, colorspace=s.colorspace, effort=s.effort, random_state=s.random_state
                )
                save_segments_at(segments, task.segment_dir, overwrite=task.overwrite or task.outputs_are_ours)
        shown = pictures(loaded.pixels, result.image, result.palette) if task.thumbnails else None
        return FileOutcome(str(task.input), str(task.output), Status.DONE, None, report.to_dict(), shown)
    except InputFileError as e:
        return failed(task, e.reason)
    except OutputError as e:  # naming the output: the outcome already names the input
        return failed(task, str(e))
    except QuantizeError as e:
        return failed(task, str(e))
    except MemoryError:
        return failed(task, "not enough memory to process this image")
    except Exception as e:  # a bug must not sink the batch: record it and go on
        return failed(task, f"unexpected error: {type(e).__name__}: {e}")


def histogram_file(task):
    """Worker: the colour histogram of one file, or the reason it cannot be read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the decoders' warnings are the image's notes
            return color_histogram(load_image_at(task.input, max_pixels=task.max_pixels))
    except InputFileError as e:
        return e.reason
    except MemoryError:
        return "not enough memory to process this image"
    except Exception as e:  # a bug must not sink the batch: record it and go on
        return f"unexpected error: {type(e).__name__}: {e}"
