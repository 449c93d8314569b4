"""The ``quantize`` group: one-line errors with their exit codes, SIGINT and SIGTERM
handled alike; the commands live in a module each and are added in ``__init__``."""

import contextlib
import errno
import io
import os
import signal
import sys
import threading
import warnings

import click

from ..errors import Interrupted, QuantizeError


class _StopSignals:
    """SIGINT and SIGTERM both raise :class:`Interrupted` (a KeyboardInterrupt), once:
    the work in hand then cleans up (temporary files removed, a batch's manifest
    written) and a second signal does not cut that short."""

    def __init__(self):
        self.signum = None

    def __call__(self, signum, frame):
        if self.signum is None:
            self.signum = signum
            raise Interrupted(signum)

    @contextlib.contextmanager
    def installed(self):
        if threading.current_thread() is not threading.main_thread():
            yield  # signal handlers can only be set from the main thread
            return
        saved = {s: signal.signal(s, self) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for number, handler in saved.items():
                signal.signal(number, handler)


#: Each command and the module of this package that holds it, imported when the
#: command is run (or listed): ``quantize --version`` imports none of them.
COMMANDS = {
    "apply": "apply",
    "batch": "batch",
    "compress": "compress",
    "palette": "palette",
    "preview": "preview",
    "segment": "segment",
    "suggest-k": "suggest_k",
}


class _Group(click.Group):
    """A click group whose errors are one line on stderr: ``quantize: error: ...``;
    SIGTERM is handled as Ctrl-C is, with exit code 143 instead of 130.  Its
    commands are imported on first use (:data:`COMMANDS`)."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        import importlib

        module = importlib.import_module(f"{__package__}.{COMMANDS[name]}")
        return getattr(module, COMMANDS[name])

    def parse_args(self, ctx, args):
        if not args:  # bare `quantize`: the help, as a successful answer
            click.echo(ctx.get_help())
            ctx.exit(0)
        return super().parse_args(ctx, args)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        stop = _StopSignals()
        try:
            with stop.installed():
                code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
                sys.stdout.flush()  # a full or closed stdout fails here, not at exit
        except OSError as e:  # what no command catches: standard output full or closed
            _discard_stdout()
            fail(_stream_failure(e))
        except click.UsageError as e:
            hint = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
            fail(f"{e.format_message().rstrip('.')}{hint}", e.exit_code)
        except click.ClickException as e:
            fail(e.format_message(), e.exit_code)
        except (click.Abort, KeyboardInterrupt):
            terminated = stop.signum == signal.SIGTERM
            click.echo(f"quantize: {'terminated' if terminated else 'interrupted'}", err=True)
            sys.exit(143 if terminated else 130)
        sys.exit(code if isinstance(code, int) else 0)


#: Errors of writing to a stream (stdout to a full disk, a closed pipe...).
_STREAM_ERRNOS = {errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EBADF, errno.EFBIG, getattr(errno, "EDQUOT", -1)}


def _stream_failure(error):
    """One line for an OSError that reached the group: a failed write to standard
    output (the commands turn their files' errors into their own)."""
    reason = (error.strerror or str(error) or type(error).__name__).lower()
    if error.filename is None and error.errno in _STREAM_ERRNOS:
        return f"cannot write to standard output: {reason}"
    return f"{error.filename}: {reason}" if error.filename else reason


def _discard_stdout():
    """Point stdout at /dev/null once it has failed, so that what Python still holds
    for it is not written, and failing, again at exit (a second message)."""
    with contextlib.suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def _print_version(ctx, param, value):
    """--version, with the version read only when asked for (see quantize.__version__)."""
    if value and not ctx.resilient_parsing:
        import quantize

        click.echo(f"quantize, version {quantize.__version__}")
        ctx.exit()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
def main():
    """Colour quantisation and segmentation with k-means: Wu's start, Lloyd refinement.

    \b
    Example:
        quantize compress photo.jpg -k 32
    """


@contextlib.contextmanager
def one_line_errors(input):
    """The library's errors as click's one-line errors.  Warnings are silenced: the
    reports carry the library's as notes, and the decoders' become the input's notes;
    stderr carries only our own lines."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except QuantizeError as e:
        message = str(e)
        if getattr(e, "path", None) is None:  # a problem of this input: name it
            message = f"{input}: {message}"
        raise click.ClickException(message) from e
    except MemoryError:
        raise click.ClickException(f"{input}: not enough memory to process this image") from None


#: ctx.meta key of the verbosity: -1 quiet, 0 normal, 1 and up verbose.
VERBOSITY = "quantize.verbosity"


def verbosity(ctx=None):
    """-1 with -q, 0 by default, the number of -v otherwise (see options.verbosity_opts)."""
    ctx = ctx or click.get_current_context()
    return ctx.meta.get(VERBOSITY, 0)


def say(text, *, err=False):
    """Print a report or summary unless -q was given."""
    if verbosity() >= 0:
        click.echo(text, err=err)


def detail(message):
    """Print ``quantize: <message>`` on stderr with -v: a step and its time."""
    if verbosity() > 0:
        click.echo(f"quantize: {message}", err=True)


def error_line(message):
    """Print ``quantize: error: <message>`` on stderr: the one shape of every error."""
    click.echo(f"quantize: error: {message}", err=True)


def fail(message, code=1):
    """Print the error line and exit with ``code``."""
    error_line(message)
    sys.exit(code)
