"""Names for colours: the nearest, by CIEDE2000, of the 949 names of the xkcd colour
survey (public domain, shipped in ``xkcd_colors.tsv``).  With six times the 148 CSS
names, neighbours in one palette rarely share a name, and dark browns are browns,
not "black"."""

import functools
from importlib import resources

import numpy as np

from ..errors import InvalidParameterError
from .difference import ciede2000
from .spaces import srgb_to_lab


@functools.lru_cache(maxsize=1)
def color_table():
    """The names and their (n, 3) uint8 sRGB colours, in the file's order."""
    names, colors = [], []
    text = resources.files(__package__).joinpath("xkcd_colors.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, code = line.split("\t")
            names.append(name)
            colors.append([int(code[i : i + 2], 16) for i in (1, 3, 5)])
    return tuple(names), np.array(colors, dtype=np.uint8)


def color_names(colors, *, distinct=False):
    """The nearest named colour, by CIEDE2000, of each (n, 3) uint8 sRGB colour.

    Parameters
    ----------
    colors : (n, 3) array of uint8
    distinct : bool, keyword-only
        Give every colour its own name (n <= 949), as a palette's entries need: the
        closest (colour, name) pairs are taken first, so a colour whose nearest name
        went to a closer colour gets its next nearest.

    Returns
    -------
    list of n str
    """
    names, table = color_table()
    colors = np.asarray(colors, dtype=np.uint8).reshape(-1, 3)
    ours, theirs = srgb_to_lab(colors), srgb_to_lab(table)
    # (n, 949) differences: a palette has at most a few hundred colours.
    rows, columns = np.meshgrid(np.arange(len(ours)), np.arange(len(theirs)), indexing="ij")
    differences = ciede2000(ours[rows.ravel()], theirs[columns.ravel()]).reshape(len(ours), len(theirs))
    if not distinct:
        return [names[i] for i in differences.argmin(axis=1)]
    if len(colors) > len(names):
        raise InvalidParameterError(f"{len(colors)} colours cannot have distinct names: there are {len(names)}")
    chosen = np.full(len(colors), -1)
    taken = np.zeros(len(names), dtype=bool)
    for flat in np.argsort(differences, axis=None, kind="stable"):  # stops once every colour has a name
        colour, name = divmod(int(flat), len(names))
        if chosen[colour] < 0 and not taken[name]:
            chosen[colour], taken[name] = name, True
            if (chosen >= 0).all():
                break
    return [names[i] for i in chosen]
