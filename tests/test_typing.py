"""The public API is annotated (and ``py.typed`` says so to type checkers): every
function and public method each package exports names the types of its parameters
and of what it returns.  mypy checks the bodies in CI (.ci/run)."""

import importlib
import inspect
from pathlib import Path

import pytest

import quantize

PACKAGES = [
    "quantize",
    "quantize.cluster",
    "quantize.color",
    "quantize.metrics",
    "quantize.quantization",
    "quantize.segmentation",
    "quantize.batch",
    "quantize.files",
]


def exported_functions():
    seen = {}
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isfunction(value):
                seen.setdefault(value, f"{package}.{name}")
            elif inspect.isclass(value) and value.__module__.startswith("quantize"):
                for attribute, member in vars(value).items():
                    if inspect.isfunction(member) and (not attribute.startswith("_") or attribute == "__init__"):
                        seen.setdefault(member, f"{package}.{name}.{attribute}")
    return sorted(seen.items(), key=lambda item: item[1])


def unannotated(function):
    signature = inspect.signature(function)
    missing = [
        p.name
        for p in signature.parameters.values()
        if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty
    ]
    if signature.return_annotation is inspect.Signature.empty and function.__name__ != "__init__":
        missing.append("return")
    return missing


@pytest.mark.parametrize("function, name", exported_functions(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_exported_function_is_annotated(function, name):
    assert unannotated(function) == [], name


def test_the_package_says_it_is_typed():
    assert (Path(quantize.__file__).parent / "py.typed").is_file()
