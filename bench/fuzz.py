"""Fuzz the image readers through the real CLI: every supported format, mutated.

    python bench/fuzz.py --n 10000

Each case is a mutated file (tests/fuzzing.py: bit flips, truncation, chunk
duplication, header fields with recomputed CRCs, splices) run through one of the
commands (compress, segment, palette, apply, suggest-k, compress to WebP) in this
process, with file descriptor 2 captured (libtiff and libpng write there directly).
A case fails on a traceback, a stderr line that is not ours, an exit code other than
0, 1 or 3, a hang, a failed run that left files, or a changed input.  Writes
bench/results/fuzz.md.
"""

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fuzzing import COMMANDS, cases, run_case  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of mutated files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=60, help="seconds before a case counts as a hang")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fuzz.md")
    args = parser.parse_args()
    start = time.perf_counter()
    failures, kinds = [], Counter()
    with tempfile.TemporaryDirectory() as folder:
        for index, (name, description, data, command) in enumerate(cases(args.n, args.seed)):
            path = Path(folder) / name
            path.write_bytes(data)
            problems = run_case(path, command, folder, timeout=args.timeout)
            kinds[description.split()[1]] += 1
            if problems:
                failures.append((name, description, problems))
                print(f"{name} ({description}): {problems[0]}", flush=True)
            path.unlink()
            if (index + 1) % 500 == 0:
                print(f"{index + 1}/{args.n} files, {len(failures)} failing, "
                      f"{time.perf_counter() - start:.0f} s", flush=True)
    seconds = time.perf_counter() - start
    tracebacks = sum("traceback" in p for _, _, ps in failures for p in ps)
    stray = sum("stray stderr" in p for _, _, ps in failures for p in ps)
    hangs = sum("TimeoutError" in p for _, _, ps in failures for p in ps)
    lines = [
        "# Fuzzing the readers through the CLI",
        "",
        f"`python bench/fuzz.py --n {args.n} --seed {args.seed}`: {args.n} mutated files "
        f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), "
        f"each through one of {len(COMMANDS)} commands in turn "
        f"({', '.join(sorted({c[0] for c in COMMANDS}))}), in {seconds:.0f} s.",
        "",
        f"- failing cases: {len(failures)}",
        f"- tracebacks: {tracebacks}",
        f"- stray stderr lines: {stray}",
        f"- hangs (over {args.timeout} s): {hangs}",
        "",
    ]
    lines += [f"- {name} ({description}): {'; '.join(problems)}" for name, description, problems in failures[:50]]
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:10]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
