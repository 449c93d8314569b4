"""files/animation.py: hostile frame geometry, the pixel budget of a whole animation,
durations that the formats cannot hold, and frames that all come out the same."""

import io

import numpy as np
import pytest
from PIL import Image

from quantize.errors import ImageError, ImageTooLargeError, InvalidParameterError
from quantize.files.animation import (
    ANIMATION_BUDGET,
    MAX_DURATION,
    Animation,
    duration_ms,
    encode_animation,
    frame_image,
    open_animation,
    read_animation,
)
from quantize.files.results import encode
from quantize.quantization.animation import quantize_animation

from ..fuzzing import hostile_gif


@pytest.mark.parametrize("offset", [12_000, 20_000, 65_000])
def test_a_frame_outside_the_canvas_is_refused_before_it_is_decoded(tmp_path, offset):
    """Pillow grows the canvas when it reaches such a frame; its own bomb check stays
    on (past twice its limit) and ours refuses any other size before decoding."""
    path = tmp_path / "grow.gif"
    path.write_bytes(hostile_gif([(0, 0), (offset, offset)]))
    animation = open_animation(path)
    with pytest.raises(ImageError, match="grow|not the canvas") as caught:
        list(animation.frames())
    assert caught.value.path == path
    if offset >= 20_000:
        assert isinstance(caught.value, ImageTooLargeError)


def test_pillows_bomb_check_is_left_as_it_was(tmp_path):
    path = tmp_path / "grow.gif"
    path.write_bytes(hostile_gif([(0, 0), (20_000, 20_000)]))
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageTooLargeError):
        list(open_animation(path).frames())
    assert Image.MAX_IMAGE_PIXELS == before
    # a limit above Pillow's is honoured for the call, then Pillow's is back
    big = hostile_gif([(0, 0), (0, 0)], canvas=(10_000, 10_000))
    frames = open_animation(data=big, max_pixels=150_000_000)
    assert frames is not None and Image.MAX_IMAGE_PIXELS == before


def test_an_animation_over_its_budget_is_refused_at_open(tmp_path):
    path = tmp_path / "many.gif"
    path.write_bytes(hostile_gif([(0, 0)] * 1000, canvas=(1000, 1000)))
    assert path.stat().st_size < 30_000
    with pytest.raises(
        ImageTooLargeError,
        match="animation has 1,000 frames of 1000x1000 = 1,000,000,000 pixels in all, over the limit of 178,956,970",
    ):
        open_animation(path)
    enough = 1000 * 1000 * 1000 // ANIMATION_BUDGET
    assert open_animation(path, max_pixels=enough).n_frames == 1000
    with pytest.raises(ImageTooLargeError):
        open_animation(path, max_pixels=enough - 1)


@pytest.mark.parametrize(
    "value, ms", [(None, 0), ("x", 0), (float("nan"), 0), (float("inf"), 0), (-5, 0), (40.4, 40), (1e300, 1 << 31)]
)
def test_durations_read_from_files_are_whole_milliseconds(value, ms):
    assert duration_ms(value) == ms


@pytest.mark.parametrize("durations", [[float("nan")], [float("inf")], [-1], [1e300], ["100"]])
def test_bad_durations_of_arrays_are_refused(durations):
    with pytest.raises(InvalidParameterError, match="durations"):
        Animation.from_arrays([np.zeros((2, 2, 3), np.uint8)], durations=durations)


def test_bad_loops_are_refused():
    with pytest.raises(InvalidParameterError, match="loop"):
        Animation.from_arrays([np.zeros((2, 2, 3), np.uint8)], loop=70_000)


@pytest.mark.parametrize("image_format", ["GIF", "PNG", "WEBP"])
def test_durations_longer_than_the_format_holds_are_shortened_with_a_note(image_format):
    frames = [np.full((4, 4, 3), v, np.uint8) for v in (0, 255)]
    images = [
        frame_image(
            np.full((4, 4), i, np.int16),
            np.array([[0, 0, 0], [255, 255, 255]], np.uint8),
            image_format,
            transparent=False,
        )
        for i in (0, 1)
    ]
    notes = []
    data = encode_animation(images, image_format, durations=[70_000_000, 100], loop=0, notes=notes)
    assert notes == [
        f"frames longer than {MAX_DURATION[image_format]:,} ms were shortened to that ({image_format}'s longest)"
    ]
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.n_frames == 2
    assert len(frames) == 2


@pytest.mark.parametrize("image_format", ["GIF", "PNG", "WEBP"])
@pytest.mark.parametrize("disposal", [None, 2])
def test_frames_that_all_come_out_the_same_are_written_as_one(tmp_path, image_format, disposal):
    """Every frame identical after quantisation: Pillow's GIF encoder failed on it."""
    a = np.zeros((20, 20, 3), np.uint8)
    a[:, :10] = 200
    b = a.copy()
    b[5, 15] = (3, 3, 3)  # in the black half: black at k = 2
    path = tmp_path / "in.gif"
    options = {} if disposal is None else {"disposal": disposal}
    Image.fromarray(a).save(
        path, save_all=True, append_images=[Image.fromarray(b)], duration=[100, 200], loop=0, **options
    )
    encoded = encode(quantize_animation(read_animation(path), 2), image_format)
    assert encoded.report.frames == 1
    with Image.open(io.BytesIO(encoded.data)) as decoded:
        assert getattr(decoded, "n_frames", 1) == 1
        assert np.asarray(decoded.convert("RGB"))[5, 15].tolist() == [0, 0, 0]
    if image_format == "GIF":
        assert decoded.info["duration"] == 300
