"""The suggest-k curves as a PNG (matplotlib, an optional extra: pip install quantize-images[plot])."""

import io as stdio

from ..errors import QuantizeError
from .write import atomic_write


def plot_suggestion(suggestion, path, *, overwrite=False):
    """Write inertia, silhouette, PSNR and mean CIEDE2000 against k, with the
    recommended k, the elbow and the best silhouette marked, to a PNG (atomically).
    Returns bytes written."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no screen needed
        from matplotlib.figure import Figure
    except ImportError as e:
        raise QuantizeError("--plot needs matplotlib: pip install 'quantize-images[plot]'") from e
    table = suggestion.table
    figure = Figure(figsize=(10, 7), dpi=100, layout="constrained")
    axes = figure.subplots(2, 2, sharex=True)
    panels = [
        (axes[0, 0], "inertia", "inertia (sum of squared errors)"),
        (axes[0, 1], "silhouette", "silhouette (sampled pixels)"),
        (axes[1, 0], "psnr", "PSNR (dB)"),
        (axes[1, 1], "delta_e", "mean CIEDE2000"),
    ]
    for ax, column, label in panels:
        ax.plot(table["k"], table[column], marker="o", markersize=3)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        for k, colour, mark in (
            (suggestion.recommended, "tab:blue", "recommended"),
            (suggestion.elbow, "tab:red", "elbow"),
            (suggestion.best_silhouette, "tab:green", "best silhouette"),
        ):
            ax.axvline(
                k, color=colour, linestyle="--", linewidth=1, label=f"{mark}: k = {k}" if ax is axes[0, 0] else None
            )
    axes[0, 0].set_yscale("log")
    axes[0, 0].legend()
    for ax in axes[1]:
        ax.set_xlabel("k (number of colours)")
    figure.suptitle(f"Choosing k for {suggestion.input or 'the image'}")
    buffer = stdio.BytesIO()
    figure.savefig(buffer, format="png")
    return atomic_write(path, lambda handle: handle.write(buffer.getvalue()), overwrite=overwrite)
