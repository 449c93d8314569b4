"""Build of the compiled kernels (Cython, OpenMP where the compiler has it); the
rest of the project's metadata is in pyproject.toml."""

import hashlib
import tempfile
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
#: Every kernel source: their hash is compiled into each module, so that a module
#: built from other sources is known to be stale (quantize/_compiled.py).
SOURCES = sorted(p for p in (ROOT / "quantize").rglob("*") if p.suffix in {".pyx", ".pxd"})


def source_hash():
    digest = hashlib.sha256()
    for path in SOURCES:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class BuildWithOpenMP(build_ext):
    """build_ext that adds OpenMP's flags when the compiler takes them."""

    def build_extensions(self):
        self.force = True  # the source hash compiled into every module changes with any kernel source
        flags = ["-fopenmp"] if self._takes("-fopenmp") else []
        for extension in self.extensions:
            extension.extra_compile_args += ["-O3", *flags]
            extension.extra_link_args += flags
        super().build_extensions()

    def _takes(self, flag):
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "probe.c"
            source.write_text("#include <omp.h>\nint main(void) { return omp_get_max_threads() < 1; }\n")
            try:
                objects = self.compiler.compile([str(source)], output_dir=folder, extra_postargs=[flag])
                self.compiler.link_executable(objects, str(Path(folder) / "probe"), extra_postargs=[flag])
            except Exception:  # noqa: BLE001 - any failure means: not this flag
                return False
        return True


def extensions():
    macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"), ("QUANTIZE_SOURCE_HASH", f'"{source_hash()}"')]
    modules = []
    for path in SOURCES:
        if path.suffix == ".pyx":
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules.append(
                Extension(name, [str(path.relative_to(ROOT))], include_dirs=[np.get_include()], define_macros=macros)
            )
    return cythonize(modules, compiler_directives={"language_level": 3}, quiet=True, force=True)


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildWithOpenMP})
