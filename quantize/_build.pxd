# The hash of the kernel sources a compiled module was built from: setup.py passes
# it to every kernel as the C macro QUANTIZE_SOURCE_HASH, and each module exposes
# it as SOURCE_HASH for quantize/_compiled.py to compare with the sources.

cdef extern from *:
    const char* QUANTIZE_SOURCE_HASH
