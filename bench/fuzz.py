"""Fuzz quantize through the real CLI and its servers: every supported image format,
mutated, and the surfaces beside it.

    python bench/fuzz.py --n 10000

Six cases in ten are mutated files (tests/fuzzing.py: bit flips, truncation, chunk
duplication, header fields with recomputed CRCs, splices) run through one of the
commands (compress, segment, palette, apply, suggest-k, compress to WebP); the other
four (tests/fuzz_surfaces.py) are an animation with hostile frame geometry (frames
outside the canvas, thousands of frames, extreme APNG fcTL fields), a stream on
stdin (a mutated file, or tens of MiB of zeros or noise), a request to a running
preview server (routes, queries, Host headers, partial requests, garbage), and the
object keys of a folder on a memory:// store ("..", ".", empty parts...) batched to
a store and to a local folder.  All run in this process, with file descriptor 2
captured (libtiff and libpng write there directly).

A case fails on a traceback, a stderr line that is not ours, an exit code other than
0, 1 or 3, a hang, a failed run that left files, a changed input, an HTTP 500 or a
server that stops answering, or an output outside its folder.  The peak memory of
the whole run bounds every case's.  Writes bench/results/fuzz.md.
"""

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fuzz_surfaces import (  # noqa: E402
    ANIMATION_COMMANDS,
    animation_case,
    key_case,
    preview_request,
    preview_server,
    run_key_case,
    run_preview_case,
    stdin_case,
)
from tests.fuzzing import COMMANDS, cases, run_case  # noqa: E402

#: What each case of ten is.
SURFACES = ("file",) * 6 + ("animation", "stdin", "preview", "keys")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of cases")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=60, help="seconds before a case counts as a hang")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fuzz.md")
    args = parser.parse_args()
    start = time.perf_counter()
    failures, kinds = [], Counter()
    rng = np.random.default_rng(args.seed)
    files = cases(sum(SURFACES[i % len(SURFACES)] == "file" for i in range(args.n)), args.seed)
    with tempfile.TemporaryDirectory() as folder, preview_server(folder) as server:
        for index in range(args.n):
            surface = SURFACES[index % len(SURFACES)]
            if surface == "file":
                name, description, data, command = next(files)
                path = Path(folder) / name
                path.write_bytes(data)
                problems = run_case(path, command, folder, timeout=args.timeout)
                path.unlink()
                kinds[f"file {description.split()[1]}"] += 1
            elif surface == "animation":
                name, description, data = animation_case(rng)
                path = Path(folder) / f"{index:05d}-{name}"
                path.write_bytes(data)
                command = ANIMATION_COMMANDS[index % len(ANIMATION_COMMANDS)]
                problems = run_case(path, command, folder, timeout=args.timeout)
                path.unlink()
                kinds[f"animation {description}"] += 1
            elif surface == "stdin":
                description, data, command = stdin_case(rng, index)
                problems = run_case("-", command, folder, timeout=args.timeout, stdin=data)
                kinds["stdin"] += 1
            elif surface == "preview":
                description, request = preview_request(rng, server)
                problems = run_preview_case(server, request, timeout=args.timeout)
                kinds[f"preview {description.split()[0]}"] += 1
            else:
                keys = key_case(rng)
                description = f"keys {keys}"
                problems = run_key_case(keys, folder)
                kinds["keys"] += 1
            if problems:
                failures.append((f"{index:05d}", description, problems))
                print(f"{index:05d} ({description}): {problems[0]}", flush=True)
            if (index + 1) % 500 == 0:
                print(
                    f"{index + 1}/{args.n} cases, {len(failures)} failing, {time.perf_counter() - start:.0f} s",
                    flush=True,
                )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    tracebacks = sum("traceback" in p for _, _, ps in failures for p in ps)
    stray = sum("stray stderr" in p for _, _, ps in failures for p in ps)
    hangs = sum("TimeoutError" in p or "no answer" in p for _, _, ps in failures for p in ps)
    lines = [
        "# Fuzzing the readers, the streams and the servers through the CLI",
        "",
        f"`python bench/fuzz.py --n {args.n} --seed {args.seed}`: {args.n} cases in {seconds:.0f} s: "
        f"mutated files through one of {len(COMMANDS)} commands in turn "
        f"({', '.join(sorted({c[0] for c in COMMANDS}))}), hostile animations, stdin streams, preview "
        "requests and object keys (see the docstring).",
        "",
        f"- failing cases: {len(failures)}",
        f"- tracebacks: {tracebacks}",
        f"- stray stderr lines: {stray}",
        f"- hangs (over {args.timeout} s): {hangs}",
        f"- peak memory of the whole run (every case's bound): {peak:,.0f} MiB",
        "",
        "Cases by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ".",
        "",
    ]
    lines += [f"- {name} ({description}): {'; '.join(problems)}" for name, description, problems in failures[:50]]
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:11]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
