"""Numbers for people: sizes in B, kB, MB, GB and TB to three significant digits (the
JSON and the manifests keep exact bytes)."""

_UNITS = ((1e3, "kB"), (1e6, "MB"), (1e9, "GB"), (1e12, "TB"))


def human_bytes(count: int) -> str:
    """``count`` bytes as ``"812 B"``, ``"12.3 kB"``, ``"1.03 MB"`` (SI units, as file
    managers and browsers show them)."""
    if count < 1000:
        return f"{count} B"
    for scale, unit in _UNITS:
        value = float(f"{count / scale:.3g}")
        if value < 1000 or unit == "TB":
            break
    return f"{value:g} {unit}"
