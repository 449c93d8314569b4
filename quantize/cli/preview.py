"""``quantize preview``: look at the quantised image while choosing its settings."""

import webbrowser

import click

from ..files.read import check_input_file, load_image
from .app import one_line_errors, say
from .options import input_arg, max_pixels_opt, verbosity_opts
from .progress import StepProgress, wanted


@click.command()
@input_arg
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port on 127.0.0.1; 0 takes a free one."
)
@click.option("--no-browser", is_flag=True, help="Print the page's address instead of opening it.")
@max_pixels_opt
@verbosity_opts(quiet="Print nothing but errors and the page's address.")
def preview(input, port, no_browser, max_pixels):
    """Open a local page to choose INPUT's colours by looking.

    The image opens fitted to the window, before on the left of a divider and after
    on its right; drag the divider (mouse or finger) or move it with the arrow keys,
    zoom with the wheel, pan by dragging elsewhere.  Controls for the colours, colour
    space, dithering and effort; PSNR, mean CIEDE2000, the palette with its shares,
    and the size of the file as PNG, WebP and GIF with the saving against INPUT (a
    file larger than INPUT is marked).  A button writes the chosen format beside INPUT
    as `quantize compress` would (never over an existing file) and the page shows that
    command.  Moving a control cancels a setting still being computed.  The server
    listens on 127.0.0.1 only and every request must carry the random token of the
    printed address.  Ctrl-C stops it.
    """
    from ..preview import PreviewServer, PreviewSession

    with one_line_errors(input):
        check_input_file(input)
        steps = StepProgress(wanted(), ["read", "prepare"])
        try:  # a big image takes a while to read and to encode for the page
            loaded = load_image(input, max_pixels=max_pixels)
            steps(1, 2)
            session = PreviewSession(loaded)
            steps(2, 2)
        finally:
            steps.close()
        try:
            server = PreviewServer(session, port)
        except OSError as e:
            raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {e.strerror or e}") from e
    try:  # from here on Ctrl-C (or SIGTERM) is the way to stop: exit 0, whenever it comes
        click.echo(f"quantize preview of {input}: {server.url}")  # even with -q: the address is the output
        say("Ctrl-C stops it.")
        if not no_browser:
            webbrowser.open(server.url)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
