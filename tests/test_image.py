from PIL import Image

from quantize.image import image_to_array


def test_image_to_array_of_rgba_pillow_image():
    pixels, notes = image_to_array(Image.new("RGBA", (3, 2), (1, 2, 3, 4)))
    assert pixels.shape == (2, 3, 4) and notes == []
