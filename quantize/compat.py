"""The import paths of quantize before its modules moved into packages, kept working:
``import quantize.io`` (or ``from quantize.kmeans import KMeans``) gets the module
that now holds those names.  A path whose module was split (io, pipeline, segment,
colorspace) gets a module that looks each name up in the new ones, in order."""

import importlib
import importlib.util
import sys
import types

#: Old module → the modules its public names now live in.
MOVED = {
    "parallel": ["_parallel"],
    "distances": ["cluster.distances"],
    "seeding": ["cluster.seeding"],
    "wu": ["cluster.wu"],
    "kmeans": ["cluster.kmeans", "cluster.lloyd"],
    "colorspace": ["color.spaces", "color.difference", "color.alpha"],
    "histogram": ["color.histogram"],
    "refine": ["quantization.search", "quantization.settings"],
    "dither": ["quantization.dither"],
    "report": ["quantization.report"],
    "choose_k": ["quantization.choose_k"],
    "pipeline": ["quantization.api", "quantization.settings", "quantization.result", "quantization.colors"],
    "segment": ["segmentation.api", "segmentation.settings", "segmentation.result"],
    "io": ["files.read", "files.write", "files.encode", "files.palettes"],
    "palettes": ["files.palette_formats"],
    "draw": ["files.draw"],
    "plot": ["files.plot"],
    "html_report": ["batch.html"],
    "options": ["cli.options"],
}


class _Loader:  # the importlib.abc.Loader protocol (importing importlib.abc costs 2 ms)
    def __init__(self, targets):
        self.targets = targets

    def create_module(self, spec):
        if len(self.targets) == 1:  # moved whole: the very module, so patches reach it
            module = importlib.import_module(self.targets[0])
            self.spec = module.__spec__  # importlib writes the alias's spec over it: put it back
            return module
        module = types.ModuleType(spec.name, f"Names of {', '.join(self.targets)} (the old {spec.name}).")
        targets = self.targets

        def __getattr__(name):
            for target in targets:
                found = importlib.import_module(target)
                if hasattr(found, name):
                    return getattr(found, name)
            raise AttributeError(f"module {spec.name!r} has no attribute {name!r}")

        module.__getattr__ = __getattr__
        return module

    def exec_module(self, module):
        if len(self.targets) == 1:
            module.__spec__ = self.spec


class _Finder:  # the importlib.abc.MetaPathFinder protocol
    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.partition(".")
        if package != "quantize" or name not in MOVED:
            return None
        targets = [f"quantize.{m}" for m in MOVED[name]]
        return importlib.util.spec_from_loader(fullname, _Loader(targets))


def install():
    """Answer the old import paths (once per process)."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.append(_Finder())
