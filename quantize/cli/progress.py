"""Progress lines on stderr: files done in a batch, k fitted by suggest-k."""

import time

import click




class ProgressBar:
    """files done / total, failures, rate and time left on one stderr line."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.start = time.perf_counter()
        self.failed = 0

    def __call__(self, outcome, finished, total):
        self.failed += outcome.status == "failed"
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        rate = finished / elapsed if elapsed > 0 else 0.0
        left = (total - finished) / rate if rate > 0 else 0.0
        filled = int(30 * finished / max(total, 1))
        click.echo(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {finished}/{total} files, {self.failed} failed, "
            f"{rate:.1f} files/s, {int(left) // 60}:{int(left) % 60:02d} left ",
            nl=finished == total, err=True,
        )


class KProgress:
    """"k 12/31" on one stderr line while suggest-k runs, when stderr is a terminal
    and the run lasts more than a second."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.start = time.perf_counter()
        self.shown = False

    def __call__(self, done, total):
        if self.enabled and time.perf_counter() - self.start > 1.0:
            click.echo(f"\rfitting k: {done}/{total} ", nl=False, err=True)
            self.shown = True

    def close(self):
        if self.shown:
            click.echo("\r" + " " * 24 + "\r", nl=False, err=True)
