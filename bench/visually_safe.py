"""What PSNR a "visually safe" result needs, on the shared photos.

"Visually safe" is taken as a mean CIEDE2000 difference of at most 1.0 (one
just-noticeable difference on average) with the 95th percentile at most 2.0 (few
pixels visibly off), without dithering, where banding shows most.  For each photo
k is raised along a ladder until both hold; the PSNR of that result is what the
photo needs.  Writes bench/results/visually_safe.md.

    python bench/visually_safe.py [--images ../shared/images]
"""

import argparse
from pathlib import Path

import quantize
from quantize.metrics.pngquant import pngquant_quality_to_psnr

ROOT = Path(__file__).resolve().parent.parent
LADDER = [8, 12, 16, 24, 32, 48, 64, 96, 128, 160, 192, 224, 256]
MEAN, P95 = 1.0, 2.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=Path, default=ROOT.parent / "shared" / "images")
    args = parser.parse_args()
    rows, needed = [], []
    for path in sorted(args.images.glob("*")):
        if path.suffix.lower() not in (".jpg", ".png"):
            continue
        loaded = quantize.load_image(path)
        found = None
        for k in LADDER:
            report = quantize.quantize_image(loaded, k, random_state=0).report
            rows.append((path.name, k, report.psnr, report.delta_e, report.delta_e_p95))
            if report.delta_e <= MEAN and report.delta_e_p95 <= P95:
                found = (k, report.psnr)
                break
        needed.append((path.name, found))
        print(path.name, found, flush=True)
    lines = [
        "# PSNR a visually safe result needs (shared photos)",
        "",
        f"`python bench/visually_safe.py`: k raised along {LADDER} (no dithering, seed 0) until mean",
        f"CIEDE2000 <= {MEAN} and its 95th percentile <= {P95}; the PSNR of that result.",
        "",
        "| photo | k needed | PSNR dB |",
        "|---|---:|---:|",
    ]
    for name, found in needed:
        if found:
            lines.append(f"| {name} | {found[0]} | {found[1]:.2f} |")
        else:  # not reached: what the largest palette gives
            top = next(psnr for n, k, psnr, *_ in rows if n == name and k == LADDER[-1])
            lines.append(f"| {name} | not reached | {top:.2f} at {LADDER[-1]} |")
    reached = [f[1] for _, f in needed if f]
    if reached:
        lines += [
            "",
            f"Needed: {min(reached):.1f} to {max(reached):.1f} dB (median {sorted(reached)[len(reached) // 2]:.1f}).",
        ]
    lines += ["", "## Every step", "", "| photo | k | PSNR dB | ΔE00 mean | ΔE00 p95 |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {n} | {k} | {p:.2f} | {d:.2f} | {q:.2f} |" for n, k, p, d, q in rows]
    lines += ["", "## pngquant's scale as PSNR (`--quality pngquant:Q`)", "", "| Q | PSNR dB |", "|---:|---:|"]
    lines += [f"| {q} | {pngquant_quality_to_psnr(q):.2f} |" for q in (10, 20, 30, 40, 50, 60, 65, 70, 80, 90, 95, 99)]
    (ROOT / "bench" / "results" / "visually_safe.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
