"""Wu's compiled greedy cuts against a plain NumPy oracle: every candidate cut's
moments from the cumulated table (inclusion-exclusion written out), the best cut of
a box by a full scan, the box with the best cut taken at each step."""

import itertools

import numpy as np
import pytest

from quantize._compiled import kernel
from quantize.cluster.wu import wu_splits

wu_kernel = kernel("cluster._wu")


def oracle_moments(table, strides, lower, upper):
    d = len(strides)
    total = np.zeros(table.shape[1])
    for corner in itertools.product((0, 1), repeat=d):
        row = sum((upper[a] if bit else lower[a]) * strides[a] for a, bit in enumerate(corner))
        total += (-1) ** (d - sum(corner)) * table[row]
    return total


def oracle_cuts(table, strides, bins, n_boxes):
    """(sse drop of each step) of the greedy cuts, scanning every cut of every box."""
    d = len(bins)

    def best_cut(lower, upper):
        total = oracle_moments(table, strides, lower, upper)
        best = (-np.inf, 0, 0)
        for axis in range(d):
            for position in range(lower[axis] + 1, upper[axis]):
                top = upper.copy()
                top[axis] = position
                low = oracle_moments(table, strides, lower, top)
                high = total - low
                if low[0] > 1e-9 * total[0] and high[0] > 1e-9 * total[0]:
                    score = (low[1:-1] ** 2).sum() / low[0] + (high[1:-1] ** 2).sum() / high[0]
                    if score > best[0]:
                        best = (score, axis, position)
        if best[0] == -np.inf:
            return best
        return max(best[0] - (total[1:-1] ** 2).sum() / total[0], 0.0), best[1], best[2]

    lower, upper = [np.zeros(d, np.intp)], [np.asarray(bins, np.intp).copy()]
    best, gains = [best_cut(lower[0], upper[0])], [0.0]
    while len(lower) < n_boxes:
        parent = int(np.argmax([b[0] for b in best]))
        gain, axis, position = best[parent]
        if gain == -np.inf:
            break
        lower.append(lower[parent].copy())
        upper.append(upper[parent].copy())
        upper[parent][axis] = lower[-1][axis] = position
        best[parent] = best_cut(lower[parent], upper[parent])
        best.append(best_cut(lower[-1], upper[-1]))
        gains.append(gain)
    return np.array(gains)


@pytest.mark.parametrize("seed", range(6))
def test_greedy_cuts_equal_the_oracle(seed):
    rng = np.random.default_rng(seed)
    d = 1 + seed % 4
    X = rng.normal(size=(300, d)) * rng.uniform(1, 20, d)
    w = rng.uniform(0.5, 3.0, len(X))  # real weights: no ties between cuts
    splits = wu_splits(X, 40, sample_weight=w, cells=[64, 256, 2048, 4096][d - 1])
    boxes = splits._boxes
    gains = wu_kernel.greedy_cuts(boxes.table, boxes.strides, boxes.bins, 40)[3]
    want = oracle_cuts(boxes.table, boxes.strides, boxes.bins, 40)
    assert len(gains) == len(want)
    np.testing.assert_allclose(gains, want, rtol=1e-9, atol=1e-9 * want.max())
    for lower, upper in zip(*splits.bounds(splits.n_boxes)):
        np.testing.assert_allclose(
            boxes.moments(lower[None], upper[None])[0],
            oracle_moments(boxes.table, boxes.strides, lower, upper),
            rtol=1e-9,
            atol=1e-9,
        )


def test_no_cut_when_the_grid_has_one_bin():
    table = np.zeros((2 * 2 * 2, 5))
    lower, upper, cuts, gains = wu_kernel.greedy_cuts(table, np.array([4, 2, 1]), np.array([1, 1, 1]), 8)
    assert len(lower) == 1 and len(cuts) == 0 and gains.tolist() == [0.0]
