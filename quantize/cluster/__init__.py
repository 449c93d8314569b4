"""K-means of any (n, d) data, knowing nothing of images: :mod:`.distances` (chunked
nearest-centre search), :mod:`.seeding` (k-means++, random, sharding), :mod:`.wu`
(Wu's boxes), :mod:`.lloyd` (weighted Lloyd iterations) and :mod:`.kmeans` (the
scikit-learn-style estimator)."""

from .kmeans import ALGORITHMS, INITS, KMeans
from .wu import WuSplits, wu_centers, wu_splits

__all__ = ["ALGORITHMS", "INITS", "KMeans", "WuSplits", "wu_centers", "wu_splits"]
