"""Choosing k, end to end in new processes: `quantize suggest-k` (k = 2..32) against
one `quantize compress`, and `compress --quality` / `--max-delta-e` against
`compress -k` at the k they choose, on every photo of ../shared/images (else images/)
and its 768x512 downscale.

    python bench/choose_k.py [IMAGE ...] [--k-max 32] [--quality 35] [--max-delta-e 3] [--no-small]

Targets (issue 12): suggest-k <= 3 x one compress (-k 16); a target <= 2 x compress
-k at the k it chooses.  Every time is the median of 3 runs (suggest-k: 1).  Prints
markdown.
"""

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from _child import run_quantize
from _images import cases, default_images


def seconds_of(args, runs=3):
    times, stdout = [], None
    for _ in range(runs):
        seconds, _, stdout = run_quantize(args)
        times.append(seconds)
    return statistics.median(times), stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--k-max", type=int, default=32)
    parser.add_argument("--quality", type=float, default=35.0)
    parser.add_argument("--max-delta-e", type=float, default=3.0)
    parser.add_argument("--no-small", action="store_true")
    args = parser.parse_args()
    print(
        f"| image | compress -k 16 s | suggest-k 2..{args.k_max} s | ÷ compress (≤ 3) "
        "| recommended (ΔE00 ≤ 1 or knee), elbow, silhouette "
        f"| --quality {args.quality:g}: k, s | ÷ compress -k (≤ 2) "
        f"| --max-delta-e {args.max_delta_e:g}: k, s | ÷ compress -k (≤ 2) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        out = f"{tmp}/o.png"
        for label, _pixels, source in cases(args.images or default_images(), not args.no_small, tmp):
            if source.suffix.lower() not in (".png", ".jpg", ".jpeg"):
                continue
            compress, _ = seconds_of(["compress", source, "-k", 16, "-o", out, "--force"])
            suggest, stdout = seconds_of(["suggest-k", source, "--k-max", args.k_max, "--json"], runs=1)
            choice = json.loads(stdout)
            cells = [
                f"{compress:.2f}",
                f"{suggest:.2f}",
                f"{suggest / compress:.1f}",
                f"{choice['recommended']}{'' if choice['under_delta_e'] else ' (knee)'}, {choice['elbow']}, "
                f"{choice['best_silhouette']}",
            ]
            for option, value in (("--quality", args.quality), ("--max-delta-e", args.max_delta_e)):
                try:
                    targeted, stdout = seconds_of(["compress", source, option, value, "-o", out, "--force", "--json"])
                except SystemExit:  # the target is out of reach (exit code 3)
                    cells += ["not met with 256", ""]
                    continue
                k = json.loads(stdout)["colors_used"]
                plain, _ = seconds_of(["compress", source, "-k", k, "-o", out, "--force"])
                cells += [f"{k}, {targeted:.2f}", f"{targeted / plain:.2f} (-k {k}: {plain:.2f} s)"]
            print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
