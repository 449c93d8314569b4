import numpy as np
import pytest

from quantize import segment_image
from quantize.datasets import make_scene
from quantize.metrics import adjusted_rand_index
from quantize.quantization.levels import Levels
from quantize.segmentation.auto import NOISY, residual_noise, space_for_noise
from quantize.segmentation.separation import SEPARATION, separate, separation


def _blobs():
    """A large blob of noise sigma 5 and two small ones 60 apart, as rounded colours."""
    rng = np.random.default_rng(0)
    means = np.array([(60.0, 60, 60), (110, 30, 40), (110, 90, 40)])
    sizes = (40_000, 600, 600)
    pixels = np.concatenate([rng.normal(m, 5.0, (n, 3)) for m, n in zip(means, sizes)])
    colors, counts = np.unique(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), axis=0, return_counts=True)
    return Levels(colors.astype(np.float32), counts, colors), means


def test_a_region_split_in_two_is_merged_and_the_lost_one_found():
    levels, means = _blobs()
    # k-means' trap: the large blob's halves, and one centre between the small blobs
    trapped = np.array([(56.0, 60, 60), (64, 60, 60), (110, 60, 40)], np.float32) - levels.offset
    assert separation(trapped, 5.0) < SEPARATION * 5.0
    centers = separate(levels, trapped, 5.0) + levels.offset
    found = centers[np.argsort(centers[:, 0] * 1000 + centers[:, 1])]
    assert np.abs(found - means).max() < 2.0
    assert separation(found, 5.0) == SEPARATION * 5.0 and separation(found[:1], 5.0) == SEPARATION * 5.0


def test_separated_centres_are_left_alone():
    levels, means = _blobs()
    centers = (means - levels.offset).astype(np.float32)
    assert np.array_equal(separate(levels, centers, 5.0), centers)
    # no noise to speak of: the halves are regions of their own
    halves = np.array([(56.0, 60, 60), (64, 60, 60), (110, 60, 40)], np.float32) - levels.offset
    assert np.array_equal(separate(levels, halves, 1.0), halves)


def test_clustering_space_and_residual_noise():
    assert space_for_noise("lab", NOISY) == "rgb" and space_for_noise("oklab", 30.0) == "rgb"
    assert space_for_noise("lab", NOISY - 0.1) == "lab"
    assert residual_noise(25.0, 1.4) == pytest.approx(25.0 / (2 * np.sqrt(np.pi) * 1.4))
    assert residual_noise(3.0, 0.0) == 3.0 and residual_noise(0.2, 0.0) == 0.5


@pytest.mark.parametrize("colorspace", ["lab", "rgb", "oklab"])
def test_noisy_scenes_are_clustered_in_srgb_in_any_colorspace(colorspace):
    # a dark scene dominated by its background: k-means in CIELAB scored 0.34 here, and
    # k-means in sRGB 0.36 without the separation (split background, merged regions)
    image, truth = make_scene((240, 320), 8, colors="dark", layout="dominant", noise=25.0, random_state=14)
    result = segment_image(image, 8, colorspace=colorspace, random_state=0)
    assert result.parameters["cluster_space"] == "rgb" and result.parameters["noise"] > 20
    assert adjusted_rand_index(truth.ravel(), result.clusters.ravel()) >= 0.95


def test_clean_images_and_spatial_keep_the_colorspace():
    image, _ = make_scene((60, 80), 4, noise=0.0, random_state=0)
    assert segment_image(image, 4, random_state=0).parameters["cluster_space"] == "din99o"
    noisy, _ = make_scene((60, 80), 4, noise=25.0, random_state=0)
    assert segment_image(noisy, 4, spatial=10.0, random_state=0).parameters["cluster_space"] == "din99o"


def test_thorough_separates_at_least_as_well_as_normal():
    image, truth = make_scene((240, 320), 8, colors="dark", layout="dominant", noise=25.0, random_state=14)
    normal = adjusted_rand_index(truth.ravel(), segment_image(image, 8, random_state=0).clusters.ravel())
    thorough = adjusted_rand_index(
        truth.ravel(), segment_image(image, 8, effort="thorough", random_state=0).clusters.ravel()
    )
    assert thorough >= normal - 0.005
