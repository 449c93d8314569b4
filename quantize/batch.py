"""Whole folders: find the images, quantise them on worker processes, record every outcome.

Each file's outcome (done, skipped, failed with its reason, or not run because the
batch was interrupted) is recorded in a :class:`BatchReport`, which also gives the exit
code, as black's ``Report`` does.  Outputs are written atomically by the workers, so
an interrupted batch leaves finished files and no partial ones; re-running with
``skip_existing`` resumes it.
"""

import base64
import concurrent.futures
import contextlib
import csv
import datetime
import fnmatch
import io as stdio
import json
import multiprocessing
import os
import secrets
import signal
import stat
import sys
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from PIL import Image

from . import io
from ._validation import check_choice, check_int
from .colorspace import CLUSTER_SPACES, DEFAULT_SPACE
from .errors import InputFileError, InvalidParameterError, OutputError, QuantizeError
from .histogram import pack_colors, unpack_colors
from .refine import DEFAULT_EFFORT, check_search
from .parallel import get_num_threads, set_num_threads
from .pipeline import (
    MAX_PALETTE, _check_dither, apply_palette, check_palette, color_histogram, fit_shared_palette, quantize_image,
)

#: Environment variables that cap the threads of numerical libraries in a worker.
_THREAD_VARIABLES = ("QUANTIZE_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
THUMBNAIL_SIZE = 192
STATUSES = ("done", "skipped", "failed", "not run")
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
#: How often a worker checks that its parent is alive, and how long it has to drop
#: the file in hand once the parent is gone (seconds).
_PARENT_POLL = 0.25
_STOP_GRACE = 2.0


def _image_extensions():
    """Extensions of every format Pillow can read."""
    return {ext for ext, name in Image.registered_extensions().items() if name in Image.OPEN}


def _sniffs_as_image(path):
    try:
        with open(path, "rb") as handle:
            return io.sniff_format(handle.read(16)) is not None
    except OSError:
        return False


def _matches(relative, patterns):
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(Path(relative).name, p) for p in patterns)


def find_images(folder, *, recursive=False, include=(), exclude=(), skip=(), unreadable=None):
    """Image files in ``folder``, sorted: those with an image extension (they are
    processed even if they turn out not to be images, and fail with a reason) and
    those whose first bytes are an image signature, whatever their name.

    ``include`` and ``exclude`` are glob patterns matched against the path relative to
    ``folder`` and against the file name.  Hidden files and folders (among them the
    ``.<name>.<random>.part`` files of interrupted writes), and the folders in
    ``skip`` (an output folder inside the input), are left out.  Entries that are not
    regular files or folders (FIFOs, devices, sockets, symbolic-link loops, broken
    links) are never read: when ``unreadable`` is a list, (path, reason) pairs are
    appended to it for those that the patterns select.
    """
    folder = Path(folder)
    skip = [Path(s).resolve() for s in skip]
    extensions = _image_extensions()
    found = []
    for path in sorted(folder.rglob("*") if recursive else folder.glob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        name = relative.as_posix()
        if (include and not _matches(name, include)) or _matches(name, exclude):
            continue
        try:
            mode = path.stat().st_mode
        except OSError as e:
            if unreadable is not None:
                unreadable.append((path, io.stat_failure(path, e)))
            continue
        if stat.S_ISDIR(mode):
            continue
        if not stat.S_ISREG(mode):
            if unreadable is not None:
                unreadable.append((path, io.not_regular(mode)))
            continue
        resolved = path.resolve()
        if any(s == resolved or s in resolved.parents for s in skip):
            continue
        if path.suffix.lower() in extensions or _sniffs_as_image(path):
            found.append(path)
    return found


def plan_outputs(inputs, input_dir, output_dir, suffix=""):
    """One distinct output path per input: ``<stem><suffix>.png`` in the mirrored folder;
    inputs of one folder that share a stem (a.jpg, a.png) keep their whole name
    (a.jpg.png, a.png.png)."""
    relatives = [Path(p).relative_to(input_dir) for p in inputs]
    stems = Counter((r.parent, r.stem.lower()) for r in relatives)
    outputs, taken = [], set()
    for r in relatives:
        name = r.stem if stems[(r.parent, r.stem.lower())] == 1 else r.name
        output = Path(output_dir) / r.parent / f"{name}{suffix}.png"
        number = 1
        while str(output).lower() in taken:  # only for names built to collide
            number += 1
            output = Path(output_dir) / r.parent / f"{name}{suffix}-{number}.png"
        taken.add(str(output).lower())
        outputs.append(output)
    return outputs


@dataclass
class FileOutcome:
    """What happened to one input file.

    ``status`` is one of :data:`STATUSES`; ``reason`` says why for every status but
    "done"; ``report`` is the quantisation report (``Report.to_dict()``) when done.
    """

    input: str
    output: str | None
    status: str
    reason: str | None = None
    report: dict | None = None
    thumbnails: tuple | None = field(default=None, repr=False)

    def to_dict(self):
        return {"input": self.input, "output": self.output, "status": self.status,
                "reason": self.reason, "report": self.report}


@dataclass
class BatchReport:
    """Every file's outcome, in input order, and the totals and exit code they give."""

    input_dir: str
    output_dir: str
    parameters: dict
    files: list
    started: str
    finished: str
    seconds: float
    interrupted: bool = False
    palette: list | None = None
    terminated: bool = False
    leftovers: list = field(default_factory=list)
    write_errors: list = field(default_factory=list)

    def count(self, status):
        return sum(f.status == status for f in self.files)

    @property
    def input_bytes(self):
        return sum(f.report["input_bytes"] or 0 for f in self.files if f.status == "done")

    @property
    def output_bytes(self):
        return sum(f.report["output_bytes"] or 0 for f in self.files if f.status == "done")

    @property
    def ratio(self):
        """Input bytes over output bytes of the files done (None if nothing was written)."""
        return self.input_bytes / self.output_bytes if self.output_bytes else None

    @property
    def exit_code(self):
        """0 when every file was done or skipped; 1 when any failed or the manifest or
        report could not be written; 130 when interrupted (Ctrl-C), 143 when
        terminated (SIGTERM)."""
        if self.interrupted:
            return 143 if self.terminated else 130
        return 1 if self.count("failed") or self.write_errors else 0

    def totals(self):
        return {
            "files": len(self.files), **{status.replace(" ", "_"): self.count(status) for status in STATUSES},
            "input_bytes": self.input_bytes, "output_bytes": self.output_bytes, "ratio": self.ratio,
            "seconds": round(self.seconds, 3), "interrupted": self.interrupted, "terminated": self.terminated,
            "leftover_parts": len(self.leftovers),
        }

    def to_manifest(self):
        """Everything in manifest.json: parameters, versions, times, totals and one entry per file."""
        return {
            "input_dir": self.input_dir,
            "output_dir": self.output_dir,
            "parameters": self.parameters,
            "versions": _versions(),
            "started": self.started,
            "finished": self.finished,
            "totals": self.totals(),
            "palette": self.palette,
            "leftover_parts": [str(p) for p in self.leftovers],
            "files": [f.to_dict() for f in self.files],
        }

    def to_csv(self):
        """manifest.csv: one row per file."""
        buffer = stdio.StringIO()
        columns = ["input", "output", "status", "reason", "width", "height", "colors_used", "psnr",
                   "ssim", "input_bytes", "output_bytes", "compression_ratio", "seconds"]
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for f in self.files:
            report = f.report or {}
            writer.writerow([f.input, f.output, f.status, f.reason or ""] + [
                "" if report.get(c) is None else report[c] for c in columns[4:]
            ])
        return buffer.getvalue()

    def summary(self):
        """The human summary the CLI prints."""
        ratio = f"{self.ratio:.2f}x" if self.ratio else "n/a"
        lines = [
            f"{self.count('done')} done, {self.count('skipped')} skipped, {self.count('failed')} failed"
            + (f", {self.count('not run')} not run (interrupted)" if self.interrupted else "")
            + f" in {self.seconds:.1f} s",
            f"{self.input_bytes:,} B in, {self.output_bytes:,} B out, overall ratio {ratio}",
        ]
        lines += [f"failed: {f.input}: {f.reason}" for f in self.files if f.status == "failed"]
        if self.leftovers:
            lines.append(f"{len(self.leftovers)} temporary .part file(s) of an earlier, killed run in the output "
                         f"folder (listed in the manifest; safe to delete), e.g. {self.leftovers[0]}")
        if not any(str(Path(self.output_dir) / "manifest.json") in e for e in self.write_errors):
            lines.append(f"manifest: {Path(self.output_dir) / 'manifest.json'}")
        return "\n".join(lines)


def _versions():
    found = {}
    for package in ("quantize", "numpy", "pillow", "scikit-image", "click"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


@dataclass
class _Task:
    """One file's work, sent to a worker process."""

    input: Path
    output: Path
    options: dict
    palette: np.ndarray | None = None
    segment_dir: Path | None = None
    thumbnails: bool = False


def _thumbnail(pixels):
    image = Image.fromarray(pixels)
    image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    buffer = stdio.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _failure(task, reason):
    return FileOutcome(str(task.input), str(task.output), "failed", reason)


def _not_run(task, reason):
    return FileOutcome(str(task.input), str(task.output), "not run", reason)


def _quantize_file(task):
    """Worker: quantise one file; every failure becomes an outcome with its reason."""
    options = task.options
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the report's notes say what matters
            loaded = io.load_image(task.input, max_pixels=options["max_pixels"])
            io.check_output_path(task.output, overwrite=options["overwrite"], protect=task.input)
            if task.palette is None:
                result = quantize_image(loaded, options["n_colors"], algorithm=options["algorithm"],
                                        init=options["init"], effort=options["effort"], random_state=options["seed"],
                                        quality=options["quality"], max_delta_e=options["max_delta_e"],
                                        colorspace=options["colorspace"], dither=options["dither"],
                                        dither_strength=options["dither_strength"], ssim=options["ssim"])
            else:
                result = apply_palette(loaded, task.palette, colorspace=options["colorspace"],
                                       dither=options["dither"], dither_strength=options["dither_strength"],
                                       ssim=options["ssim"])
            io.make_folder(task.output.parent)
            report = result.save(task.output, overwrite=options["overwrite"])
            if task.segment_dir is not None:
                from .segment import segment_image

                segments = segment_image(loaded, options["n_segments"], colorspace=options["colorspace"],
                                         effort=options["effort"], random_state=options["seed"])
                segments.save(task.segment_dir, overwrite=options["overwrite"])
        thumbnails = (_thumbnail(loaded.pixels), _thumbnail(result.image)) if task.thumbnails else None
        return FileOutcome(str(task.input), str(task.output), "done", None, report.to_dict(), thumbnails)
    except (InputFileError, OutputError) as e:
        return _failure(task, e.reason)
    except QuantizeError as e:
        return _failure(task, str(e))
    except MemoryError:
        return _failure(task, "not enough memory to process this image")
    except Exception as e:  # a bug must not sink the batch: record it and go on
        return _failure(task, f"unexpected error: {type(e).__name__}: {e}")


def _histogram_file(task):
    """Worker: the colour histogram of one file, or the reason it cannot be read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the decoders' warnings are the image's notes
            return color_histogram(task.input, max_pixels=task.options["max_pixels"])
    except InputFileError as e:
        return e.reason
    except MemoryError:
        return "not enough memory to process this image"
    except Exception as e:  # a bug must not sink the batch: record it and go on
        return f"unexpected error: {type(e).__name__}: {e}"


class _WorkerStopped(BaseException):
    """Raised in a worker by SIGTERM: the file in hand is dropped (its temporary file
    removed on the way out) and recorded as not run."""


def _stop_worker(signum, frame):
    raise _WorkerStopped()


def _watch_parent(parent):
    """A worker whose parent died (SIGKILL, say) stops: SIGTERM to itself, so the file
    in hand is dropped cleanly, then exit whatever happens."""
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(_STOP_GRACE)
    os._exit(1)


def _init_worker(threads, parent):
    # Ctrl-C is the parent's to handle: it cancels what has not started and lets each
    # worker finish (and atomically write) the file in hand.  The parent blocked
    # SIGINT and SIGTERM before starting this process, so a Ctrl-C during its start
    # waits here, and is ignored, instead of killing it with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="quantize-parent-watch").start()
    set_num_threads(threads)


def _start_quiet_resource_tracker():
    """Start multiprocessing's resource tracker with its stderr on /dev/null: when this
    process is killed outright (SIGKILL), the tracker cleans up after it and would
    otherwise print warnings about that on the user's terminal."""
    from multiprocessing import resource_tracker

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def _stop_signals_blocked():
    """SIGINT and SIGTERM held back while worker processes start (they inherit the
    mask); delivered when the block ends."""
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


@contextlib.contextmanager
def _thread_limits(threads):
    """Cap numerical libraries' threads in the worker processes started meanwhile."""
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    os.environ.update({name: str(threads) for name in _THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _WorkerDied(str):
    """The reason recorded for a file whose worker process died."""


class _NotRun(str):
    """The reason recorded for a file whose worker was stopped before it finished."""


def _unordered(function, items, jobs):
    """(index, function(item)) for every item as it finishes, on ``jobs`` processes
    (in this process when jobs is 1).  On Ctrl-C, pending items are cancelled, the
    running ones end (their outputs are atomic), and KeyboardInterrupt goes on up."""
    if jobs == 1:
        for index, item in enumerate(items):
            yield index, function(item)
        return
    threads = max(1, get_num_threads() // jobs)
    _start_quiet_resource_tracker()
    executor = concurrent.futures.ProcessPoolExecutor(
        max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker, initargs=(threads, os.getpid()),
    )
    futures, reported = {}, set()
    try:
        # Workers start during the submissions: with the stop signals blocked, and the
        # thread limits in their environment.
        with _thread_limits(threads), _stop_signals_blocked():
            futures.update((executor.submit(function, item), index) for index, item in enumerate(items))
        for future in concurrent.futures.as_completed(futures):
            reported.add(future)
            yield futures[future], _result_of(future)
    except KeyboardInterrupt:
        # Files already handed to a worker are finished and written; report them too.
        executor.shutdown(wait=True, cancel_futures=True)
        for future, index in futures.items():
            if future not in reported and future.done() and not future.cancelled():
                yield index, _result_of(future)
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _result_of(future):
    try:
        return future.result()
    except _WorkerStopped:
        return _NotRun("its worker process was stopped (SIGTERM) before it finished")
    except concurrent.futures.process.BrokenProcessPool:
        # A worker was killed (out of memory, say): this file and the others in flight
        # fail with a reason; the batch records them and goes on to its end.
        return _WorkerDied("a worker process died while on this file (out of memory?)")


def quantize_folder(
    input_dir, output_dir=None, *, n_colors=16, recursive=False, include=(), exclude=(),
    jobs=None, skip_existing=False, overwrite=False, suffix="", shared_palette=False,
    palette=None, segment=False, n_segments=4, algorithm="lloyd", init="wu", effort=DEFAULT_EFFORT,
    random_state=0, max_pixels=io.DEFAULT_MAX_PIXELS, quality=None, max_delta_e=None,
    colorspace=DEFAULT_SPACE, dither="none", dither_strength=1.0, ssim=False, thumbnails=False, html_report=None,
    progress=None,
):
    """Quantise every image of a folder into an output folder, and record what happened.

    Parameters
    ----------
    input_dir : str or Path
    output_dir : str or Path, optional
        Default: ``<input_dir>-quantized`` beside the input folder.  It may be the
        input folder or inside it only with a non-empty ``suffix``.
    n_colors, algorithm, init, effort, max_pixels, quality, max_delta_e, colorspace, dither, dither_strength, ssim
        As in :func:`quantize.quantize_image`, per image (with a target, n_colors is
        the most colours allowed; an image that cannot meet it fails with the reason).
        ``colorspace``, ``dither`` and ``dither_strength`` also apply to a shared or
        given palette, and ``colorspace`` to the segmentations.  ``random_state`` is
        an int used for every image (None draws one); the manifest records it.
    recursive : bool
        Also process subfolders; the tree is mirrored in ``output_dir``.
    include, exclude : sequences of glob patterns
    jobs : int, optional
        Worker processes (default: the number of cores); 1 runs in this process.
    skip_existing : bool
        Leave inputs whose output exists alone (to resume an interrupted batch).
    overwrite : bool
        Replace existing outputs (otherwise they fail with a reason).
    suffix : str
        Appended to each output's stem.
    shared_palette : bool
        Fit one palette on all images together (histograms merged, so each image
        weighs by its pixels) and map every image to it.
    palette : (n, 3) array of uint8, optional
        Map every image to this palette instead of fitting one.
    segment : bool
        Also write each image's segmentation (``n_segments`` clusters) into
        ``<output stem>-segments/``.
    thumbnails : bool
        Keep data-URI thumbnails of each input and output (for the HTML report).
    html_report : str or Path, optional
        Also write a self-contained HTML page of the batch there (implies
        ``thumbnails``).  It may not be a file of the input folder, an output or a
        manifest; an existing one is replaced only with ``overwrite``.
    progress : callable, optional
        Called as ``progress(outcome, finished, total)`` after each file.

    Returns
    -------
    BatchReport
        Files in input order.  manifest.json and manifest.csv are written into
        ``output_dir`` even when the batch is interrupted (then ``interrupted`` is
        true and unfinished files are "not run"); when they, or the HTML report,
        cannot be written (a full disk), ``write_errors`` says why.  Files whose
        output exists, skipped with ``skip_existing``, keep the report of the run
        that wrote them (from the manifest already in ``output_dir``).

    Raises
    ------
    InputFileError
        ``input_dir`` is not a folder.
    OutputError
        ``html_report`` would replace a file of the input folder, an output or a
        manifest, or exists without ``overwrite``; ``output_dir`` holds a
        manifest.json that quantize did not write.
    """
    started, clock = _now(), time.perf_counter()
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise InputFileError("no such folder" if not input_dir.exists() else "is not a folder", input_dir)
    output_dir = Path(output_dir) if output_dir is not None else input_dir.with_name(f"{input_dir.name}-quantized")
    n_colors = check_int(n_colors, "n_colors", low=1, high=MAX_PALETTE)
    # checked here, not once per file: a bad option fails the call, not every file
    check_search(algorithm, init, effort)
    check_choice(colorspace, "colorspace", CLUSTER_SPACES)
    dither_strength = _check_dither(dither, dither_strength)
    random_state = secrets.randbits(32) if random_state is None else check_int(random_state, "random_state", low=0)
    if palette is not None:
        palette = check_palette(palette)
    jobs = check_int(jobs if jobs is not None else os.cpu_count() or 1, "jobs", low=1)
    same = output_dir.resolve() == input_dir.resolve()
    inside = input_dir.resolve() in output_dir.resolve().parents
    if (same or inside) and not suffix:
        raise InvalidParameterError(
            f"output folder {output_dir} is the input folder or inside it; give the outputs a suffix"
        )
    if same:
        exclude = (*exclude, f"*{suffix}.png")  # earlier outputs are not inputs
    unreadable = []
    inputs = find_images(input_dir, recursive=recursive, include=include, exclude=exclude,
                         skip=[output_dir] if inside else [], unreadable=unreadable)
    outputs = plan_outputs(inputs, input_dir, output_dir, suffix)
    earlier = _earlier_reports(output_dir)
    _check_batch_outputs(input_dir, output_dir, inputs, outputs, html_report, overwrite)
    thumbnails = thumbnails or html_report is not None
    options = {"n_colors": n_colors, "algorithm": algorithm, "init": init, "effort": effort, "seed": random_state,
               "max_pixels": max_pixels, "overwrite": overwrite, "n_segments": n_segments,
               "quality": quality, "max_delta_e": max_delta_e, "colorspace": colorspace,
               "dither": dither, "dither_strength": dither_strength, "ssim": bool(ssim)}
    outcomes = [None] * len(inputs)
    tasks = []
    for index, (source, target) in enumerate(zip(inputs, outputs)):
        if skip_existing and target.exists():
            before = earlier.get((str(source), str(target)))
            outcomes[index] = FileOutcome(str(source), str(target), "skipped", "output exists",
                                          before.get("report") if before else None)
        else:
            segment_dir = target.with_name(f"{target.stem}-segments") if segment else None
            tasks.append((index, _Task(source, target, options, palette, segment_dir, thumbnails)))

    finished = sum(o is not None for o in outcomes)

    def record(index, outcome):
        nonlocal finished
        outcomes[index] = outcome
        finished += 1
        if progress is not None:
            progress(outcome, finished, len(inputs))

    interrupted = terminated = False
    try:
        if shared_palette and palette is None and tasks:
            # The images' histograms are added into one count per 24-bit colour as they
            # come (128 MB, whatever the number of images).
            counts = np.zeros(1 << 24, dtype=np.int64)
            for position, found in _unordered(_histogram_file, [t for _, t in tasks], jobs):
                index, task = tasks[position]
                if isinstance(found, _NotRun):
                    record(index, _not_run(task, found))
                elif isinstance(found, str):  # the reason it cannot be read
                    record(index, _failure(task, found))
                else:
                    np.add.at(counts, pack_colors(found[0]), found[1])
            tasks = [(i, t) for i, t in tasks if outcomes[i] is None]
            codes = np.flatnonzero(counts)
            if len(codes):
                merged = (unpack_colors(codes.astype(np.uint32), 3), counts[codes])
                palette = fit_shared_palette([merged], n_colors, algorithm=algorithm, init=init, effort=effort,
                                             colorspace=colorspace, random_state=random_state)
                for _, task in tasks:
                    task.palette = palette
        for position, outcome in _unordered(_quantize_file, [t for _, t in tasks], jobs):
            index, task = tasks[position]
            if isinstance(outcome, _NotRun):
                outcome = _not_run(task, outcome)
            record(index, _failure(task, outcome) if isinstance(outcome, _WorkerDied) else outcome)
    except KeyboardInterrupt as e:
        interrupted, terminated = True, getattr(e, "signum", signal.SIGINT) == signal.SIGTERM
    files = [
        outcome or FileOutcome(str(source), str(target), "not run", "the batch was interrupted")
        for outcome, source, target in zip(outcomes, inputs, outputs)
    ] + [FileOutcome(str(path), None, "skipped", reason) for path, reason in unreadable]
    parameters = {
        **{k: v for k, v in options.items() if k != "overwrite"}, "recursive": recursive,
        "include": list(include), "exclude": list(exclude), "jobs": jobs, "skip_existing": skip_existing,
        "overwrite": overwrite, "suffix": suffix, "shared_palette": shared_palette,
        "given_palette": palette is not None and not shared_palette, "segment": segment,
    }
    folders = sorted({output_dir, *(Path(o).parent for o in outputs)})
    report = BatchReport(
        str(input_dir), str(output_dir), parameters, files, started, _now(),
        time.perf_counter() - clock, interrupted,
        None if palette is None else np.asarray(palette).tolist(), terminated,
        [p for folder in folders if folder.is_dir() for p in io.leftover_parts(folder)],
    )
    _write_records(report, output_dir, html_report, overwrite)
    return report


def _write_records(report, output_dir, html_report, overwrite):
    """manifest.json, manifest.csv and the HTML report, each as far as the disk allows:
    a failure is recorded in ``report.write_errors`` (and the exit code), not raised,
    so that the outcome of the work done is never lost to the last write."""
    from .html_report import render

    writes = [(output_dir / "manifest.json", lambda: json.dumps(report.to_manifest(), indent=1) + "\n", True),
              (output_dir / "manifest.csv", report.to_csv, True)]
    if html_report is not None:
        writes.append((Path(html_report), lambda: render(report), overwrite))
    for path, text, replace in writes:
        try:
            io.make_folder(path.parent)
            io.save_text(path, text(), overwrite=replace)
        except OutputError as e:
            report.write_errors.append(f"{path}: {e.reason}")


def _earlier_reports(output_dir):
    """(input, output) → file entry of the manifest an earlier run left in
    ``output_dir`` (empty when there is none).

    Raises OutputError when manifest.json exists and is not a quantize manifest: it is
    someone else's file, and the batch would replace it.
    """
    path = Path(output_dir) / "manifest.json"
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_bytes())
        if not {"files", "parameters", "totals"} <= manifest.keys():
            raise KeyError("files, parameters, totals")
        return {(f["input"], f["output"]): f for f in manifest["files"] if isinstance(f, dict)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise OutputError("exists and is not a quantize batch manifest; the batch would replace it "
                          "(move it, or choose another output folder)", path) from e


def _check_batch_outputs(input_dir, output_dir, inputs, outputs, html_report, overwrite):
    """The HTML report may not be a file of the input folder, an output or a manifest."""
    if html_report is None:
        return
    html_report = Path(html_report)
    resolved = html_report.resolve()
    if html_report.exists() and input_dir.resolve() in resolved.parents and (
            output_dir.resolve() not in resolved.parents):
        raise OutputError("the HTML report would replace a file of the input folder", html_report)
    io.check_outputs(
        [(output_dir / "manifest.json", "the manifest"), (output_dir / "manifest.csv", "the manifest"),
         (html_report, "the HTML report")],
        reads=[(p, "an input image") for p in inputs] + [(p, "an output image") for p in outputs],
        overwrite=True,
    )
    io.check_output_path(html_report, overwrite=overwrite)
