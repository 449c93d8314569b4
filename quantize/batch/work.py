"""What a worker process does with one file: quantise it (and segment it) and return
its outcome, or compute its colour histogram for a shared palette.  Every failure
becomes an outcome with its reason: a bad file never sinks the batch."""

import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputFileError, OutputError, QuantizeError
from ..files.encode import output_format
from ..files.read import DEFAULT_MAX_PIXELS
from ..files.remote import RemotePath, load_image_at
from ..files.results import encode, save, save_segments
from ..files.write import check_output_path, make_folder
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
            remote = isinstance(task.output, RemotePath)
            earlier = task.outputs_are_ours and task.output.exists()  # a retried task's first attempt
            if remote or earlier:
                if not task.overwrite and task.output.exists() and not earlier:
                    raise OutputError("file exists (use --force to overwrite it)", task.output)
            else:
                check_output_path(task.output, overwrite=task.overwrite, protect=task.input)
            if task.palette is None:
                result = quantize_image(loaded, settings=s)
            else:
                result = apply_palette(loaded, task.palette, colorspace=s.colorspace, dither=s.dither,
                                       dither_strength=s.dither_strength, ssim=s.ssim)
            if remote or earlier:  # remote: one PUT of the finished file
                encoded = encode(result, output_format(task.output), name=str(task.output))
                if not earlier:
                    task.output.write_bytes(encoded.data, overwrite=task.overwrite)
                elif task.output.read_bytes() != encoded.data:
                    raise OutputError("file exists (written by something else during the batch)", task.output)
                report = result.report = encoded.report
            else:
                make_folder(task.output.parent)
                report = save(result, task.output, overwrite=task.overwrite)
            report.input = str(task.input)  # a URL stays a URL
            if task.segment_dir is not None:
                from ..segmentation import segment_image  # scipy and skimage: only when asked

                segments = segment_image(loaded, task.n_segments, colorspace=s.colorspace, effort=s.effort,
                                         random_state=s.random_state)
                _save_segments(segments, task.segment_dir, task.overwrite or task.outputs_are_ours)
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


def _save_segments(segments, folder, overwrite):
    """save_segments into a local folder or, file by file (one PUT each), into a
    remote one."""
    if not isinstance(folder, RemotePath):
        save_segments(segments, folder, overwrite=overwrite)
        return
    if not overwrite:
        for name in segments.file_names():
            if (folder / name).exists():
                raise OutputError("file exists (use --force to overwrite it)", folder / name)
    with tempfile.TemporaryDirectory(prefix="quantize-segments-") as local:
        save_segments(segments, local, overwrite=True)
        for name in segments.file_names():
            (folder / name).write_bytes((Path(local) / name).read_bytes(), overwrite=True)


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
