"""Time two checkouts of quantize on the same photos: a refactoring must not slow down.

    git worktree add /tmp/before <commit>
    python bench/compare.py /tmp/before .

Each checkout runs in its own process (its own import of quantize); every case is the
best of three calls (quantize_image at k = 16 and 64, segment_image at k = 4) on
../shared/images, plus the start-up import of the CLI (best of seven).
"""

import json
import subprocess
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "images"
PHOTOS = [
    "Dune.jpg",
    "Garden.jpg",
    "Kleiber_by_Lukas_Baubkus.jpg",
    "Arc-Colors-Transparent-Wallpaper.png",
    "Stripes.png",
]
_CHILD = """
import json, sys, time, warnings
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
from quantize import load_image, quantize_image, segment_image

def best(call, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)

rows = {}
for name in json.loads(sys.argv[3]):
    loaded = load_image(sys.argv[2] + "/" + name)
    for k in (16, 64):
        rows[f"{name} k={k}"] = best(lambda: quantize_image(loaded, k, random_state=0), 3)
    rows[f"{name} segment k=4"] = best(lambda: segment_image(loaded, 4, random_state=0), 2)
print(json.dumps(rows))
"""


def measure(tree):
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tree), str(SHARED), json.dumps(PHOTOS)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(done.stdout)
    starts = []
    for _ in range(7):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(tree)!r}); import quantize.cli"], check=True
        )
        starts.append(time.perf_counter() - start)
    rows["import quantize.cli"] = min(starts)
    return rows


def main():
    before, after = (Path(p).resolve() for p in sys.argv[1:3])
    old, new = measure(before), measure(after)
    print(f"| case | {before.name} s | {after.name} s | ratio |\n|---|---|---|---|")
    for case in old:
        print(f"| {case} | {old[case]:.3f} | {new[case]:.3f} | {new[case] / old[case]:.2f} |")
    total_old = sum(v for k, v in old.items() if not k.startswith("import"))
    total_new = sum(v for k, v in new.items() if not k.startswith("import"))
    print(f"| total of the calls | {total_old:.3f} | {total_new:.3f} | {total_new / total_old:.2f} |")


if __name__ == "__main__":
    main()
