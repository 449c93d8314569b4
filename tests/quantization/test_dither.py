import numpy as np
import pytest
from skimage.filters import gaussian

from quantize import InvalidParameterError, quantize_image
from quantize.quantization.dither import bayer_matrix, dither
from quantize.metrics import delta_e_2000


def blurred_delta_e(image, reference):
    def blur(a):
        return np.rint(gaussian(a, sigma=2, channel_axis=-1, preserve_range=True)).astype(np.uint8).reshape(-1, 3)

    return delta_e_2000(blur(reference), blur(image))[0]


def test_bayer_matrix():
    assert ((bayer_matrix(1) + 0.5) * 4 - 0.5).tolist() == [[0, 2], [3, 1]]
    matrix = bayer_matrix()
    assert matrix.shape == (8, 8) and len(np.unique(matrix)) == 64 and matrix.mean() == pytest.approx(0)


@pytest.mark.parametrize("method", ["floyd-steinberg", "ordered"])
def test_dithering_helps_the_eye(photo, method):
    """Seen through a blur (as the eye averages), the dithered image is closer in
    CIEDE2000 to the blurred input than the undithered one, at k = 16."""
    plain = quantize_image(photo, 16, random_state=0)
    dithered = quantize_image(photo, 16, random_state=0, dither=method)
    np.testing.assert_array_equal(dithered.palette, plain.palette)
    assert blurred_delta_e(dithered.image, photo) < blurred_delta_e(plain.image, photo)
    assert dithered.report.psnr < plain.report.psnr  # each pixel is further off on its own
    assert f"{method} dithering at strength 1" in dithered.report.notes[-1]
    mean = delta_e_2000(photo.reshape(-1, 3), dithered.image.reshape(-1, 3))[0]
    assert dithered.report.delta_e == pytest.approx(mean, rel=1e-9)  # the sample is every pixel here


@pytest.mark.parametrize("method", ["floyd-steinberg", "ordered"])
def test_strength(photo, method):
    plain = quantize_image(photo, 8, random_state=0)
    none = dither(photo, plain.palette, plain.labels, method=method, strength=0.0)
    np.testing.assert_array_equal(none, plain.labels)
    half = dither(photo, plain.palette, plain.labels, method=method, strength=0.5)
    full = dither(photo, plain.palette, plain.labels, method=method, strength=1.0)
    changed_half, changed_full = (half != plain.labels).mean(), (full != plain.labels).mean()
    assert 0 < changed_half < changed_full


def test_transparency_is_kept_and_partial_alpha_not_dithered(rgba_photo):
    result = quantize_image(rgba_photo, 8, random_state=0, dither="ordered")
    assert ((result.labels == -1) == (rgba_photo[..., 3] == 0)).all()
    assert "not dithered: the image has partly transparent pixels" in result.report.notes
    opaque_or_clear = rgba_photo.copy()
    opaque_or_clear[..., 3] = np.where(rgba_photo[..., 3] > 0, 255, 0)
    clear = quantize_image(opaque_or_clear, 8, random_state=0, dither="floyd-steinberg")
    assert ((clear.labels == -1) == (opaque_or_clear[..., 3] == 0)).all()


def test_bad_dither_parameters(photo):
    with pytest.raises(InvalidParameterError, match="dither='blue-noise'"):
        quantize_image(photo, 8, dither="blue-noise")
    with pytest.raises(InvalidParameterError, match="dither_strength=1.5"):
        quantize_image(photo, 8, dither="ordered", dither_strength=1.5)
    with pytest.raises(InvalidParameterError, match="dither_strength=-0.1"):
        quantize_image(photo, 8, dither="ordered", dither_strength=-0.1)
