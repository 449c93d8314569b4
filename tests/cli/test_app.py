import json
import shutil
import subprocess
import sys

import pytest

from ..conftest import IMAGES, REPO
from .helpers import run


def test_help_shows_examples():
    assert "quantize compress photo.jpg" in run("--help").stdout
    text = run("compress", "--help").stdout
    assert "Examples:" in text and "quantize compress photo.jpg -k 64" in text
    assert "[default: 16; x>=1]" in text


def test_bare_quantize_prints_the_help_and_succeeds():
    result = run()
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage:") and "compress" in result.stdout and "error" not in result.stdout


def test_a_usage_error_is_one_line_with_its_hint():
    result = run("compress")
    assert result.exit_code == 2
    assert result.stderr == "quantize: error: Missing argument 'INPUT...' (see 'main compress --help')\n"
    unknown = run("bogus")
    assert unknown.exit_code == 2 and unknown.stderr.count("\n") == 1 and ".'" not in unknown.stderr


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("quantize, version ")


@pytest.mark.slow
def test_root_launcher_and_module_run_the_same_app(tmp_path):
    shutil.copy(IMAGES / "chelsea.png", tmp_path / "c.png")
    for command in ([sys.executable, str(REPO / "cli.py")], [sys.executable, "-m", "quantize"]):
        out = tmp_path / f"out-{len(command)}.png"
        done = subprocess.run(
            [*command, "compress", str(tmp_path / "c.png"), "-k", "4", "-o", str(out), "--json"],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["colors_used"] == 4
        missing = subprocess.run([*command, "compress", "nope.png"], capture_output=True, text=True, cwd=tmp_path)
        assert missing.returncode == 1
        assert missing.stderr == "quantize: error: nope.png: no such file\n"


@pytest.mark.parametrize("space", ["rgb", "lab", "oklab"])
def test_colorspace_option_of_compress_segment_and_batch(workdir, space):
    result = run("compress", workdir / "chelsea.png", "-k", 6, "--colorspace", space, "--json", "-o", workdir / "c.png")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["colorspace"] == space and report["delta_e"] > 0 and report["delta_e_p95"] >= report["delta_e"]
    segmented = run("segment", workdir / "chelsea.png", "-k", 3, "--colorspace", space, "--json", "-o", workdir / "s")
    assert segmented.exit_code == 0 and json.loads(segmented.stdout)["colorspace"] == space
    batch = run(
        "batch",
        workdir,
        "-o",
        workdir.parent / f"b-{space}",
        "--include",
        "chelsea.png",
        "--colorspace",
        space,
        "--dither",
        "ordered",
        "--dither-strength",
        0.5,
        "--jobs",
        1,
        "--json",
    )
    report = json.loads(batch.stdout)["files"][0]["report"]
    assert report["colorspace"] == space and "ordered dithering at strength 0.5" in report["notes"][-1]


@pytest.mark.parametrize(
    "command",
    [
        ["compress", "{w}/chelsea.png", "-o", "{w}/o.png"],
        ["segment", "{w}/chelsea.png", "-o", "{w}/seg"],
        ["apply", "{w}/chelsea.png", "--palette", "{w}/p.json", "-o", "{w}/o.png"],
        ["palette", "{w}/chelsea.png", "-o", "{w}/o.json"],
        ["suggest-k", "{w}/chelsea.png", "--k-max", "4"],
        ["batch", "{w}/in", "-o", "{w}/out", "--jobs", "1"],
    ],
)
def test_every_command_has_quiet_and_verbose(workdir, command):
    (workdir / "in").mkdir()
    shutil.copy(workdir / "chelsea.png", workdir / "in" / "cat.png")
    (workdir / "p.json").write_text('["#000000", "#ffffff", "#808080"]')
    args = [a.format(w=workdir) for a in command]
    normal = run(*args)
    assert normal.exit_code == 0, normal.output
    assert normal.stdout and normal.stderr == ""
    quiet = run(*args, "-q", "--force")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    verbose = run(*args, "--verbose", "--force")
    assert verbose.exit_code == 0 and verbose.stdout.split()[:2] == normal.stdout.split()[:2] != []
    steps = verbose.stderr.splitlines()
    assert steps and all(line.startswith(f"quantize: {workdir}/") for line in steps)
    assert " s" in steps[0] or steps[0].endswith(": done")
    both = run(*args, "-q", "-v")
    assert both.exit_code == 2 and "-q/--quiet and -v/--verbose exclude each other" in both.stderr


def test_quiet_batch_prints_its_failures_as_errors(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.png").write_text("no")
    result = run("batch", tmp_path / "in", "-o", tmp_path / "out", "-q", "--jobs", 1)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"quantize: error: {tmp_path / 'in' / 'bad.png'}: not an image file that Pillow can read\n"


def test_ctrl_c_while_the_commands_load_is_one_line(tmp_path):
    """An interruption that lands while the console script imports the commands
    (simulated by a finder that raises it on one import) exits 130 with one line."""
    code = """
import sys
class Interrupting:
    def find_spec(self, name, path=None, target=None):
        if name == "quantize.cli.compress":
            raise KeyboardInterrupt
sys.meta_path.insert(0, Interrupting())
sys.argv = ["quantize", "compress", "--help"]
from quantize.cli.launch import run
run()
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    # click ends the terminal's ^C line first, as for any Ctrl-C in a command
    assert done.returncode == 130 and done.stderr.lstrip("\n") == "quantize: interrupted\n" and done.stdout == ""


def test_importing_quantize_and_its_cli_loads_no_numpy():
    code = (
        "import sys, quantize, quantize.cli.launch\nfrom quantize.cli import main\n"
        "print('numpy' in sys.modules, 'PIL' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("command", ["apply", "batch", "compress", "palette", "preview", "segment", "suggest-k"])
def test_quiet_help_mentions_json_only_where_there_is_one(command):
    text = " ".join(run(command, "--help").stdout.split())
    quiet = text.split("-q, --quiet")[1].split(" -v, ")[0]
    assert ("--json" in quiet) == ("--json " in text.split("-q, --quiet")[0] + text.split(" -v, ")[1])


def test_palette_help_names_the_colour_names_it_uses():
    text = " ".join(run("palette", "--help").stdout.split())
    assert "xkcd" in text and "CSS colour name" not in text
