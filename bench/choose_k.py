"""Time of `quantize suggest-k` (k = 2..32) against one `quantize compress` on the
largest photo in ../shared/images (else images/), end to end in new processes.

    python bench/choose_k.py [IMAGE] [--k-max 32]

Prints markdown; the target is suggest-k under 10 x compress.
"""

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from _child import run_quantize

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "images"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", nargs="?", type=Path)
    parser.add_argument("--k-max", type=int, default=32)
    args = parser.parse_args()
    folder = SHARED if SHARED.is_dir() else ROOT / "images"
    image = args.image or max((p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".png")),
                              key=lambda p: p.stat().st_size)
    with tempfile.TemporaryDirectory() as tmp:
        compress = statistics.median(
            run_quantize(["compress", image, "-o", f"{tmp}/o.png", "--force"])[0] for _ in range(3))
        seconds, peak, stdout = run_quantize(["suggest-k", image, "--k-max", args.k_max, "--json"])
    result = json.loads(stdout)
    print(f"## suggest-k on {image.name}, k = 2..{args.k_max}\n", file=sys.stdout)
    print("| command | seconds | × compress | peak RSS MB |")
    print("|---|---|---|---|")
    print(f"| quantize compress (median of 3) | {compress:.2f} | 1.00 | |")
    print(f"| quantize suggest-k | {seconds:.2f} | {seconds / compress:.2f} | {peak / 2**20:.0f} |")
    print(f"\nelbow k = {result['elbow']}, best silhouette k = {result['best_silhouette']}")


if __name__ == "__main__":
    main()
