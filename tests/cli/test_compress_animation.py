"""compress on animated GIF, APNG and WebP inputs."""

import json

import numpy as np
import pytest
from PIL import Image

from ..conftest import animation_frames, sha256, write_animation
from .helpers import listing, run


@pytest.fixture
def gif(tmp_path):
    path = tmp_path / "anim.gif"
    write_animation(path, animation_frames())
    return path


@pytest.mark.parametrize("name", ["anim.gif", "anim.png", "anim.webp"])
def test_animation_keeps_its_format_and_frames(tmp_path, name):
    source = tmp_path / name
    durations = write_animation(source, animation_frames(alpha=True))
    before = sha256(source)
    result = run("compress", source, "-k", 8, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    output = tmp_path / (source.stem + "-q8" + source.suffix)
    assert report["output"] == str(output) and report["frames"] == 6 and report["transparent"]
    assert set(report["frame_stats"]) == {"psnr", "delta_e"}
    assert report["output_bytes"] == output.stat().st_size and report["input_bytes"] == source.stat().st_size
    with Image.open(output) as image:
        assert image.n_frames == 6 and image.format == Image.open(source).format
        seen = set()
        for i in range(6):
            image.seek(i)
            rgba = np.asarray(image.convert("RGBA"))
            assert int(image.info["duration"]) == durations[i]
            assert (rgba[..., 3] == 0).any()
            seen |= {tuple(c) for c in rgba[rgba[..., 3] > 0][:, :3]}
    assert len(seen) <= 8  # one palette for all frames
    assert sha256(source) == before
    assert "6 frames: PSNR mean" in run("compress", source, "-k", 8, "--force").stdout


def test_animation_to_a_still_format_needs_first_frame(gif, tmp_path):
    refused = run("compress", gif, "-o", tmp_path / "x.jpg")
    assert refused.exit_code == 1 and "animation of 6 frames" in refused.stderr and "--first-frame" in refused.stderr
    assert refused.stderr.count("\n") == 1 and not (tmp_path / "x.jpg").exists()
    still = run("compress", gif, "--first-frame", "-o", tmp_path / "x.png", "--json")
    report = json.loads(still.stdout)
    assert still.exit_code == 0 and report["frames"] == 1 and "the first of 6 frames" in report["notes"][0]
    assert getattr(Image.open(tmp_path / "x.png"), "n_frames", 1) == 1
    smallest = run("compress", gif, "--format", "smallest")
    assert smallest.exit_code == 1 and "animation" in smallest.stderr


def test_frame_palettes_and_weight_options(gif, tmp_path):
    per_frame = run("compress", gif, "-k", 4, "--frame-palettes", "-o", tmp_path / "f.gif", "--json")
    assert per_frame.exit_code == 0, per_frame.output
    assert "one palette per frame" in json.loads(per_frame.stdout)["notes"][0]
    colors = set()
    with Image.open(tmp_path / "f.gif") as image:
        for i in range(image.n_frames):
            image.seek(i)
            colors |= {c for _, c in image.convert("RGB").getcolors()}
    assert len(colors) > 4  # four per frame, not four in all
    weighted = run("compress", gif, "-k", 4, "--frame-weight", "duration", "-o", tmp_path / "w.gif")
    assert weighted.exit_code == 0
    for args, message in (
        (["--frame-weight", "time"], "'time' is not one of 'pixels', 'duration'"),
        (["--frame-palettes", "--save-palette", tmp_path / "p.json"], "not with --palette"),
    ):
        bad = run("compress", gif, *args)
        assert bad.exit_code == 2 and message in bad.stderr and bad.stderr.count("\n") == 1
    assert listing(tmp_path) == ["anim.gif", "f.gif", "w.gif"]


def test_animation_quality_target_and_skip_if_larger(gif, tmp_path):
    target = run("compress", gif, "--quality", 28, "--json")
    report = json.loads(target.stdout)
    assert target.exit_code == 0 and report["psnr"] >= 28 and report["output"].endswith("anim-q28dB.gif")
    missed = run("compress", gif, "-k", 2, "--quality", 45, "-o", tmp_path / "m.gif")
    assert missed.exit_code == 3 and not (tmp_path / "m.gif").exists()
    skipped = run("compress", gif, "-k", 256, "--skip-if-larger", "-o", tmp_path / "s.gif", "--json")
    assert skipped.exit_code in (0, 98)
    assert (json.loads(skipped.stdout)["status"] == "skipped") == (skipped.exit_code == 98)
    assert (tmp_path / "s.gif").exists() == (skipped.exit_code == 0)


@pytest.mark.slow
def test_frames_progress_in_a_terminal(tmp_path):
    """An animation shows a frames bar that fits the terminal."""
    import re
    import sys

    from .helpers import in_a_terminal

    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    frames = [np.roll(base, 4 * i, axis=1) for i in range(120)]
    path = tmp_path / "long.gif"
    Image.fromarray(frames[0]).save(
        path, save_all=True, append_images=[Image.fromarray(f) for f in frames[1:]], duration=40, loop=0
    )
    text = in_a_terminal(
        [sys.executable, "-m", "quantize", "compress", str(path), "-k", "64", "-o", str(tmp_path / "out.gif")],
        50,
        tmp_path,
    )
    text = re.sub(r"\x1b\[\?25[lh]", "", text)
    bars = [piece for line in text.split("\n") for piece in line.split("\r") if piece.startswith("frames")]
    assert bars and "240/240" in bars[-1], text
    for bar in bars:  # the palette's pass over the frames, then their mapping
        done = int(re.search(r"(\d+)/240", bar).group(1))
        assert bar.startswith("frames: fit" if 2 * done < 240 else "frames: map"), bar
    assert {len(bar) for bar in bars} == {49}
    assert (tmp_path / "out.gif").exists()
