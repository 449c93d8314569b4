"""Whole folders: find the images, quantise them on worker processes, record every outcome.

Each file's outcome (done, skipped, failed with its reason, or not run because the
batch was interrupted) is recorded in a :class:`BatchReport`, which also gives the exit
code, as black's ``Report`` does.  Outputs are written atomically by the workers, so
an interrupted batch leaves finished files and no partial ones; re-running with
``skip_existing`` resumes it.  Discovery (:mod:`.discover`), the pool
(:mod:`.runner`), the workers' task (:mod:`.work`), the ledger (:mod:`.report`) and
its files (:mod:`.manifest`, :mod:`.html`) each have their module.
"""

import secrets
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .._validation import RandomState, check_int
from ..color.spaces import DEFAULT_SPACE
from ..errors import InvalidParameterError
from ..files.discover import batch_folders, check_report_path, existing, find_images, plan_outputs
from ..files.manifest import earlier_reports, write_records
from ..files.read import DEFAULT_MAX_PIXELS
from ..files.remote import RemotePath
from ..files.write import leftover_parts
from ..quantization.api import fit_shared_palette
from ..quantization.search import DEFAULT_EFFORT
from ..quantization.settings import MAX_PALETTE, QuantizeSettings
from .html import render
from .pool import ClusterPool, LocalPool
from .report import BatchReport, FileOutcome, Status, now
from .runner import NotRun, WorkerDied
from .settings import BATCH_SEED, BatchSettings, batch_settings
from .work import Task, failed, not_run, quantize_file


def quantize_folder(
    input_dir: str | Path | RemotePath,
    output_dir: str | Path | RemotePath | None = None,
    *,
    settings: QuantizeSettings | None = None,
    batch: BatchSettings | None = None,
    n_colors: int = 16,
    algorithm: str = "lloyd",
    init: str = "wu",
    effort: str = DEFAULT_EFFORT,
    random_state: RandomState = BATCH_SEED,
    quality: float | None = None,
    max_delta_e: float | None = None,
    colorspace: str = DEFAULT_SPACE,
    dither: str = "none",
    dither_strength: float = 1.0,
    lock: np.ndarray | Sequence | None = None,
    ssim: bool = False,
    recursive: bool = False,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    jobs: int | None = None,
    skip_existing: bool = False,
    skip_if_larger: bool = False,
    overwrite: bool = False,
    suffix: str = "",
    shared_palette: bool = False,
    palette: np.ndarray | Sequence | None = None,
    segment: bool = False,
    n_segments: int = 4,
    thumbnails: bool = False,
    html_report: str | Path | None = None,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    progress: Callable[[FileOutcome | None, int, int], None] | None = None,
    client: object = None,
) -> BatchReport:
    """Quantise every image of a folder into an output folder, and record what happened.

    Parameters
    ----------
    input_dir : str, Path or RemotePath
        A local folder, or an fsspec URL (``s3://bucket/prefix``, ``gs://...``,
        ``memory://...``) when fsspec and the store's package are installed.
    output_dir : str, Path or RemotePath, optional
        Default: ``<input_dir>-quantized`` beside the input folder.  It may be the
        input folder or inside it only with a non-empty ``suffix``.  On an object
        store each output is one PUT of the finished file.
    settings : QuantizeSettings, optional, keyword-only
        Each image's settings (the options from ``n_colors`` to ``ssim``).
    batch : BatchSettings, optional, keyword-only
        The folder's settings (the options from ``recursive`` on).  Keywords given
        beside either with another value than their default replace its fields.
    n_colors, algorithm, init, effort, quality, max_delta_e, colorspace, dither, dither_strength, lock, ssim
        As in :func:`quantize.quantize_image`, per image (with a target, n_colors is
        the most colours allowed; an image that cannot meet it fails with the reason).
        ``colorspace``, ``dither`` and ``dither_strength`` also apply to a shared or
        given palette, and ``colorspace`` to the segmentations.  ``random_state`` is
        an int used for every image (default 0; None draws one); the manifest
        records it.  All are checked before any file is read.
    max_pixels : int or None
        Decompression-bomb limit of each image read (None: no limit).
    recursive : bool
        Also process subfolders; the tree is mirrored in ``output_dir``.
    include, exclude : sequences of glob patterns
    jobs : int, optional
        Worker processes (default: the number of cores); 1 runs in this process.
    skip_existing : bool
        Leave inputs whose output exists alone (to resume an interrupted batch).
    skip_if_larger : bool
        Write nothing for an image whose output would not be smaller than its file;
        it is recorded as skipped, with both sizes.
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
    progress : callable, optional, keyword-only
        Called as ``progress(outcome, finished, total)`` once the files are found (``outcome``
        None) and after each file.
    client : distributed.Client, optional, keyword-only
        Process the files as Dask futures on this client's cluster instead of local
        worker processes (``jobs`` is then ignored); see :mod:`quantize.batch.cluster`.
        Outputs and manifest are the same as a local run's.

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
    InvalidParameterError
        A setting out of its domain.
    InputFileError
        ``input_dir`` is not a folder.
    OutputError
        ``html_report`` would replace a file of the input folder, an output or a
        manifest, or exists without ``overwrite``; ``output_dir`` holds a
        manifest.json that quantize did not write.
    """
    started, clock = now(), time.perf_counter()
    s, b = batch_settings(settings, batch, locals())  # the keywords of the signature
    in_dir, out_dir = batch_folders(input_dir, output_dir)
    check_int(s.n_colors, "n_colors", low=1, high=MAX_PALETTE)
    if s.random_state is None:  # one seed for every image, recorded in the manifest
        s = s.replace(random_state=secrets.randbits(32))
    check_int(s.random_state, "random_state", low=0)
    same = out_dir.resolve() == in_dir.resolve()
    inside = in_dir.resolve() in out_dir.resolve().parents
    if (same or inside) and not b.suffix:
        raise InvalidParameterError(
            f"output folder {out_dir} is the input folder or inside it; give the outputs a suffix"
        )
    exclude = (*b.exclude, f"*{b.suffix}.png") if same else b.exclude  # earlier outputs are not inputs
    unreadable: list[tuple[Path | RemotePath, str]] = []
    inputs = find_images(
        in_dir,
        recursive=b.recursive,
        include=b.include,
        exclude=exclude,
        skip=[out_dir] if inside else [],
        unreadable=unreadable,
    )
    outputs = plan_outputs(inputs, in_dir, out_dir, b.suffix)
    earlier = earlier_reports(out_dir, overwrite=b.overwrite)
    check_report_path(in_dir, out_dir, inputs, outputs, b.html_report, b.overwrite)
    segment_dirs = [None if not b.segment or t is None else t.with_name(f"{t.stem}-segments") for t in outputs]
    # what exists already, asked only where it matters (one request a file on a store)
    found = (
        existing([*outputs, *(segment_dirs if client is not None else [])])
        if (b.skip_existing or client is not None)
        else set()
    )
    outcomes: list[FileOutcome | None] = [None] * len(inputs)
    tasks = []
    for index, (source, target, segment_dir) in enumerate(zip(inputs, outputs, segment_dirs)):
        if target is None:
            outcomes[index] = FileOutcome(str(source), None, Status.FAILED, UNMIRRORED)
        elif b.skip_existing and target in found:
            before = earlier.get((str(source), str(target)))
            outcomes[index] = FileOutcome(
                str(source), str(target), Status.SKIPPED, "output exists", before.get("report") if before else None
            )
        else:
            # On a cluster a task whose worker died is run again: what it finds then at
            # its output, and did not find now, is its own earlier attempt's.
            ours = client is not None and not b.overwrite and target not in found and segment_dir not in found
            tasks.append(
                (
                    index,
                    Task(
                        source,
                        target,
                        s,
                        b.overwrite,
                        b.palette,
                        segment_dir,
                        b.n_segments,
                        b.thumbnails,
                        ours,
                        b.max_pixels,
                        b.skip_if_larger,
                    ),
                )
            )

    finished = sum(o is not None for o in outcomes)
    if progress is not None:
        progress(None, finished, len(inputs))

    def record(index, outcome):
        nonlocal finished
        outcomes[index] = outcome
        finished += 1
        if progress is not None:
            progress(outcome, finished, len(inputs))

    def record_outcome(position, outcome):
        index, task = tasks[position]
        if isinstance(outcome, NotRun):
            outcome = not_run(task, outcome)
        record(index, failed(task, outcome) if isinstance(outcome, WorkerDied) else outcome)

    palette = b.palette
    pool = LocalPool(b.jobs) if client is None else ClusterPool(client)
    interrupted = terminated = quantizing = False
    try:
        if b.shared_palette and palette is None and tasks:
            reasons, merged = pool.merged_histogram([t for _, t in tasks])
            for position, reason in reasons:
                index, task = tasks[position]
                record(index, not_run(task, reason) if isinstance(reason, NotRun) else failed(task, reason))
            tasks = [(i, t) for i, t in tasks if outcomes[i] is None]
            if merged is not None and len(merged[1]):
                palette = fit_shared_palette(
                    [merged],
                    s.n_colors,
                    algorithm=s.algorithm,
                    init=s.init,
                    effort=s.effort,
                    colorspace=s.colorspace,
                    random_state=s.random_state,
                )
                for _, task in tasks:
                    task.palette = palette
        quantizing = True
        for position, outcome in pool.unordered(quantize_file, [t for _, t in tasks]):
            record_outcome(position, outcome)
    except KeyboardInterrupt as e:
        interrupted, terminated = True, getattr(e, "signum", signal.SIGINT) == signal.SIGTERM
        # Wherever the interruption landed, the files in a worker's hands end and are
        # recorded as they are on disk (those whose record it cut short, too).
        finished_late = pool.finish()
        if quantizing:
            for position, outcome in finished_late:
                if outcomes[tasks[position][0]] is None:
                    record_outcome(position, outcome)
    files = [
        outcome or FileOutcome(str(source), str(target), Status.NOT_RUN, "the batch was interrupted")
        for outcome, source, target in zip(outcomes, inputs, outputs)
    ] + [FileOutcome(str(path), None, Status.SKIPPED, reason) for path, reason in unreadable]
    folders = (
        [] if isinstance(out_dir, RemotePath) else sorted({out_dir, *(o.parent for o in outputs if o is not None)})
    )
    report = BatchReport(
        str(in_dir),
        str(out_dir),
        _parameters(s, b, exclude, palette is not None),
        files,
        started,
        now(),
        time.perf_counter() - clock,
        interrupted,
        None if palette is None else np.asarray(palette).tolist(),
        terminated,
        [p for folder in folders for p in leftover_parts(folder)],
    )
    report.html_report = None if b.html_report is None else str(b.html_report)
    write_records(
        out_dir,
        report.write_errors,
        manifest=report.to_manifest,
        table=report.to_csv,
        html_report=b.html_report,
        html=lambda: render(report),
        overwrite=b.overwrite,
    )
    return report


#: Why an object has no output in a local folder.
UNMIRRORED = "its key has an empty, '.' or '..' part: no local path mirrors it (write to an object store instead)"


def _parameters(s, b, exclude, has_palette):
    """The manifest's record of the settings."""
    return {
        "n_colors": s.n_colors,
        "algorithm": s.algorithm,
        "init": s.init,
        "effort": s.effort,
        "seed": s.random_state,
        "max_pixels": b.max_pixels,
        "n_segments": b.n_segments,
        "quality": s.quality,
        "max_delta_e": s.max_delta_e,
        "colorspace": s.colorspace,
        "dither": s.dither,
        "dither_strength": s.dither_strength,
        "ssim": s.ssim,
        "recursive": b.recursive,
        "include": list(b.include),
        "exclude": list(exclude),
        "jobs": b.jobs,
        "skip_existing": b.skip_existing,
        "skip_if_larger": b.skip_if_larger,
        "overwrite": b.overwrite,
        "suffix": b.suffix,
        "shared_palette": b.shared_palette,
        "given_palette": has_palette and not b.shared_palette,
        "segment": b.segment,
    }
