import numpy as np
import pytest
from PIL import Image

from quantize.errors import InvalidParameterError, TargetNotMetError
from quantize.files.animation import Animation, open_animation, read_animation
from quantize.files.results import encode, save
from quantize.quantization.animation import quantize_animation
from quantize.quantization.api import quantize_image

from ..conftest import animation_frames, write_animation


def _decoded(path):
    with Image.open(path) as image:
        frames, durations, disposals = [], [], []
        for i in range(image.n_frames):
            image.seek(i)
            rgba = np.asarray(image.convert("RGBA")).copy()
            frames.append(rgba)
            durations.append(image.info.get("duration"))
            disposals.append(getattr(image, "disposal_method", image.info.get("disposal")))
        return frames, durations, disposals, image.info.get("loop")


def _same_picture(got, want):
    """Equal pixels, fully transparent ones compared by alpha alone."""
    if want.shape[2] == 3:
        return np.array_equal(got[..., :3], want)
    got, want = got.copy(), want.copy()
    got[got[..., 3] == 0] = 0
    want[want[..., 3] == 0] = 0
    return np.array_equal(got, want)


@pytest.mark.parametrize("name", ["a.gif", "a.png", "a.webp"])
@pytest.mark.parametrize("alpha", [False, True])
def test_round_trip_keeps_frames_timing_loop_and_transparency(tmp_path, name, alpha):
    source = tmp_path / f"in-{name}"
    frames = animation_frames(alpha=alpha)
    durations = write_animation(source, frames, loop=3, **({"disposal": 2} if name != "a.webp" else {}))
    result = quantize_animation(read_animation(source), 12)
    assert result.shared and all(p is result.palette for p in result.palettes) and len(result.palette) <= 12
    assert result.durations == durations and result.loop == 3
    report = save(result, tmp_path / name)
    got, got_durations, disposals, loop = _decoded(tmp_path / name)
    assert len(got) == len(frames) == report.frames == 6
    assert [int(d) for d in got_durations] == durations and loop == 3
    if name == "a.gif":
        assert disposals == [2] * 6  # APNG frames are written whole: blend "source", disposal "none"
    assert all(_same_picture(g if alpha else g[..., :3], result.frame(i)) for i, g in enumerate(got))
    if not alpha:
        assert all((g[..., 3] == 255).all() for g in got)
    assert report.transparent == alpha and all((g[..., 3] == 0).any() == alpha for g in got)
    assert report.frame_stats["psnr"]["worst"] <= report.frame_stats["psnr"]["mean"]
    assert report.frame_stats["delta_e"]["worst"] >= report.frame_stats["delta_e"]["mean"]
    assert report.output_bytes == (tmp_path / name).stat().st_size


def test_gif_has_one_global_colour_table_unless_frame_palettes(tmp_path):
    source = tmp_path / "in.gif"
    write_animation(source, animation_frames())
    shared = quantize_animation(read_animation(source), 8)
    save(shared, tmp_path / "shared.gif")
    per_frame = quantize_animation(read_animation(source), 8, frame_palettes=True)
    save(per_frame, tmp_path / "frames.gif")
    assert not per_frame.shared and per_frame.palette is None
    assert len({p.tobytes() for p in per_frame.palettes}) > 1
    assert "one palette per frame" in per_frame.report.notes[0]
    for path, local in ((tmp_path / "shared.gif", False), (tmp_path / "frames.gif", True)):
        data = path.read_bytes()
        # an image descriptor (0x2C) is followed by 8 bytes and a packed byte whose top bit is the local table
        flags = [data[i + 9] & 0x80 for i in range(len(data) - 10) if data[i] == 0x2C and data[i - 1] == 0]
        assert any(flags[1:]) == local
    got, *_ = _decoded(tmp_path / "frames.gif")
    assert all(_same_picture(g[..., :3], per_frame.frame(i)) for i, g in enumerate(got))


def test_shared_palette_is_that_of_the_frames_side_by_side():
    frames = animation_frames()
    result = quantize_animation(frames, 10, colorspace="lab")
    still = quantize_image(np.vstack(frames), 10, colorspace="lab")
    assert np.array_equal(np.unique(result.palette, axis=0), np.unique(still.palette, axis=0))
    assert result.report.psnr == pytest.approx(still.report.psnr)


def test_duration_weight_favours_long_frames():
    red, blue = np.zeros((16, 16, 3), np.uint8), np.zeros((16, 16, 3), np.uint8)
    red[...] = (200, 0, 0)
    red[:8] = (255, 40, 40)
    blue[...] = (0, 0, 200)
    blue[:8] = (80, 80, 255)  # the blues further apart than the reds, in every space
    animation = Animation.from_arrays([red, blue], durations=[1000, 10])
    by_pixels = quantize_animation(animation, 3, weight="pixels")
    by_time = quantize_animation(animation, 3, weight="duration")
    assert by_time.frame_psnr[0] > by_pixels.frame_psnr[0] and by_time.frame_psnr[1] < by_pixels.frame_psnr[1]
    with pytest.raises(InvalidParameterError, match="weight"):
        quantize_animation(animation, 3, weight="time")


def test_quality_target_over_all_frames():
    frames = animation_frames()
    met = quantize_animation(frames, quality=28)
    assert met.report.psnr >= 28 and len(met.palette) < 256
    with pytest.raises(TargetNotMetError) as missed:
        quantize_animation(frames, 4, quality=45)
    assert missed.value.result.report.frames == 6 and "target not met" in missed.value.result.report.notes[-1]


def test_still_image_and_bad_frames(tmp_path):
    Image.fromarray(animation_frames(1)[0]).save(tmp_path / "still.png")
    assert open_animation(tmp_path / "still.png") is None
    assert quantize_animation(read_animation(tmp_path / "still.png"), 4).report.frames == 1
    with pytest.raises(InvalidParameterError, match="animation is a path .*read_animation"):
        quantize_animation(tmp_path / "still.png", 4)  # the library reads no file
    with pytest.raises(InvalidParameterError, match="at least one frame"):
        quantize_animation([])
    with pytest.raises(InvalidParameterError, match="of one size"):
        quantize_animation([np.zeros((4, 4, 3), np.uint8), np.zeros((5, 4, 3), np.uint8)])
    with pytest.raises(InvalidParameterError, match="durations"):
        Animation.from_arrays([np.zeros((4, 4, 3), np.uint8)], durations=[10, 20])
    with pytest.raises(InvalidParameterError, match="cannot hold an animation"):
        encode(quantize_animation(animation_frames(2), 4), "JPEG")


def test_given_palette_and_dithering_per_frame():
    frames = animation_frames()
    palette = np.array([[0, 0, 0], [255, 255, 255], [250, 30, 30], [20, 200, 90]], np.uint8)
    mapped = quantize_animation(frames, palette=palette)
    assert np.array_equal(mapped.palette, palette)
    dithered = quantize_animation(frames, 4, dither="floyd-steinberg")
    plain = quantize_animation(frames, 4)
    assert np.array_equal(dithered.palette, plain.palette)
    assert any(not np.array_equal(a, b) for a, b in zip(dithered.labels, plain.labels))
    with pytest.raises(InvalidParameterError, match="given palette"):
        quantize_animation(frames, palette=palette, frame_palettes=True)


def test_exported_at_the_top_level():
    import quantize

    assert quantize.quantize_animation is quantize_animation and "quantize_animation" in quantize.__all__


@pytest.mark.parametrize("frame_palettes, passes", [(False, 2), (True, 1)])
def test_progress_counts_every_frame_of_every_pass(frame_palettes, passes):
    frames = animation_frames(n=5)
    seen = []
    quantize_animation(
        frames,
        8,
        frame_palettes=frame_palettes,
        random_state=0,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(i, passes * 5) for i in range(1, passes * 5 + 1)]


def test_duration_weights_past_two_to_the_32_keep_their_colour():
    """GIF durations go up to 655,350 ms: a frame's pixels times its duration passes
    2^32, which the merged histogram once truncated (pure red was lost)."""
    red = np.zeros((2, 3277, 3), np.uint8)  # 6,554 pixels x 655,350 ms = 2^32 + 196,604
    red[..., 0] = 255
    mix = np.zeros((2, 3277, 3), np.uint8)
    mix[0] = (0, 200, 0)
    mix[1] = (0, 0, 200)
    animation = Animation.from_arrays([red, mix], durations=[655_350, 100])
    result = quantize_animation(animation, 2, weight="duration", random_state=0)
    assert [255, 0, 0] in result.palette[:, :3].tolist()
