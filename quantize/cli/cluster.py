"""--scheduler, shared by the commands that can run on a Dask cluster (batch; compress
of tiled images): the option with its check, and the client it opens."""

import contextlib
import logging

import click

from ..errors import ClusterError, InvalidParameterError


def _check_scheduler(ctx, param, value):
    """The option's callback: a scheduler's address or local[:N], and distributed installed."""
    if value is None:
        return None
    from ..batch.cluster import parse_scheduler, require_distributed

    try:
        parse_scheduler(value)
        require_distributed()
    except InvalidParameterError as e:
        raise click.BadParameter(str(e), ctx, param) from e
    return value


def scheduler_opt(what):
    """--scheduler ADDRESS|local[:N]; ``what`` says what the cluster processes."""
    return click.option(
        "--scheduler",
        metavar="ADDRESS|local[:N]",
        default=None,
        callback=_check_scheduler,
        help=f"Process {what} on a Dask cluster: a scheduler's address (tcp://host:8786), or local:N to "
        'start N worker processes here (needs pip install "quantize-images[dask]").',
    )


@contextlib.contextmanager
def cluster_client(scheduler):
    """The ``distributed.Client`` of ``scheduler`` (None for None), its loggers silenced
    (stderr carries our lines only) and its failure to connect one line."""
    from ..batch.cluster import connect

    for name in ("distributed", "tornado", "bokeh"):  # not even their CRITICAL lines
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    with contextlib.ExitStack() as stack:
        try:
            client = stack.enter_context(connect(scheduler))
        except ClusterError as e:  # not a problem of an input: no name before it
            raise click.ClickException(str(e)) from e
        yield client
