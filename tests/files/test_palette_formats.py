import numpy as np
import pytest


def test_describe_sorts_by_share_and_names_colours():
    from quantize.files.palette_formats import describe

    entries = describe(np.array([[250, 250, 250], [255, 0, 0], [0, 0, 128]], np.uint8), [0.2, 0.5, 0.3])
    assert [e["hex"] for e in entries] == ["#ff0000", "#000080", "#fafafa"]
    assert [e["name"] for e in entries] == ["fire engine red", "deep blue", "pale grey"]  # the xkcd survey's
    assert entries[0]["lab"] == [53.24, 80.09, 67.2] and entries[0]["share"] == 0.5


def test_palette_format_errors_are_palette_errors():
    from quantize import InvalidParameterError, PaletteError
    from quantize.files.palette_formats import parse, render

    for data, kind, message in (
        (b"[[1, 2]]", "json", "is not an \\[r, g, b\\] triple"),
        (b"[[1, 2, 300]]", "json", "300 is not an integer in 0..255"),
        (b"Name: x\n", "gpl", "starts with the line 'GIMP Palette'"),
        (b"red\n", "hex", "no #rrggbb colour found"),
    ):
        with pytest.raises(PaletteError, match=message) as caught:
            parse(data, kind)
        assert caught.value.path is None and str(caught.value) == caught.value.reason
    with pytest.raises(InvalidParameterError, match="unknown palette format 'act'"):
        render([], "act")
