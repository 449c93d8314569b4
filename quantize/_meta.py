"""The distribution's name on PyPI and its installed version.  The import name and the
command stay ``quantize``; ``quantize`` on PyPI is another project's."""

#: What ``pip install`` takes (and its extras: ``quantize-images[plot]``).
DISTRIBUTION = "quantize-images"


def installed_version() -> str:
    """The installed distribution's version (read on first use: importlib.metadata
    costs 35 ms, a tenth of a small compress); 0.1.0 from a checkout not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0.1.0"
