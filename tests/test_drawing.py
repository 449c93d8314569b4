import numpy as np

from quantize.color.spaces import relative_luminance
from quantize.drawing import overlay, swatch


def contrast_ratio(a, b):
    """WCAG contrast ratio of two (..., 3) uint8 colours."""
    la, lb = relative_luminance(a) + 0.05, relative_luminance(b) + 0.05
    return np.maximum(la, lb) / np.minimum(la, lb)


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


def test_overlay_draws_boundaries_on_both_sides_in_a_contrasting_ink():
    image, regions = two_regions()
    colors = np.array([[10, 10, 40], [250, 250, 200]], np.uint8)  # dark left, pale right
    out = overlay(image[..., :3], regions, colors, opacity=1.0)
    assert out[1:, 3].tolist() == [[255, 255, 255]] * 5  # white on the dark side
    assert out[:, 4].tolist() == [[0, 0, 0]] * 6  # black on the pale side
    assert out[3, 1].tolist() == [10, 10, 40] and out[3, 6].tolist() == [250, 250, 200]


def test_boundaries_contrast_on_yellow_on_yellow():
    image = np.zeros((40, 40, 3), np.uint8)
    image[:] = (250, 220, 20)
    image[:, 20:] = (240, 240, 60)  # two yellows: a fixed yellow line would vanish
    regions = np.zeros((40, 40), np.int32)
    regions[:, 20:] = 1
    colors = np.array([[250, 220, 20], [240, 240, 60]], np.uint8)
    for grey in (False, True):
        out = overlay(image, regions, colors, grey=grey)
        line = np.concatenate([out[:, 19], out[:, 20]])
        beside = np.concatenate([out[:, 18], out[:, 21]])
        assert contrast_ratio(line, beside).min() >= 4.5  # WCAG AA for text


def test_grey_overlay_paints_over_the_luma():
    image, regions = two_regions()
    image[..., :3] = (200, 0, 0)
    out = overlay(
        image, regions, np.array([[0, 0, 200], [0, 0, 200]], np.uint8), opacity=0.5, grey=True, boundaries=False
    )
    luma = (77 * 200 + 128) >> 8  # Rec. 601 weights in 1/256ths
    assert out[3, 1].tolist() == [(luma + 1) // 2, (luma + 1) // 2, (200 + luma + 1) // 2, 255]


def test_swatch_rows_show_each_colour():
    colors = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], np.uint8)
    picture = swatch(colors, ["#ff0000 10%", "#00ff00 30%", "#0000ff 60%"], row_height=20, width=200)
    assert picture.shape == (60, 200, 3)
    for row, color in enumerate(colors):
        assert picture[row * 20 + 10, 5].tolist() == color.tolist()
    assert (picture[:, 60:] < 128).any() and (picture[:, 60:] == 255).any()  # black captions on white
    assert swatch(colors[:0], []).shape[0] > 0


def test_overlay_in_strips_equals_one_pass(monkeypatch, photo):
    import quantize.drawing as draw

    regions = (photo[..., 0] // 64).astype(np.int32) - 1  # includes -1: no region
    colors = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], np.uint8)
    whole = overlay(photo, regions, colors)
    monkeypatch.setattr(draw, "_STRIP_PIXELS", 1000)
    assert np.array_equal(overlay(photo, regions, colors), whole)
    assert not np.array_equal(whole, photo)


def test_inner_boundaries_equal_skimages(photo):
    from skimage.segmentation import find_boundaries

    from quantize.drawing import inner_boundaries

    regions = (photo[..., 0] // 40).astype(np.int32) - 1  # includes -1: no region
    expected = find_boundaries(regions + 1, mode="inner", background=0)
    np.testing.assert_array_equal(inner_boundaries(regions), expected)
    np.testing.assert_array_equal(inner_boundaries(regions, 10, 20), expected[10:20])
