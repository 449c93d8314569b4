from quantize.errors import ImageError, OutputError


def test_file_errors_share_one_path_mixin():
    from quantize.errors import PaletteError, PathMixin

    for error in (ImageError("bad", "a.png"), PaletteError("bad", "p.json"), OutputError("bad", "o.png")):
        assert isinstance(error, PathMixin) and error.reason == "bad" and str(error) == f"{error.path}: bad"
    assert str(OutputError("bad")) == "bad" and isinstance(OutputError("x"), OSError)
