import numpy as np

from quantize.files.draw import BOUNDARY_COLOR, overlay, swatch


def two_regions():
    image = np.full((6, 8, 4), 100, np.uint8)
    image[..., 3] = 255
    regions = np.zeros((6, 8), np.int32)
    regions[:, 4:] = 1
    regions[0, 0] = -1
    image[0, 0] = (1, 2, 3, 0)
    return image, regions


def test_overlay_blends_region_colours_and_keeps_outside_pixels():
    image, regions = two_regions()
    colors = np.array([[200, 0, 0], [0, 0, 200]], np.uint8)
    out = overlay(image, regions, colors, opacity=0.5, boundaries=False)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert out[3, 1].tolist() == [150, 50, 50, 255]
    assert out[3, 6].tolist() == [50, 50, 150, 255]
    assert out[0, 0].tolist() == [1, 2, 3, 0]  # no region: unchanged, alpha too
    assert image[3, 1].tolist() == [100, 100, 100, 255]  # input not modified


def test_overlay_draws_boundaries():
    image, regions = two_regions()
    out = overlay(image[..., :3], regions, np.zeros((2, 3), np.uint8), opacity=1.0)
    boundary = (out == BOUNDARY_COLOR).all(axis=2)
    assert boundary[:, 3].all() and boundary[:, 4].all()  # both sides of the edge
    assert not boundary[3, 1] and not boundary[3, 6]
    assert out[3, 1].tolist() == [0, 0, 0]


def test_swatch_rows_show_each_colour():
    colors = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], np.uint8)
    picture = swatch(colors, ["#ff0000 10%", "#00ff00 30%", "#0000ff 60%"], row_height=20, width=200)
    assert picture.shape == (60, 200, 3)
    for row, color in enumerate(colors):
        assert picture[row * 20 + 10, 5].tolist() == color.tolist()
    assert (picture[:, 60:] < 128).any() and (picture[:, 60:] == 255).any()  # black captions on white
    assert swatch(colors[:0], []).shape[0] > 0


def test_overlay_in_strips_equals_one_pass(monkeypatch, photo):
    import quantize.files.draw as draw

    regions = (photo[..., 0] // 64).astype(np.int32) - 1  # includes -1: no region
    colors = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], np.uint8)
    whole = overlay(photo, regions, colors)
    monkeypatch.setattr(draw, "_STRIP_PIXELS", 1000)
    assert np.array_equal(overlay(photo, regions, colors), whole)
    assert not np.array_equal(whole, photo)
