"""Palettes as files: JSON, GIMP .gpl, CSS custom properties, a hex list, a PNG swatch.

Pure functions from entries to bytes and back; :mod:`.palettes` reads and writes the
files.  Every format round-trips the RGB entries exactly (the PNG swatch carries them
in a text chunk besides drawing them).
"""

import io as stdio
import json
import re

import numpy as np
from PIL import Image, PngImagePlugin

from ..color.names import color_names, color_table
from ..color.spaces import hex_code, srgb_to_lab
from ..errors import InvalidParameterError, PaletteError

#: Palette file formats by extension.
FORMATS = {".json": "json", ".gpl": "gpl", ".css": "css", ".hex": "hex", ".txt": "hex", ".png": "png"}
_HEX = re.compile(r"#([0-9a-fA-F]{6})\b")
_PNG_KEY = "quantize-palette"


def describe(palette, shares=None):
    """One dict per entry: hex, rgb, lab (CIELAB, rounded to 0.01), share (to 0.0001) and a name
    of its own (the nearest of the xkcd survey's names by CIEDE2000 that no closer entry
    took, see :func:`quantize.color.names.color_names`); sorted by decreasing share
    when shares are given."""
    palette = np.asarray(palette, dtype=np.uint8)[:, :3]
    order = np.arange(len(palette)) if shares is None else np.argsort(-np.asarray(shares), kind="stable")
    lab = srgb_to_lab(palette)
    names = color_names(palette, distinct=len(palette) <= len(color_table()[0]))
    return [
        {
            "hex": hex_code(palette[i]),
            "rgb": palette[i].tolist(),
            "lab": [round(float(v), 2) for v in lab[i]],
            "share": None if shares is None else round(float(shares[i]), 4),
            "name": names[i],
        }
        for i in order
    ]


def render(entries, kind, *, title="quantize"):
    """The file content (bytes) of ``entries`` (from :func:`describe`) in ``kind``."""
    if kind == "json":
        return (json.dumps({"colors": entries}, indent=1) + "\n").encode()
    if kind == "gpl":
        lines = ["GIMP Palette", f"Name: {title}", "Columns: 8", "#"]
        lines += ["{:3d} {:3d} {:3d}\t{} {}".format(*e["rgb"], e["hex"], e["name"]) for e in entries]
        return ("\n".join(lines) + "\n").encode()
    if kind == "css":
        lines = [":root {"]
        for i, e in enumerate(entries, 1):
            share = "" if e["share"] is None else f", {e['share']:.1%}"
            lines.append(f"  --color-{i}: {e['hex']}; /* {e['name']}{share} */")
        return ("\n".join(lines + ["}"]) + "\n").encode()
    if kind == "hex":
        return ("\n".join(e["hex"] for e in entries) + "\n").encode()
    if kind == "png":
        from ..drawing import swatch  # scikit-image's boundaries come with it: load on use

        colors = np.array([e["rgb"] for e in entries], dtype=np.uint8).reshape(-1, 3)
        captions = [
            e["hex"] + ("" if e["share"] is None else f"  {e['share']:.1%}") + f"  {e['name']}" for e in entries
        ]
        info = PngImagePlugin.PngInfo()
        info.add_text(_PNG_KEY, " ".join(e["hex"] for e in entries))
        buffer = stdio.BytesIO()
        Image.fromarray(swatch(colors, captions)).save(buffer, format="PNG", pnginfo=info)
        return buffer.getvalue()
    raise InvalidParameterError(f"unknown palette format {kind!r}")


def parse(data, kind):
    """RGB rows, (n, 3) list of ints in 0..255, from a palette file's bytes.  Raises
    PaletteError (or the parser's ValueError, KeyError or TypeError) on malformed
    content, and PaletteError on any value that is not an integer in 0..255 (no
    rounding of 254.9, no ``true`` or ``"7"``)."""
    return [_checked_row(row) for row in _rows(data, kind)]


def _checked_row(row):
    if not isinstance(row, list) or len(row) != 3:
        raise PaletteError(f"{_short(row)} is not an [r, g, b] triple")
    for value in row:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
            raise PaletteError(f"{_short(value)} is not an integer in 0..255")
    return row


def _short(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _rows(data, kind):
    if kind == "png":
        text = Image.open(stdio.BytesIO(data)).text.get(_PNG_KEY)
        if text is None:
            raise PaletteError("not a quantize palette swatch (no palette in the PNG)")
        return _hex_rows(text)
    text = data.decode("utf-8")
    if kind == "json":
        items = json.loads(text)
        items = items["colors"] if isinstance(items, dict) else items
        return [_json_row(item) for item in items]
    if kind == "gpl":
        lines = text.splitlines()
        if not lines or lines[0].strip() != "GIMP Palette":
            raise PaletteError("a GIMP palette starts with the line 'GIMP Palette'")
        rows = []
        for line in lines[1:]:
            line = line.strip()
            if not line or line.startswith("#") or ":" in line.split()[0]:
                continue  # comments and "Name:" / "Columns:" headers
            rows.append([_gpl_int(v) for v in line.split()[:3]])
        return rows
    return _hex_rows(text)  # css and hex: every #rrggbb, in order


def _gpl_int(text):
    if not (text.isascii() and text.isdigit()) or len(text) > 3:
        raise PaletteError(f"{_short(text)} is not an integer in 0..255")
    return int(text)


def _json_row(item):
    if isinstance(item, dict):
        return list(item["rgb"]) if "rgb" in item else _hex_rows(item["hex"])[0]
    if isinstance(item, str):
        return _hex_rows(item)[0]
    return list(item)


def _hex_rows(text):
    codes = _HEX.findall(text)
    if not codes:
        raise PaletteError("no #rrggbb colour found")
    return [[int(code[i : i + 2], 16) for i in (0, 2, 4)] for code in codes]
