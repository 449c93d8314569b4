"""Quality metrics: of images (:mod:`.image`: PSNR, SSIM, CIEDE2000; :mod:`.pngquant`:
pngquant's quality scale as PSNR) and of clusterings
(:mod:`.clustering`: inertia, silhouette, Davies–Bouldin, Dunn; Rand, adjusted Rand and
pair F-measure against a truth)."""

from .clustering import (
    DUNN_EXACT_MAX,
    SilhouetteSample,
    adjusted_rand_index,
    davies_bouldin_score,
    dunn_index,
    inertia,
    pair_f_measure,
    rand_index,
    silhouette_score,
)
from .image import delta_e_2000, mean_and_p95, psnr, ssim
from .pngquant import pngquant_quality_to_psnr

__all__ = [
    "DUNN_EXACT_MAX",
    "SilhouetteSample",
    "adjusted_rand_index",
    "davies_bouldin_score",
    "delta_e_2000",
    "dunn_index",
    "inertia",
    "mean_and_p95",
    "pair_f_measure",
    "pngquant_quality_to_psnr",
    "psnr",
    "rand_index",
    "silhouette_score",
    "ssim",
]
