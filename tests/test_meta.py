import re
from importlib.metadata import version
from pathlib import Path

import quantize
from quantize._meta import DISTRIBUTION, installed_version


def test_the_distribution_is_named_in_one_place():
    """pyproject's name is the one the package reads its version from (not
    ``quantize``: PyPI's is another project's)."""
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert re.search(r'^name = "([^"]+)"', pyproject, re.M).group(1) == DISTRIBUTION != "quantize"
    assert quantize.__version__ == installed_version() == version(DISTRIBUTION)
