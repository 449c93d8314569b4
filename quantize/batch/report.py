"""The ledger of a batch: each file's :class:`FileOutcome` and the :class:`BatchReport`
that totals them, derives the exit code (as black's ``Report``) and renders the
manifest (JSON and CSV) and the summary."""

import csv
import datetime
import enum
import io as stdio
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from .._meta import DISTRIBUTION
from .._units import human_bytes


class Status(str, enum.Enum):
    """What happened to a file; compares (and serialises) as its plain string."""

    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    NOT_RUN = "not run"

    def __str__(self):
        return self.value


STATUSES = tuple(status.value for status in Status)


@dataclass
class FileOutcome:
    """What happened to one input file.

    ``status`` is one of :data:`STATUSES`; ``reason`` says why for every status but
    "done"; ``report`` is the quantisation report (``Report.to_dict()``) when done;
    ``thumbnails`` the file's :class:`~quantize.batch.pictures.Pictures` for the HTML
    report, when asked.
    """

    input: str
    output: str | None
    status: str
    reason: str | None = None
    report: dict | None = None
    thumbnails: object = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "status": self.status,
            "reason": self.reason,
            "report": self.report,
        }


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
    html_report: str | None = None

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)

    @property
    def larger(self) -> list:
        """The files done whose output is larger than their input."""
        return [f for f in self.files if f.status == Status.DONE and grew(f.report)]

    @property
    def input_bytes(self):
        return sum(f.report["input_bytes"] or 0 for f in self.files if f.status == Status.DONE)

    @property
    def output_bytes(self):
        return sum(f.report["output_bytes"] or 0 for f in self.files if f.status == Status.DONE)

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
        return 1 if self.count(Status.FAILED) or self.write_errors else 0

    def totals(self) -> dict[str, Any]:
        return {
            "files": len(self.files),
            **{status.replace(" ", "_"): self.count(status) for status in STATUSES},
            "input_bytes": self.input_bytes,
            "output_bytes": self.output_bytes,
            "ratio": self.ratio,
            "seconds": round(self.seconds, 3),
            "interrupted": self.interrupted,
            "terminated": self.terminated,
            "leftover_parts": len(self.leftovers),
        }

    def to_manifest(self) -> dict[str, Any]:
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

    def to_csv(self) -> str:
        """manifest.csv: one row per file."""
        buffer = stdio.StringIO()
        columns = [
            "input",
            "output",
            "status",
            "reason",
            "width",
            "height",
            "colors_used",
            "psnr",
            "delta_e",
            "delta_e_p95",
            "ssim",
            "input_bytes",
            "output_bytes",
            "compression_ratio",
            "seconds",
        ]
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for f in self.files:
            report = f.report or {}
            writer.writerow(
                [f.input, f.output, f.status, f.reason or ""]
                + ["" if report.get(c) is None else report[c] for c in columns[4:]]
            )
        return buffer.getvalue()

    def summary(self) -> str:
        """The human summary the CLI prints: the counts, the sizes, each failure, the
        outputs that grew, and where the manifest and the report are."""
        skipped = [f.reason or "" for f in self.files if f.status == Status.SKIPPED]
        not_smaller = sum("--skip-if-larger" in r for r in skipped)
        why = [(not_smaller, "not smaller"), (len(skipped) - not_smaller, "existing")]
        first = (
            f"{len(self.files)} file{'s' * (len(self.files) != 1)} in {self.seconds:.1f} s: "
            f"{self.count('done')} done, {len(skipped)} skipped"
            + (f" ({', '.join(f'{n} {what}' for n, what in why if n)})" if skipped else "")
            + f", {self.count('failed')} failed"
            + (f", {self.count('not run')} not run (interrupted)" if self.interrupted else "")
        )
        larger = self.larger
        if larger:
            first += (
                "; 1 output larger than its input"
                if len(larger) == 1
                else f"; {len(larger)} outputs larger than their input"
            )
        lines = [first]
        if self.output_bytes:
            change = self.output_bytes / self.input_bytes - 1 if self.input_bytes else 0.0
            lines.append(
                f"the {self.count('done')} written: {human_bytes(self.input_bytes)} in, "
                f"{human_bytes(self.output_bytes)} out, "
                + (f"{-change:.0%} smaller" if change < 0 else f"{change:.0%} LARGER" if change > 0 else "no gain")
            )
        lines += [f"failed: {f.input}: {f.reason}" for f in self.files if f.status == Status.FAILED]
        for f in larger[:_LISTED]:
            before, after = human_bytes(f.report["input_bytes"]), human_bytes(f.report["output_bytes"])
            lines.append(f"larger: {f.input} ({before}) -> {f.output} ({after})")
        if len(larger) > _LISTED:
            lines.append(f"larger: {len(larger) - _LISTED} more in the manifest")
        if larger and not self.parameters.get("skip_if_larger"):
            lines.append("(--skip-if-larger writes only the outputs that are smaller)")
        if self.leftovers:
            lines.append(
                f"{len(self.leftovers)} temporary .part file(s) of an earlier, killed run in the output "
                f"folder (listed in the manifest; safe to delete), e.g. {self.leftovers[0]}"
            )
        if self.html_report is not None and not any(e.startswith(f"{self.html_report}:") for e in self.write_errors):
            lines.append(f"report: {self.html_report}")
        if not any(f"{self.output_dir.rstrip('/')}/manifest.json" in e for e in self.write_errors):
            lines.append(f"manifest: {self.output_dir.rstrip('/')}/manifest.json")
        return "\n".join(lines)


#: Outputs larger than their input listed by name in the summary, at most.
_LISTED = 5


def grew(report: dict | None) -> bool:
    """Whether a file's report (``Report.to_dict()``) says its output is larger than its input."""
    if not report or report.get("output_bytes") is None:
        return False
    return report["output_bytes"] > report["input_bytes"]


def _versions():
    found = {}
    for package, distribution in (
        ("quantize", DISTRIBUTION),
        ("numpy", "numpy"),
        ("pillow", "pillow"),
        ("scikit-image", "scikit-image"),
        ("click", "click"),
    ):
        try:
            found[package] = version(distribution)
        except PackageNotFoundError:
            found[package] = None
    return found


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
